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
    """A funder with grant rounds and, optionally, a collaboration mandate.

    The rule runs in the compiled engine (``engine.funder_acts`` in ``engine.run_months``: end of money, grant
    round, mandate review); this agent is the funder's face in the Mesa model: its rules
    (a row of the engine's funder table) and what it holds, read and set in place.
    """

    def __init__(self, model: "CollaborationModel", rules: Mapping[str, Any] | None = None, *, mandate_start: int = 0) -> None:
        super().__init__(model)
        p = dict(model.params)
        p.update(rules or {})
        end = p["funding_end_month"]
        self._rules = np.array([float(p[k]) if k != "funding_end_month" else (-1.0 if end is None else float(end)) for k in FUNDER_KEYS] + [float(mandate_start)])
        self._index = 0

    def attach(self, index: int, rules: np.ndarray) -> None:
        """Become row ``index`` of the engine's funder table (``rules`` is that row)."""
        self._index = index
        self._rules = rules

    # --- rules -----------------------------------------------------------------------
    pressure = property(lambda self: float(self._rules[0]))
    required_level = property(lambda self: int(self._rules[1]))
    deadline_months = property(lambda self: int(self._rules[2]))
    review_months = property(lambda self: int(self._rules[3]))
    end_month = property(lambda self: None if self._rules[4] < 0 else int(self._rules[4]))
    scarcity = property(lambda self: float(self._rules[5]))
    interval = property(lambda self: int(self._rules[6]))
    grant_size = property(lambda self: float(self._rules[7]))
    mandate_start = property(lambda self: int(self._rules[8]))

    @property
    def deadline(self) -> int:
        """Month of the mandate's deadline."""
        return self.mandate_start + self.deadline_months

    @property
    def grant(self) -> np.ndarray:
        """Extra capacity this funder gives each organisation until its next round."""
        return self.model._fgrant[self._index]

    @property
    def held(self) -> np.ndarray:
        """Rows of the partnerships this funder's money holds: funded in its last round."""
        return np.flatnonzero(self.model._fheld[self._index, : self.model.rel.size])

    @property
    def grants_awarded(self) -> int:
        return int(self.model._fawarded[self._index])

    def funding_active(self, month: int) -> bool:
        return self.end_month is None or month < self.end_month

    def mandate_active(self, month: int) -> bool:
        return self.pressure > 0 and self.mandate_start <= month <= self.deadline and self.funding_active(month)

    def start_mandate(self, month: int, pressure: float, deadline_months: int, required_level: int | None = None) -> None:
        """Begin a mandate now (an intervention from the browser page)."""
        self._rules[8] = int(month)
        self._rules[0] = float(pressure)
        self._rules[2] = int(deadline_months)
        if required_level is not None:
            self._rules[1] = int(required_level)
