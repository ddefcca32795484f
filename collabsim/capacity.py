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

from ._jit import hot, jit
from .levels import COST, TOP

def step_costs(cost: np.ndarray) -> np.ndarray:
    """Extra capacity the next level needs, per partner, by level (0 at the top)."""
    return cost[np.minimum(np.arange(TOP + 1) + 1, TOP)] - cost


STEP = step_costs(COST)
"""``step_costs`` at the registry defaults."""


PRIORITY_RESOLUTION = 1000.0
"""Priorities (level + weaker trust, in [1, 5]) are compared to 1/1000; ties keep row order."""


def allocate(
    i: np.ndarray,
    j: np.ndarray,
    level: np.ndarray,
    weaker_trust: np.ndarray,
    budget: np.ndarray,
    cost: np.ndarray = COST,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allocate each organisation's budget to its ties by priority.

    Returns:
        ``(works, climb_room, spare)``: pairs both partners fit in this month; whether
        the next level's extra cost also fits for both; each organisation's capacity
        left after the ties it works on.
    """
    weaker = np.asarray(weaker_trust, dtype=float)
    return allocate_pairs(np.asarray(i), np.asarray(j), np.asarray(level), np.concatenate([weaker, weaker]), weaker.size, budget, cost)


def allocate_pairs(
    i: np.ndarray, j: np.ndarray, level: np.ndarray, trust: np.ndarray, cap: int, budget: np.ndarray, cost: np.ndarray = COST
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``allocate`` reading both directions of trust from the table's flat store."""
    k = i.size
    works = np.zeros(k, dtype=bool)
    climb_room = np.zeros(k, dtype=bool)
    spare = np.asarray(budget, dtype=float).copy()
    if k:
        cost = np.asarray(cost, dtype=float)
        _allocate(i, j, level, trust, cap, spare, works, climb_room, cost, step_costs(cost))
    return works, climb_room, spare


FITS_I, FITS_J, ROOM_I, ROOM_J = 1, 2, 4, 8


INSERTION_SORT_MAX = 48
"""Longer runs of one organisation's ties are sorted by ``np.sort`` (insertion sort is
quadratic); the keys are distinct, so every sort gives the same order."""

SIDE_BIT = 30
"""A tie's key below its rank: ``side << SIDE_BIT | row`` (row < 2**30)."""


@hot
def sort_segment(key, lo, hi):  # pragma: no cover - compiled
    """Sort ``key[lo:hi]`` in place (ascending; the keys are distinct).

    One organisation has a handful of working ties: sorting each where it lies costs no
    more memory than the ties themselves (a sort of all entries by rank needed four more
    arrays as long as the table, and a counting array as long as the range of ranks)."""
    if hi - lo <= INSERTION_SORT_MAX:
        for a in range(lo + 1, hi):
            q = key[a]
            b = a - 1
            while b >= lo and key[b] > q:
                key[b + 1] = key[b]
                b -= 1
            key[b + 1] = q
        return
    key[lo:hi] = np.sort(key[lo:hi])


@jit
def _allocate(i, j, level, trust, cap, budget, works, climb_room, level_cost, step_cost):  # pragma: no cover - compiled
    """The rule in one pass: ``budget`` becomes the spare capacity, in place.

    Each organisation ranks its working ties (level >= 1) by priority, level plus the
    weaker trust, highest first; equal priorities keep the order of the rows, the ties
    where it is the first partner before those where it is the second. A tie fits when
    its cost and the cost of every tie ranked above it fit in the budget. Aware ties
    cost nothing and rank below every working tie: everything ranks above them.
    """
    n = budget.size
    k = i.size
    # the working ties of each organisation, grouped by organisation (counting sort), each
    # as one key: its rank (priority, highest first) above its side (0: the organisation
    # is i, 1: it is j) and its row, so sorting the keys orders an organisation's ties by
    # rank, equal ranks in the order of the rule (its i ties first, each side in row order)
    start = np.zeros(n + 1, dtype=np.int64)
    for r in range(k):
        if level[r] >= 1:
            start[i[r] + 1] += 1
            start[j[r] + 1] += 1
    for o in range(n):
        start[o + 1] += start[o]
    fill = start[:n].copy()
    key = np.empty(start[n], dtype=np.int64)
    for r in range(k):  # the keys fix the order, not where they are written
        if level[r] >= 1:
            weaker = min(trust[r], trust[cap + r])
            rank = np.int64(np.rint((5.0 - (level[r] + weaker)) * PRIORITY_RESOLUTION))
            a, b = i[r], j[r]
            key[fill[a]] = (rank << 32) | r
            key[fill[b]] = (rank << 32) | (np.int64(1) << SIDE_BIT) | r
            fill[a] += 1
            fill[b] += 1
    for o in range(n):
        sort_segment(key, start[o], start[o + 1])
    # cost of each tie and all ranked above it, a running total as cumsum would give;
    # whether it fits, and whether the next level's extra cost would fit too
    flags = np.zeros(k, dtype=np.uint8)
    owner_total = np.zeros(n)
    running = 0.0
    for o in range(n):
        if start[o + 1] == start[o]:
            continue
        offset = 0.0
        limit = budget[o] + 1e-12
        for e in range(start[o], start[o + 1]):
            side, r = (key[e] >> SIDE_BIT) & 1, key[e] & ((1 << SIDE_BIT) - 1)
            cost = level_cost[level[r]]
            running += cost
            if e == start[o]:
                offset = running - cost
            through = running - offset
            if through <= limit:
                flags[r] |= FITS_I if side == 0 else FITS_J
            if through + step_cost[level[r]] <= limit:
                flags[r] |= ROOM_I if side == 0 else ROOM_J
        owner_total[o] = running - offset
    used_i = np.zeros(n)
    used_j = np.zeros(n)
    for r in range(k):
        a, b = i[r], j[r]
        lvl = level[r]
        if lvl >= 1:
            works[r] = (flags[r] & FITS_I) != 0 and (flags[r] & FITS_J) != 0
            climb_room[r] = (flags[r] & ROOM_I) != 0 and (flags[r] & ROOM_J) != 0
        else:
            works[r] = False
            climb_room[r] = (owner_total[a] + step_cost[0]) <= budget[a] + 1e-12 and (owner_total[b] + step_cost[0]) <= budget[b] + 1e-12
        if works[r]:
            used_i[a] += level_cost[lvl]
            used_j[b] += level_cost[lvl]
    for o in range(n):
        budget[o] = budget[o] - (used_i[o] + used_j[o])
