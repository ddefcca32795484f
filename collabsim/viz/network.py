"""The network's layout, colours and sizes, and the funder's status line.

The layout is computed once per model (``sector_layout``): each sector sits in its own
cluster around a circle, organisations placed in a seeded sunflower pattern inside it, so
nodes never jump between months and ties across sectors are easy to see. The network is
drawn in the browser from ``charts.network_view`` and ``charts.network_data``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..relationships import LEVEL_NAMES
from ..scenarios import SECTORS

if TYPE_CHECKING:  # pragma: no cover
    from .session import VizModel

SECTOR_COLOURS: dict[str, str] = {
    "community_group": "#009E73",
    "nonprofit": "#CC79A7",
    "public_agency": "#E69F00",
    "law_enforcement": "#0072B2",
    "business": "#D55E00",
}
"""Node colour of each sector: Okabe & Ito's colour-blind-safe palette (sectors also sit in
their own cluster, so colour is never the only cue)."""

LEVEL_STYLE: dict[int, tuple[str, float, float]] = {
    0: ("#c8c8c8", 0.4, 0.3),
    1: ("#9a9a9a", 0.9, 0.8),
    2: ("#6a6a6a", 1.5, 0.85),
    3: ("#3a3a3a", 2.3, 0.9),
    4: ("#000000", 3.2, 0.95),
}
"""Colour, width and opacity of ties at each level (0 aware ... 4 collaboration): a grey ramp,
darker and wider with each level, so levels read without telling hues apart and never
clash with the sectors' colours."""


LABEL_LIMIT = 60
"""Organisations are numbered on the picture when there are at most this many."""

FONT_PT = 12
"""Smallest text on the page's charts, in pixels: readable when projected."""


def sector_label(name: str) -> str:
    return name.replace("_", " ")


def sector_layout(sector: np.ndarray, seed: int | None) -> np.ndarray:
    """Positions (n, 2) of organisations: one cluster per sector around a circle.

    Deterministic for a given ``sector`` array and ``seed``; computed once per model.
    """
    sector = np.asarray(sector)
    n = sector.size
    pos = np.zeros((n, 2))
    if n == 0:
        return pos
    rng = np.random.default_rng(None if seed is None else int(seed) % (2**63))
    present = [k for k in range(len(SECTORS)) if np.any(sector == k)]
    golden = np.pi * (3.0 - np.sqrt(5.0))
    for slot, k in enumerate(present):
        members = rng.permutation(np.flatnonzero(sector == k))
        angle = 2.0 * np.pi * slot / len(present) + np.pi / 2.0
        centre = np.array([np.cos(angle), np.sin(angle)]) * (0.0 if len(present) == 1 else 1.0)
        radius = 0.75 * np.sqrt(members.size / n) if len(present) > 1 else 1.0
        idx = np.arange(members.size)
        r = radius * np.sqrt((idx + 0.5) / max(members.size, 1))
        theta = idx * golden + rng.uniform(0, 2 * np.pi)
        pos[members, 0] = centre[0] + r * np.cos(theta)
        pos[members, 1] = centre[1] + r * np.sin(theta)
    return pos


def funder_status(model: "VizModel") -> str:
    """One line about the funder for the picture's corner."""
    f = model.funder
    month = model.month
    lines = []
    if f.pressure > 0:
        if f.mandate_active(month):
            lines.append(f"funder mandate: {LEVEL_NAMES[f.required_level]} by month {f.deadline}")
        elif month > f.deadline:
            lines.append(f"funder deadline passed (month {f.deadline})")
        else:
            lines.append(f"funder mandate from month {f.mandate_start}")
    else:
        lines.append("funder: grants only, no mandate")
    if f.end_month is not None:
        lines.append(f"money ends month {f.end_month}" if month < f.end_month else f"money ended month {f.end_month}")
    return "\n".join(lines)
