"""How many replicates a comparison needs, from the precision it must reach.

Why this criterion: an answer rests on differences between arms, so the replicate count should
make each paired difference's confidence interval as narrow as the answer needs, not make one
arm's running mean settle (which says nothing about the difference's precision).
"""

from __future__ import annotations

import math
from typing import Any

from scipy import stats

from ._checks import as_numbers, confidence

MAX_REPLICATES = 10_000_000


def replicates_for_halfwidth(pilot_diffs: Any, halfwidth: float, conf: float = 0.95) -> int:
    """Smallest n >= 2 with t(1 - alpha/2, n - 1) · s / sqrt(n) <= ``halfwidth``.

    ``s`` is the SD of the pilot's per-seed paired differences. Because the t quantile itself
    depends on n, n is found by iterating: start from the normal approximation (z s / h)^2,
    which is a lower bound, and step up until the t half-width fits. The answer is an expected
    precision: with s re-estimated from the full run, the realised half-width is about as
    likely to be a little wider as narrower, and a small pilot's s is itself uncertain.
    """
    diffs = as_numbers("pilot_diffs", pilot_diffs, minimum=2)
    try:
        h = float(halfwidth)
    except (TypeError, ValueError):
        raise ValueError(f"halfwidth: expected a positive number, got {halfwidth!r}") from None
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"halfwidth: expected a positive finite number, got {halfwidth!r}")
    level = confidence(conf)
    s = float(diffs.std(ddof=1))
    if s == 0:
        return 2
    z = float(stats.norm.ppf(0.5 + level / 2))
    n = max(2, math.ceil((z * s / h) ** 2))
    if n > MAX_REPLICATES:
        raise ValueError(f"halfwidth: {halfwidth!r} needs more than {MAX_REPLICATES:,} replicates (pilot SD {s:.3g})")
    while float(stats.t.ppf(0.5 + level / 2, n - 1)) * s / math.sqrt(n) > h:
        n += 1
    return n
