"""``_jit.borrowed``: the engine's state as views without a reference-count handle.

The engine borrows its arguments once per call (``engine.run_months``) so that handing
arrays to its steps costs no atomic reference counts. These tests check, in compiled code,
that a borrowed view is the same memory and carries no handle, that tuples (nested, with
numbers) are borrowed member by member, and that interpreted it is the identity.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from collabsim._jit import borrowed


@intrinsic
def _has_handle(typingctx, arr):
    """True when the compiled array carries a reference-count handle (a meminfo)."""

    def codegen(context, builder, signature, args):
        view = cgutils.create_struct_proxy(signature.args[0])(context, builder, value=args[0])
        return cgutils.is_not_null(builder, view.meminfo)

    return types.boolean(arr), codegen


@numba.njit
def _handles(a, b):
    state = borrowed((a, 2.5, (b, 7)))
    view, number, (inner, count) = state
    view[0] = 42.0  # writes reach the caller's array
    inner[1:] = -1
    return _has_handle(a), _has_handle(view), _has_handle(inner), _has_handle(view[1:]), number, count


def test_a_borrowed_view_is_the_same_memory_without_a_handle():
    a = np.zeros(5)
    b = np.arange(4, dtype=np.int64)
    own, view, inner, sliced, number, count = _handles(a, b)
    assert own is True and view is False and inner is False and sliced is False
    assert (number, count) == (2.5, 7), "numbers in a borrowed tuple pass through"
    assert a[0] == 42.0 and b.tolist() == [0, -1, -1, -1]


def test_interpreted_borrowed_is_the_identity():
    state = (np.zeros(3), 1.0, (np.ones(2),))
    assert borrowed(state) is state
