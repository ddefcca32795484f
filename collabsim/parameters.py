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
    P("start", "choice", "history", "how the community starts: 'history' (relationships already spread over the levels), 'fresh' (everyone merely aware)", "issue 10: a community with a past; 'fresh' for teaching", choices=("history", "fresh"), group="scale"),
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
    P("min_months_per_level", "int", 4, "months of joint work a pair must spend at networking before it climbs to coordination", "004: one step at a time; take it slow", "months of joint work", 0, 60, group="relationships"),
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
    P("funder_review_months", "int", 3, "months between the funder's progress checks of the partnerships under a mandate", "004: the timeline of a funder; reason: quarterly progress reports are the usual grant practice", "months", 1, 60, group="funder"),
    P("grant_size", "float", 0.3, "extra capacity a grant gives each partner until the next round", "004: resources for joint work", "capacity units per month", 0, 10, group="funder"),
    # --- interventions -------------------------------------------------------------------
    P("backbone", "bool", False, "a backbone organisation supports the community", "001: Collective Impact backbone support", group="interventions"),
    P("backbone_capacity", "int", 20, "organisations the backbone staff can serve in a month", "001: dedicated staff, finite resources", "organisations per month", 1, 10000, group="interventions"),
    P("regular_meetings", "bool", False, "the scenario's forum sectors meet in a standing forum every month", "000: regular interface meetings", group="interventions"),
    P("collaborative_skill", "float", 0.5, "mean collaborative skill of boundary-spanning staff", "002: choose people for collaborative skills; 004: communication", "skill (0-1)", 0, 1, group="interventions"),
    P("celebrate_successes", "bool", False, "successes are celebrated and seen by third parties", "000: spread the word; 004: celebrate every success", group="interventions"),
    P("referral_weight", "float", 0.3, "how much a third party's trust or distrust passes along, and the share of searches for new partners that go through a partner's referral", "Gulati & Gargiulo 1999; Burt & Knez 1995", "-", 0, 1, group="interventions"),
    P("staff_turnover", "float", 0.01, "chance per month that an organisation's boundary spanner leaves", "Zaheer, McEvily & Perrone 1998", "per month", 0, 1, group="interventions"),
    P("turnover_trust_loss", "float", 0.3, "share of trust above first-contact level that leaves with the person", "Zaheer, McEvily & Perrone 1998", "-", 0, 1, group="interventions"),
    # --- crisis --------------------------------------------------------------------------
    P("shock_month", "int", None, "month a crisis strikes (None: no crisis)", "003: Covid-19 and mutual aid", "month", 0, 1200, nullable=True, group="crisis"),
    P("shock_size", "float", 0.5, "how hard the crisis hits capacity and raises shared need", "003: shared concerns in a crisis", "-", 0, 1, group="crisis"),
    # --- structure: the level ladder and the rules' behavioural constants ----------------
    # Values kept from the published model unless a note says otherwise; each is a
    # judgement where the texts give an order but no number ("reason:").
    *(
        P(f"trust_needed_{lv}", "float", v, f"weaker trust a pair needs to climb to {lv}", "004: each level needs more trust; reason: spread over the two-layer rule's range below its ceiling", "trust (0-1)", 0, 1, group="structure")
        for lv, v in (("networking", 0.15), ("coordination", 0.35), ("cooperation", 0.55), ("collaboration", 0.70))
    ),
    *(
        P(f"cost_{lv}", "float", v, f"capacity a relationship at {lv} uses per month, per partner", "004: time, staff, money rise with the level; reason: a full capacity of 1 holds about 2 collaborations or 20 networking ties", "capacity units per month", 0, 10, group="structure")
        for lv, v in (("networking", 0.05), ("coordination", 0.12), ("cooperation", 0.25), ("collaboration", 0.40))
    ),
    *(
        P(f"stake_{lv}", "float", v, f"size of the outcome signal of a month's work or contact at {lv}", "004: higher levels share more risk; calibration: 0.2 to 0.7 trust in 6 to 24 months of success at every working level's stake (DESIGN)", "signal (0-1)", 0, 1, group="structure")
        for lv, v in (("aware", 0.2), ("networking", 0.5), ("coordination", 0.65), ("cooperation", 0.8), ("collaboration", 1.0))
    ),
    *(
        P(f"value_{lv}", "float", v, f"community value of one successful month of joint work at {lv}", "004: deeper levels have greater potential for change; reason: roughly doubling per level", "value units", 0, 100, group="structure")
        for lv, v in (("networking", 0.2), ("coordination", 0.5), ("cooperation", 1.0), ("collaboration", 2.0))
    ),
    *(
        P(f"base_success_{lv}", "float", v, f"chance that a month's joint work (or a chance contact) at {lv} succeeds for average partners", "004: riskier projects at higher levels; reason: a few failures a year at every level", "probability", 0, 1, group="structure")
        for lv, v in (("aware", 0.95), ("networking", 0.94), ("coordination", 0.92), ("cooperation", 0.90), ("collaboration", 0.88))
    ),
    P("level_time_growth", "float", 1.25, "each level needs this many times the months of joint work of the level below (networking needs min_months_per_level)", "DESIGN and 004: each level needs more time; set against DESIGN behaviour 2 (median 6-36 months from first contact to collaboration) with a measure later found biased by censoring (pairs that had reached collaboration by month 120); read without that bias (tests/test_behaviour.py, pairs met by month 60 watched 180 months) the model's median is above 36: a stated disagreement, not re-calibrated", "-", 1, 4, group="structure"),
    P("mismatch_slowdown", "float", 1.5, "months needed at a level are multiplied by this when decision styles differ", "002: hierarchical vs consensual decision making slows joint work", "-", 1, 5, group="structure"),
    P("fallback_margin", "float", 0.15, "a pair falls back a level once its weaker trust is this far below the level's need", "reason: hysteresis, so a pair does not flip between levels on one failure", "trust (0-1)", 0, 1, group="structure"),
    P("reliability_weight", "float", 0.5, "change in the chance of success per unit of the pair's reliability above 0.85", "004: act honestly and responsibly; reason: reliability is the strongest partner effect", "probability per unit", 0, 2, group="structure"),
    P("skill_weight", "float", 0.2, "change in the chance of success per unit of the pair's collaborative skill above 0.5", "002: collaborative skills; 004: communication", "probability per unit", 0, 2, group="structure"),
    P("alignment_weight", "float", 0.15, "change in the chance of success per unit of mandate alignment above 0.5", "000: match mandates; 003: shared concerns", "probability per unit", 0, 2, group="structure"),
    P("trust_gap_weight", "float", 0.8, "lower chance of success per unit of trust missing below the level's need", "004: only strong trust bears bigger, riskier projects", "probability per unit", 0, 5, group="structure"),
    P("success_chance_min", "float", 0.02, "lowest chance of success of a month's joint work", "reason: nothing is certain to fail", "probability", 0, 1, group="structure"),
    P("success_chance_max", "float", 0.99, "highest chance of success of a month's joint work", "reason: nothing is certain to succeed", "probability", 0, 1, group="structure"),
    P("reliability_concentration", "float", 20.0, "concentration of the Beta distribution of organisations' reliability around its mean", "reason: most organisations keep most commitments, a few are unreliable", "-", 0.5, 1000, group="structure"),
    P("skill_concentration", "float", 8.0, "concentration of the Beta distribution of staff's collaborative skill around its mean", "002: staff differ in collaborative skill; reason: wide spread", "-", 0.5, 1000, group="structure"),
    P("mandate_scatter", "float", 0.15, "spread of organisations' mandates around their sector's centre", "000: match mandates; reason: sectors share goals, organisations differ", "-", 0, 2, group="structure"),
    P("chance_contact", "float", 0.10, "chance per month that an aware pair has a low-stakes contact without any forum", "004: networking starts from informal contact", "per month", 0, 1, group="structure"),
    P("capacity_from_collaboration", "float", 0.10, "extra capacity next month per successful month of collaboration", "004: partners expand each other's capacities", "capacity units per month", 0, 2, group="structure"),
    P("history_ties", "int", 2, "relationships each organisation starts by reaching out to (aware at a fresh start; spread over the levels with a history)", "reason: a small community knows itself", "relationships per organisation", 0, 50, group="structure"),
    P("history_level_ratio", "float", 0.5, "with a history, each level holds this share of the relationships of the level below", "004: networking is the starting point, few relationships reach collaboration", "-", 0, 1, group="structure"),
    P("purpose_coordination", "float", 0.8, "share of relationships whose purpose needs at least coordination (the rest seek networking only)", "004: each level suits a purpose; not every relationship should become collaboration; reason: most ties are for information", "share", 0, 1, group="structure"),
    P("purpose_cooperation", "float", 0.65, "share of relationships whose purpose needs at least cooperation", "004: each level suits a purpose", "share", 0, 1, group="structure"),
    P("purpose_collaboration", "float", 0.5, "share of relationships whose purpose needs collaboration", "004: collaboration when partners must share risks, resources and rewards", "share", 0, 1, group="structure"),
    P("rivalry_signal", "float", 0.5, "setback, per unit stake, a loser of a scarce grant round feels toward a known rival of its sector that won", "002: competition over funding, turf wars", "signal per unit stake", 0, 1, group="structure"),
    P("rivalry_penalty", "float", 0.10, "lower chance of success of joint work between rivals, per unit rivalry", "002: turf wars", "probability", 0, 1, group="structure"),
    P("rivalry_fade", "float", 0.10, "share of a pair's rivalry that fades each month", "reason: a lost grant round is remembered for a year or two", "per month", 0, 1, group="structure"),
    P("meeting_signal", "float", 0.2, "signal of a good meeting (the stake of an aware-level contact)", "000: regular interface meetings", "signal (0-1)", 0, 1, group="structure"),
    P("meeting_poor_signal", "float", 0.05, "setback of a poor meeting", "000, 004: a meeting that goes badly confirms mistrust; reason: small, nothing was promised", "signal (0-1)", 0, 1, group="structure"),
    P("meeting_quality_base", "float", 0.35, "chance that a meeting goes well with unskilled staff, no trust and no facilitator", "reason: a forum's first meetings across a divide often go badly", "probability", 0, 1, group="structure"),
    P("meeting_skill_weight", "float", 0.4, "better chance of a good meeting per unit of the pair's collaborative skill", "004: learn how to listen; 002: collaborative skills", "probability per unit", 0, 1, group="structure"),
    P("meeting_trust_weight", "float", 0.3, "better chance of a good meeting per unit of the pair's weaker trust", "000: meetings went better as trust was rebuilt", "probability per unit", 0, 1, group="structure"),
    P("meeting_facilitation", "float", 0.15, "better chance of a good meeting when a backbone's staff facilitate (either member served)", "001: backbone staff run the joint meetings", "probability", 0, 1, group="structure"),
    P("meeting_cost", "float", 0.05, "capacity a forum member spends on the meeting each month", "000: meetings cost staff time", "capacity units per month", 0, 10, group="structure"),
    P("meeting_support", "float", 0.03, "higher chance of success of joint work between forum members of different sectors", "000: communication in the forum", "probability", 0, 1, group="structure"),
    P("backbone_support_both", "float", 0.06, "higher chance of success when the backbone served both partners this month", "001: shared measurement and communication", "probability", 0, 1, group="structure"),
    P("backbone_support_one", "float", 0.03, "higher chance of success when the backbone served one partner this month", "001: shared measurement and communication", "probability", 0, 1, group="structure"),
    P("backbone_repair_boost", "float", 1.0, "damage heals this much faster (relative) for a pair with a served partner", "000, 001: backbone staff help repair trust", "-", 0, 10, group="structure"),
    P("introduction_trust", "float", 0.10, "extra first-contact trust when the backbone vouches for an introduction", "001: backbone brokers introductions", "trust (0-1)", 0, 1, group="structure"),
    P("introduction_chance", "float", 0.5, "chance that a served organisation is introduced to another served organisation in a month", "001: backbone brokers introductions", "per month", 0, 1, group="structure"),
    P("celebration_boost", "float", 0.5, "a celebrated success counts this much more for the partners themselves", "004: celebrate every success", "-", 0, 5, group="structure"),
    P("celebration_reach", "float", 0.5, "signal a third party takes from a celebrated success, per unit trust in the teller and stake", "000: spread the word", "-", 0, 1, group="structure"),
    P("durable_months", "int", 12, "a collaboration is durable once it has lasted this many months at that level", "DESIGN: durable collaborations (12+ months)", "months", 1, 600, group="structure"),
    P("crisis_duration", "int", 6, "months a crisis lasts", "003: the first wave of Covid-19", "months", 1, 120, group="structure"),
    P("crisis_capacity_hit", "float", 0.5, "share of capacity lost, per unit shock size, while the crisis lasts", "003: staff diverted, services disrupted", "-", 0, 1, group="structure"),
    P("crisis_disruption", "float", 0.5, "chance, per unit shock size, that a working pair's joint work fails in the crisis's first month", "003: services disrupted", "probability", 0, 1, group="structure"),
    P("crisis_outreach", "float", 2.0, "new contacts are this much likelier, per unit shock size, while the crisis lasts", "003: neighbours helping neighbours", "-", 0, 10, group="structure"),
    P("crisis_shared_support", "float", 0.10, "higher chance of success, per unit shock size, from a shared concern", "003: shared concerns", "probability", 0, 1, group="structure"),
    P("crisis_shared_value", "float", 1.0, "joint work is worth this much more, per unit shock size, while need is high", "003: unprecedented need", "-", 0, 10, group="structure"),
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


