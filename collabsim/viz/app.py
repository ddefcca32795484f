"""The collabsim page: a Mesa SolaraViz app to watch trust and collaboration unfold.

Run it with ``collabsim viz`` (or ``solara run collabsim/viz/app.py``). Mesa's SolaraViz
supplies the frame: the title bar, Step / Play / Reset, the play speed, the scenario and
seed fields and the step counter. This module adds the network picture, the plots over
time, the controls generated from the parameter registry, the interventions and the
explain panel.

Every browser tab builds its own model inside the ``Page`` component (``solara.use_memo``
and ``solara.use_reactive``), so two tabs never share one. Event handlers are bound methods
of a per-tab ``PageState`` or ``functools.partial`` objects, never lambdas. The logic
behind the page (drawing, explaining, parsing, intervening) lives in plain functions in
the sibling modules, which tests call without a browser.
"""

from __future__ import annotations

import functools
import html
import warnings
from typing import Any

import solara

with warnings.catch_warnings():
    # Mesa 3.3's ComponentsView returns before its hooks; Solara's hook check warns about
    # it when mesa.visualization is imported (fixed in Mesa 3.5). Nothing to do on our side.
    warnings.filterwarnings("ignore", message="Failed to validate hooks", category=UserWarning)
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import force_update, update_counter

from collabsim.parameters import ParameterError
from collabsim.scenarios import SCENARIOS
from collabsim.viz.controls import (
    GROUP_TITLES,
    ControlSpec,
    control_specs,
    display_value,
    intervene_backbone,
    intervene_broken_commitment,
    intervene_mandate,
    intervene_replace_staff,
)
from collabsim.viz.explain import explain_month, interesting_pair, pair_story, pair_story_png
from collabsim.viz.network import network_png
from collabsim.viz.session import Settings, VizModel, initial_scenario, seed_text
from collabsim.viz.timeseries import timeseries_png

TITLE = "collabsim: trust and collaboration between organisations"
PLAY_INTERVAL_MS = 300
HELP_STYLE = {"font-size": "11px", "color": "#666", "margin": "-8px 0 8px 0", "line-height": "1.25"}


def new_settings() -> Settings:
    """A new tab's settings: the scenario given to ``collabsim viz --scenario``."""
    return Settings(scenario=initial_scenario())


def model_params_for(settings: Settings) -> dict[str, Any]:
    """Mesa ``model_params``: the tab's Settings (fixed) plus scenario and seed fields.

    Mesa's Reset calls ``VizModel(**values)`` with these; the seed field sends a string,
    which ``VizModel`` parses with the registry.
    """
    return {
        "settings": settings,
        "scenario_name": {
            "type": "Select",
            "value": settings.scenario,
            "values": list(SCENARIOS),
            "label": "Scenario (applies at Reset)",
        },
        "seed": {"type": "InputText", "value": seed_text(settings.seed), "label": "Seed (a whole number, or none)"},
    }


class PageState:
    """One tab's page state and the handlers the widgets call.

    Attributes:
        settings: the tab's choices for the next Reset.
        model: the tab's reactive model (Mesa's Reset replaces its value).
        message: the last intervention's outcome or an error, shown under the controls.
        pair: the organisations whose story the explain panel tells.
        version: bumped when settings change, so the controls redraw.
    """

    def __init__(self, settings: Settings, model: solara.Reactive, message: solara.Reactive, pair: solara.Reactive, version: solara.Reactive) -> None:
        self.settings = settings
        self.model = model
        self.message = message
        self.pair = pair
        self.version = version

    # --- parameters -------------------------------------------------------------
    def set_param(self, name: str, value: Any) -> None:
        try:
            parsed = self.settings.set_value(name, value)
            self.message.set(("info", f"{name} = {parsed!r} (applies at Reset)"))
        except ParameterError as exc:
            self.message.set(("error", str(exc)))
        self.version.set(self.version.value + 1)

    # --- interventions ----------------------------------------------------------
    def _run(self, func: Any, *args: Any) -> None:
        try:
            text = func(self.model.value, *args)
            self.message.set(("info", text))
        except ParameterError as exc:
            self.message.set(("error", str(exc)))
        force_update()

    def add_backbone(self) -> None:
        self._run(intervene_backbone, True)

    def remove_backbone(self) -> None:
        self._run(intervene_backbone, False)

    def start_mandate(self, pressure: str, deadline: str) -> None:
        self._run(intervene_mandate, pressure, deadline)

    def broken_commitment(self, victim: str, culprit: str) -> None:
        self._run(intervene_broken_commitment, victim, culprit)
        try:
            self.pair.set((int(victim), int(culprit)))
        except ValueError:
            pass

    def replace_staff(self, org: str) -> None:
        self._run(intervene_replace_staff, org)

    # --- pair story -------------------------------------------------------------
    def choose_pair(self, a: str, b: str) -> None:
        try:
            self.pair.set((int(str(a).strip()), int(str(b).strip())))
        except ValueError:
            self.message.set(("error", f"a pair is two organisation numbers, got {a!r} and {b!r}"))

    def follow_interesting_pair(self) -> None:
        pair = interesting_pair(self.model.value)
        if pair is not None:
            self.pair.set(pair)


