"""The registry's structure parameters packed for the compiled passes.

The level ladder (trust needed, cost, stake, value, base chance of success and months of
joint work needed at each level) and the outcome rule's weights are registry parameters
(group ``structure``), so sweeps and sensitivity analyses can vary them. The compiled
passes cannot read a dict: ``ladder`` packs the ladder into one (rows, 5) array and
``weights`` the outcome rule's scalars into one vector, indexed by the names below.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

LEVELS = ("aware", "networking", "coordination", "cooperation", "collaboration")

NEED, COST, STAKE, VALUE, BASE, MONTHS, MONTHS_MISMATCH = range(7)
"""Rows of ``ladder``: one value per level 0 (aware) ... 4 (collaboration)."""

REL_W, SKILL_W, ALIGN_W, GAP_W, P_MIN, P_MAX, SUPPORT_BOTH, SUPPORT_ONE, FALLBACK, RIVALRY = range(10)
"""Entries of ``weights``."""


def months_needed(params: Mapping[str, Any], level: int, mismatch: bool) -> int:
    """Months of joint work a pair needs at ``level`` before it climbs.

    Aware pairs need none (a good first contact starts networking, 004). Networking
    needs ``min_months_per_level``; each level above needs ``level_time_growth`` times
    the level below (DESIGN: each level needs more time); mismatched decision styles
    multiply by ``mismatch_slowdown`` (002). Rounded up to whole months::

        M(L) = ceil(min_months * growth ** (L - 1) * (slowdown if mismatch else 1)),  L >= 1
    """
    if level == 0:
        return 0
    months = params["min_months_per_level"] * params["level_time_growth"] ** (level - 1)
    if mismatch:
        months *= params["mismatch_slowdown"]
    return int(math.ceil(months - 1e-9))


def ladder(params: Mapping[str, Any]) -> np.ndarray:
    """The ladder as a (7, 5) float array (rows ``NEED`` ... ``MONTHS_MISMATCH``).

    Aware pairs need no trust and use no capacity; a chance contact between aware pairs
    is not joint work and produces no community value.
    """
    out = np.zeros((7, 5))
    for k, lv in enumerate(LEVELS):
        if k:
            out[NEED, k] = params[f"trust_needed_{lv}"]
            out[COST, k] = params[f"cost_{lv}"]
            out[VALUE, k] = params[f"value_{lv}"]
        out[STAKE, k] = params[f"stake_{lv}"]
        out[BASE, k] = params[f"base_success_{lv}"]
        out[MONTHS, k] = months_needed(params, k, False)
        out[MONTHS_MISMATCH, k] = months_needed(params, k, True)
    return out


def weights(params: Mapping[str, Any]) -> np.ndarray:
    """The outcome and escalation rules' scalar constants, as the compiled passes read them."""
    return np.array(
        [
            params["reliability_weight"], params["skill_weight"], params["alignment_weight"], params["trust_gap_weight"],
            params["success_chance_min"], params["success_chance_max"],
            params["backbone_support_both"], params["backbone_support_one"],
            params["fallback_margin"], params["rivalry_penalty"],
        ],
        dtype=float,
    )


def defaults() -> tuple[np.ndarray, np.ndarray]:
    """Ladder and weights at the registry defaults (for the vectorised rule functions)."""
    from .parameters import DEFAULTS

    return ladder(DEFAULTS), weights(DEFAULTS)