_ORDERED: tuple[tuple[str, ...], ...] = (
    tuple(f"trust_needed_{lv}" for lv in ("networking", "coordination", "cooperation", "collaboration")),
    tuple(f"cost_{lv}" for lv in ("networking", "coordination", "cooperation", "collaboration")),
    tuple(f"stake_{lv}" for lv in ("aware", "networking", "coordination", "cooperation", "collaboration")),
    tuple(f"value_{lv}" for lv in ("networking", "coordination", "cooperation", "collaboration")),
    ("purpose_collaboration", "purpose_cooperation", "purpose_coordination"),
    ("success_chance_min", "success_chance_max"),
)
"""Parameters that must not decrease along each tuple: every level needs more trust and
capacity, stakes more and is worth more (004); purposes deepen with alignment."""


def check_consistency(params: Mapping[str, Any]) -> None:
    """Refuse a parameter set whose ladder runs backwards (names both parameters)."""
    for names in _ORDERED:
        for lower, higher in zip(names, names[1:]):
            if params[lower] > params[higher]:
                raise ParameterError(
                    f"{lower} ({params[lower]}) must not exceed {higher} ({params[higher]}): "
                    "each level needs at least as much as the level below, and fewer relationships need the deeper purposes"
                )
    bases = [params[f"base_success_{lv}"] for lv in ("aware", "networking", "coordination", "cooperation", "collaboration")]
    for k in range(4):
        if bases[k + 1] > bases[k]:
            names = ("aware", "networking", "coordination", "cooperation", "collaboration")
            raise ParameterError(
                f"base_success_{names[k + 1]} ({bases[k + 1]}) must not exceed base_success_{names[k]} ({bases[k]}): "
                "higher levels are riskier (004)"
            )


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``name=value`` (the command line's ``--set``) by the parameter's type."""
    if "=" not in text:
        raise ParameterError(f"expected name=value, got {text!r}")
    name, raw = text.split("=", 1)
    name = name.strip()
    if name not in PARAMETERS:
        raise ParameterError(unknown_name_message(name, PARAMETERS))
    return name, PARAMETERS[name].parse(raw)
