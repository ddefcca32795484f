"""The capacity rule: which relationships an organisation has the time and money to work on.

004: each level needs more "time, skills, financial resources ... and human resources".
An organisation spends its monthly capacity on its relationships in order of priority,
existing deeper and more trusted ties first (DESIGN: "existing ties first, weighted by
level and trust"); ties that do not fit this month lie dormant. A pair works together
only if both partners fit it in. A pair can climb only if, counting the ties both
partners rank above it, the next level's extra cost still fits.
"""

from __future__ import annotations

import numpy as np

from .levels import COST, TOP


def allocate(
    i: np.ndarray,
    j: np.ndarray,
    level: np.ndarray,
    weaker_trust: np.ndarray,
    budget: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allocate each organisation's budget to its ties by priority.

    Returns:
        ``(works, climb_room, spare)``: pairs both partners fit in this month; whether
        the next level's extra cost also fits for both; each organisation's capacity
        left after the ties it works on.
    """
    k = i.size
    n = budget.size
    if k == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool), budget.copy()
    owner = np.concatenate([i, j])
    cost = np.concatenate([COST[level], COST[level]])
    priority = np.concatenate([level + weaker_trust, level + weaker_trust])
    order = np.lexsort((-priority, owner))
    owner_s, cost_s = owner[order], cost[order]
    running = np.cumsum(cost_s)
    starts = np.flatnonzero(np.r_[True, owner_s[1:] != owner_s[:-1]])
    group_offset = np.repeat(running[starts] - cost_s[starts], np.diff(np.r_[starts, owner_s.size]))
    through = np.empty(2 * k)
    through[order] = running - group_offset  # cost of this tie and all ranked above it
    fits = through <= budget[owner] + 1e-12
    active = level >= 1
    works = fits[:k] & fits[k:] & active
    step = COST[np.minimum(level + 1, TOP)] - COST[level]
    room = through + np.concatenate([step, step]) <= budget[owner] + 1e-12
    climb_room = room[:k] & room[k:]
    used = np.bincount(i[works], COST[level[works]], n) + np.bincount(j[works], COST[level[works]], n)
    return works, climb_room, budget - used
