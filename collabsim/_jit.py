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
load in a fraction of a second. Each cached function is stamped with the source of the
whole package (``source_stamp``), so an edit anywhere recompiles rather than running a
stale copy of a rule inlined from another file. ``NUMBA_DISABLE_JIT=1`` runs the same code as Python.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable, TypeVar

import numba
import numpy as np
from numba.core import caching, cgutils, errors, types
from numba.extending import intrinsic, overload
from numba.np.unsafe.ndarray import to_fixed_tuple

F = TypeVar("F", bound=Callable)

PACKAGE = Path(__file__).resolve().parent


def source_stamp(package: Path = PACKAGE) -> str:
    """SHA-256 of every top-level module of the package (where all compiled code lives).

    numba checks a cached function against its own file only, but a compiled pass carries
    the code of the rules it calls from other files (inlined or linked in). Edit a rule in
    ``trust.py`` and ``engine.run_months`` would load its old compiled copy from the cache
    and silently run the old rule. Stamping every cached function with the whole package's
    source makes any edit recompile everything that may depend on it."""
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


SOURCE_STAMP = source_stamp()


class _PackageStamp:
    """A numba cache locator mixin for this package's functions: the source stamp is the
    file's own stamp and the package's (``source_stamp``); other code is left to numba."""

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        try:
            if Path(py_file).resolve().parent != PACKAGE:
                return None
        except OSError:
            return None
        return super().from_function(py_func, py_file)  # type: ignore[misc]

    def get_source_stamp(self) -> Any:
        return (super().get_source_stamp(), SOURCE_STAMP)  # type: ignore[misc]


def _install_locators() -> list[type]:
    """Put the stamped locators first in numba's list, in numba's own order (a user's
    ``NUMBA_CACHE_DIR`` first, then ``__pycache__``, then the user-wide cache). numba 0.60
    spells the classes with a leading underscore, later versions without."""
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")
    ours = []
    for name in ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator"):
        base = getattr(caching, name, None) or getattr(caching, "_" + name)
        ours.append(type(f"Collabsim{name}", (_PackageStamp, base), {}))
    impl._locator_classes[:0] = [c for c in ours if c.__name__ not in {k.__name__ for k in impl._locator_classes}]
    return ours


LOCATORS = _install_locators()


def jit(fn: F) -> F:
    """Compile ``fn`` in nopython mode with numpy's error model, cached on disk."""
    return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)


def hot(fn: F) -> F:
    """``jit`` for a small rule called per pair inside the monthly passes, inlined into
    its callers: a call that passes arrays costs an atomic reference count per array
    (tens of nanoseconds, more than the rule itself); inlined, it costs nothing."""
    return numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")(fn)


def borrowed(state: Any) -> Any:
    """``state`` (an array, or a tuple of arrays and numbers, nested) as borrowed views.

    A compiled function takes an atomic reference count on every array it hands to a
    step, a call or a variable, and the engine's state is dozens of arrays handed on
    many times a month: those counts were a fifth of a run. A borrowed view is the same
    array (same data, shape and strides) without a reference-count handle, so handing
    it on costs nothing. It is safe only while the caller keeps the arrays alive, as a
    compiled call's arguments are kept for the whole call: ``engine.run_months`` borrows
    its arguments once, never stores a view and never returns one. Interpreted
    (``NUMBA_DISABLE_JIT=1`` or a ``py_func``), ``state`` itself.
    """
    return state


@intrinsic
def _borrowed_views(typingctx, state):  # pragma: no cover - compiled
    def borrow(context, builder, ty, value):
        if isinstance(ty, types.Array):
            view = cgutils.create_struct_proxy(ty)(context, builder, value=value)
            view.meminfo = cgutils.get_null_value(view.meminfo.type)
            return view._getvalue()
        if isinstance(ty, types.BaseTuple):
            out = value
            for k, member in enumerate(ty):
                out = builder.insert_value(out, borrow(context, builder, member, builder.extract_value(value, k)), k)
            return out
        return value

    def codegen(context, builder, signature, args):
        return borrow(context, builder, signature.args[0], args[0])

    return state(state), codegen


@overload(borrowed, jit_options={"error_model": "numpy"})
def _borrowed_compiled(state):  # pragma: no cover - compiled
    return lambda state: _borrowed_views(state)


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
