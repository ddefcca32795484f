"""The collabsim page: a Solara app to watch trust and collaboration unfold.

Run it with ``collabsim viz`` (or ``solara run collabsim/viz/app.py``). The page has its own
run controls (scenario, seed, Reset, Play/Pause, Step, play speed, pause-at month) rather than
Mesa's SolaraViz frame: Mesa 3.3's controller lets the play interval go down to 1 ms and steps
the model in a thread while the page draws it, which crashed the page ("all input arrays must
have the same shape") and could not be paused; its scenario field only took effect at Reset,
so the Parameters panel showed another scenario than the one that ran. Here:

- the model steps and is drawn under the model's own lock (``VizModel.lock``), so a picture
  never sees a half-updated month;
- Play steps one month, waits until the page has drawn it, then waits out the rest of the
  interval: it never outruns the page, so Pause always answers and every month is shown;
- the scenario and seed apply to the tab's ``Settings`` at once, the Parameters panel shows
  them, and a line lists what the next Reset would change relative to the run on screen;
- an empty seed draws a new run, and the page says which seed it drew.

Every browser tab builds its own model inside ``Page`` (``solara.use_memo``/``use_reactive``),
so two tabs never share one. Widget handlers are bound methods of a per-tab ``PageState`` or
``functools.partial`` objects, never lambdas. The logic behind the page lives in plain functions
in the sibling modules, which tests call without a browser.
"""

from __future__ import annotations

import functools
import html
import threading
import time
from typing import Any

import solara
import solara.lab

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
from collabsim.viz.explain import explain_month, harmed_pair, interesting_pair, pair_story
from collabsim.viz.charts import (
    CHOOSER_LIMIT,
    network_data,
    network_view,
    org_card_lines,
    org_from_label,
    org_label,
    pair_data,
    pair_signals,
    pair_view,
    series_data,
    series_signals,
    series_view,
)
from collabsim.viz.livechart import LiveVega
from collabsim.viz.network import funder_status
from collabsim.viz.numbers import checkpoint_table, record_lines
from collabsim.viz.session import Settings, VizModel, initial_scenario, pending_changes, seed_text

TITLE = "collabsim: trust and collaboration between organisations"
SPEEDS: dict[str, float] = {"1": 1.0, "2": 2.0, "5": 5.0, "10": 10.0}
"""Play speeds offered, in months per second (the page's drawing sets the real upper limit)."""
DEFAULT_SPEED = "5"
DRAW_WAIT_S = 1.0
"""Longest Play waits for the page to draw a month (the server's components, then the browser's
network chart) before stepping on anyway."""
SERIES_EVERY = 6
"""While playing, the over-time plots redraw every this many months (half of a month's drawing)."""
YIELD_S = 0.04
"""Shortest pause between two months of Play, even when drawing is slower than the speed asked:
the page's lock is not fair, and without a gap a click (Pause, an intervention) could wait
behind month after month."""
HELP_STYLE = {"font-size": "12px", "color": "#555", "margin": "-6px 0 8px 0", "line-height": "1.3"}
TEXT_STYLE = {"font-size": "14px", "line-height": "1.4"}
PAGE_CSS = """
.v-btn { text-transform: none !important; letter-spacing: normal !important; }
.v-btn__content { white-space: normal !important; }
.v-input, .v-select__selection, .v-card__title { font-size: 14px !important; }
.v-label { font-size: 16px !important; }
.v-card img { max-width: none; }
#vg-tooltip-element { font-size: 13px !important; }
.v-card { overflow-x: auto; }
.v-card__title { word-break: normal !important; }
.v-slider__thumb-label { font-size: 12px !important; }
.v-input__slider { margin-top: 28px; }
.collabsim-table { border-collapse: collapse; font-size: 13px; }
.collabsim-table th, .collabsim-table td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
.collabsim-table th { background: #f3f3f3; font-weight: 600; text-align: center; }
"""


def new_settings() -> Settings:
    """A new tab's settings: the scenario given to ``collabsim viz --scenario``, no seed."""
    return Settings(scenario=initial_scenario(), seed=None)


