"""The compiler of the monthly passes: numba's ``njit``, cached on disk.

A month of a small community is a few hundred pairs; as numpy calls it would be a few
hundred calls of a microsecond or more each, most of them overhead. The rules are
therefore written as scalar functions that numba compiles, and each monthly pass over
the pairs is one compiled loop. A rule's vectorised form, for tests, docs and the
occasional array call, is derived from its scalar form (``elementwise``), so each
equation is written once. ``error_model="numpy"`` keeps numpy's float semantics (no
exceptions on division), and no ``fastmath``: every operation happens in the order it
is written, so results are reproducible bit for bit.

Compiled code is cached in ``__pycache__`` (or numba's user cache when that is not
writable): the first run on a machine compiles for about half a minute, later runs
load in a fraction of a second. ``NUMBA_DISABLE_JIT=1`` runs the same code as Python.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import numba
import numpy as np
from numba.core import errors, types
from numba.extending import overload
from numba.np.unsafe.ndarray import to_fixed_tuple

F = TypeVar("F", bound=Callable)


def jit(fn: F) -> F:
    """Compile ``fn`` in nopython mode with numpy's error model, cached on disk."""
    return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)


def hot(fn: F) -> F:
    """``jit`` for a small rule called per pair inside the monthly passes, inlined into
    its callers: a call that passes arrays costs an atomic reference count per array
    (tens of nanoseconds, more than the rule itself); inlined, it costs nothing."""
    return numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")(fn)


DISABLED = bool(numba.config.DISABLE_JIT)
"""True when ``NUMBA_DISABLE_JIT=1``: the passes run as plain Python (tests compare both)."""


def column(x: np.ndarray, k: int, n: int) -> tuple:
    """Column ``k`` of the 2-D array ``x`` as an ``n``-tuple, to spread as arguments.

    Compiled, ``n`` must be a constant and the tuple has a fixed size (``to_fixed_tuple``);
    interpreted (``NUMBA_DISABLE_JIT=1``) it is a plain tuple.
    """
    return tuple(x[:, k])


@overload(column, jit_options={"error_model": "numpy"})
def _column_compiled(x, k, n):  # pragma: no cover - compiled
    if not isinstance(n, types.IntegerLiteral):
        raise errors.TypingError("column: the tuple size n must be a constant")
    size = n.literal_value

    def impl(x, k, n):
        return to_fixed_tuple(x[:, k], size)

    return impl


def elementwise(loop: Callable, n_out: int) -> Callable[..., Any]:
    """The vectorised form of a compiled scalar rule, derived from it.

    ``loop(x, out)`` is a compiled loop that applies one scalar rule to every column of
    ``x`` (one row per argument, see ``column``) and writes its results into the rows of
    ``out``. The function returned takes the rule's arguments as arrays or scalars,
    broadcasts them as numpy does, and returns float arrays of the broadcast shape
    (numpy floats for scalar arguments): ``n_out`` of them as a tuple, or one array. So a
    rule's equation is written once, in its scalar form, and the compiled monthly passes
    and the vectorised function can never disagree.
    """

    def vectorised(*args: Any) -> Any:
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
        shape = arrays[0].shape
        x = np.empty((len(arrays), arrays[0].size))
        for row, a in zip(x, arrays):
            row[:] = a.ravel()
        out = np.empty((n_out, x.shape[1]))
        loop(x, out)
        results = tuple(o.reshape(shape)[()] for o in out)
        return results if n_out > 1 else results[0]

    return vectorised
