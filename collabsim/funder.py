"""The funder rule: grant rounds, competition for scarce money, mandates, and the end of money.

004: "Private and public funders sometimes require organizations to collaborate in order
to receive funds ... relationships have to develop at their own pace, not according to
the timeline of a funder." 002: competition over funding and "turf wars".

A community has one funder or more (a scenario may add funders with rules of their own).
Each funder's rules (ODD 7.8):

* **Grant rounds** every ``grant_interval_months``. Every working partnership (networking
  or above) applies jointly. Partnerships at the required level are eligible; scarcity
  leaves each eligible application unfunded with chance ``funding_scarcity``. A funded
  partnership's two organisations get ``grant_size`` extra capacity until the next round.
* **Competition happens only in a round.** Organisations of one sector that applied to
  the same round compete. An organisation that had an eligible application and won
  nothing *lost to* every organisation of its sector that won something. Between a loser
  and a winner who know each other, the loser feels a setback (``rivalry_signal`` times
  the stake of their relationship's level) and the pair's rivalry is set to 1; it lowers
  their joint work's chance of success (``rivalry_penalty``) and fades each month
  (``rivalry_fade``). No round, no rivalry: scarcity does nothing on its own.
* **A mandate** (``funder_pressure`` > 0) runs from its start to its deadline while the
  money lasts. Every ``funder_review_months`` the funder checks every partnership it
  requires (every working partnership below the required level): one whose own pace
  (the months of joint work the ladder still needs) would miss the deadline is pushed
  up one level with chance ``funder_pressure``. Where its own trust or time would not
  have allowed the climb, that is a *premature escalation*.
* **The end of money.** When the money ends, grants stop, and the relationships the
  money held together (funded in the last round, or pushed up by the funder) dissolve
  where trust does not hold their level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import mesa
import numpy as np

from . import structure
from .levels import TOP, is_premature, months_needed

if TYPE_CHECKING:  # pragma: no cover
    from .model import CollaborationModel

FUNDER_KEYS = (
    "funder_pressure",
    "funder_required_level",
    "funder_deadline_months",
    "funder_review_months",
    "funding_end_month",
    "funding_scarcity",
    "grant_interval_months",
    "grant_size",
)
"""The registry parameters that make up one funder's rules (a scenario's extra funders set these)."""


class Funder(mesa.Agent):
    """A funder with grant rounds and, optionally, a collaboration mandate."""

    def __init__(self, model: "CollaborationModel", rules: Mapping[str, Any] | None = None, *, mandate_start: int = 0) -> None:
        super().__init__(model)
        p = dict(model.params)
        p.update(rules or {})
        self.pressure = p["funder_pressure"]
        self.required_level = p["funder_required_level"]
        self.deadline_months = p["funder_deadline_months"]
        self.review_months = p["funder_review_months"]
        self.end_month = p["funding_end_month"]
        self.scarcity = p["funding_scarcity"]
        self.interval = p["grant_interval_months"]
        self.grant_size = p["grant_size"]
        self.mandate_start = mandate_start
        self.grants_awarded = 0
        self.grant = np.zeros(model.n)
        """Extra capacity this funder gives each organisation until its next round."""
        self.held = np.zeros(0, dtype=np.int64)
        """Rows of the partnerships this funder's money holds: funded in its last round."""

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
        """One month of the funder: end of money, a grant round when one is due, a mandate review."""
        month = self.model.month
        if self.end_month is not None and month == self.end_month:
            self.end_funding()
        if self.funding_active(month) and month > 0 and month % self.interval == 0:
            self.grant_round()
        if self.mandate_active(month) and month > self.mandate_start and (month - self.mandate_start) % self.review_months == 0:
            self.review()

    def applicants(self) -> np.ndarray:
        """Rows of the partnerships that apply: every working partnership (networking or above)."""
        return np.flatnonzero(self.model.rel.level >= 1)

    def grant_round(self) -> None:
        m = self.model
        rel, orgs = m.rel, m.orgs
        self.grant[:] = 0.0
        apps = self.applicants()
        self.held = apps[:0]
        if apps.size == 0:
            return
        eligible = apps[rel.level[apps] >= self.required_level]
        if eligible.size == 0:
            return
        funded = eligible[m.rng.random(eligible.size) >= self.scarcity] if self.scarcity > 0 else eligible
        self.held = funded
        winners = np.zeros(orgs.n, dtype=bool)
        winners[rel.i[funded]] = True
        winners[rel.j[funded]] = True
        self.grant[winners] = self.grant_size
        orgs.grants_won += winners.astype(orgs.grants_won.dtype)
        self.grants_awarded += int(funded.size)
        m.counters["grants_won"] += int(funded.size)
        if funded.size < eligible.size:
            applied = np.zeros(orgs.n, dtype=bool)
            applied[rel.i[eligible]] = True
            applied[rel.j[eligible]] = True
            self._rivalry(applied & ~winners, winners)

    def _rivalry(self, losers: np.ndarray, winners: np.ndarray) -> None:
        """Losers of the round turn against the winners of their sector that they know (002)."""
        m = self.model
        rel, sector = m.rel, m.orgs.sector
        i, j = rel.i, rel.j
        same = sector[i] == sector[j]
        i_lost = same & losers[i] & winners[j]
        j_lost = same & losers[j] & winners[i]
        rows = np.flatnonzero(i_lost | j_lost)
        if rows.size == 0:
            return
        rel.rivalry[rows] = 1.0
        stake = m.ladder[structure.STAKE][rel.level[rows]]
        dirs = np.where(i_lost[rows], 0, 1)  # the loser's view of the winner
        m.update_trust(rows, dirs, -m.params["rivalry_signal"] * stake)
        m.counters["rivalries"] += int(rows.size)

    def review(self) -> None:
        """Push lagging partnerships whose own pace would miss the deadline (004)."""
        m = self.model
        rel = m.rel
        lagging = np.flatnonzero((rel.level >= 1) & (rel.level < self.required_level) & ~m.changed[: rel.size])
        if lagging.size == 0:
            return
        lvl = rel.level[lagging]
        mismatch = rel.mismatch[lagging]
        months_row = np.where(mismatch[:, None], m.ladder[structure.MONTHS_MISMATCH][None, :], m.ladder[structure.MONTHS][None, :])
        levels = np.arange(TOP + 1)[None, :]
        still = ((levels >= lvl[:, None]) & (levels < self.required_level)) * months_row
        pace = still.sum(axis=1) - rel.work_at_level[lagging]
        late = (self.deadline - m.month) < np.maximum(pace, 1)
        pushed = lagging[late & (m.rng.random(lagging.size) < self.pressure)]
        if pushed.size == 0:
            return
        lvl = rel.level[pushed]
        weaker = rel.min_trust()[pushed]
        needed = months_needed(m.ladder, rel.mismatch[pushed], lvl)
        premature = is_premature(weaker, lvl, rel.work_at_level[pushed], needed, m.ladder[structure.NEED])
        m.set_level(pushed, np.minimum(lvl + 1, TOP), forced=True)
        m.counters["premature_escalations"] += int(premature.sum())
        m.counters["forced_escalations"] += int(pushed.size)
        m.log_event("forced", pushed)

    def end_funding(self) -> None:
        """The money ends: relationships it held that trust cannot hold dissolve (004)."""
        m = self.model
        rel = m.rel
        self.grant[:] = 0.0
        held = np.zeros(rel.size, dtype=bool)
        held[self.held] = True
        held |= rel.forced
        rows = np.flatnonzero(held & (rel.level >= 1) & ~m.changed[: rel.size])
        weak = rows[rel.min_trust()[rows] < m.ladder[structure.NEED][rel.level[rows]]]
        self.held = self.held[:0]
        if weak.size:
            m.break_down(weak)
