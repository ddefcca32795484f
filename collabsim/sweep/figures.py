"""Figures a journal accepts, written once for ``collabsim report`` and the study's scripts.

Why a module of its own: issue 14 asks for every figure as vector beside raster, readable at
column width, heat maps of differences on a scale centred on zero with the non-significant
cells marked, and no white text on a light fill. The report (``collabsim.sweep.report``), the
sensitivity command and the study (``experiments/study.py``) all draw such figures; one save
helper, one style and one heat map keep them alike.

* ``STYLE``: matplotlib settings (font sizes for a figure printed ``COLUMN`` or ``PAGE`` inches
  wide; SVG text kept as text; a fixed hash salt, so the same figure gives the same SVG bytes);
* ``save_figure``: the PNG and its SVG twin, each written atomically;
* ``centred_heatmap``: a diverging map centred on zero, "ns" and hatching on cells whose
  (multiplicity-adjusted) test is not significant, text colour chosen against each cell's fill.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

COLUMN = 3.5
"""Inches: one journal column."""
PAGE = 7.2
"""Inches: the full page width."""
STYLE = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
         "xtick.labelsize": 7, "ytick.labelsize": 7, "svg.fonttype": "none",
         "svg.hashsalt": "collabsim"}  # the same figure gives the same SVG bytes (no random ids)
SVG_META = {"Date": None}
"""SVG metadata: no creation date (the same figure gives the same bytes)."""
DPI = 200


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = DPI) -> list[Path]:
    """Write ``fig`` as ``path`` (PNG) and its vector twin (``.svg`` beside it); return both.

    Each file is written to a temporary name and renamed, so a reader never sees half a file.
    """
    from matplotlib import rc_context

    png = Path(path)
    written = []
    with rc_context({k: v for k, v in STYLE.items() if k.startswith("svg.")}):
        for target, kwargs in ((png, {"format": "png", "dpi": dpi}), (png.with_suffix(".svg"), {"format": "svg", "metadata": SVG_META})):
            tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
            try:
                fig.savefig(tmp, **kwargs)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
            written.append(target)
    return written


def text_colour(rgba: tuple) -> str:
    """Black on a light fill, white on a dark one (relative luminance of the fill)."""
    r, g, b = rgba[:3]
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def centred_heatmap(ax: Any, values: np.ndarray, significant: np.ndarray, rows: list, cols: list, fmt: str = "{:+.2f}",
                    reference: tuple[int, int] | None = None, origin: str = "upper", fontsize: float = 7, annotate: bool = True,
                    vmax: float | None = None):
    """A diverging heat map of differences centred on zero (RdBu_r, symmetric limits); cells
    not significant (after the answer's multiplicity control) are hatched and (``annotate``:
    each cell's value written in it) marked "ns", the ``reference`` cell (if any) "ref"; text
    black on light fill, white on dark. ``vmax``: the scale's limit (default: the largest
    absolute value; give one to share a scale between maps). Returns the image."""
    from matplotlib import colormaps
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    values = np.asarray(values, dtype=float)
    if vmax is None:
        finite = np.abs(values[np.isfinite(values)])
        vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    norm = TwoSlopeNorm(vmin=-vmax, vcenter=0.0, vmax=vmax)
    cmap = colormaps["RdBu_r"]
    im = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto", origin=origin)
    for (i, j), v in np.ndenumerate(values):
        is_ref = reference == (i, j)
        fill = cmap(norm(v)) if np.isfinite(v) else (1.0, 1.0, 1.0)
        text = "ref" if is_ref else ("" if not np.isfinite(v) else fmt.format(v) + ("" if significant[i, j] else "\nns"))
        if annotate or is_ref:
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=text_colour(fill), zorder=3)
        if not significant[i, j] and not is_ref:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#999", lw=0))
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    return im
