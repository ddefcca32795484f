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
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._mesa_compat import replace_model
from ..model import CollaborationModel
from ..parameters import DEFAULTS, PARAMETERS, ParameterError
from ..scenarios import SCENARIOS, scenario_parameters
from .network import sector_layout

SCENARIO_ENV = "COLLABSIM_VIZ_SCENARIO"
COMMUNITY_ENV = "COLLABSIM_VIZ_COMMUNITY"
"""Environment variable through which ``collabsim viz --community DIR`` names an observed
community every run of the page starts from."""
"""Environment variable through which ``collabsim viz --scenario`` names the first scenario."""

DEFAULT_SEED: int | None = None
"""Seed of a new tab's first run: none, so every tab and every empty-seed Reset draws a new run
(the page shows the seed it drew, to repeat the run by typing it)."""


PAGE_DEFAULTS: dict[str, Any] = {"start": "fresh"}
"""Where the page differs from the registry's defaults: runs start fresh (everyone merely
aware), the teaching setting, so first contacts, first joint work and first collaboration
happen on screen. A teacher can choose ``history`` (a community with a past, the
researchers' default) under "Size and time"."""


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
        values.update(PAGE_DEFAULTS)
        values.update(scenario_parameters(self.scenario))
        return values

    def values(self) -> dict[str, Any]:
        """Every parameter value the next Reset will use."""
        values = self.base_values()
        values.update(self.overrides)
        values["seed"] = self.seed
        return values

    def set_scenario(self, name: str) -> dict[str, Any]:
        """Pick a scenario: its presets replace the user's overrides, which are returned."""
        if name not in SCENARIOS:
            from ..parameters import unknown_name_message

            raise ParameterError(unknown_name_message(str(name), SCENARIOS, "scenario"))
        dropped: dict[str, Any] = {}
        if name != self.scenario:
            self.scenario = name
            dropped = dict(self.overrides)
            self.overrides.clear()
        return dropped

    def set_seed_text(self, text: Any) -> None:
        """Set the seed from what the seed field sends (a string; empty or "none" draws one)."""
        raw = "" if text is None else str(text).strip()
        self.seed = None if raw == "" else PARAMETERS["seed"].parse(raw)

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
    """What the seed field shows (empty: a new random run at each Reset)."""
    return "" if seed is None else str(seed)


def pending_changes(settings: Settings, model: "VizModel") -> list[str]:
    """What the next Reset would change relative to the run on screen, in words.

    An empty list means the Parameters panel shows exactly the values the running model uses.
    """
    out: list[str] = []
    if settings.scenario != model.scenario_name:
        out.append(f"scenario {model.scenario_name} → {settings.scenario}")
    if settings.seed is not None and settings.seed != model.params["seed"]:
        out.append(f"seed {model.params['seed']} → {settings.seed}")
    values = settings.values()
    for name in PARAMETERS:
        if name == "seed" or name not in model.params:
            continue
        if values[name] != model.params[name]:
            out.append(f"{name} {_shown(model.params[name])} → {_shown(values[name])}")
    return out


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


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
        values = {**PAGE_DEFAULTS, **settings.overrides}
        community = os.environ.get(COMMUNITY_ENV) or None  # collabsim viz --community DIR
        if community is not None:
            values.pop("n_organisations", None)  # the community's files give it
        super().__init__(settings.scenario, seed=settings.seed, community=community, **values)
        replace_model(settings, self)  # Reset: the tab's previous model is finished (Mesa < 3.5 would keep it)
        self.settings = settings
        self.scenario_name = settings.scenario
        self.record_events = True
        self.lock = threading.RLock()
        self.divide_working: list[int] = []
        self.divide_cooperating: list[int] = []
        self.divide_damage: list[float] = []
        self.layout = sector_layout(self.orgs.sector, self.params["seed"])
        self.trust_history: list[np.ndarray] = []
        self.level_history: list[np.ndarray] = []
        self.ever_forced = np.zeros(0, dtype=bool)
        self._events_seen = 0
        self._remember()

    def step(self) -> None:
        """One month, then remember trust and levels for the explain panel.

        Holds the model's lock, so a picture drawn at the same time (under the same lock)
        never sees a half-updated relationship table. Does nothing once the run is over.
        """
        with self.lock:
            if self.month >= self.params["months"]:
                self.running = False
                return
            super().step()
            self._remember()
            if self.month >= self.params["months"]:
                self.running = False

    def _remember(self) -> None:
        rel = self.rel
        self.trust_history.append(rel.trust.astype(np.float32))
        self.level_history.append(rel.level.astype(np.int8))
        across = divide_rows_mask(self)
        self.divide_working.append(int((rel.level[across] >= 1).sum()))
        self.divide_cooperating.append(int((rel.level[across] >= 3).sum()))
        self.divide_damage.append(float(rel.damage[:, across].mean()) if across.any() else float("nan"))
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
            self.divide_working.pop()
            self.divide_cooperating.pop()
            self.divide_damage.pop()
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


def divide_rows_mask(model: CollaborationModel) -> np.ndarray:
    """Pairs across the scenario's divide of harm (e.g. community groups with police or
    public agencies), by sector, whatever ``history_of_harm`` is: with history 0 these are
    the same pairs, with no damage, so the lesson can compare the two."""
    rel = model.rel
    s = model.orgs.sector
    return model.harmed_sectors[s[rel.i], s[rel.j]]
