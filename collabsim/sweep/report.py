"""``collabsim report DIR``: means and 95% confidence intervals over replicates, as CSV
tables and PNG figures under ``DIR/report/``.

Tables (every metric):

* ``by_month.csv``: per design point, metric and month: ``n``, ``mean``, ``sd``,
  ``ci_low``, ``ci_high`` (Student t interval over replicates);
* ``final.csv``: the same at the last month;
* ``effects.csv``: one-parameter effects at the last month: for each value of a varied
  parameter, the mean over the other points, then mean and CI over replicates (every
  point shares the replicate seeds, so a replicate is the unit of the interval);
* ``effects_2d.csv``: the same for pairs of varied parameters on a grid.

Figures (the metrics given by ``--metrics``, or a few key ones): time series with bands
(``timeseries_METRIC.png``), one-parameter effects (``effect_PARAM.png``), interaction
plots (``interaction_A_x_B.png``) and heat maps (``heatmap_A_x_B.png``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..metric_info import final_label, label
from ..parameters import PARAMETERS, unknown_name_message
from .errors import UserError
from .store import KEY_COLUMNS, atomic_write_text, echo, load_runs, read_manifest

KEY_METRICS = ("mean_trust", "pairs_collaboration", "durable_collaborations", "breakdowns")
"""Metrics drawn when ``--metrics`` is not given (tables always hold every metric)."""

GRID_MAX_VALUES = 12
"""A varied parameter with at most this many distinct values is treated as a grid."""

MAX_PAIRS = 10
MAX_LINES = 12


def t_quantile(n: np.ndarray) -> np.ndarray:
    """The 97.5% quantile of Student's t with ``n - 1`` degrees of freedom (NaN if n < 2)."""
    from scipy import stats

    n = np.asarray(n, dtype=float)
    out = np.full(n.shape, np.nan)
    ok = n >= 2
    out[ok] = stats.t.ppf(0.975, n[ok] - 1)
    return out


def interval(groups: Any, metrics: Sequence[str]) -> pd.DataFrame:
    """Long table of n, mean, sd and the 95% CI of each metric within each group."""
    agg = groups[list(metrics)].agg(["count", "mean", "std"])
    frames = []
    for metric in metrics:
        part = agg[metric].rename(columns={"count": "n", "std": "sd"}).reset_index()
        part.insert(len(part.columns) - 3, "metric", metric)
        frames.append(part)
    table = pd.concat(frames, ignore_index=True)
    half = t_quantile(table["n"].to_numpy()) * table["sd"].to_numpy() / np.sqrt(np.maximum(table["n"].to_numpy(), 1))
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    return table


def metric_columns(df: pd.DataFrame, varied: Iterable[str]) -> list[str]:
    skip = set(KEY_COLUMNS) | set(varied) | {"month", "scenario"} | set(PARAMETERS)  # rows carry every parameter
    return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])]


def is_grid(values: pd.Series) -> bool:
    return values.nunique(dropna=False) <= GRID_MAX_VALUES