def first_of(org: int | None, pair: tuple[int, int] | None) -> int | None:
    """The organisation the first chooser shows: the one clicked or chosen, else the first of the pair on screen
    (a pair followed or named in an intervention), so the second chooser pairs with what the page shows."""
    if org is not None:
        return org
    return pair[0] if pair is not None else None


class PageState:
    """One tab's page state and the handlers the widgets call.

    Attributes:
        settings: the tab's choices for the next Reset.
        model: the tab's reactive model (Reset replaces its value).
        counter: bumped after every change to the model (a month, an intervention), so the
            pictures redraw; ``shown`` is the counter value the page last drew, ``drawn_month``
            the month the browser last drew on the network (Play waits for both).
        playing, speed, stop_at: Play state, months per second, and the month Play pauses at.
        message: the last action's outcome or an error, shown under the controls.
        pair: the organisations whose story the explain panel tells.
        version: bumped when settings change, so the controls redraw.
    """

    def __init__(self, settings: Settings, model: solara.Reactive) -> None:
        self.settings = settings
        self.model = model
        self.counter = solara.reactive(0)
        self.shown = -1
        self.drawn_month = -1
        self.playing = solara.reactive(False)
        self.speed = solara.reactive(DEFAULT_SPEED)
        self.stop_at = solara.reactive("")
        self.message = solara.reactive(("info", ""))
        self.pair = solara.reactive(None)
        self.org = solara.reactive(None)
        self.version = solara.reactive(0)
        self._play_generation = 0
        self._gen_lock = threading.Lock()

    def network_drawn(self, month: int) -> None:
        """The browser has drawn ``month`` on the network (``LiveVega.on_drawn``)."""
        self.drawn_month = int(month)

    def _bump(self) -> None:
        self.counter.set(self.counter.value + 1)

    # --- run controls ------------------------------------------------------------
    def choose_scenario(self, name: str) -> None:
        try:
            dropped = self.settings.set_scenario(str(name))
        except ParameterError as exc:
            self.message.set(("error", str(exc)))
            return
        text = f"Scenario {name} chosen: the Parameters panel shows its values. Press Reset to run it."
        if dropped:
            text += " Your changes (" + ", ".join(f"{k} = {v!r}" for k, v in dropped.items()) + ") were replaced by its presets."
        self.message.set(("info", text))
        self.version.set(self.version.value + 1)

    def set_seed(self, text: str) -> None:
        try:
            self.settings.set_seed_text(text)
        except ParameterError as exc:
            self.message.set(("error", str(exc)))
            return
        seed = self.settings.seed
        self.message.set(("info", "Seed empty: Reset draws a new random run." if seed is None else f"Seed {seed}: Reset repeats that run."))
        self.version.set(self.version.value + 1)

    def set_speed(self, value: str) -> None:
        if value in SPEEDS:
            self.speed.set(value)

    def set_stop_at(self, text: str) -> None:
        raw = str(text).strip()
        if raw and not raw.isdigit():
            self.message.set(("error", f"pause at month: a whole number of months, or empty to play to the end; got {raw!r}"))
            return
        self.stop_at.set(raw)

    def reset(self) -> None:
        """A new model from the tab's settings; the chosen pair belongs to the old run and is dropped."""
        with self._gen_lock:
            self._play_generation += 1  # a Play loop still running stops before touching the new model
        self.playing.set(False)
        try:
            model = VizModel(self.settings)
        except (ParameterError, ValueError) as exc:
            self.message.set(("error", f"Reset failed, the run on screen is unchanged: {exc}"))
            return
        self.pair.set(None)
        self.org.set(None)
        self.model.set(model)
        self.message.set(("info", f"New run: scenario {model.scenario_name}, seed {model.params['seed']}."))
        self.version.set(self.version.value + 1)
        self._bump()

    def step(self) -> None:
        self.step_once()

    def step_once(self, generation: int | None = None) -> bool:
        """One month; False when the run is over or has reached the pause-at month (or, for a
        Play loop's ``generation``, when Reset or a new Play has replaced that loop)."""
        if generation is not None and generation != self._play_generation:
            return False
        model = self.model.value
        stop = int(self.stop_at.value) if self.stop_at.value else None
        if not model.running or (stop is not None and model.month >= stop and self.playing.value):
            return False
        try:
            model.step()
        except Exception as exc:  # a model error must not replace the page by a traceback
            self.message.set(("error", f"the model stopped with an error in month {model.month + 1}: {exc}"))
            return False
        self._bump()
        return model.running and (stop is None or model.month < stop)

    def play_pause(self) -> None:
        if self.playing.value:
            self.playing.set(False)
            return
        if not self.model.value.running:
            self.message.set(("info", "The run is over: press Reset for a new one."))
            return
        stop = self.stop_at.value
        if stop and self.model.value.month >= int(stop):
            self.message.set(("info", f"Already at month {self.model.value.month}: raise or clear 'pause at month' to play on."))
            return
        with self._gen_lock:
            self._play_generation += 1
        self.playing.set(True)

    def play_loop(self) -> None:
        """Play: one month, wait until the page has drawn it, then the rest of the interval."""
        if not self.playing.value:
            return
        with self._gen_lock:
            generation = self._play_generation
        due = time.monotonic()  # when the next month is due: a steady beat, not a pause after each drawing
        while self.playing.value and generation == self._play_generation:
            start = time.monotonic()
            more = self.step_once(generation)
            target = self.counter.value
            month = self.model.value.month
            while (self.shown < target or self.drawn_month < month) and time.monotonic() - start < DRAW_WAIT_S and self.playing.value:
                time.sleep(0.005)
            if not more:
                break
            now = time.monotonic()
            due = max(due + 1.0 / SPEEDS.get(self.speed.value, 5.0), now - 0.5)  # never race to catch up a long stall
            time.sleep(max(due - now, YIELD_S))
        if generation == self._play_generation:
            self.playing.set(False)

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
        model = self.model.value
        try:
            with model.lock:
                text = func(model, *args)
            self.message.set(("info", text))
        except ParameterError as exc:
            self.message.set(("error", str(exc)))
        self._bump()

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

    # --- clicks on the network ---------------------------------------------------
    def click_network(self, datum: Any) -> None:
        """A click on an organisation shows its card; a click on a second tells their story;
        a click on a tie tells that pair's story."""
        if not isinstance(datum, dict):
            return
        if "a" in datum and "b" in datum:
            self.pair.set((int(datum["a"]), int(datum["b"])))
            return
        if "org" not in datum:
            return
        k = int(datum["org"])
        first = self.org.value
        if first is not None and first != k:
            self.pair.set((first, k))
        self.org.set(k)

    # --- the same by keyboard ------------------------------------------------------
    def choose_org(self, text: str) -> None:
        """The first chooser: an organisation's card (a click on it on the network does the same)."""
        try:
            k = org_from_label(text, self.model.value.n)
        except ValueError as exc:
            self.message.set(("error", str(exc)))
            return
        self.org.set(k)

    def choose_partner(self, text: str) -> None:
        """The second chooser: the story of the first organisation and this one."""
        first = first_of(self.org.value, self.pair.value)
        try:
            k = org_from_label(text, self.model.value.n)
        except ValueError as exc:
            self.message.set(("error", str(exc)))
            return
        if first is None or first == k:
            self.message.set(("info", "Choose the first organisation, then another one for the pair's story."))
            return
        self.pair.set((first, k))

    # --- pair story -------------------------------------------------------------
    def choose_pair(self, a: str, b: str) -> None:
        try:
            self.pair.set((int(str(a).strip()), int(str(b).strip())))
        except ValueError:
            self.message.set(("error", f"a pair is two organisation numbers, got {a!r} and {b!r}"))

    def follow_interesting_pair(self) -> None:
        model = self.model.value
        with model.lock:
            pair = interesting_pair(model)
        if pair is not None:
            self.pair.set(pair)

    def follow_harmed_pair(self) -> None:
        model = self.model.value
        with model.lock:
            pair = harmed_pair(model)
        if pair is None:
            self.message.set(("info", "No pair across the divide of harm has met yet (or this scenario has none)."))
        else:
            self.pair.set(pair)


