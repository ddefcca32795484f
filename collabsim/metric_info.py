"""What each output column means: meaning, unit, and whether it is this month's value or a
running total since month 0.

One table, read by ``collabsim metrics``, by the reports' axis labels and by the table in
``docs/cli.md`` (a test checks that it equals ``collabsim metrics --format markdown``).
A running total plotted at the final month is "the total so far", not a monthly rate:
the labels say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .metrics import CUMULATIVE, MULTISECTOR_MIN_SECTORS
from .relationships import LEVEL_NAMES

MONTHLY, CUMULATIVE_KIND = "monthly", "cumulative"


@dataclass(frozen=True)
class MetricInfo:
    """One output column.

    Attributes:
        name: the column's name.
        meaning: what it measures, in one sentence.
        unit: what one unit of it is.
        kind: ``"monthly"`` (the state or value of this month) or ``"cumulative"`` (the
            total since month 0, never decreasing).
    """

    name: str
    meaning: str
    unit: str
    kind: str


def _m(name: str, meaning: str, unit: str) -> MetricInfo:
    return MetricInfo(name, meaning, unit, CUMULATIVE_KIND if name in CUMULATIVE else MONTHLY)


_LEVEL_MEANING = {
    "aware": "pairs that know each other but do not work together (level 0)",
    "networking": "pairs at networking: exchanging information (level 1)",
    "coordination": "pairs at coordination: adjusting their activities (level 2)",
    "cooperation": "pairs at cooperation: sharing resources (level 3)",
    "collaboration": "pairs at collaboration: enhancing each other's capacity (level 4)",
}

METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        _m("month", "the month the row describes (0 is the starting state)", "month"),
        _m("known_pairs", "pairs that have ever met (any level)", "pairs"),
        *(_m(f"pairs_{level}", _LEVEL_MEANING[level], "pairs") for level in LEVEL_NAMES),
        _m("mean_trust", "mean of every directed trust of the known pairs (both directions)", "trust, 0-1"),
        _m("trust_sd", "standard deviation of the same directed trusts", "trust, 0-1"),
        _m("mean_damage", "mean damage (the ceiling broken commitments leave on trust) over the directed views", "damage, 0-1"),
        _m("first_collaboration_month", "month the first pair reached collaboration; the current month + 1 while none has (censored)", "month"),
        _m("durable_collaborations", "pairs at collaboration for at least durable_months calendar months (a registry parameter, 12 by default)", "pairs"),
        _m("nominal_collaborations", "pairs at collaboration whose weaker trust no longer supports that level", "pairs"),
        _m("multisector_clusters", f"connected clusters of collaborating pairs spanning {MULTISECTOR_MIN_SECTORS} or more sectors", "clusters"),
        _m("harmed_pairs_working", "pairs of the scenario's harmed sectors working together (level 1 or above)", "pairs"),
        _m("harmed_pairs_cooperating", "pairs of the scenario's harmed sectors at cooperation or above (level 3+)", "pairs"),
        _m("same_sector_pairs_cooperating", "pairs within one sector at cooperation or above (level 3+)", "pairs"),
        _m("cross_sector_pairs_cooperating", "pairs across sectors at cooperation or above (level 3+)", "pairs"),
        _m("mean_capacity", "mean budget of the organisations this month (base, grants, capacity built, crisis)", "capacity units per organisation"),
        _m("successes", "months of joint work that succeeded, over all pairs", "pair-months"),
        _m("joint_work_months", "months of joint work at networking or above, over all pairs", "pair-months"),
        _m("fallbacks", "falls back one level because trust no longer held it", "events"),
        _m("premature_escalations", "funder pushes up a level that the pair's trust or time did not support", "events"),
        _m("forced_escalations", "funder pushes up a level (premature or not)", "events"),
        _m("breakdowns", "relationships that ended (back to aware)", "events"),
        _m("collaborations_formed", "times a pair reached collaboration", "events"),
        _m("failures", "months of joint work that failed (honest failures and broken commitments), over all pairs", "pair-months"),
        _m("broken_commitments", "commitments broken by one partner", "events"),
        _m("collective_impact", "value of successful joint work at networking or above (ODD 7.3)", "value units"),
        _m("grants_won", "grants awarded in the funders' grant rounds (one per funded partnership)", "grants"),
        _m("rivalries", "pairs turned rivals by a scarce grant round (one partner lost what the other won; 002 turf wars)", "events"),
    )
}
"""Every column of the monthly table (``metrics.METRIC_NAMES``), in its order (a test checks it)."""


def label(name: str) -> str:
    """An axis label for a metric over months: cumulative ones say "total so far"."""
    info = METRICS.get(name)
    if info is None:
        return name
    return f"{name}, total so far ({info.unit})" if info.kind == CUMULATIVE_KIND else f"{name} ({info.unit})"


def final_label(name: str) -> str:
    """An axis label for a metric's value at a run's last month."""
    info = METRICS.get(name)
    if info is None:
        return f"{name} (final month)"
    if info.kind == CUMULATIVE_KIND:
        return f"{name}: total so far at the final month ({info.unit})"
    return f"{name} at the final month ({info.unit})"


def rows() -> list[dict[str, str]]:
    """The table ``collabsim metrics`` prints: name, kind, unit, meaning."""
    return [{"name": m.name, "kind": m.kind, "unit": m.unit, "meaning": m.meaning} for m in METRICS.values()]


def markdown() -> str:
    """The table as Markdown (what docs/cli.md holds)."""
    lines = ["| column | kind | unit | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| `{r['name']}` | {r['kind']} | {r['unit']} | {r['meaning']} |" for r in rows()]
    return "\n".join(lines)

