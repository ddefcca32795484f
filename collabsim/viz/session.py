"""The page's model: a CollaborationModel that remembers its history for the explain panel.

``VizModel`` is what one browser tab runs. It records every event (climbs, fallbacks,
breakdowns, broken commitments, forced escalations, turnover), keeps a month-by-month copy
of every pair's trust and level (so a pair's story can be told after the fact), computes
the network layout once, and stops playing when the run's ``months`` are over.

``Settings`` holds what the user has chosen for the next Reset: scenario, seed and
parameter overrides. Mesa's Reset re-creates the model as ``VizModel(**model_params)``;
the tab's ``Settings`` object is one of those parameters, so each tab rebuilds its own
model from its own choices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._mesa_compat import replace_model
from ..model import CollaborationModel
from ..parameters import DEFAULTS, PARAMETERS, ParameterError
from ..scenarios import SCENARIOS, scenario_parameters
from .network import sector_layout

SCENARIO_ENV = "COLLABSIM_VIZ_SCENARIO"
"""Environment variable through which ``collabsim viz --scenario`` names the first scenario."""

DEFAULT_SEED = 1
"""Seed of a new tab's first run: the same page shows the same run (type "none" for a fresh draw)."""


def initial_scenario() -> str:
    """Scenario a new tab starts with (``collabsim viz --scenario``), falling back to default."""
    name = os.environ.get(SCENARIO_ENV, "default")
    return name if name in SCENARIOS else "default"


@dataclass
class Settings:
    """A tab's choices for the next Reset.

    Attributes:
        scenario: name in ``SCENARIOS``.
        seed: the model's seed (``None`` draws a new one at each Reset).
        overrides: parameter values the user changed, by name (parsed by the registry).
    """

    scenario: str = "default"
    seed: int | None = DEFAULT_SEED
    overrides: dict[str, Any] = field(default_factory=dict)

    def base_values(self) -> dict[str, Any]:
        """Registry defaults with the scenario's presets applied."""
        values = dict(DEFAULTS)
        values.update(scenario_parameters(self.scenario))
        return values

    def values(self) -> dict[str, Any]:
        """Every parameter value the next Reset will use."""
        values = self.base_values()
        values.update(self.overrides)
        values["seed"] = self.seed
        return values

    def set_scenario(self, name: str) -> None:
        """Pick a scenario: its presets replace the user's overrides."""
        if name not in SCENARIOS:
            from ..parameters import unknown_name_message

            raise ParameterError(unknown_name_message(str(name), SCENARIOS, "scenario"))
        if name != self.scenario:
            self.scenario = name
            self.overrides.clear()

    def set_seed_text(self, text: Any) -> None:
        """Set the seed from what the seed field sends (a string; "none" draws one)."""
        self.seed = PARAMETERS["seed"].parse(str(text if text is not None else ""))

    def set_value(self, name: str, value: Any) -> Any:
        """Set one parameter from a UI value; the registry parses it as a string."""
        if name not in PARAMETERS or name == "seed":
            raise ParameterError(f"not a settable parameter: {name!r}")
        parsed = PARAMETERS[name].parse(_as_text(value))
        if parsed == self.base_values()[name]:
            self.overrides.pop(name, None)
        else:
            self.overrides[name] = parsed
        return parsed


def _as_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 10))
    return str(value)


def seed_text(seed: int | None) -> str:
    """What the seed field shows."""
    return "none" if seed is None else str(seed)


class VizModel(CollaborationModel):
    """A CollaborationModel for the page: events on, history kept, layout computed once.

    Args:
        settings: the tab's ``Settings`` (scenario, seed, overrides); a new one if omitted.
        scenario_name: scenario chosen in Mesa's parameter card; a new scenario replaces
            the overrides made for the old one.
        seed: seed text from Mesa's parameter card (parsed by the registry).
        **kwargs: anything else Mesa passes on Reset (Mesa 3.5 adds its own
            ``scenario`` object, which this model does not use).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        scenario_name: str | None = None,
        seed: Any = "",
        **kwargs: Any,
    ) -> None:
        settings = Settings(scenario=initial_scenario()) if settings is None else settings
        if scenario_name is not None:
            settings.set_scenario(str(scenario_name))
        if seed != "":
            settings.set_seed_text(seed)
        values = dict(settings.overrides)
        super().__init__(settings.scenario, seed=settings.seed, **values)
        replace_model(settings, self)  # Reset: the tab's previous model is finished (Mesa < 3.5 would keep it)
        self.settings = settings
        self.scenario_name = settings.scenario
        self.record_events = True
        self.layout = sector_layout(self.orgs.sector, self.params["seed"])
        self.trust_history: list[np.ndarray] = []
        self.level_history: list[np.ndarray] = []
        self.ever_forced = np.zeros(0, dtype=bool)
        self._events_seen = 0
        self._remember()

    def step(self) -> None:
        """One month, then remember trust and levels for the explain panel."""
        super().step()
        self._remember()
        if self.month >= self.params["months"]:
            self.running = False

    def _remember(self) -> None:
        rel = self.rel
        self.trust_history.append(rel.trust.astype(np.float32))
        self.level_history.append(rel.level.astype(np.int8))
        if self.ever_forced.size < rel.size:
            self.ever_forced = np.concatenate([self.ever_forced, np.zeros(rel.size - self.ever_forced.size, dtype=bool)])
        for _, kind, rows in self.events[self._events_seen :]:
            if kind == "forced":
                self.ever_forced[rows] = True
        self._events_seen = len(self.events)

    def snapshot(self) -> None:
        """Re-record this month's trust and levels after an intervention changed them."""
        if self.trust_history:
            self.trust_history.pop()
            self.level_history.pop()
        self._remember()

    def trust_at(self, month: int, row: int) -> tuple[float, float]:
        """Trust of pair ``row`` at the end of ``month`` (both directions; NaN before first contact)."""
        snap = self.trust_history[month]
        if row >= snap.shape[1]:
            return float("nan"), float("nan")
        return float(snap[0, row]), float(snap[1, row])

    def level_at(self, month: int, row: int) -> int:
        """Level of pair ``row`` at the end of ``month`` (-1 before first contact)."""
        snap = self.level_history[month]
        return int(snap[row]) if row < snap.size else -1