# --- components -----------------------------------------------------------------------


def bullet_html(lines: list[str]) -> str:
    """Escaped HTML list items (plain HTML: Solara's Markdown would load mermaid from a CDN)."""
    return "".join(f"<li>{html.escape(line)}</li>" for line in lines)


def table_html(headings: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"


@solara.component
def BulletList(lines: list[str], font_size: str = "14px") -> None:
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
def PendingNote(state: PageState, model: VizModel) -> None:
    """What the next Reset would change, or that the panel shows the run on screen."""
    state.version.get()
    changes = pending_changes(state.settings, model)
    if changes:
        solara.Warning("Not running yet (press Reset): " + "; ".join(changes) + ".", dense=True)
    else:
        solara.Text("These are the values of the run on screen.", style={"font-size": "13px", "color": "#2b6a2b"})


@solara.component
def RunButtons(state: PageState, model: VizModel) -> None:
    """Reset / Play / Step (they follow the month: Step is off once the run is over)."""
    state.counter.get()
    playing = state.playing.value
    with solara.Row(gap="6px"):
        solara.Button("Reset", color="primary", on_click=state.reset)
        solara.Button("❚❚ Pause" if playing else "▶ Play", color="primary", on_click=state.play_pause, disabled=not model.running and not playing)
        solara.Button("Step", color="primary", on_click=state.step, disabled=playing or not model.running)


@solara.component
def OnScreen(state: PageState, model: VizModel) -> None:
    """The run on screen (scenario, seed, month): redrawn every month on its own, not the whole card."""
    state.counter.get()
    solara.Text(
        f"On screen: scenario {model.scenario_name}, seed {model.params['seed']}, month {model.month} of {model.params['months']}."
        + ("" if model.running else " The run is over."),
        style=TEXT_STYLE,
    )


@solara.component
def RunCard(state: PageState, model: VizModel) -> None:
    """Scenario, seed, Reset / Play / Step, play speed and where to pause."""
    state.version.get()
    with solara.Card("Run"):
        solara.Select(label="Scenario", values=list(SCENARIOS), value=state.settings.scenario, on_value=state.choose_scenario)
        solara.InputText(
            label="Seed (empty: a new random run)", value=seed_text(state.settings.seed),
            on_value=state.set_seed, continuous_update=False,
        )
        RunButtons(state, model)
        with solara.Row(gap="6px"):
            solara.Select(label="Play speed (months per second)", values=list(SPEEDS), value=state.speed.value, on_value=state.set_speed)
            solara.InputText(label="Pause at month", value=state.stop_at.value, on_value=state.set_stop_at, continuous_update=False)
        OnScreen(state, model)
        PendingNote(state, model)
        kind, text = state.message.value
        if text:
            (solara.Error if kind == "error" else solara.Info)(text, dense=True)


@solara.component
def ParameterCard(state: PageState, model: VizModel) -> None:
    """Controls generated from the registry, grouped as the registry groups them."""
    state.version.get()
    values = state.settings.values()
    specs = control_specs()
    with solara.Card("Parameters (apply at Reset)"):
        solara.Text(
            f"Scenario {state.settings.scenario}: {SCENARIOS[state.settings.scenario].description}",
            style={"font-size": "13px"},
        )
        PendingNote(state, model)
        for group, title in GROUP_TITLES.items():
            members = [s for s in specs if s.group == group]
            if not members:
                continue
            with solara.Details(summary=title, expand=(group == "scale")):
                with solara.Column(gap="0px"):
                    for spec in members:
                        ParameterControl(spec, values[spec.name], functools.partial(state.set_param, spec.name))


@solara.component
def InterventionsCard(state: PageState, model: VizModel, backbone_on: bool) -> None:
    """Interventions while the model runs (redrawn when the backbone comes or goes, not every month)."""
    pressure, set_pressure = solara.use_state("0.6")
    deadline, set_deadline = solara.use_state("24")
    victim, set_victim = solara.use_state("0")
    culprit, set_culprit = solara.use_state("1")
    org, set_org = solara.use_state("0")
    with solara.Card("Intervene"):
        if not backbone_on:
            solara.Button("Add backbone", on_click=state.add_backbone, color="primary", outlined=True)
        else:
            solara.Button("Remove backbone", on_click=state.remove_backbone, color="primary", outlined=True)
        with solara.Columns([1, 1]):
            solara.InputText("pressure (0-1)", value=pressure, on_value=set_pressure)
            solara.InputText("deadline (months)", value=deadline, on_value=set_deadline)
        solara.Button("Start funder mandate", on_click=functools.partial(state.start_mandate, pressure, deadline), color="primary", outlined=True)
        with solara.Columns([1, 1]):
            solara.InputText("let down", value=victim, on_value=set_victim)
            solara.InputText("breaks it", value=culprit, on_value=set_culprit)
        solara.Button("Break commitment", on_click=functools.partial(state.broken_commitment, victim, culprit), color="primary", outlined=True)
        solara.InputText(f"organisation (0-{model.n - 1})", value=org, on_value=set_org)
        solara.Button("Replace staff", on_click=functools.partial(state.replace_staff, org), color="primary", outlined=True)


@solara.component
def ExplainCard(model: VizModel, counter: int) -> None:
    """What is happening now, in plain words."""
    with model.lock:  # Play steps the model in another thread: read a whole month, never half of one
        lines = explain_month(model)
    with solara.Card("What is happening"):
        BulletList(lines)


@solara.component
def NumbersCard(model: VizModel, counter: int) -> None:
    """The numbers the lesson asks students to record: now in words, and at the lesson's months."""
    with model.lock:  # as above: the monthly table must not be read while a month is being added
        lines = record_lines(model)
        headings, rows = checkpoint_table(model)
    with solara.Card("Numbers to record"):
        BulletList(lines)
        solara.HTML(tag="table", unsafe_innerHTML=table_html(headings, rows), attributes={"class": "collabsim-table"})


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
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.Button("Show pair", on_click=functools.partial(state.choose_pair, a_text, b_text), outlined=True)
            solara.Button("Follow a busy pair", on_click=state.follow_interesting_pair, outlined=True)
            solara.Button("Follow a harmed pair", on_click=state.follow_harmed_pair, outlined=True)
        if pair is None:
            solara.Text("Choose two organisations (numbers on the network for small communities), or follow a busy or a harmed pair.", style=TEXT_STYLE)
            return
        PairStoryView(model, pair, counter)


@solara.component
def PairStoryView(model: VizModel, pair: tuple[int, int], counter: int) -> None:
    """The story itself: a chart embedded once per pair that takes each month's data (as the network's)."""
    def build_view() -> dict[str, Any]:
        return pair_view(*pair)

    view = solara.use_memo(build_view, [id(model), pair])
    with model.lock:
        story = pair_story(model, *pair)
    solara.Text(story.summary, style=TEXT_STYLE)
    if story.row >= 0:
        LiveVega.element(spec=view, datasets=pair_data(story), signals=pair_signals(story, model.month))
        BulletList([f"month {m}: {text}" for m, text in story.events[-12:]], font_size="13px")


@solara.component
def OrgCard(state: PageState, model: VizModel, counter: int) -> None:
    """The organisation last clicked on the network: sector, attributes, partners by level."""
    k = state.org.value
    if k is None or not 0 <= k < model.n:
        return
    with solara.Card(f"Organisation {k}"):
        with model.lock:
            lines = org_card_lines(model, k)
        BulletList(lines, font_size="13px")
        solara.Text("Click another organisation for the pair's story.", style=HELP_STYLE)


@solara.component
def OrgChooser(state: PageState, model: VizModel, org: int | None, pair: tuple[int, int] | None) -> None:
    """The keyboard's way to what a click on the network does: an organisation's card, then a pair's story.

    Two selects (Tab to one, Enter to open it, arrow keys and Enter to choose); for communities
    beyond ``CHOOSER_LIMIT``, two number boxes (type, then Enter).
    """
    org = first_of(org, pair)
    partner = pair[1] if pair is not None and pair[0] == org else None
    if model.n <= CHOOSER_LIMIT:
        labels = [org_label(model, k) for k in range(model.n)]
        with solara.Row(gap="12px"):
            solara.Select(label="Organisation (its card)", values=labels, value=None if org is None else labels[org],
                          on_value=state.choose_org)
            solara.Select(label="and organisation (the pair's story)", values=labels,
                          value=None if partner is None else labels[partner], on_value=state.choose_partner)
    else:
        with solara.Row(gap="12px"):
            solara.InputText(label="Organisation (its card)", value="" if org is None else str(org),
                             on_value=state.choose_org, continuous_update=False)
            solara.InputText(label="and organisation (the pair's story)", value="" if partner is None else str(partner),
                             on_value=state.choose_partner, continuous_update=False)


@solara.component
def Dashboard(state: PageState, model: VizModel) -> None:
    """The main area: network, numbers and plots on the left; explanations, interventions and a pair on the right."""
    counter = state.counter.value
    pair = state.pair.value
    org = state.org.value
    playing = state.playing.value
    # while playing, the over-time plots redraw every SERIES_EVERY months (the network, the
    # numbers and the explanations every month); they catch up as soon as Play stops
    series_key = (model.month // SERIES_EVERY, playing) if playing else (counter, playing)
    chosen = tuple(k for k in ((org,) + tuple(pair or ())) if k is not None)

    def draw_network() -> dict[str, Any]:
        with model.lock:
            return network_data(model, chosen)

    def draw_series() -> tuple[dict[str, Any], dict[str, int]]:
        with model.lock:
            return series_data(model), series_signals(model)

    # the specs stay the same for a run: the charts are embedded once per run and then only
    # receive each month's data (LiveVega), so a month shows without a new chart
    def views() -> tuple[dict[str, Any], dict[str, Any]]:
        return network_view(model), series_view(model)

    net_view, series_spec = solara.use_memo(views, [id(model)])
    net = solara.use_memo(draw_network, [id(model), counter, chosen])
    series, series_params = solara.use_memo(draw_series, [id(model), series_key])
    state.shown = counter
    with solara.Columns([3, 2]):
        with solara.Column():
            with solara.Card(f"Month {model.month}: the network"):
                solara.Text(
                    funder_status(model).replace("\n", "; ") + ". Click an organisation for its card, a second for the pair's story; "
                    "hover a tie for its level, trust, damage and months at that level. With the keyboard: the two choosers below.",
                    style={"font-size": "13px"},
                )
                OrgChooser(state, model, org, pair)
                LiveVega.element(spec=net_view, datasets=net, signals={"month": model.month}, on_click=state.click_network,
                                 listen_to_click=True, on_drawn=state.network_drawn)
            NumbersCard(model, counter)
            with solara.Card("Over time"):
                LiveVega.element(spec=series_spec, datasets=series, signals=series_params)
        with solara.Column():
            ExplainCard(model, counter)
            # the cards that do not change with the month get the same arguments, so they are not redrawn
            OrgCard(state, model, counter if org is not None else -1)
            PairCard(state, model, counter if pair is not None else -1)
            InterventionsCard(state, model, model.backbone is not None)


@solara.component
def Page() -> None:
    """One tab: its own settings, model and page state."""
    settings = solara.use_memo(new_settings, [])

    def first_model() -> VizModel:
        return VizModel(settings)

    model = solara.use_reactive(solara.use_memo(first_model, []))

    def page_state() -> PageState:
        return PageState(settings, model)

    state = solara.use_memo(page_state, [])
    solara.lab.use_task(state.play_loop, dependencies=[state.playing.value], prefer_threaded=True)
    solara.Style(PAGE_CSS)
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        RunCard(state, model.value)
        ParameterCard(state, model.value)
    Dashboard(state, model.value)


page = Page()
"""The element Solara renders for each browser tab (each gets its own model)."""
