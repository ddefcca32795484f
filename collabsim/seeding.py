"""Turning whatever a caller passes as ``seed=`` or ``rng=`` into one recorded integer seed.

A run is reproducible only if what seeded it can be written down. An integer can; a numpy
``Generator`` or ``SeedSequence`` is a state, not a number. So a Generator or a
SeedSequence is used to *draw* a 63-bit integer seed, and the model's own generator is
``numpy.random.default_rng(that seed)``: ``params["seed"]`` then repeats the run exactly,
``CollaborationModel(seed=model.params["seed"])``, whatever object was passed. Drawing
advances a Generator the caller passed, as any use of it would; passing a Generator in the
same state gives the same run.

An integer is used as is (``rng=5`` and ``seed=5`` are the same run); ``None`` draws fresh
entropy, recorded the same way.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from .parameters import PARAMETERS, ParameterError

SEED_LIMIT = 2**63
"""Seeds are integers in [0, 2**63): they fit a signed 64-bit column in any table."""

SeedLike = Union[int, np.integer, np.random.Generator, np.random.SeedSequence, None]


def resolve_seed(seed: Any = None, rng: Any = None) -> int:
    """The integer seed of a run given Mesa-style ``seed=`` and/or ``rng=``.

    Raises:
        ParameterError: both given and different, or a value that cannot seed a run.
    """
    if seed is not None and rng is not None and not (_is_int(seed) and _is_int(rng) and int(seed) == int(rng)):
        raise ParameterError(f"give seed= or rng=, not both (got seed={seed!r}, rng={rng!r})")
    value = rng if rng is not None else seed
    name = "rng" if rng is not None else "seed"
    if value is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, SEED_LIMIT, dtype=np.int64))
    if isinstance(value, np.random.SeedSequence):
        return int(value.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    if _is_int(value):
        return PARAMETERS["seed"].check(int(value))
    raise ParameterError(
        f"{name} must be an integer in [0, 2**63 - 1], a numpy Generator, a numpy SeedSequence or None, got {value!r}"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
