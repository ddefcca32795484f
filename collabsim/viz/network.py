"""The network picture: organisations by sector, ties by relationship level.

The layout is computed once per model (``sector_layout``): each sector sits in its own
cluster around a circle, organisations placed in a seeded sunflower pattern inside it, so
nodes never jump between months and ties across sectors are easy to see. Drawing uses
matplotlib collections (one per level), which keeps a redraw at 200 organisations well
under a second.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

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
"""Smallest text on the pictures, in points. Pictures are drawn at 72 dpi and shown at their
own size (``NETWORK_PX``), so a point is a screen pixel: 12 px stays readable when projected."""

DPI = 72
NETWORK_INCHES = 8.0
NETWORK_PX = int(NETWORK_INCHES * DPI)
"""Width and height of the network picture on the page, in pixels."""


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


def network_figure(model: "VizModel", selected: tuple[int, int] | None = None, *, dpi: int = DPI) -> Figure:
    """Draw the community now: nodes by sector, ties by level, backbone and funder marked."""
    fig = Figure(figsize=(NETWORK_INCHES, NETWORK_INCHES + 1.0), dpi=dpi)
    ax = fig.add_axes((0.0, 0.2, 1.0, 0.8))
    ax.set_axis_off()
    ax.set_aspect("equal")
    pos = model.layout
    rel = model.rel
    level = rel.level
    segments = np.stack([pos[rel.i], pos[rel.j]], axis=1) if rel.size else np.zeros((0, 2, 2))
    forced = rel.forced & (level >= 1)
    for lvl in range(len(LEVEL_NAMES)):
        colour, width, alpha = LEVEL_STYLE[lvl]
        for is_forced in (False, True):
            mask = (level == lvl) & (forced == is_forced)
            if not mask.any():
                continue
            ax.add_collection(
                LineCollection(
                    segments[mask],
                    colors=colour,
                    linewidths=width,
                    alpha=alpha,
                    linestyles="--" if is_forced else "-",
                    zorder=1 + lvl,
                )
            )
    colours = np.array([SECTOR_COLOURS[s] for s in SECTORS])[model.orgs.sector]
    size = max(12.0, min(330.0, 13000.0 / max(model.n, 1)))
    edge = np.full(model.n, "white", dtype=object)
    widths = np.full(model.n, 0.5)
    if model.backbone is not None:
        served = np.asarray(model.backbone.served, dtype=bool)
        edge[served] = "black"
        widths[served] = 1.6
    ax.scatter(pos[:, 0], pos[:, 1], s=size, c=colours, edgecolors=list(edge), linewidths=widths, zorder=10)
    if model.n <= LABEL_LIMIT:
        for k in range(model.n):
            ax.annotate(str(k), pos[k], fontsize=FONT_PT, ha="center", va="center", color="white", zorder=11)
    if selected is not None:
        a, b = selected
        if 0 <= a < model.n and 0 <= b < model.n:
            ax.plot(*zip(pos[a], pos[b]), color="black", lw=3.5, alpha=0.6, zorder=12)
            for k in (a, b):
                ax.annotate(
                    str(k), pos[k], xytext=(6, 6), textcoords="offset points", fontsize=FONT_PT + 2, weight="bold", zorder=13,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "black", "lw": 0.6},
                )
    lim = np.abs(pos).max() + 0.25 if model.n else 1.0
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    if model.backbone is not None:
        ax.scatter([0], [0], marker="*", s=420, c="gold", edgecolors="black", linewidths=1.0, zorder=14)
        ax.annotate(
            f"backbone\n(serves {int(model.backbone.served.sum())} this month)",
            (0, 0), xytext=(0, -22), textcoords="offset points", ha="center", va="top", fontsize=FONT_PT, zorder=14,
        )
    ax.text(-lim + 0.03, lim - 0.03, funder_status(model), fontsize=FONT_PT, va="top", ha="left",
            bbox={"boxstyle": "round,pad=0.3", "fc": "#fff7e6", "ec": "#d9a441"}, zorder=15)
    ax.text(lim - 0.03, lim - 0.03, f"month {model.month}", fontsize=FONT_PT + 4, weight="bold", va="top", ha="right", zorder=15)
    sector_handles = [
        Line2D([], [], marker="o", ls="", markersize=10, markerfacecolor=SECTOR_COLOURS[s], markeredgecolor="white", label=sector_label(s))
        for s in SECTORS
        if np.any(model.orgs.sector == SECTORS.index(s))
    ]
    if model.backbone is not None:
        sector_handles.append(Line2D([], [], marker="o", ls="", markersize=10, markerfacecolor="white", markeredgecolor="black", label="served by backbone"))
    level_handles = [
        Line2D([], [], color=LEVEL_STYLE[k][0], lw=LEVEL_STYLE[k][1] + 0.5, label=LEVEL_NAMES[k]) for k in range(len(LEVEL_NAMES))
    ]
    level_handles.append(Line2D([], [], color="#555555", lw=1.5, ls="--", label="forced by funder"))
    fig.legend(handles=sector_handles, loc="lower left", fontsize=FONT_PT, title="organisations (sector)", title_fontsize=FONT_PT, ncol=1, frameon=False)
    fig.legend(handles=level_handles, loc="lower right", fontsize=FONT_PT, title="ties (level)", title_fontsize=FONT_PT, ncol=2, frameon=False)
    return fig


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


def figure_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes (no pyplot, nothing kept open)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def network_png(model: "VizModel", selected: tuple[int, int] | None = None) -> bytes:
    """The network picture as PNG bytes."""
    return figure_png(network_figure(model, selected))
