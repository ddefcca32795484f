"""The parameter registry: one typed, validated place for every model parameter.

The model, the command line, sweep designs and the browser sliders all read this
registry, so a parameter's range, unit and meaning are written exactly once. Every
entry names its source: a seed text (``000`` ... ``004``, see ``docs/ODD.md``) or a
published work. One step of the model is one month.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping


class ParameterError(ValueError):
    """A parameter value, name or type that the model refuses before a run starts."""


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    Attributes:
        name: keyword name, as passed to ``CollaborationModel``.
        kind: ``"float"``, ``"int"``, ``"bool"`` or ``"choice"``.
        default: value used when neither a scenario nor the user sets it.
        low, high: bounds for numeric kinds.
        low_open, high_open: whether a bound is excluded (``(0, 1]`` has ``low_open``).
        choices: allowed values of a ``"choice"`` parameter.
        nullable: ``None`` is allowed (and means what ``meaning`` says).
        unit: unit of the value (a step is a month).
        meaning: one line for help texts and the ODD table.
        source: the seed text or publication the parameter comes from.
        group: where a user interface shows it.
    """

    name: str
    kind: str
    default: Any
    meaning: str
    source: str
    unit: str = "-"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    nullable: bool = False
    group: str = "model"

    def range_text(self) -> str:
        """Return the allowed values in the notation used by error messages."""
        if self.kind == "bool":
            text = "true or false"
        elif self.kind == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        else:
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            low = _fmt(self.low)
            high = _fmt(self.high)
            text = f"{left}{low}, {high}{right}"
            if self.kind == "int":
                text = "an integer in " + text
        if self.nullable:
            text += " or None"
        return text

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ParameterError."""
        if value is None:
            if self.nullable:
                return None
            raise ParameterError(f"{self.name} must be {self.range_text()}, got None")
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if _is_int(value) and int(value) in (0, 1):
                return bool(value)
            raise ParameterError(f"{self.name} must be true or false, got {value!r}")
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            hint = _did_you_mean(str(value), self.choices)
            raise ParameterError(
                f"{self.name} must be {self.range_text()}, got {value!r}{hint}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not _is_numpy_number(value):
            raise ParameterError(
                f"{self.name} must be a number ({self.range_text()}), got {value!r}"
            )
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise ParameterError(f"{self.name} must be {self.range_text()}, got {value!r}")
        if self.kind == "int":
            if number != int(number):
                raise ParameterError(
                    f"{self.name} must be {self.range_text()}, got {value!r}"
                )
            # keep integers exact: a float round trip would change large seeds
            number = int(value) if _is_int(value) else int(number)
        low_bad = self.low is not None and (number <= self.low if self.low_open else number < self.low)
        high_bad = self.high is not None and (
            number >= self.high if self.high_open else number > self.high
        )
        if low_bad or high_bad:
            raise ParameterError(f"{self.name} must be in {self.range_text().replace('an integer in ', '')}, got {value!r}")
        return number

    def parse(self, text: str) -> Any:
        """Parse a command-line or UI string by this parameter's declared type (never eval)."""
        raw = text.strip()
        if self.nullable and raw.lower() in ("none", "null", ""):
            return None
        if self.kind == "bool":
            lowered = raw.lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise ParameterError(f"{self.name} must be true or false, got {text!r}")
        if self.kind == "choice":
            return self.check(raw)
        try:
            value = int(raw) if self.kind == "int" else float(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                raise ParameterError(
                    f"{self.name} must be {self.range_text()}, got {text!r}"
                ) from None
        return self.check(value)

    def describe(self) -> dict[str, Any]:
        """Return the row this parameter contributes to tables (CLI, ODD)."""
        return {
            "name": self.name,
            "type": self.kind,
            "default": self.default,
            "range": self.range_text(),
            "unit": self.unit,
            "meaning": self.meaning,
            "source": self.source,
        }


def _fmt(x: float | None) -> str:
    if x is None:
        return "inf"
    return str(int(x)) if float(x).is_integer() else str(x)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) or (_is_numpy_number(value) and float(value).is_integer())


