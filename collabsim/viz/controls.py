"""Controls generated from the parameter registry, and the page's interventions.

``control_specs`` turns every registry parameter into a widget description (slider,
switch, select or text field, with the parameter's range, unit and meaning as help text).
The page renders these; whatever a widget sends is passed to the registry's ``parse`` as a
string. The ``intervene_*`` functions take the strings the intervention fields send,
check them, call the model's intervention methods and return a sentence for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..parameters import PARAMETERS, Parameter, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from .session import VizModel

GROUP_TITLES: dict[str, str] = {
    "scale": "Size and time",
    "trust": "Trust",
    "relationships": "Relationships",
    "funder": "Funder",
    "interventions": "Interventions and people",
    "crisis": "Crisis",
}
"""Headings of the registry's groups, in display order."""

SLIDER_SPAN_LIMIT = 1200
"""Integer parameters with a wider range get a text field instead of a slider."""

VIEW_MAX: dict[str, int] = {"n_organisations": 500}
"""Slider ends the page uses below the registry's maximum (larger runs belong to the command line)."""

SKIP = ("seed",)
"""Parameters with their own field (the seed) rather than a generated control."""


@dataclass(frozen=True)
class ControlSpec:
    """How the page shows one parameter.

    Attributes:
        name: parameter name.
        widget: ``"slider_int"``, ``"slider_float"``, ``"switch"``, ``"select"`` or ``"text"``.
        label: short label.
        help: range, unit and meaning, for the help text.
        group: registry group.
        min, max, step: slider range.
        choices: values of a select.
    """

    name: str
    widget: str
    label: str
    help: str
    group: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()


def help_text(p: Parameter) -> str:
    """Meaning, range and unit of a parameter in one line."""
    unit = "" if p.unit in ("-", "") else f"; unit: {p.unit}"
    return f"{p.meaning} (allowed: {p.range_text()}{unit}; default {p.default!r})"


def control_spec(p: Parameter) -> ControlSpec:
    """The widget for one registry parameter."""
    label = p.name.replace("_", " ")
    text = help_text(p)
    if p.kind == "bool":
        return ControlSpec(p.name, "switch", label, text, p.group)
    if p.kind == "choice":
        return ControlSpec(p.name, "select", label, text, p.group, choices=p.choices)
    if p.nullable or p.low is None or p.high is None:
        return ControlSpec(p.name, "text", label, text + ('; type "none" for none' if p.nullable else ""), p.group)
    if p.kind == "int":
        high = min(p.high, VIEW_MAX.get(p.name, p.high))
        if high - p.low > SLIDER_SPAN_LIMIT:
            return ControlSpec(p.name, "text", label, text, p.group)
        low = p.low + 1 if p.low_open else p.low
        high = high - 1 if p.high_open else high
        if high < p.high:
            text += f"; this slider stops at {int(high)}"
        return ControlSpec(p.name, "slider_int", label, text, p.group, int(low), int(high), 1)
    span = p.high - p.low
    step = _nice_step(span / 100.0)
    low = p.low + step if p.low_open else p.low
    high = p.high - step if p.high_open else p.high
    return ControlSpec(p.name, "slider_float", label, text, p.group, float(low), float(high), step)


def _nice_step(x: float) -> float:
    for step in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0):
        if x <= step:
            return step
    return 1.0


def control_specs() -> list[ControlSpec]:
    """The page's controls: every parameter of the groups it shows, in registry order.

    The ``structure`` group (the level ladder and the rules' constants, 66 numbers) is for
    research designs and the command line, not for a class: it has no controls here.
    """
    specs = [control_spec(p) for p in PARAMETERS.values() if p.name not in SKIP and p.group in GROUP_TITLES]
    order = list(GROUP_TITLES)
    return sorted(specs, key=lambda s: order.index(s.group) if s.group in order else len(order))


def display_value(spec: ControlSpec, value: Any) -> Any:
    """What the widget shows for a parameter value (text fields show "none" for None)."""
    if spec.widget == "text":
        return "none" if value is None else str(value)
    if spec.widget == "slider_float" and value is not None:
        return float(value)
    return value


# --- interventions ------------------------------------------------------------------


def parse_org(model: "VizModel", text: Any, what: str = "organisation") -> int:
    """An organisation number from a text field."""
    raw = str(text).strip()
    try:
        k = int(raw)
    except ValueError:
        raise ParameterError(f"{what} must be a whole number between 0 and {model.n - 1}, got {raw!r}") from None
    if not 0 <= k < model.n:
        raise ParameterError(f"{what} must be between 0 and {model.n - 1}, got {k}")
    return k


def intervene_backbone(model: "VizModel", on: bool) -> str:
    """Add or remove the backbone organisation."""
    if bool(on) == (model.backbone is not None):
        return "The backbone is already there." if on else "There is no backbone to remove."
    model.set_backbone(bool(on))
    model.snapshot()
    return "Backbone added: its staff now support organisations each month." if on else "Backbone removed."


def intervene_mandate(model: "VizModel", pressure: Any, deadline_months: Any, required_level: Any = 4) -> str:
    """A funder starts requiring a level by a deadline (strings parsed by the registry)."""
    p = PARAMETERS["funder_pressure"].parse(str(pressure))
    d = PARAMETERS["funder_deadline_months"].parse(str(deadline_months))
    lvl = PARAMETERS["funder_required_level"].parse(str(required_level))
    model.start_mandate(pressure=p, deadline_months=d, required_level=lvl)
    model.snapshot()
    return f"Funder mandate started: deadline at month {model.funder.deadline}."


def intervene_broken_commitment(model: "VizModel", victim: Any, culprit: Any) -> str:
    """Organisation ``culprit`` breaks a commitment to ``victim``."""
    a = parse_org(model, victim, "the organisation let down")
    b = parse_org(model, culprit, "the organisation breaking the commitment")
    if a == b:
        raise ParameterError("choose two different organisations")
    model.inject_broken_commitment(a, b)
    model.snapshot()
    return f"Organisation {b} broke a commitment to {a}."


def intervene_replace_staff(model: "VizModel", org: Any) -> str:
    """Organisation ``org`` loses its boundary spanner."""
    k = parse_org(model, org)
    model.replace_staff_at(k)
    model.snapshot()
    return f"Staff replaced at organisation {k}."