def make_report(root: str | os.PathLike, metrics: Sequence[str] | None = None, quiet: bool = False) -> list[Path]:
    """Write the report of a sweep directory; return the files written."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: no such directory")
    manifest = read_manifest(root)
    df = load_runs(root)
    if df.empty:
        raise UserError(f"{root}: no runs stored yet; run 'collabsim sweep' first")
    varied = [v for v in manifest.get("varied", []) if v in df.columns]
    all_metrics = metric_columns(df, varied)
    if metrics:
        for name in metrics:
            if name not in all_metrics:
                raise UserError(f"--metrics: {unknown_name_message(name, all_metrics, 'metric')}")
        shown = list(dict.fromkeys(metrics))
    else:
        shown = [m for m in KEY_METRICS if m in all_metrics] or all_metrics[:4]
    stored = df["run_id"].nunique()
    if stored < manifest["runs_total"]:
        echo(f"collabsim report: only {stored} of {manifest['runs_total']} runs are stored; the report covers those", quiet)

    out = root / "report"
    out.mkdir(exist_ok=True)
    written: list[Path] = []

    def save_csv(table: pd.DataFrame, name: str) -> None:
        atomic_write_text(out / name, table.to_csv(index=False))
        written.append(out / name)

    point_cols = ["point", *varied]
    by_month = interval(df.groupby(point_cols + ["month"], sort=True, dropna=False), all_metrics)
    save_csv(by_month, "by_month.csv")
    last = int(df["month"].max())
    final_rows = df[df["month"] == last]
    final = by_month[by_month["month"] == last].reset_index(drop=True)
    save_csv(final, "final.csv")

    effects, effects_2d = one_and_two_way(final_rows, varied, all_metrics)
    if effects is not None:
        save_csv(effects, "effects.csv")
    if effects_2d is not None:
        save_csv(effects_2d, "effects_2d.csv")

    for metric in shown:
        written.append(save_png(_timeseries_figure(by_month, metric, varied), out / f"timeseries_{metric}.png"))
    for param in varied:
        written.append(save_png(_effect_figure(effects, final, param, shown), out / f"effect_{param}.png"))
    if effects_2d is not None:
        for (a, b), _ in list(effects_2d.groupby(["a", "b"], sort=False))[:MAX_PAIRS]:
            pair = effects_2d[(effects_2d["a"] == a) & (effects_2d["b"] == b)]
            written.append(save_png(_interaction_figure(pair, a, b, shown), out / f"interaction_{a}_x_{b}.png"))
            written.append(save_png(_heatmap_figure(pair, a, b, shown), out / f"heatmap_{a}_x_{b}.png"))
    return written


def one_and_two_way(final_rows: pd.DataFrame, varied: list[str], metrics: list[str]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Effects of each grid parameter, and of each pair of grid parameters, at the last month."""
    grid = [v for v in varied if final_rows[v].nunique(dropna=False) >= 2 and is_grid(final_rows[v])]
    ones = []
    for param in varied:
        if param not in grid:
            continue
        per_rep = final_rows.groupby([param, "replicate"], dropna=False)[metrics].mean()
        table = interval(per_rep.groupby(level=param, dropna=False), metrics).rename(columns={param: "value"})
        table.insert(0, "parameter", param)
        ones.append(table)
    twos = []
    for i, a in enumerate(grid):
        for b in grid[i + 1 :]:
            per_rep = final_rows.groupby([a, b, "replicate"], dropna=False)[metrics].mean()
            table = interval(per_rep.groupby(level=[a, b], dropna=False), metrics).rename(columns={a: "a_value", b: "b_value"})
            table.insert(0, "b", b)
            table.insert(0, "a", a)
            twos.append(table)
    return (pd.concat(ones, ignore_index=True) if ones else None, pd.concat(twos, ignore_index=True) if twos else None)


# ------------------------------------------------------------------------------ figures
def _figure(n_panels: int, width: float = 4.2, height: float = 3.2) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    cols = min(n_panels, 2)
    rows = int(np.ceil(n_panels / cols))
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = [fig.add_subplot(rows, cols, k + 1) for k in range(n_panels)]
    return fig, axes


