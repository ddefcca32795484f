"""Plots over time: pairs per level, mean trust with spread, escalations and breakdowns, impact.

Every panel marks the funder's deadline, the end of funding and each intervention on the
time axis, so a jump in a line can be read against what happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ..relationships import LEVEL_NAMES
from .network import DPI, FONT_PT, LEVEL_STYLE, figure_png

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


SERIES_INCHES = (8.0, 10.0)
SERIES_PX = int(SERIES_INCHES[0] * DPI)
"""Width of the time-series picture on the page, in pixels (shown at its own size)."""


def timeseries_figure(model: "VizModel", *, dpi: int = DPI) -> Figure:
    """Four panels sharing the month axis, under a strip that names the marks on the time axis."""
    df = model.datacollector.get_model_vars_dataframe()
    month = df["month"].to_numpy()
    fig = Figure(figsize=SERIES_INCHES, dpi=dpi)
    strip, *axes = fig.subplots(5, 1, sharex=True, gridspec_kw={"height_ratios": [0.45, 1, 1, 1, 1]})
    fig.subplots_adjust(left=0.1, right=0.98, top=0.97, bottom=0.06, hspace=0.42)
    strip.set_axis_off()

    ax = axes[0]
    stacks = [df[f"pairs_{name}"].to_numpy() for name in LEVEL_NAMES[1:]]
    ax.stackplot(month, *stacks, colors=[LEVEL_STYLE[k][0] for k in range(1, len(LEVEL_NAMES))], labels=list(LEVEL_NAMES[1:]))
    ax.set_ylim(0, 1.7 * max(1.0, float(np.sum(stacks, axis=0).max(initial=0.0))))
    ax.set_title("pairs at each level (stacked; aware pairs not shown)", fontsize=FONT_PT, loc="left")
    ax.legend(loc="upper left", fontsize=FONT_PT, ncol=2, frameon=False)

    ax = axes[1]
    mean = df["mean_trust"].to_numpy(dtype=float)
    sd = df["trust_sd"].to_numpy(dtype=float)
    ax.fill_between(month, np.clip(mean - sd, 0, 1), np.clip(mean + sd, 0, 1), color="#4292c6", alpha=0.25, lw=0, label="spread (± 1 sd)")
    ax.plot(month, mean, color="#08519c", lw=1.6, label="mean trust")
    ax.set_ylim(0, 1.35)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_title("trust between known pairs", fontsize=FONT_PT, loc="left")
    ax.legend(loc="upper left", fontsize=FONT_PT, ncol=2, frameon=False)

    ax = axes[2]
    ax.plot(month, df["premature_escalations"].to_numpy(), color="#D55E00", lw=1.6, label="premature escalations (funder)")
    ax.plot(month, df["breakdowns"].to_numpy(), color="#a50f15", lw=1.6, ls="--", label="breakdowns")
    ax.set_ylim(0, 1.6 * max(1.0, float(df["premature_escalations"].max()), float(df["breakdowns"].max())))
    ax.set_title("premature escalations and breakdowns (total so far)", fontsize=FONT_PT, loc="left")
    ax.legend(loc="upper left", fontsize=FONT_PT, ncol=2, frameon=False)

    ax = axes[3]
    ax.plot(month, df["collective_impact"].to_numpy(), color="#238b45", lw=1.6)
    ax.set_title("collective impact (value of successful joint work, total so far)", fontsize=FONT_PT, loc="left")
    ax.set_xlabel("month", fontsize=FONT_PT)

    marks = time_marks(model)
    right = max([model.month, 12] + [m + 2 for m, _, kind in marks if kind != "intervention"])
    for ax in axes:
        ax.tick_params(labelsize=FONT_PT)
        ax.set_xlim(0, right)
        for m, _, kind in marks:
            if kind == "deadline":
                ax.axvline(m, color="#cb181d", lw=1.2, ls="--")
            elif kind == "end":
                ax.axvline(m, color="black", lw=1.2, ls="-.")
            else:
                ax.axvline(m, color=INTERVENTION_COLOUR, lw=1.0, ls=":")
    strip.set_xlim(0, right)
    strip.set_ylim(0, 1)
    for row, (m, label, kind) in enumerate(marks):
        short = label.split("]")[0] + "]" if kind == "intervention" else label
        colour = {"deadline": "#cb181d", "end": "black"}.get(kind, INTERVENTION_COLOUR)
        strip.axvline(m, color=colour, lw=1.0, ls=":")
        at_right = m > 0.7 * right
        strip.annotate(short, (m, 0.02 + 0.32 * (row % 3)), xytext=(-3 if at_right else 3, 0), textcoords="offset points",
                       fontsize=FONT_PT, color=colour, va="bottom", ha="right" if at_right else "left")
    strip.set_title(f"month {model.month}; marks: deadline, money ends, [n] interventions", fontsize=FONT_PT, loc="left")
    return fig


def timeseries_png(model: "VizModel") -> bytes:
    """The time-series panels as PNG bytes."""
    return figure_png(timeseries_figure(model))
