"""Input checks shared by the statistics functions.

A user mistake (a NaN month, arms of different lengths, a confidence level of 95) must end in a
``ValueError`` that names the argument and the offending value, not in a NumPy broadcast error
or a silently wrong interval three tables later.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def float_vector(name: str, values: Any) -> np.ndarray:
    """``values`` as a 1-D float array (NaN allowed), or a ValueError naming ``name``."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a 1-D sequence of numbers, got {_show(values)}") from None
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence of numbers, got an array of shape {array.shape}")
    return array


def as_numbers(name: str, values: Any, *, minimum: int = 0, nonnegative: bool = False) -> np.ndarray:
    """``values`` as a 1-D float array of finite numbers, or a ValueError naming ``name``."""
    array = float_vector(name, values)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(f"{name}: every value must be a finite number; position {bad[0]} is {array[bad[0]]!r}")
    if nonnegative and array.size and array.min() < 0:
        at = int(np.argmin(array))
        raise ValueError(f"{name}: times must be >= 0; position {at} is {array[at]!r}")
    if array.size < minimum:
        raise ValueError(f"{name}: needs at least {minimum} values, got {array.size}")
    return array


def as_flags(name: str, values: Any, length: int, length_of: str) -> np.ndarray:
    """``values`` as a 1-D bool array of ``length`` (True/False or 1/0 only)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence of True/False, got an array of shape {array.shape}")
    if array.dtype != bool:
        try:
            numeric = array.astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected True/False (or 1/0), got {_show(values)}") from None
        bad = np.flatnonzero((numeric != 0) & (numeric != 1))
        if bad.size:
            raise ValueError(f"{name}: expected True/False (or 1/0); position {bad[0]} is {array[bad[0]]!r}")
        array = numeric.astype(bool)
    same_length(name, array, length, length_of)
    return array


def same_length(name: str, array: np.ndarray, length: int, length_of: str) -> None:
    if array.size != length:
        raise ValueError(f"{name}: has {array.size} values but {length_of} has {length}; they must pair one to one")


def confidence(conf: Any) -> float:
    """A confidence level strictly between 0 and 1 (0.95, not 95)."""
    try:
        value = float(conf)
    except (TypeError, ValueError):
        raise ValueError(f"conf: expected a number between 0 and 1 (e.g. 0.95), got {conf!r}") from None
    if not 0 < value < 1:
        raise ValueError(f"conf: expected a number strictly between 0 and 1 (e.g. 0.95), got {conf!r}")
    return value


def _show(values: Any) -> str:
    text = repr(values)
    return text if len(text) <= 60 else text[:57] + "..."