def _is_numpy_number(value: Any) -> bool:
    try:
        import numpy as np

        return isinstance(value, (np.integer, np.floating)) and not isinstance(value, np.bool_)
    except ImportError:  # pragma: no cover - numpy is a hard dependency
        return False


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


P = Parameter
_PARAMETERS: tuple[Parameter, ...] = (
    # --- scale and time --------------------------------------------------------------
    P("n_organisations", "int", 40, "organisations in the community", "DESIGN: 10 to 10,000; 004 community", "organisations", 1, 20000, group="scale"),
    P("months", "int", 120, "length of a run", "004: trust takes months or a year or two", "months", 0, 1200, group="scale"),
    P("seed", "int", None, "seed of the model's random generator (None draws one)", "reproducibility", "-", 0, 2**63 - 1, nullable=True, group="scale"),
    # --- trust ---------------------------------------------------------------------------
    P("trust_rule", "choice", "two_layer", "how experience updates trust", "Pant & Yu 2025; Jonker & Treur 1999; Josang & Ismail 2002", choices=("two_layer", "two_layer_damped", "smoothing", "beta"), group="trust"),
    P("initial_trust", "float", 0.2, "trust between organisations at first contact", "004: mistrust at the start", "trust (0-1)", 0, 1, group="trust"),
    P("history_of_harm", "float", 0.0, "strength of past harm between the harmed sectors (starting damage)", "000, 001, 004: history matters", "damage (0-1)", 0, 1, group="trust"),
    P("trust_gain", "float", 0.10, "share of the gap to the ceiling closed by a full success", "Pant & Yu 2025 (arXiv:2510.24909)", "per unit signal", 0, 1, low_open=True, group="trust"),
    P("trust_loss", "float", 0.30, "share of trust lost to a full setback", "Pant & Yu 2025 (arXiv:2510.24909)", "per unit signal", 0, 1, low_open=True, group="trust"),
    P("damage_severity", "float", 0.6, "share of the undamaged remainder marked as damage by a full setback", "Pant & Yu 2025 (arXiv:2510.24909)", "per unit signal", 0, 1, group="trust"),
    P("damage_decay", "float", 0.03, "share of damage that heals with each experience that is not a setback (work, meeting, news)", "Pant & Yu 2025 (arXiv:2510.24909)", "per experience", 0, 1, group="trust"),
    P("interdependence_weight", "float", 0.5, "how much more a setback costs at higher levels (xi)", "Pant & Yu 2025 (arXiv:2510.24909)", "-", 0, 5, group="trust"),
    P("smoothing_rate", "float", 0.10, "weight of the newest experience (smoothing rule)", "Jonker & Treur 1999", "per month", 0, 1, low_open=True, group="trust"),
    P("beta_forgetting", "float", 0.95, "share of past evidence kept each update (beta rule)", "Josang & Ismail 2002", "per update", 0, 1, group="trust"),
    P("honest_failure_severity", "float", 0.25, "size of an honest failure's setback relative to a broken commitment", "Schweitzer, Hershey & Bradlow 2006", "-", 0, 1, group="trust"),
    P("reliability", "float", 0.85, "mean share of commitments an organisation keeps", "004: act honestly and responsibly", "probability", 0, 1, group="trust"),
    # --- relationships and escalation ---------------------------------------------------
    P("min_months_per_level", "int", 4, "months a pair must spend at a level before climbing", "004: one step at a time; take it slow", "months", 0, 60, group="relationships"),
    P("contact_rate", "float", 0.15, "chance per month that an organisation with spare capacity makes a new contact", "004: networking is the starting point", "per month", 0, 1, group="relationships"),
    P("capacity", "float", 1.0, "staff time and money per organisation for joint work", "004: resources, time, human resources", "capacity units per month", 0, 10, low_open=True, group="relationships"),
    P("style_mismatch_penalty", "float", 0.10, "lower chance of success when decision styles differ", "002: hierarchical vs consensual decision making", "probability", 0, 1, group="relationships"),
    # --- funders -------------------------------------------------------------------------
    P("funder_pressure", "float", 0.0, "chance per grant round that a lagging applicant pair is pushed up a level", "004: the timeline of a funder", "probability per round", 0, 1, group="funder"),
    P("funder_required_level", "int", 4, "level applicants must reach (1 networking ... 4 collaboration)", "004: funders require collaboration", "level", 1, 4, group="funder"),
    P("funder_deadline_months", "int", 24, "months from the start of a mandate to its deadline", "004: the timeline of a funder", "months", 1, 600, group="funder"),
    P("funding_end_month", "int", None, "month when the money ends (None: never)", "004: relationships held by money", "month", 0, 1200, nullable=True, group="funder"),
    P("funding_scarcity", "float", 0.0, "share of applicants a grant round cannot fund; makes same-sector organisations rivals", "002: competition over funding, turf wars", "-", 0, 1, group="funder"),
    P("grant_interval_months", "int", 6, "months between grant rounds", "004: grant rounds", "months", 1, 60, group="funder"),
    P("grant_size", "float", 0.3, "extra capacity a grant gives each partner until the next round", "004: resources for joint work", "capacity units per month", 0, 10, group="funder"),
    # --- interventions -------------------------------------------------------------------
    P("backbone", "bool", False, "a backbone organisation supports the community", "001: Collective Impact backbone support", group="interventions"),
    P("backbone_capacity", "int", 20, "organisations the backbone staff can serve in a month", "001: dedicated staff, finite resources", "organisations per month", 1, 10000, group="interventions"),
    P("regular_meetings", "bool", False, "the harmed sectors meet in a standing forum every month", "000: regular interface meetings", group="interventions"),
    P("collaborative_skill", "float", 0.5, "mean collaborative skill of boundary-spanning staff", "002: choose people for collaborative skills; 004: communication", "skill (0-1)", 0, 1, group="interventions"),
    P("celebrate_successes", "bool", False, "successes are celebrated and seen by third parties", "000: spread the word; 004: celebrate every success", group="interventions"),
    P("referral_weight", "float", 0.3, "how much a third party's trust or distrust passes along", "Gulati & Gargiulo 1999; Burt & Knez 1995", "-", 0, 1, group="interventions"),
    P("staff_turnover", "float", 0.01, "chance per month that an organisation's boundary spanner leaves", "Zaheer, McEvily & Perrone 1998", "per month", 0, 1, group="interventions"),
    P("turnover_trust_loss", "float", 0.3, "share of trust above first-contact level that leaves with the person", "Zaheer, McEvily & Perrone 1998", "-", 0, 1, group="interventions"),
    # --- crisis --------------------------------------------------------------------------
    P("shock_month", "int", None, "month a crisis strikes (None: no crisis)", "003: Covid-19 and mutual aid", "month", 0, 1200, nullable=True, group="crisis"),
    P("shock_size", "float", 0.5, "how hard the crisis hits capacity and raises shared need", "003: shared concerns in a crisis", "-", 0, 1, group="crisis"),
)

PARAMETERS: dict[str, Parameter] = {p.name: p for p in _PARAMETERS}
"""Every model parameter by name, in display order."""

DEFAULTS: dict[str, Any] = {p.name: p.default for p in _PARAMETERS}


def unknown_name_message(name: str, known: Iterable[str], what: str = "parameter") -> str:
    """Say that ``name`` is not known, suggest the nearest known one, and list them all."""
    known = list(known)
    hint = _did_you_mean(name, known)
    return f"unknown {what} {name!r}{hint}; known: {', '.join(known)}"


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check and convert user values; raise ParameterError naming the first bad one."""
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name not in PARAMETERS:
            raise ParameterError(unknown_name_message(name, PARAMETERS))
        checked[name] = PARAMETERS[name].check(value)
    return checked


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``name=value`` (the command line's ``--set``) by the parameter's type."""
    if "=" not in text:
        raise ParameterError(f"expected name=value, got {text!r}")
    name, raw = text.split("=", 1)
    name = name.strip()
    if name not in PARAMETERS:
        raise ParameterError(unknown_name_message(name, PARAMETERS))
    return name, PARAMETERS[name].parse(raw)
