"""Marks on the time axis: the funder's deadline, the end of funding and each intervention.

The over-time charts (``charts.series_spec``) and the pair story draw these marks, so a jump
in a line can be read against what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .session import VizModel

INTERVENTION_COLOUR = "#7b3294"


def time_marks(model: "VizModel") -> list[tuple[int, str, str]]:
    """(month, label, kind) of every mark on the time axis: deadline, end of money, interventions."""
    marks: list[tuple[int, str, str]] = []
    f = model.funder
    if f.pressure > 0:
        marks.append((int(f.deadline), "funder deadline", "deadline"))
    if f.end_month is not None:
        marks.append((int(f.end_month), "funding ends", "end"))
    for k, (month, text) in enumerate(model.interventions, start=1):
        marks.append((int(month), f"[{k}] {text}", "intervention"))
    return marks
