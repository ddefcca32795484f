"""Plain-language explanations: what happened this month, and one pair's story.

These functions read a ``VizModel`` (its events, interventions, metrics and the trust and
level history it keeps) and return sentences; the page shows them as they are, and tests
call them directly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..levels import TRUST_NEEDED
from ..relationships import LEVEL_NAMES
from ..scenarios import SECTORS
from .network import sector_label

if TYPE_CHECKING:  # pragma: no cover
    from .session import VizModel


def _plural(k: int, one: str, many: str | None = None) -> str:
    return f"{k} {one if k == 1 else (many or one + 's')}"


def _metric_change(model: "VizModel", name: str) -> float:
    df = model.datacollector.get_model_vars_dataframe()
    if len(df) < 2:
        return 0.0
    return float(df[name].iloc[-1] - df[name].iloc[-2])


def events_in(model: "VizModel", month: int) -> list[tuple[str, np.ndarray]]:
    """(kind, rows) of the events logged in ``month``."""
    return [(kind, rows) for m, kind, rows in model.events if m == month]


def explain_month(model: "VizModel", month: int | None = None) -> list[str]:
    """Sentences about one month (default: the latest), most important first."""
    month = model.month if month is None else int(month)
    lines: list[str] = []
    if month == 0:
        lines.append(
            f"Month 0: {model.n} organisations; each knows a few others, with little trust yet. "
            "Press Step or Play to watch relationships grow."
        )
    climbs: Counter[int] = Counter()
    falls: Counter[int] = Counter()
    forced_breaks = other_breaks = forced = turnover_rows = broken = 0
    levels_now = model.level_history[month] if month < len(model.level_history) else model.rel.level
    for kind, rows in events_in(model, month):
        rows = rows[rows < levels_now.size]
        if kind == "climb":
            climbs.update(int(v) for v in levels_now[rows])
        elif kind == "fallback":
            falls.update(int(v) for v in levels_now[rows])
        elif kind == "breakdown":
            was_forced = model.ever_forced[rows[rows < model.ever_forced.size]]
            forced_breaks += int(was_forced.sum())
            other_breaks += int(rows.size - was_forced.sum())
        elif kind == "forced":
            forced += int(rows.size)
        elif kind == "turnover":
            turnover_rows += int(rows.size)
        elif kind == "broken":
            broken += int(rows.size)
    for lvl in sorted(climbs, reverse=True):
        lines.append(f"{_plural(climbs[lvl], 'pair')} climbed to {LEVEL_NAMES[lvl]}.")
    if forced:
        premature = int(round(_metric_change(model, "premature_escalations"))) if month == model.month else 0
        text = f"The funder pushed {_plural(forced, 'pair')} up a level to meet its deadline"
        if premature:
            text += f" ({premature} before their trust or time was ready: premature)"
        lines.append(text + ".")
    if forced_breaks:
        lines.append(
            f"{_plural(forced_breaks, 'partnership')} forced by the funder broke down "
            f"{'(it was' if forced_breaks == 1 else '(they were'} pushed faster than trust could grow)."
        )
    if other_breaks:
        lines.append(f"{_plural(other_breaks, 'relationship')} broke down after a broken commitment or the end of money.")
    if broken:
        lines.append(f"{_plural(broken, 'commitment')} {'was' if broken == 1 else 'were'} broken: trust falls fast after a betrayal.")
    for lvl in sorted(falls):
        lines.append(f"{_plural(falls[lvl], 'pair')} fell back to {LEVEL_NAMES[lvl]}: trust no longer held their level.")
    if turnover_rows:
        lines.append(f"Staff changed at some organisations: trust that lived in people left with them ({_plural(turnover_rows, 'relationship')} affected).")
    for m, text in model.interventions:
        if m == month:
            lines.append(f"You intervened: {text}.")
    if month > 0 and not (climbs or falls or forced or forced_breaks or other_breaks or broken):
        lines.append("A quiet month: no pair changed level and no commitment was broken.")
    if month == model.month:
        lines.extend(state_lines(model))
    return lines


def state_lines(model: "VizModel") -> list[str]:
    """Where the community stands now (levels, trust, funder)."""
    m = model.metrics
    working = int(sum(m[f"pairs_{name}"] for name in LEVEL_NAMES[1:]))
    out = [
        f"Now (month {model.month}): {model.rel.size} pairs know each other, {working} work together, "
        f"{int(m['pairs_collaboration'])} collaborate; mean trust {m['mean_trust']:.2f}."
    ]
    f = model.funder
    if f.pressure > 0 and f.mandate_active(model.month):
        out.append(
            f"The funder wants {LEVEL_NAMES[f.required_level]} by month {f.deadline} "
            f"({f.deadline - model.month} months left)."
        )
    if f.end_month is not None and model.month < f.end_month:
        out.append(f"The money ends at month {f.end_month}: partnerships held only by money may dissolve then.")
    if model.backbone is not None:
        out.append(f"A backbone organisation supports up to {model.backbone.capacity} organisations a month.")
    return out


@dataclass
class PairStory:
    """One pair's history.

    Attributes:
        a, b: the two organisations as chosen (a's trust in b is ``trust_ab``).
        row: the pair's row, or -1 when they have never met.
        months: months since first contact (x axis).
        trust_ab, trust_ba: trust each way at the end of each month.
        level: the pair's level at the end of each month.
        events: (month, sentence) in time order.
        summary: one or two sentences.
    """

    a: int
    b: int
    row: int
    months: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    trust_ab: np.ndarray = field(default_factory=lambda: np.zeros(0))
    trust_ba: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    events: list[tuple[int, str]] = field(default_factory=list)
    summary: str = ""


def describe_org(model: "VizModel", k: int) -> str:
    return f"organisation {k} ({sector_label(SECTORS[int(model.orgs.sector[k])])})"


def pair_story(model: "VizModel", a: int, b: int) -> PairStory:
    """Trust both ways over time, level changes and the events behind them."""
    a, b = int(a), int(b)
    if not (0 <= a < model.n and 0 <= b < model.n) or a == b:
        return PairStory(a, b, -1, summary=f"Choose two different organisations between 0 and {model.n - 1}.")
    row = int(model.rel.find(np.array([a]), np.array([b]))[0])
    if row < 0:
        return PairStory(a, b, -1, summary=f"{describe_org(model, a).capitalize()} and {describe_org(model, b)} have not met yet.")
    ab_dir = 0 if int(model.rel.i[row]) == a else 1
    start = int(model.rel.first_contact[row])
    months = np.arange(start, len(model.trust_history))
    trust = np.array([model.trust_history[m][:, row] for m in months], dtype=float).reshape(-1, 2)
    level = np.array([model.level_history[m][row] for m in months], dtype=int)
    story = PairStory(a, b, row, months, trust[:, ab_dir], trust[:, 1 - ab_dir], level)
    names = {0: a, 1: b}
    events: list[tuple[int, str]] = [(start, "first contact")]
    for m, kind, rows in model.events:
        if row not in rows:
            continue
        k = m - start
        lvl = int(level[k]) if 0 <= k < level.size else int(model.rel.level[row])
        if kind == "climb":
            events.append((m, f"climbed to {LEVEL_NAMES[lvl]} (trust {_pair_trust(story, k)})"))
        elif kind == "forced":
            events.append((m, f"pushed up to {LEVEL_NAMES[lvl]} by the funder's deadline (trust {_pair_trust(story, k)})"))
        elif kind == "fallback":
            events.append((m, f"fell back to {LEVEL_NAMES[lvl]}: trust no longer held the level"))
        elif kind == "breakdown":
            events.append((m, "the relationship broke down (back to aware; they remember)"))
        elif kind == "turnover":
            events.append((m, "a boundary spanner left: some trust went with the person"))
        elif kind == "broken":
            victim = _victim(story, k)
            if victim is None:
                events.append((m, "a commitment was broken"))
            else:
                culprit = 1 - victim
                events.append((m, f"{names[culprit]} broke a commitment to {names[victim]}: {names[victim]}'s trust fell"))
    for m, text in model.interventions:
        if f" {a} " in f" {text} " and f" {b} " in f" {text} " or text.endswith(f"organisation {a}") or text.endswith(f"organisation {b}"):
            events.append((m, f"intervention: {text}"))
    events.sort(key=lambda e: e[0])
    story.events = events
    now = int(model.rel.level[row])
    t_ab, t_ba = float(model.rel.trust[ab_dir, row]), float(model.rel.trust[1 - ab_dir, row])
    story.summary = (
        f"{describe_org(model, a).capitalize()} and {describe_org(model, b)} met in month {start}; "
        f"now at {LEVEL_NAMES[now]}. {a} trusts {b} {t_ab:.2f}; {b} trusts {a} {t_ba:.2f}."
    )
    if model.ever_forced.size > row and model.ever_forced[row]:
        story.summary += " The funder pushed this pair at least once."
    story.summary += " " + " ".join(trust_reasons(model, row, a, b, ab_dir))
    return story


def trust_reasons(model: "VizModel", row: int, a: int, b: int, ab_dir: int) -> list[str]:
    """Why the pair's trust is where it is: history of harm, damage and its ceiling, what the next level needs.

    Under the two-layer trust rule (ODD 7.3) trust grows toward a ceiling ``1 - damage``; the
    damage record comes from past harm and setbacks and heals slowly with good experiences.
    """
    rel = model.rel
    out: list[str] = []
    if bool(rel.harmed[row]) and model.params.get("history_of_harm", 0) > 0:
        out.append(
            f"Their sectors share a history of harm: they started with damage {model.params['history_of_harm']:.2f}."
        )
    two_layer = model.params.get("trust_rule") == "two_layer"
    names = ((a, b, ab_dir), (b, a, 1 - ab_dir))
    for x, y, d in names:
        damage = float(rel.damage[d, row])
        trust = float(rel.trust[d, row])
        if two_layer and damage >= 0.05:
            ceiling = 1.0 - damage
            near = " and is held near it" if trust >= ceiling - 0.1 else ""
            out.append(
                f"{x}'s trust in {y} ({trust:.2f}) cannot rise above 1 − damage = {ceiling:.2f}{near}; "
                f"the damage ({damage:.2f}) heals slowly with good experiences."
            )
    lvl = int(rel.level[row])
    weaker = float(min(rel.trust[0, row], rel.trust[1, row]))
    if lvl >= 1 and weaker < float(TRUST_NEEDED[lvl]):
        out.append(
            f"It sits at {LEVEL_NAMES[lvl]} with less trust than that level needs ({weaker:.3f} on the weaker "
            f"side, {float(TRUST_NEEDED[lvl]):.2f} needed): in name only, and it may fall back."
        )
    if lvl + 1 < len(LEVEL_NAMES):
        need = float(TRUST_NEEDED[lvl + 1])
        if weaker < need:
            out.append(
                f"To climb to {LEVEL_NAMES[lvl + 1]} both sides need trust of at least {need:.2f}; "
                f"the weaker side has {weaker:.3f}."
            )
            if two_layer:
                ceiling = 1.0 - float(max(rel.damage[0, row], rel.damage[1, row]))
                if ceiling < need:
                    out.append(f"With this damage the ceiling ({ceiling:.2f}) is below that: the pair cannot climb until it heals.")
        else:
            out.append(
                f"Their trust would allow {LEVEL_NAMES[lvl + 1]}; climbing also needs time at this level, "
                "capacity on both sides and a month of good work."
            )
    return out


def _pair_trust(story: PairStory, k: int) -> str:
    if 0 <= k < story.trust_ab.size:
        return f"{story.trust_ab[k]:.2f} / {story.trust_ba[k]:.2f}"
    return "?"


def _victim(story: PairStory, k: int) -> int | None:
    """0 when a's trust fell more that month, 1 when b's did, None when unclear."""
    if k <= 0 or k >= story.trust_ab.size:
        return None
    drop_a = story.trust_ab[k - 1] - story.trust_ab[k]
    drop_b = story.trust_ba[k - 1] - story.trust_ba[k]
    if max(drop_a, drop_b) <= 0 or drop_a == drop_b:
        return None
    return 0 if drop_a > drop_b else 1


def interesting_pair(model: "VizModel") -> tuple[int, int] | None:
    """A pair worth following: a pair the funder pushed if there is one (the lesson asks for
    one), otherwise the one with the most recorded events (ties: highest level)."""
    rel = model.rel
    if rel.size == 0:
        return None
    score = np.zeros(rel.size)
    for _, kind, rows in model.events:
        if kind != "turnover":
            np.add.at(score, rows[rows < rel.size], 1.0)
    score += rel.level * 0.1
    pushed = model.ever_forced[: rel.size]
    if pushed.any():
        score = np.where(pushed, score + 1000.0, score)
    row = int(np.argmax(score))
    return int(rel.i[row]), int(rel.j[row])


def harmed_pair(model: "VizModel") -> tuple[int, int] | None:
    """A pair across the scenario's divide of harm that has met: the one that got furthest
    (highest level, then highest trust of the weaker side). None if no such pair has met."""
    from .session import divide_rows_mask

    rel = model.rel
    rows = np.flatnonzero(divide_rows_mask(model))
    if rows.size == 0:
        return None
    weaker = np.minimum(rel.trust[0, rows], rel.trust[1, rows])
    best = rows[np.lexsort((weaker, rel.level[rows]))[-1]]
    return int(rel.i[best]), int(rel.j[best])
