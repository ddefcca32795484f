"""The C allocator's policy for large arrays: memory the model frees goes back to the system.

glibc serves an allocation of 128 KiB or more with its own pages (``mmap``) and returns
them when it is freed, but by default it raises that threshold each time such a block is
freed, up to 32 MiB. After numpy, pandas and numba have loaded (and freed large blocks),
a model's arrays and its month's temporaries then come from the heap, which keeps what is
freed resident, and a zeroed array (``np.zeros``) on reused heap is written through where
fresh pages would be untouched until used. Fixing the threshold at glibc's own default
keeps a run's peak resident memory to what it holds (1.88 against 2.19 KB per organisation
at 10,000 organisations, ``benchmarks/bench_model.py``) for a few percent of time at that
size; small runs allocate below the threshold and do not change.

It is a setting of the whole process, applied when collabsim is imported (glibc only).
It is left alone when ``MALLOC_MMAP_THRESHOLD_`` is set (the user's own choice) or
``COLLABSIM_MALLOC=system``.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_MMAP_THRESHOLD = -3
"""``mallopt``'s parameter number for the threshold (glibc ``malloc.h``)."""

THRESHOLD_BYTES = 128 * 1024
"""glibc's default threshold: blocks of this size or more get their own pages."""


def fix_mmap_threshold(threshold: int = THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes; True when it was set."""
    if not sys.platform.startswith("linux") or os.environ.get("MALLOC_MMAP_THRESHOLD_") is not None:
        return False
    if os.environ.get("COLLABSIM_MALLOC", "").strip().lower() == "system":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # absent outside glibc (musl): nothing to fix there
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, int(threshold)))


FIXED = fix_mmap_threshold()
"""Whether the threshold was fixed when collabsim was imported."""