def save_png(fig: Any, path: Path) -> Path:
    """Write a figure as PNG atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fig.savefig(tmp, format="png", dpi=110)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _label(row: pd.Series, varied: list[str]) -> str:
    if not varied:
        return "all runs"
    return ", ".join(f"{v}={_fmt(row[v])}" for v in varied)


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}"
    return str(value)


def _timeseries_figure(by_month: pd.DataFrame, metric: str, varied: list[str]) -> Any:
    fig, (ax,) = _figure(1, 7.0, 4.2)
    data = by_month[by_month["metric"] == metric]
    points = data["point"].unique()
    if len(points) <= MAX_LINES:
        for point in points:
            rows = data[data["point"] == point]
            line = ax.plot(rows["month"], rows["mean"], lw=1.5, label=_label(rows.iloc[0], varied))[0]
            ax.fill_between(rows["month"], rows["ci_low"], rows["ci_high"], color=line.get_color(), alpha=0.2, lw=0)
        if len(points) > 1 or varied:
            ax.legend(fontsize=7, loc="best")
        ax.set_title(f"{metric}: mean and 95% CI over replicates")
    else:
        for point in points:
            rows = data[data["point"] == point]
            ax.plot(rows["month"], rows["mean"], lw=0.5, color="0.6", alpha=0.6)
        overall = data.groupby("month")["mean"]
        mean, low, high = overall.mean(), overall.quantile(0.05), overall.quantile(0.95)
        ax.fill_between(mean.index, low, high, color="C0", alpha=0.2, lw=0, label="5-95% of points")
        ax.plot(mean.index, mean, color="C0", lw=2, label="mean over points")
        ax.legend(fontsize=7)
        ax.set_title(f"{metric}: {len(points)} design points (grey: each point's mean)")
    ax.set_xlabel("month")
    ax.set_ylabel(label(metric))
    return fig


def _effect_figure(effects: pd.DataFrame | None, final: pd.DataFrame, param: str, metrics: list[str]) -> Any:
    fig, axes = _figure(len(metrics))
    grid = effects is not None and (effects["parameter"] == param).any()
    for ax, metric in zip(axes, metrics):
        if grid:
            rows = effects[(effects["parameter"] == param) & (effects["metric"] == metric)]
            x = rows["value"].to_numpy()
            if np.issubdtype(np.asarray(x).dtype, np.number):
                ax.plot(x, rows["mean"], "o-")
                ax.fill_between(x.astype(float), rows["ci_low"], rows["ci_high"], alpha=0.2, lw=0)
            else:
                pos = np.arange(len(x))
                ax.errorbar(pos, rows["mean"], yerr=[rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]], fmt="o", capsize=3)
                ax.set_xticks(pos, [str(v) for v in x])
        else:
            rows = final[final["metric"] == metric]
            ax.errorbar(rows[param].astype(float), rows["mean"], yerr=[rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]], fmt="o", ms=3, capsize=2, alpha=0.7)
        ax.set_xlabel(param)
        ax.set_ylabel(final_label(metric))
    fig.suptitle(f"Effect of {param}: mean and 95% CI over replicates")
    return fig


def _interaction_figure(pair: pd.DataFrame, a: str, b: str, metrics: list[str]) -> Any:
    fig, axes = _figure(len(metrics))
    for ax, metric in zip(axes, metrics):
        rows = pair[pair["metric"] == metric]
        for k, (bv, sub) in enumerate(rows.groupby("b_value", sort=True, dropna=False)):
            x = sub["a_value"].to_numpy()
            pos = x.astype(float) if np.issubdtype(np.asarray(x).dtype, np.number) else np.arange(len(x))
            ax.plot(pos, sub["mean"], "o-", color=f"C{k % 10}", label=f"{b}={_fmt(bv)}")
            ax.fill_between(pos, sub["ci_low"], sub["ci_high"], color=f"C{k % 10}", alpha=0.15, lw=0)
        ax.set_xlabel(a)
        ax.set_ylabel(final_label(metric))
        ax.legend(fontsize=7)
    fig.suptitle(f"{a} x {b}: mean and 95% CI over replicates")
    return fig


def _heatmap_figure(pair: pd.DataFrame, a: str, b: str, metrics: list[str]) -> Any:
    fig, axes = _figure(len(metrics))
    for ax, metric in zip(axes, metrics):
        rows = pair[pair["metric"] == metric]
        table = rows.pivot_table(index="b_value", columns="a_value", values="mean", dropna=False)
        values = table.to_numpy(dtype=float)
        image = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(table.columns)), [_fmt(v) for v in table.columns], fontsize=7)
        ax.set_yticks(range(len(table.index)), [_fmt(v) for v in table.index], fontsize=7)
        if values.size <= 100:
            finite = values[np.isfinite(values)]
            mid = (finite.min() + finite.max()) / 2 if finite.size else 0
            for (r, c), v in np.ndenumerate(values):
                if np.isfinite(v):
                    ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=7, color="white" if v < mid else "black")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.set_title(f"{final_label(metric)}, mean", fontsize=9)
        fig.colorbar(image, ax=ax)
    return fig
