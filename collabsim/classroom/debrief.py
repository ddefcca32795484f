"""The debrief's records of a shared run: broken commitments (who, whom, decided by whom,
how long repair took), each student's organisation month by month, and what a month did
to a student's relationships, in words. Read from the engine's month arrays and the page
model's trust history after each month; nothing here changes the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import EV_BREAKDOWN, EV_CLIMB, EV_FALLBACK, EV_TURNOVER
from ..kernels import CHOICE_BREAK
from ..relationships import LEVEL_NAMES


@dataclass
class Break:
    """A broken commitment seen in the shared run (for the debrief)."""

    month: int
    culprit: int
    victim: int
    who: str  # "student" (chose to break), "model" (the rule, for a student too) or "teacher" (intervention)
    trust_before: float
    row: int


def breaks_this_month(model: Any, before: np.ndarray, chosen: np.ndarray) -> list[Break]:
    """The commitments broken in the month just run (``before``: trust at its start;
    ``chosen``: the students' choices it read)."""
    rel, M = model.rel, model._month_arrays
    broken = M["broken"][: rel.size]
    culprit_is_i = M["culprit_is_i"][: rel.size]
    out = []
    for r in np.flatnonzero(broken):
        culprit, victim = (int(rel.i[r]), int(rel.j[r])) if culprit_is_i[r] else (int(rel.j[r]), int(rel.i[r]))
        victim_dir = 1 if culprit_is_i[r] else 0
        who = "student" if chosen[culprit, victim] == CHOICE_BREAK else "model"
        out.append(Break(model.month, culprit, victim, who, float(before[victim_dir, r]), int(r)))
    return out


def month_record(model: Any, orgs: dict[str, int]) -> dict[str, Any]:
    """Each student's organisation this month (``orgs``: student name to organisation):
    working partners, deepest level, and the partners' mean trust in it."""
    rel = model.rel
    rows = {}
    for name, org in orgs.items():
        idx = np.flatnonzero(((rel.i == org) | (rel.j == org)) & (rel.level >= 1))
        theirs = np.where(rel.i[idx] == org, rel.trust[1, idx], rel.trust[0, idx])  # partners' view of org
        rows[name] = {
            "org": org,
            "partners": int(idx.size),
            "best_level": int(rel.level[idx].max()) if idx.size else 0,
            "trust_in_them": round(float(theirs.mean()), 3) if idx.size else None,
        }
    return {"month": model.month, "students": rows}


def repair_months(model: Any, b: Break) -> int | None:
    """Months until the victim's trust in the culprit was back where it was before the
    break (``None``: not yet, censored at the current month, or the two had not met)."""
    hist = model.trust_history
    if b.trust_before != b.trust_before:
        return None
    victim_dir = 0 if int(model.rel.i[b.row]) == b.victim else 1
    for month in range(b.month, len(hist)):
        snap = hist[month]
        if b.row < snap.shape[1] and snap[victim_dir, b.row] >= b.trust_before - 1e-9:
            return month - b.month
    return None


def pair_news(M: dict[str, np.ndarray], r: int, p: int, student_is_i: bool, skipped: bool, level: int) -> str:
    """One pair's month, from the student's side (the engine's month arrays)."""
    events = int(M["events"][r])
    parts = []
    if M["worked"][r]:
        if M["level"][r] == 0:
            parts.append(f"you had a first exchange with organisation {p}")
        elif M["success"][r]:
            parts.append(f"your joint work with organisation {p} succeeded")
        elif M["broken"][r]:
            culprit_is_you = bool(M["culprit_is_i"][r]) == student_is_i
            parts.append(f"you broke your commitment to organisation {p}" if culprit_is_you else f"organisation {p} broke its commitment to you")
        else:
            parts.append(f"your joint work with organisation {p} failed (an honest failure)")
    elif skipped:
        parts.append(f"you left organisation {p} out")
    if events & EV_BREAKDOWN:
        parts.append(f"your relationship with organisation {p} broke down (back to merely aware)")
    elif events & EV_CLIMB:
        parts.append(f"your relationship with organisation {p} rose to {LEVEL_NAMES[level]}")
    elif events & EV_FALLBACK:
        parts.append(f"your relationship with organisation {p} fell back to {LEVEL_NAMES[level]}")
    if events & EV_TURNOVER:
        parts.append(f"new staff: trust between you and organisation {p} partly reset")
    return "; ".join(parts)


def breaks_between(breaks: list[Break], culprit: int, victim: int) -> int:
    return sum(1 for b in breaks if b.culprit == culprit and b.victim == victim)
