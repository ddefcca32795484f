"""Paired differences between arms run on the same seeds (common random numbers).

Why paired: two arms of a sweep that share a seed share the community, the meetings drawn and
much of the chance along the way, so the per-seed difference b - a removes the variation the
arms have in common. Its mean, with a Student t interval over seeds, is the effect; ``d_z``
(mean difference over the SD of the differences) is the standardised effect that sets the
power of the comparison; ``corr`` says how much pairing actually helped (0 = none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ._checks import as_numbers, confidence, same_length


@dataclass(frozen=True)
class Effect:
    """A paired effect: ``diff = mean(b - a)`` with its ``conf`` t interval [lower, upper]."""

    n: int
    mean_a: float
    mean_b: float
    diff: float
    lower: float
    upper: float
    sd_diff: float
    d_z: float
    corr: float
    pvalue: float
    conf: float = 0.95

    @property
    def halfwidth(self) -> float:
        return (self.upper - self.lower) / 2

    def __str__(self) -> str:
        return f"{self.diff:+.3g} [{self.lower:+.3g}, {self.upper:+.3g}]"


def paired_difference(a: Any, b: Any, conf: float = 0.95) -> Effect:
    """Mean of ``b - a`` over seeds with a t interval, d_z, the a–b correlation and a two-sided p.

    ``a[i]`` and ``b[i]`` must come from the same seed. With n seeds the interval is
    mean ± t(1 - alpha/2, n - 1) · sd / sqrt(n); the p-value is that of the paired t test (equal,
    for means, to the one-sample t test of the differences). When all differences are equal
    the SD is 0: the interval shrinks to the point, p is 1 if it is 0 and 0 otherwise, and d_z
    is undefined (NaN). ``corr`` is NaN when an arm is constant.
    """
    x = as_numbers("a", a, minimum=2)
    y = as_numbers("b", b)
    same_length("b", y, x.size, "a")
    level = confidence(conf)
    diff = y - x
    n = diff.size
    mean = float(diff.mean())
    sd = float(diff.std(ddof=1))
    if sd > 0:
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
        tstat = mean / (sd / math.sqrt(n))
        p = float(2 * stats.t.sf(abs(tstat), n - 1))
        d_z = mean / sd
    else:
        half, d_z = 0.0, math.nan
        p = 1.0 if mean == 0 else 0.0
    return Effect(n, float(x.mean()), float(y.mean()), mean, mean - half, mean + half, sd, d_z, _corr(x, y), p, level)


def interaction(y00: Any, y01: Any, y10: Any, y11: Any, conf: float = 0.95) -> Effect:
    """Does factor A change the effect of factor B? Per seed ``(y11 - y10) - (y01 - y00)``.

    ``yij`` is the outcome with A at level i and B at level j, all four on the same seeds. The
    result is ``paired_difference(y01 - y00, y11 - y10)``: ``mean_a`` is B's effect when A is at
    its reference level, ``mean_b`` B's effect when A is at the other level, ``diff`` the
    interaction (a difference of paired differences) and its CI; 0 inside the CI means the data
    do not show that A changes B's effect (which is not the same as showing it does not).
    Comparing which of two separate tests is "significant" is not a test of this.
    """
    arms = {name: as_numbers(name, v) for name, v in (("y00", y00), ("y01", y01), ("y10", y10), ("y11", y11))}
    for name in ("y01", "y10", "y11"):
        same_length(name, arms[name], arms["y00"].size, "y00")
    return paired_difference(arms["y01"] - arms["y00"], arms["y11"] - arms["y10"], conf)


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation, NaN for a constant arm (no warning, unlike scipy.stats.pearsonr)."""
    dx, dy = x - x.mean(), y - y.mean()
    denom = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / denom if denom > 0 else math.nan
