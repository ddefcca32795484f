"""A crisis that strikes the whole community (003: Covid-19 and mutual aid).

003: in the crisis "we have seen unprecedented levels of neighbours helping neighbours";
a crisis both takes capacity (staff diverted, services disrupted) and raises shared need,
which makes organisations reach out and makes joint work more valuable and more clearly
aligned ("shared concerns"). The first month disrupts ongoing work: some joint work
fails honestly.
"""

from __future__ import annotations

DURATION = 6
"""Months the crisis lasts."""

CAPACITY_HIT = 0.5
"""Share of capacity lost, per unit shock size, while the crisis lasts."""

DISRUPTION = 0.5
"""Chance, per unit shock size, that a working pair's joint work fails in the first month."""

OUTREACH = 2.0
"""New contacts are this much likelier, per unit shock size, while it lasts (mutual aid)."""

SHARED_NEED_SUPPORT = 0.10
"""Higher chance of success, per unit shock size: a shared concern aligns partners (003)."""

SHARED_NEED_VALUE = 1.0
"""Joint work is worth this much more, per unit shock size, while need is high."""


def intensity(month: int, shock_month: int | None, shock_size: float) -> float:
    """Shock size while the crisis lasts, else 0."""
    if shock_month is None or not (shock_month <= month < shock_month + DURATION):
        return 0.0
    return float(shock_size)
