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
from .relationships import small_ints

STEP = COST[np.minimum(np.arange(TOP + 1) + 1, TOP)] - COST
"""Extra capacity the next level needs, per partner, by level (0 at the top)."""


def allocate(
    i: np.ndarray,
    j: np.ndarray,
    level: np.ndarray,
    weaker_trust: np.ndarray,
    budget: np.ndarray,
    owners: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allocate each organisation's budget to its ties by priority.

    ``owners`` is ``concatenate([i, j])`` when the caller has it cached.

    Returns:
        ``(works, climb_room, spare)``: pairs both partners fit in this month; whether
        the next level's extra cost also fits for both; each organisation's capacity
        left after the ties it works on.
    """
    k = i.size
    n = budget.size
    if k == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool), budget.copy()
    # Aware ties cost nothing and rank below every working tie (priority < 1), so only
    # working ties need sorting; an aware tie's "ranked above" cost is its owner's total.
    active = np.flatnonzero(level >= 1)
    owner = np.concatenate([i[active], j[active]])
    level2 = np.concatenate([level[active], level[active]])
    cost = COST[level2]
    weaker = weaker_trust[active]
    priority = level2 + np.concatenate([weaker, weaker])  # in [1, 5]
    # by owner, then deeper and more trusted ties first: two stable radix sorts on small
    # integers (priority to 1/1000; ties keep row order), O(pairs) rather than O(n log n)
    rank = np.rint((5.0 - priority) * 1000.0).astype(np.int16)
    by_rank = np.argsort(rank, kind="stable")
    order = by_rank[np.argsort(small_ints(owner[by_rank], n), kind="stable")]
    owner_s, cost_s = owner[order], cost[order]
    running = np.cumsum(cost_s)
    first = np.empty(owner_s.size, dtype=bool)
    first[:1] = True
    np.not_equal(owner_s[1:], owner_s[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    group_offset = np.repeat(running[starts] - cost_s[starts], np.diff(np.append(starts, owner_s.size)))
    through_s = running - group_offset  # cost of this tie and all ranked above it
    last = np.append(starts[1:], owner_s.size)[: starts.size] - 1
    owner_total = np.zeros(n)
    owner_total[owner_s[last]] = through_s[last]
    if owners is None:
        owners = np.concatenate([i, j])
    through = owner_total[owners]  # aware ties: everything ranks above
    through[np.concatenate([active, active + k])[order]] = through_s
    limit = budget[owners]
    limit += 1e-12
    fits = through <= limit
    works = fits[:k] & fits[k:] & (level >= 1)
    step = STEP[level]
    through[:k] += step
    through[k:] += step
    room = through <= limit
    climb_room = room[:k] & room[k:]
    used_cost = np.where(works, COST[level], 0.0)
    used = np.bincount(i, used_cost, n) + np.bincount(j, used_cost, n)
    return works, climb_room, budget - used