# --- components -----------------------------------------------------------------------


def bullet_html(lines: list[str]) -> str:
    """Escaped HTML list items (plain HTML: Solara's Markdown would load mermaid from a CDN)."""
    return "".join(f"<li>{html.escape(line)}</li>" for line in lines)


@solara.component
def BulletList(lines: list[str], font_size: str = "13px") -> None:
    solara.HTML(tag="ul", unsafe_innerHTML=bullet_html(lines), style={"font-size": font_size, "padding-left": "18px"})


@solara.component
def ParameterControl(spec: ControlSpec, value: Any, on_value: Any) -> None:
    """One generated control with its help text."""
    shown = display_value(spec, value)
    if spec.widget == "switch":
        solara.Switch(label=spec.label, value=bool(shown), on_value=on_value)
    elif spec.widget == "select":
        solara.Select(label=spec.label, values=list(spec.choices), value=shown, on_value=on_value)
    elif spec.widget == "slider_int":
        solara.SliderInt(label=spec.label, value=int(shown), min=int(spec.min), max=int(spec.max), step=1, on_value=on_value, thumb_label="always")
    elif spec.widget == "slider_float":
        solara.SliderFloat(label=spec.label, value=float(shown), min=spec.min, max=spec.max, step=spec.step, on_value=on_value, thumb_label="always")
    else:
        solara.InputText(label=spec.label, value=str(shown), on_value=on_value, continuous_update=False)
    solara.Text(spec.help, style=HELP_STYLE)


@solara.component
def ParameterCard(state: PageState) -> None:
    """Controls generated from the registry, grouped as the registry groups them."""
    state.version.get()
    values = state.settings.values()
    specs = control_specs()
    with solara.Card("Parameters (apply at Reset)"):
        solara.Text(
            f"Scenario {state.settings.scenario!r}: {SCENARIOS[state.settings.scenario].description} "
            "Change values here, then press Reset.",
            style={"font-size": "12px"},
        )
        for group, title in GROUP_TITLES.items():
            members = [s for s in specs if s.group == group]
            if not members:
                continue
            with solara.Details(summary=title, expand=(group == "scale")):
                with solara.Column(gap="0px"):
                    for spec in members:
                        ParameterControl(spec, values[spec.name], functools.partial(state.set_param, spec.name))


