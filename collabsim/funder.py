"""The funder rule: grant rounds, a required level by a deadline, scarcity, and the end of money.

004: "Private and public funders sometimes require organizations to collaborate in order
to receive funds ... relationships have to develop at their own pace, not according to
the timeline of a funder." 002: competition over funding and "turf wars".

Every grant round each organisation applies with its strongest partnership. Grants go to
applicant pairs at the required level (scarcity leaves some unfunded) and add capacity
until the next round. While a mandate runs, a lagging applicant pair whose natural pace
cannot meet the deadline is pushed up one level with chance ``funder_pressure``: when its
own trust or time would not have allowed the climb, that is a *premature escalation*.
When the money ends, relationships that only the money held together dissolve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ._jit import jit
from .levels import STAKE, TOP, TRUST_NEEDED, is_premature, months_needed

if TYPE_CHECKING:  # pragma: no cover
    from .model import CollaborationModel

RIVALRY_SIGNAL = 0.5
"""Setback, per unit scarcity and stake, that same-sector rivals feel in a scarce round (002)."""

RIVALRY_PENALTY = 0.10
"""Lower chance of success, per unit scarcity, for joint work between same-sector rivals (002)."""


class Funder(mesa.Agent):
    """A funder with grant rounds and, optionally, a collaboration mandate."""

    def __init__(self, model: "CollaborationModel", *, mandate_start: int = 0) -> None:
        super().__init__(model)
        p = model.params
        self.pressure = p["funder_pressure"]
        self.required_level = p["funder_required_level"]
        self.deadline_months = p["funder_deadline_months"]
        self.end_month = p["funding_end_month"]
        self.scarcity = p["funding_scarcity"]
        self.interval = p["grant_interval_months"]
        self.grant_size = p["grant_size"]
        self.mandate_start = mandate_start
        self.grants_awarded = 0

    # --- state -------------------------------------------------------------------
    @property
    def deadline(self) -> int:
        """Month of the mandate's deadline."""
        return self.mandate_start + self.deadline_months

    def funding_active(self, month: int) -> bool:
        return self.end_month is None or month < self.end_month

    def mandate_active(self, month: int) -> bool:
        return self.pressure > 0 and self.mandate_start <= month <= self.deadline and self.funding_active(month)

    def start_mandate(self, month: int, pressure: float, deadline_months: int, required_level: int | None = None) -> None:
        """Begin a mandate now (an intervention from the browser page)."""
        self.mandate_start = int(month)
        self.pressure = float(pressure)
        self.deadline_months = int(deadline_months)
        if required_level is not None:
            self.required_level = int(required_level)

    # --- the rule ----------------------------------------------------------------
    def step(self) -> None:
        """One month of the funder: end of money, then a grant round when one is due."""
        m = self.model
        month = m.month
        if self.end_month is not None and month == self.end_month:
            self.end_funding()
        if not self.funding_active(month) or month == 0 or month % self.interval:
            return
        self.grant_round()

    def applicants(self) -> np.ndarray:
        """Rows of the pairs that apply: each organisation's strongest working partnership.

        Strength is level plus the weaker trust; between equals, the pair stored first
        (an organisation's pairs as ``i`` before its pairs as ``j``). Sorted rows, each once.
        """
        rel = self.model.rel
        applies = np.zeros(rel.size, dtype=bool)
        _strongest(rel.i, rel.j, rel.level, rel.flat("trust"), rel.capacity, np.full(self.model.n, -1, dtype=np.int64), applies)
        return np.flatnonzero(applies)

    def grant_round(self) -> None:
        m = self.model
        rel, orgs = m.rel, m.orgs
        rng = m.rng
        orgs.grant[:] = 0.0
        apps = self.applicants()
        if apps.size == 0:
            return
        level = rel.level[apps]
        eligible = level >= self.required_level
        funded = apps[eligible & (rng.random(apps.size) >= self.scarcity)]
        winners = np.concatenate([rel.i[funded], rel.j[funded]])
        orgs.grant[winners] = self.grant_size
        orgs.grants_won += np.bincount(winners, minlength=orgs.n).astype(orgs.grants_won.dtype)
        self.grants_awarded += int(funded.size)
        m.counters["grants_won"] += int(funded.size)
        if self.scarcity > 0:
            self._turf_wars()
        if self.mandate_active(m.month):
            self._push(apps[~eligible])

    def _turf_wars(self) -> None:
        """Same-sector organisations that work together feel the rivalry of scarce money."""
        m = self.model
        rel = m.rel
        sector = m.orgs.sector
        rows = np.flatnonzero((rel.level >= 1) & (sector[rel.i] == sector[rel.j]))
        if rows.size:
            s = -RIVALRY_SIGNAL * self.scarcity * STAKE[rel.level[rows]]
            m.apply_experience(rows, s, s)

    def _push(self, lagging: np.ndarray) -> None:
        """Push lagging applicants up one level when their own pace would miss the deadline."""
        m = self.model
        rel = m.rel
        lagging = lagging[~m.changed[lagging]]
        if lagging.size == 0:
            return
        level = rel.level[lagging]
        months_left = self.deadline - m.month
        pace = (self.required_level - level) * m.params["min_months_per_level"]
        late = months_left < np.maximum(pace, 1)
        pushed = lagging[late & (m.rng.random(lagging.size) < self.pressure)]
        if pushed.size == 0:
            return
        lvl = rel.level[pushed]
        weaker = rel.min_trust()[pushed]
        needed = months_needed(m.params["min_months_per_level"], m.style_mismatch(pushed), lvl)
        premature = is_premature(weaker, lvl, rel.months_at_level[pushed], needed)
        m.set_level(pushed, np.minimum(lvl + 1, TOP), forced=True)
        m.counters["premature_escalations"] += int(premature.sum())
        m.counters["forced_escalations"] += int(pushed.size)
        m.log_event("forced", pushed)

    def end_funding(self) -> None:
        """The money ends: forced relationships that trust cannot hold dissolve (004)."""
        m = self.model
        rel = m.rel
        m.orgs.grant[:] = 0.0
        rows = np.flatnonzero(rel.forced & (rel.level >= 1))
        weak = rows[rel.min_trust()[rows] < TRUST_NEEDED[rel.level[rows]]]
        if weak.size:
            m.break_down(weak)


@jit
def _strongest(i, j, level, trust, cap, best, applies):  # pragma: no cover - compiled
    """Each organisation's strongest working pair (level + weaker trust) into ``best``;
    ``applies`` marks those pairs."""
    score = np.full(best.size, -np.inf)
    for side in range(2):
        ends = i if side == 0 else j
        for r in range(level.size):
            if level[r] >= 1:
                s = level[r] + min(trust[r], trust[cap + r])
                o = ends[r]
                if s > score[o]:
                    score[o] = s
                    best[o] = r
    for o in range(best.size):
        if best[o] >= 0:
            applies[best[o]] = True
