"""The numbers the lesson plan asks students to write down, in words and in a small table.

``docs/teaching.md`` asks for values now and at set months (12, 24, 36, 60, 120): collaborating,
durable and nominal collaborations, the month of the first collaboration, premature
escalations, breakdowns, multisector clusters, collective impact, and, where the scenario has
a history of harm, the harmed pairs working together and their damage. Reading them off a
stacked plot is guesswork, so the page prints them. Every value comes from the model's own
monthly table (``model.datacollector``) or from what ``VizModel`` records each month; the
labels use the lesson's words, so a student can match a line on the page to a column of the
lesson's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..scenarios import SECTORS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .session import VizModel

CHECKPOINTS: tuple[int, ...] = (12, 24, 36, 60, 120)
"""Months the lesson's tables quote (``docs/teaching.md``)."""


@dataclass(frozen=True)
class Column:
    """One column of the checkpoint table: heading and where its values come from."""

    key: str
    heading: str
    digits: int = 0


BASE_COLUMNS: tuple[Column, ...] = (
    Column("pairs_collaboration", "collaborating pairs"),
    Column("durable_collaborations", "durable (12+ months)"),
    Column("nominal_collaborations", "nominal collaborations"),
    Column("premature_escalations", "premature escalations (so far)"),
    Column("breakdowns", "breakdowns (so far)"),
    Column("multisector_clusters", "multisector clusters"),
    Column("collective_impact", "collective impact (so far)"),
)
HARM_COLUMNS: tuple[Column, ...] = (
    Column("harmed_working", "harmed pairs working"),
    Column("harmed_cooperating", "harmed pairs at cooperation or above"),
    Column("harmed_damage", "mean damage in harmed pairs", 2),
)


def has_divide(model: "VizModel") -> bool:
    """Whether the scenario names sectors with a history of harm between them."""
    return bool(np.asarray(model.harmed_sectors).any())


def divide_text(model: "VizModel") -> str:
    """Which pairs count as harmed, in words (e.g. "community group with law enforcement or public agency")."""
    h = np.asarray(model.harmed_sectors)
    pairs = sorted({tuple(sorted((a, b))) for a, b in zip(*np.nonzero(h))})
    by_first: dict[int, list[int]] = {}
    for a, b in pairs:
        by_first.setdefault(a, []).append(b)
    parts = [
        f"{SECTORS[a].replace('_', ' ')} with {' or '.join(SECTORS[b].replace('_', ' ') for b in bs)}"
        for a, bs in by_first.items()
    ]
    return "; ".join(parts)


def _first_month(values: list[int] | np.ndarray) -> int | None:
    hit = np.flatnonzero(np.asarray(values) > 0)
    return int(hit[0]) if hit.size else None


def value_at(model: "VizModel", key: str, month: int, table: "pd.DataFrame | None" = None) -> float:
    """One checkpoint value at the end of ``month`` (month <= model.month).

    ``table`` is the monthly table's columns, when the caller has them already (building a
    DataFrame per cell took most of a month's drawing time).
    """
    if key == "harmed_working":
        return float(model.divide_working[month])
    if key == "harmed_damage":
        return float(model.divide_damage[month])
    if key == "harmed_cooperating":
        return float(model.divide_cooperating[month])
    if table is None:
        table = model.datacollector.get_model_vars_dataframe()
    return float(table[key].iloc[month])


def fmt(value: float, digits: int = 0) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:,.{digits}f}"


def columns_for(model: "VizModel") -> tuple[Column, ...]:
    return BASE_COLUMNS + (HARM_COLUMNS if has_divide(model) else ())


def checkpoint_table(model: "VizModel") -> tuple[list[str], list[list[str]]]:
    """(headings, rows): the lesson's checkpoint months reached so far, and the current month."""
    cols = columns_for(model)
    months = [m for m in CHECKPOINTS if m <= model.month]
    if model.month not in months:
        months.append(model.month)
    table = model.datacollector.get_model_vars_dataframe()
    rows = [[f"{m}" + (" (now)" if m == model.month else "")] + [fmt(value_at(model, c.key, m, table), c.digits) for c in cols]
            for m in months]
    return ["month"] + [c.heading for c in cols], rows


def record_lines(model: "VizModel") -> list[str]:
    """The numbers to write down now, as sentences."""
    m = model.metrics
    month = model.month
    first = model.first_collaboration_month
    lines = [
        f"Month {month}. Collaborating pairs: {int(m['pairs_collaboration'])}, of which durable (12+ months at "
        f"collaboration): {int(m['durable_collaborations'])}, and nominal (trust below what collaboration needs): "
        f"{int(m['nominal_collaborations'])}.",
        f"First collaboration: month {first}." if first is not None else "First collaboration: none yet.",
        f"Premature escalations so far: {int(m['premature_escalations'])}. Breakdowns so far: {int(m['breakdowns'])}.",
        f"Multisector clusters (collaborating groups spanning 3+ sectors): {int(m['multisector_clusters'])}. "
        f"Collective impact so far: {fmt(m['collective_impact'])}.",
    ]
    if has_divide(model):
        first_h = _first_month(model.divide_working)
        lines.append(
            f"Harmed pairs ({divide_text(model)}): {model.divide_working[-1]} work together, "
            f"{model.divide_cooperating[-1]} at cooperation or above; mean damage in harmed pairs "
            f"{fmt(model.divide_damage[-1], 2)}."
        )
        lines.append(f"First month a harmed pair worked together: {'none yet' if first_h is None else f'month {first_h}'}.")
    return lines
