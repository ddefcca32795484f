"""Multiple-comparison control for the p-values of one report or one answer.

Why: a table of 32 paired tests at 5% each will "find" about one and a half effects when there
are none. Holm controls the family-wise error rate (the chance of any false claim) under any
dependence between the tests and is uniformly more powerful than Bonferroni; Benjamini–Hochberg
controls the false discovery rate (the expected share of false claims among the claims), which
suits screening many cells; it is valid for independent or positively dependent tests, the
usual case for contrasts that share a reference arm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ._checks import float_vector

METHODS = ("holm", "bh")


def adjust_pvalues(pvalues: Any, method: str = "holm") -> np.ndarray:
    """Adjusted p-values in the input order; compare them with the unadjusted alpha.

    NaN entries (a contrast that could not be computed) stay NaN and do not count in the family.
    ``bh`` is ``scipy.stats.false_discovery_control(method="bh")`` (SciPy >= 1.11, the floor).
    """
    if method not in METHODS:
        raise ValueError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    p = float_vector("pvalues", pvalues)
    bad = np.flatnonzero(~np.isnan(p) & ((p < 0) | (p > 1)))
    if bad.size:
        raise ValueError(f"pvalues: every p-value must lie in [0, 1] (or be NaN); position {bad[0]} is {p[bad[0]]!r}")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    out[ok] = _holm(p[ok]) if method == "holm" else stats.false_discovery_control(p[ok], method="bh")
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down: the i-th smallest p times (m - i), made monotone, capped at 1."""
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out
