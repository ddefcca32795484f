"""The compiler of the monthly passes: numba's ``njit``, cached on disk.

A month of a small community is a few hundred pairs; as numpy calls it would be a few
hundred calls of a microsecond or more each, most of them overhead. The rules are
therefore also written as scalar functions that numba compiles, and each monthly pass
over the pairs is one compiled loop. ``error_model="numpy"`` keeps numpy's float
semantics (no exceptions on division), and no ``fastmath``: every operation happens in
the order it is written, so results are bit-identical to the numpy forms of the rules.

Compiled code is cached in ``__pycache__`` (or numba's user cache when that is not
writable): the first run on a machine compiles for about half a minute, later runs
load in a fraction of a second. ``NUMBA_DISABLE_JIT=1`` runs the same code as Python.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import numba

F = TypeVar("F", bound=Callable)


def jit(fn: F) -> F:
    """Compile ``fn`` in nopython mode with numpy's error model, cached on disk."""
    return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)


DISABLED = bool(numba.config.DISABLE_JIT)
"""True when ``NUMBA_DISABLE_JIT=1``: the passes run as plain Python (tests compare both)."""
