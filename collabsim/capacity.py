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

from ._jit import jit
from .levels import COST, TOP

STEP = COST[np.minimum(np.arange(TOP + 1) + 1, TOP)] - COST
"""Extra capacity the next level needs, per partner, by level (0 at the top)."""


PRIORITY_RESOLUTION = 1000.0
"""Priorities (level + weaker trust, in [1, 5]) are compared to 1/1000; ties keep row order."""


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
    works = np.zeros(k, dtype=bool)
    climb_room = np.zeros(k, dtype=bool)
    spare = np.asarray(budget, dtype=float).copy()
    if k:
        _allocate(np.asarray(i), np.asarray(j), np.asarray(level), np.asarray(weaker_trust, dtype=float), spare, works, climb_room)
    return works, climb_room, spare


@jit
def _allocate(i, j, level, weaker, budget, works, climb_room):  # pragma: no cover - compiled
    """The rule in one pass: ``budget`` becomes the spare capacity, in place.

    Each organisation ranks its working ties (level >= 1) by priority, level plus the
    weaker trust, highest first; equal priorities keep the order of the rows, the ties
    where it is the first partner before those where it is the second. A tie fits when
    its cost and the cost of every tie ranked above it fit in the budget. Aware ties
    cost nothing and rank below every working tie: everything ranks above them.
    """
    n = budget.size
    k = i.size
    # the working ties of each organisation, grouped by organisation (counting sort)
    count = np.zeros(n + 1, dtype=np.int64)
    for side in range(2):
        ends = i if side == 0 else j
        for r in range(k):
            if level[r] >= 1:
                count[ends[r] + 1] += 1
    start = np.cumsum(count)
    fill = start[:n].copy()
    m = start[n]
    entry_row = np.empty(m, dtype=np.int64)
    entry_side = np.empty(m, dtype=np.int64)
    entry_rank = np.empty(m, dtype=np.int64)
    for side in range(2):
        ends = i if side == 0 else j
        for r in range(k):
            if level[r] >= 1:
                o = ends[r]
                e = fill[o]
                fill[o] += 1
                entry_row[e] = r
                entry_side[e] = side
                entry_rank[e] = np.int64(np.rint((5.0 - (level[r] + weaker[r])) * PRIORITY_RESOLUTION))
    # within each organisation, highest priority (lowest rank) first; stable
    for o in range(n):
        for e in range(start[o] + 1, start[o + 1]):
            row, side, rank = entry_row[e], entry_side[e], entry_rank[e]
            f = e - 1
            while f >= start[o] and entry_rank[f] > rank:
                entry_row[f + 1], entry_side[f + 1], entry_rank[f + 1] = entry_row[f], entry_side[f], entry_rank[f]
                f -= 1
            entry_row[f + 1], entry_side[f + 1], entry_rank[f + 1] = row, side, rank
    # cost of each tie and all ranked above it (a running total, as cumsum would give)
    through = np.zeros(2 * k)
    owner_total = np.zeros(n)
    running = 0.0
    for o in range(n):
        if start[o + 1] == start[o]:
            continue
        offset = 0.0
        for e in range(start[o], start[o + 1]):
            cost = COST[level[entry_row[e]]]
            running += cost
            if e == start[o]:
                offset = running - cost
            through[entry_side[e] * k + entry_row[e]] = running - offset
        owner_total[o] = running - offset
    used_i = np.zeros(n)
    used_j = np.zeros(n)
    for r in range(k):
        a, b = i[r], j[r]
        lvl = level[r]
        t_a = through[r] if lvl >= 1 else owner_total[a]
        t_b = through[k + r] if lvl >= 1 else owner_total[b]
        lim_a = budget[a] + 1e-12
        lim_b = budget[b] + 1e-12
        works[r] = t_a <= lim_a and t_b <= lim_b and lvl >= 1
        climb_room[r] = (t_a + STEP[lvl]) <= lim_a and (t_b + STEP[lvl]) <= lim_b
        if works[r]:
            used_i[a] += COST[lvl]
            used_j[b] += COST[lvl]
        else:
            used_i[a] += 0.0
            used_j[b] += 0.0
    for o in range(n):
        budget[o] = budget[o] - (used_i[o] + used_j[o])