@solara.component
def InterventionsCard(state: PageState, model: VizModel, counter: int) -> None:
    """Interventions while the model runs."""
    pressure, set_pressure = solara.use_state("0.6")
    deadline, set_deadline = solara.use_state("24")
    victim, set_victim = solara.use_state("0")
    culprit, set_culprit = solara.use_state("1")
    org, set_org = solara.use_state("0")
    with solara.Card("Intervene"):
        if model.backbone is None:
            solara.Button("Add backbone", on_click=state.add_backbone, color="primary", outlined=True)
        else:
            solara.Button("Remove backbone", on_click=state.remove_backbone, color="primary", outlined=True)
        with solara.Columns([1, 1, 2]):
            solara.InputText("pressure (0-1)", value=pressure, on_value=set_pressure)
            solara.InputText("deadline in months", value=deadline, on_value=set_deadline)
            solara.Button("Start mandate", on_click=functools.partial(state.start_mandate, pressure, deadline), color="primary", outlined=True)
        with solara.Columns([1, 1, 2]):
            solara.InputText("let down", value=victim, on_value=set_victim)
            solara.InputText("breaks it", value=culprit, on_value=set_culprit)
            solara.Button("Break commitment", on_click=functools.partial(state.broken_commitment, victim, culprit), color="primary", outlined=True)
        with solara.Columns([2, 2]):
            solara.InputText(f"organisation (0-{model.n - 1})", value=org, on_value=set_org)
            solara.Button("Replace staff", on_click=functools.partial(state.replace_staff, org), color="primary", outlined=True)
        kind, text = state.message.value
        if text:
            (solara.Error if kind == "error" else solara.Info)(text, dense=True)


@solara.component
def ExplainCard(state: PageState, model: VizModel, counter: int) -> None:
    """What is happening now, in plain words."""
    with solara.Card("What is happening"):
        lines = explain_month(model)
        BulletList(lines, font_size="13px")


@solara.component
def PairCard(state: PageState, model: VizModel, counter: int) -> None:
    """One pair's story: trust both ways over time and the events behind it."""
    pair = state.pair.value
    a_text, set_a = solara.use_state("")
    b_text, set_b = solara.use_state("")
    with solara.Card("A pair's story"):
        with solara.Columns([1, 1]):
            solara.InputText("organisation", value=a_text, on_value=set_a)
            solara.InputText("and organisation", value=b_text, on_value=set_b)
        with solara.Row():
            solara.Button("Show pair", on_click=functools.partial(state.choose_pair, a_text, b_text), outlined=True)
            solara.Button("Follow a busy pair", on_click=state.follow_interesting_pair, outlined=True)
        if pair is None:
            solara.Text("Choose two organisations (numbers on the network for small communities), or follow a busy pair.")
            return
        story = pair_story(model, *pair)
        solara.Text(story.summary)
        if story.row >= 0:
            solara.Image(pair_story_png(model, story), width="100%")
            recent = story.events[-12:]
            BulletList([f"month {m}: {text}" for m, text in recent], font_size="12px")


@solara.component
def Dashboard(state: PageState, model: VizModel) -> None:
    """The main area: network and plots on the left, explanations and interventions on the right."""
    counter = update_counter.get()
    pair = state.pair.value

    def draw_network() -> bytes:
        return network_png(model, pair)

    def draw_series() -> bytes:
        return timeseries_png(model)

    net = solara.use_memo(draw_network, [id(model), counter, pair])
    series = solara.use_memo(draw_series, [id(model), counter])
    with solara.Sidebar():
        ParameterCard(state)
    with solara.Columns([3, 2]):
        with solara.Column():
            with solara.Card(f"Month {model.month}: the network"):
                solara.Image(net, width="100%")
            with solara.Card("Over time"):
                solara.Image(series, width="100%")
        with solara.Column():
            ExplainCard(state, model, counter)
            InterventionsCard(state, model, counter)
            PairCard(state, model, counter)


@solara.component
def Page() -> None:
    """One tab: its own settings, model and page state."""
    settings = solara.use_memo(new_settings, [])

    def first_model() -> VizModel:
        return VizModel(settings)

    model = solara.use_reactive(solara.use_memo(first_model, []))
    message = solara.use_reactive(("info", ""))
    pair = solara.use_reactive(None)
    version = solara.use_reactive(0)

    def page_state() -> PageState:
        return PageState(settings, model, message, pair, version)

    def mesa_params() -> dict[str, Any]:
        return model_params_for(settings)

    state = solara.use_memo(page_state, [])
    params = solara.use_memo(mesa_params, [])
    SolaraViz(model, components=[], model_params=params, name=TITLE, play_interval=PLAY_INTERVAL_MS)
    Dashboard(state, model.value)


page = Page()
"""The element Solara renders for each browser tab (each gets its own model)."""
