"""The escalation rule: climbing one level at a time, falling back, and breaking down.

004 (after Himmelman): networking, coordination, cooperation and collaboration each need
more trust, time and resources than the last, and organisations build relationships
"one step at a time". Every number of the ladder is here, in one place.
"""

from __future__ import annotations

import numpy as np

from . import structure
from ._jit import jit
from .relationships import LEVEL_NAMES

AWARE, NETWORKING, COORDINATION, COOPERATION, COLLABORATION = range(5)
TOP = COLLABORATION

_DEFAULT_LADDER, _DEFAULT_WEIGHTS = structure.defaults()

# The ladder at the registry's defaults, for tables, the page and the vectorised rules'
# default arguments. The model reads its own ladder from its parameters
# (``structure.ladder``), so a user's values always reach the compiled passes.
TRUST_NEEDED = _DEFAULT_LADDER[structure.NEED].copy()
"""Trust (the weaker direction) a pair needs to climb to each level (004: "more trust")."""

COST = _DEFAULT_LADDER[structure.COST].copy()
"""Capacity a relationship at each level uses per month, per partner (004: time, staff, money)."""

STAKE = _DEFAULT_LADDER[structure.STAKE].copy()
"""Size of the outcome signal at each level: higher levels stake more (004: share risks)."""

VALUE = _DEFAULT_LADDER[structure.VALUE].copy()
"""Community value of one successful month of joint work (004: greater potential for change)."""

DIFFICULTY = _DEFAULT_LADDER[structure.BASE].copy()
"""Base chance that a month of joint work at each level succeeds, before partner effects."""


def interdependence(level: np.ndarray) -> np.ndarray:
    """How much partners depend on each other, D in [0, 1], rising with level."""
    return np.asarray(level, dtype=float) / TOP


