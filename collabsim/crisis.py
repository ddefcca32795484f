"""A crisis that strikes the whole community (003: Covid-19 and mutual aid).

003: in the crisis "we have seen unprecedented levels of neighbours helping neighbours";
a crisis both takes capacity (staff diverted, services disrupted) and raises shared need,
which makes organisations reach out and makes joint work more valuable and more clearly
aligned ("shared concerns"). The first month disrupts ongoing work: some joint work
fails honestly.
"""

from __future__ import annotations

from ._jit import jit

# The crisis's numbers are registry parameters (group ``structure``): ``crisis_duration``,
# ``crisis_capacity_hit``, ``crisis_disruption``, ``crisis_outreach``,
# ``crisis_shared_support`` and ``crisis_shared_value``.


def intensity(month: int, shock_month: int | None, shock_size: float, duration: int = 6) -> float:
    """Shock size while the crisis lasts (``duration`` months from ``shock_month``), else 0."""
    return float(intensity_one(month, -1 if shock_month is None else shock_month, shock_size, duration))


@jit
def intensity_one(month, shock_month, shock_size, duration):  # pragma: no cover - compiled
    """``intensity`` with ``shock_month`` < 0 for no crisis (the engine's form)."""
    if shock_month < 0 or not (shock_month <= month < shock_month + duration):
        return 0.0
    return float(shock_size)