def months_needed(ladder: np.ndarray, style_mismatch: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Months of joint work a pair needs at its level before climbing (``structure.months_needed``)."""
    level = np.asarray(level)
    return np.where(style_mismatch, ladder[structure.MONTHS_MISMATCH][level], ladder[structure.MONTHS][level])


def can_climb(
    level: np.ndarray,
    weaker_trust: np.ndarray,
    work_at_level: np.ndarray,
    needed_months: np.ndarray,
    spare_ok: np.ndarray,
    succeeded: np.ndarray,
    purpose: np.ndarray | int = TOP,
    trust_needed: np.ndarray = TRUST_NEEDED,
) -> np.ndarray:
    """Pairs that climb one level this month.

    A pair climbs when its purpose needs a deeper level (004: each level suits a
    purpose), both partners trust each other past the next level's need, it has done the
    months of joint work the level needs, both have the spare capacity for the next
    level, and this month's joint work went well ("if the results are positive, ... take
    on a greater challenge", 004).
    """
    level = np.asarray(level)
    nxt = np.minimum(level + 1, TOP)
    return (
        (level < np.minimum(purpose, TOP))
        & (weaker_trust >= trust_needed[nxt])
        & (work_at_level >= needed_months)
        & spare_ok
        & succeeded
    )


def falls_back(level: np.ndarray, weaker_trust: np.ndarray, margin: float = float(_DEFAULT_WEIGHTS[structure.FALLBACK]), trust_needed: np.ndarray = TRUST_NEEDED) -> np.ndarray:
    """Pairs whose trust no longer holds their level: they drop one level."""
    level = np.asarray(level)
    return (level > AWARE) & (weaker_trust < trust_needed[level] - margin)


def breakdown_chance(level: np.ndarray, victim_trust: np.ndarray) -> np.ndarray:
    """Chance that a broken commitment ends the relationship.

    Only relationships past networking hold commitments worth breaking; the deeper the
    interdependence and the less trust is left, the likelier the end (004: "only when
    trust is strong can it bear the weight of bigger and riskier projects").
    """
    level = np.asarray(level)
    return np.where(level >= COORDINATION, interdependence(level) * (1.0 - victim_trust), 0.0)


def is_premature(weaker_trust: np.ndarray, level: np.ndarray, work_at_level: np.ndarray, needed_months: np.ndarray, trust_needed: np.ndarray = TRUST_NEEDED) -> np.ndarray:
    """An escalation the pair's own trust and time would not yet have allowed."""
    nxt = np.minimum(np.asarray(level) + 1, TOP)
    return (weaker_trust < trust_needed[nxt]) | (work_at_level < needed_months)


# --- the monthly pass (compiled) -----------------------------------------------------------
BREAKDOWN, FALLBACK, CLIMB = 1, 2, 3
"""Codes of ``escalate_pass``'s ``event`` output."""


@jit
def escalate_pass(
    broken_rows, u, level, trust, cap, months_at_level, work_at_level, mismatch, purpose, ladder, margin,
    climb_room, success, worked, culprit_is_i, changed, forced, work_month, collab_month, month, event,
):  # pragma: no cover - compiled
    """Break down, fall back or climb, at most one change per pair, in place.

    The three functions above for every pair, in the order of the schedule: broken
    commitments may end relationships (``u`` holds one draw per ``broken_rows``), then
    pairs whose trust no longer holds their level drop one, then pairs that qualify climb
    one (never past their purpose: only a funder pushes a pair further). Weaker trust is
    read before anything changes (a breakdown keeps trust). ``work_at_level`` already
    counts this month's joint work, so a pair needing M months climbs in the month of
    its M-th month of joint work at the level.
    Returns ``(breakdowns, fallbacks, climbs, collaborations formed)``.
    """
    k = level.size
    ended = fell = climbed = formed = 0
    for q in range(broken_rows.size):
        r = broken_rows[q]
        victim = 1 if culprit_is_i[r] else 0
        lvl = level[r]
        chance = (float(lvl) / TOP) * (1.0 - trust[victim * cap + r]) if lvl >= COORDINATION else 0.0
        if u[q] < chance:
            level[r] = AWARE
            months_at_level[r] = 0
            work_at_level[r] = 0
            forced[r] = False
            changed[r] = True
            event[r] = BREAKDOWN
            ended += 1
    for r in range(k):
        if changed[r]:
            continue
        lvl = level[r]
        weaker = min(trust[r], trust[cap + r])
        if lvl > AWARE and weaker < ladder[structure.NEED, lvl] - margin:
            level[r] = lvl - 1
            months_at_level[r] = 0
            work_at_level[r] = 0
            changed[r] = True
            event[r] = FALLBACK
            fell += 1
            if lvl - 1 >= NETWORKING and work_month[r] == -1:
                work_month[r] = month
    for r in range(k):
        if changed[r]:
            continue
        lvl = level[r]
        weaker = min(trust[r], trust[cap + r])
        needed = ladder[structure.MONTHS_MISMATCH, lvl] if mismatch[r] else ladder[structure.MONTHS, lvl]
        nxt = min(lvl + 1, TOP)
        room = climb_room[r] if r < climb_room.size else True
        if lvl < purpose[r] and weaker >= ladder[structure.NEED, nxt] and work_at_level[r] >= needed and room and success[r] and worked[r]:
            level[r] = lvl + 1
            months_at_level[r] = 0
            work_at_level[r] = 0
            forced[r] = False
            changed[r] = True
            event[r] = CLIMB
            climbed += 1
            if lvl + 1 >= NETWORKING and work_month[r] == -1:
                work_month[r] = month
            if lvl + 1 == COLLABORATION:
                formed += 1
                if collab_month[r] == -1:
                    collab_month[r] = month
    return ended, fell, climbed, formed


__all__ = [
    "LEVEL_NAMES",
    "TRUST_NEEDED",
    "COST",
    "STAKE",
    "VALUE",
    "DIFFICULTY",
    "can_climb",
    "falls_back",
    "breakdown_chance",
    "is_premature",
    "months_needed",
    "interdependence",
]
