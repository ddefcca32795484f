"""``collabsim report DIR``: means and 95% confidence intervals over replicates, as CSV
tables and PNG figures under ``DIR/report/``.

Tables (every metric):

* ``by_month.csv``: per design point, metric and month: ``n``, ``mean``, ``sd``,
  ``ci_low``, ``ci_high`` (Student t interval over replicates);
* ``final.csv``: the same at the last month;
* ``effects.csv``: one-parameter effects at the last month: for each value of a varied
  parameter, the mean over the other points, then mean and CI over replicates (every
  point shares the replicate seeds, so a replicate is the unit of the interval);
* ``effects_2d.csv``: the same for pairs of varied parameters on a grid;
* ``contrasts.csv``, ``interactions.csv`` and ``contrasts.md``: paired differences (common
  random numbers) against a reference level or point, with CIs, d_z, raw and Holm (or BH)
  adjusted p-values over the whole report (``collabsim.sweep.contrasts`` says what is compared);
* ``survival.csv``: times to an event (``first_collaboration_month``) per design point as
  Kaplan-Meier medians with CIs and the share censored; these columns are left out of the mean
  tables above, because a mean of censored times is biased.

``[[points]]`` designs get no ``effects*.csv`` (a point may change several parameters at once,
so a per-parameter average over points would mix factors) but point-by-point contrasts.

Figures (the metrics given by ``--metrics``, or a few key ones), each as PNG and as SVG
beside it (``collabsim.sweep.figures``): time series with bands (``timeseries_METRIC``),
one-parameter effects (``effect_PARAM``), interaction plots (``interaction_A_x_B``) and heat
maps (``heatmap_A_x_B``) of each cell's paired difference from the reference cell, on a scale
centred on zero, with the cells not significant after Holm over the map hatched and marked "ns".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..metric_info import final_label, label
from ..parameters import PARAMETERS, unknown_name_message
from ..stats import METHODS, adjust_pvalues, kaplan_meier
from .contrasts import TIME_TO_EVENT, evaluate, level_text, parse_references, plan_pairs, reference_levels
from .errors import UserError
from .figures import PAGE, STYLE, centred_heatmap, save_figure
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


def load_sweep(root: str | os.PathLike, metrics: Sequence[str] | None, option: str = "--metrics") -> tuple[dict, pd.DataFrame, list[str], list[str], list[str]]:
    """Manifest, rows, varied parameters, every metric column and the chosen metrics of a sweep."""
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
                raise UserError(f"{option}: {unknown_name_message(name, all_metrics, 'metric')}")
        shown = list(dict.fromkeys(metrics))
    else:
        shown = [m for m in KEY_METRICS if m in all_metrics] or [m for m in all_metrics if m not in TIME_TO_EVENT][:4]
    return manifest, df, varied, all_metrics, shown


def design_kind(manifest: dict) -> str:
    """How the design chose its points (``vary``, ``points``, ``sample``, ``single``, ...)."""
    return str(manifest.get("design", {}).get("kind", "single"))


def make_report(
    root: str | os.PathLike,
    metrics: Sequence[str] | None = None,
    quiet: bool = False,
    references: Sequence[str] | None = None,
    adjust: str = "holm",
) -> list[Path]:
    """Write the report of a sweep directory; return the files written.

    ``metrics`` are drawn and compared (the contrasts' multiplicity family is every contrast
    and interaction of these metrics); ``references`` are ``NAME=VALUE`` texts choosing the
    reference level of a factor (or ``point=N``); ``adjust`` is ``holm`` or ``bh``.
    """
    if adjust not in METHODS:
        raise UserError(f"--adjust: {adjust!r} is not one of {', '.join(METHODS)}")
    root = Path(root)
    manifest, df, varied, all_metrics, shown = load_sweep(root, metrics)
    kind = design_kind(manifest)
    stored = df["run_id"].nunique()
    if stored < manifest["runs_total"]:
        echo(f"collabsim report: only {stored} of {manifest['runs_total']} runs are stored; the report covers those", quiet)
    mean_metrics = [m for m in all_metrics if m not in TIME_TO_EVENT]
    drawn = [m for m in shown if m not in TIME_TO_EVENT]

    out = root / "report"
    out.mkdir(exist_ok=True)
    written: list[Path] = []

    def save_csv(table: pd.DataFrame, name: str) -> None:
        atomic_write_text(out / name, table.to_csv(index=False))
        written.append(out / name)

    point_cols = ["point", *varied]
    by_month = interval(df.groupby(point_cols + ["month"], sort=True, dropna=False), mean_metrics)
    save_csv(by_month, "by_month.csv")
    last = int(df["month"].max())
    final_rows = df[df["month"] == last]
    final = by_month[by_month["month"] == last].reset_index(drop=True)
    save_csv(final, "final.csv")

    effects, effects_2d = one_and_two_way(final_rows, varied, mean_metrics) if kind != "points" else (None, None)
    if effects is not None:
        save_csv(effects, "effects.csv")
    if effects_2d is not None:
        save_csv(effects_2d, "effects_2d.csv")
    survival = survival_table(final_rows, point_cols, [m for m in all_metrics if m in TIME_TO_EVENT], last)

    contrasts, interactions, text = contrast_tables(final_rows, kind, varied, shown, references, adjust)
    for table, name in ((contrasts, "contrasts.csv"), (interactions, "interactions.csv"), (survival, "survival.csv")):
        if table is not None:
            save_csv(table, name)
        else:  # a table of an earlier report (other metrics) must not pass for this one's
            (out / name).unlink(missing_ok=True)
    atomic_write_text(out / "contrasts.md", text)
    written.append(out / "contrasts.md")

    from matplotlib import rc_context

    with rc_context(STYLE):  # sizes for a figure printed at column or page width
        written += figures(out, kind, by_month, final, final_rows, effects, effects_2d, varied, shown, drawn, references, last)
    return written


def figures(out: Path, kind: str, by_month: pd.DataFrame, final: pd.DataFrame, final_rows: pd.DataFrame, effects: pd.DataFrame | None,
            effects_2d: pd.DataFrame | None, varied: list[str], shown: Sequence[str], drawn: list[str], references: Sequence[str] | None,
            last: int) -> list[Path]:
    """Draw and save the report's figures (PNG and SVG each); return the files written."""
    written: list[Path] = []
    for metric in drawn:
        written += save_figure(_timeseries_figure(by_month, metric, varied), out / f"timeseries_{metric}.png")
    for metric in [m for m in shown if m in TIME_TO_EVENT]:
        written += save_figure(_survival_figure(final_rows, metric, varied, last), out / f"survival_{metric}.png")
    if not drawn:
        return written
    for param in varied if kind != "points" else []:
        written += save_figure(_effect_figure(effects, final, param, drawn), out / f"effect_{param}.png")
    if effects_2d is not None:
        points = final_rows.groupby("point", sort=True)[varied].first()
        ref = reference_levels(points, varied, parse_references(references, kind, points) if kind == "vary" else {})
        for (a, b), _ in list(effects_2d.groupby(["a", "b"], sort=False))[:MAX_PAIRS]:
            pair = effects_2d[(effects_2d["a"] == a) & (effects_2d["b"] == b)]
            written += save_figure(_interaction_figure(pair, a, b, drawn), out / f"interaction_{a}_x_{b}.png")
            written += save_figure(_heatmap_figure(final_rows, a, b, (ref[a], ref[b]), drawn), out / f"heatmap_{a}_x_{b}.png")
    return written


def survival_table(final_rows: pd.DataFrame, point_cols: list[str], columns: list[str], month: int) -> pd.DataFrame | None:
    """Per point and time-to-event column: Kaplan-Meier median with CI and the share censored."""
    rows = []
    for column in columns:
        for key, group in final_rows.groupby(point_cols, sort=True, dropna=False):
            values = group[column].to_numpy(float)
            observed = values <= month
            km = kaplan_meier(np.where(observed, values, month), observed)
            med = km.median()
            rows.append({**dict(zip(point_cols, key if isinstance(key, tuple) else (key,))), "metric": column, "n": km.n,
                         "events": km.events, "censored_share": km.censored_share, "censored_at": month,
                         "median": med.estimate, "median_low": med.lower, "median_high": med.upper, "median_text": str(med),
                         "rmst": km.restricted_mean(month)})
    return pd.DataFrame(rows) if rows else None


def contrast_tables(final_rows: pd.DataFrame, kind: str, varied: list[str], metrics: Sequence[str], references: Sequence[str] | None, adjust: str) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str]:
    """contrasts.csv and interactions.csv rows (p adjusted over both together) and the markdown text."""
    plan = plan_pairs(final_rows, kind, varied, metrics, references)
    rows = [evaluate(pair) | {"_kind": pair.kind} for pair in plan.pairs]
    if rows:
        table = pd.DataFrame(rows)
        table["p_adjusted"] = adjust_pvalues(table["p"].to_numpy(float), adjust)
        family = int(table["p"].notna().sum())
        table["adjustment"] = f"{adjust} over {family}"
        split = [table[table["_kind"] == k].drop(columns="_kind").dropna(axis=1, how="all") for k in ("contrast", "interaction")]
        contrasts, interactions = (part.reset_index(drop=True) if len(part) else None for part in split)
        plan.notes.append(
            f"p: two-sided, unadjusted; p_adjusted: {'Holm (family-wise error)' if adjust == 'holm' else 'Benjamini-Hochberg (false discovery rate)'} "
            f"over all {family} tests of this report (contrasts and interactions of {', '.join(metrics)}). 95% CIs are not adjusted."
        )
    else:
        contrasts = interactions = None
    return contrasts, interactions, contrasts_markdown(contrasts, interactions, plan.notes)


CONTRAST_COLUMNS = [("metric", "metric"), ("factor", "factor"), ("level", "level"), ("reference", "vs"), ("given", "given"), ("n", "n"),
                    ("diff", "diff"), ("ci", "95% CI"), ("d_z", "d_z"), ("corr", "r(a,b)"), ("median_reference", "median ref"),
                    ("median_level", "median level"), ("rmst", "RMST diff [CI]"), ("share_level_first", "level first (of informative seeds)"), ("p", "p"), ("p_adjusted", "p adj")]
INTERACTION_COLUMNS = [("metric", "metric"), ("factor_a", "A"), ("level_a", "A level"), ("factor_b", "B"), ("level_b", "B level"),
                       ("given", "given"), ("n", "n"), ("effect_at_reference_a", "B effect at A ref"), ("effect_at_level_a", "B effect at A level"),
                       ("diff", "interaction"), ("ci", "95% CI"), ("d_z", "d_z"), ("p", "p"), ("p_adjusted", "p adj")]


HELD_TITLE = "Effects with the other factors held at the values given"
CONSOLE_LINES = 60
"""The command prints contrasts.md whole up to this many lines, else all but the held-factor section."""


def contrasts_markdown(contrasts: pd.DataFrame | None, interactions: pd.DataFrame | None, notes: list[str]) -> str:
    """The report's contrasts as markdown tables a person can read: overall differences (main
    effects, or point-by-point), interactions, then the effects at each combination of the
    other factors (the longest part, last)."""
    parts = ["# Paired contrasts (common random numbers)", "", *(f"- {note}" for note in notes), ""]
    held = None
    if contrasts is not None:
        is_held = contrasts["given"].fillna("").ne("") & ~contrasts["given"].fillna("").str.startswith("averaged over")
        held = contrasts[is_held] if is_held.any() else None
        contrasts = contrasts[~is_held] if (~is_held).any() else None
    for title, table, columns in (
        ("Differences against the reference", contrasts, CONTRAST_COLUMNS),
        ("Interactions (difference of paired differences)", interactions, INTERACTION_COLUMNS),
        (HELD_TITLE, held, CONTRAST_COLUMNS),
    ):
        if table is not None:
            parts += [f"## {title}", "", _markdown(table, columns), ""]
    return "\n".join(parts)


def console_text(markdown: str) -> str:
    """contrasts.md for the terminal: whole if short, else without the held-factor section."""
    lines = markdown.splitlines()
    heading = f"## {HELD_TITLE}"
    if len(lines) <= CONSOLE_LINES or heading not in lines:
        return markdown
    cut = lines.index(heading)
    rows = sum(1 for line in lines[cut:] if line.startswith("| ") and not line.startswith("| metric"))
    return "\n".join(lines[:cut] + [f"({rows} effects with the other factors held at given values: see report/contrasts.md and contrasts.csv)", ""])


def _markdown(table: pd.DataFrame, columns: list[tuple[str, str]]) -> str:
    table = table.copy()
    if "ci_low" in table:
        table["ci"] = [f"[{_cell(lo)}, {_cell(hi)}]" if pd.notna(lo) else "" for lo, hi in zip(table["ci_low"], table["ci_high"])]
    if "rmst_diff" in table:
        table["rmst"] = [f"{_cell(v)} [{_cell(lo)}, {_cell(hi)}]" if pd.notna(v) else "" for v, lo, hi in zip(table["rmst_diff"], table["rmst_low"], table["rmst_high"])]
    if "share_level_first" in table:
        table["share_level_first"] = [
            (f"{first:.0f} of {k:.0f}" + (f": {_cell(v)} [{_cell(lo)}, {_cell(hi)}]" if k else "")) if pd.notna(k) else ""
            for first, k, v, lo, hi in zip(table["level_first"], table["informative"], table["share_level_first"], table["share_low"], table["share_high"])
        ]
    keep = [(c, h) for c, h in columns if c in table and table[c].astype(str).str.len().gt(0).any()]
    lines = ["| " + " | ".join(h for _, h in keep) + " |", "|" + "|".join("---" for _ in keep) + "|"]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(_cell(row[c], c) for c, _ in keep) + " |")
    return "\n".join(lines)


def _cell(value: Any, column: str = "") -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if column in ("p", "p_adjusted"):
        return "<0.0001" if value < 1e-4 else f"{value:.4f}"
    if isinstance(value, (int, np.integer)):
        return str(value)
    return f"{value:.3g}"


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
def _figure(n_panels: int, width: float = PAGE / 2, height: float = 2.8) -> tuple[Any, list[Any]]:
    """Panels two to a row: a row is a page wide (``PAGE``), one panel alone a column wide."""
    from matplotlib.figure import Figure

    cols = min(n_panels, 2)
    rows = int(np.ceil(n_panels / cols))
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = [fig.add_subplot(rows, cols, k + 1) for k in range(n_panels)]
    return fig, axes


def _label(row: pd.Series, varied: list[str]) -> str:
    if not varied:
        return "all runs"
    return ", ".join(f"{v}={_fmt(row[v])}" for v in varied)


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):  # a category, written as in the design
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}"
    return str(value)


def _timeseries_figure(by_month: pd.DataFrame, metric: str, varied: list[str]) -> Any:
    fig, (ax,) = _figure(1, PAGE, 3.6)
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


def _survival_figure(final_rows: pd.DataFrame, metric: str, varied: list[str], month: int) -> Any:
    """Kaplan-Meier curve with its 95% band per design point (the first MAX_LINES), censored share in the legend."""
    fig, (ax,) = _figure(1, PAGE, 3.6)
    for k, (point, group) in enumerate(list(final_rows.groupby("point", sort=True))[:MAX_LINES]):
        values = group[metric].to_numpy(float)
        observed = values <= month
        km = kaplan_meier(np.where(observed, values, month), observed)
        x = np.concatenate([[0.0], km.time])
        color = f"C{k % 10}"
        ax.step(x, np.concatenate([[1.0], km.survival]), where="post", color=color, lw=1.5,
                label=f"{_label(group.iloc[0], varied)} ({km.censored_share:.0%} censored)")
        ax.fill_between(x, np.concatenate([[1.0], km.lower]), np.concatenate([[1.0], km.upper]), step="post", color=color, alpha=0.15, lw=0)
    ax.set_xlabel("month")
    ax.set_ylabel(f"share without an event ({metric})")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, loc="best")
    ax.set_title(f"{metric}: Kaplan-Meier, 95% band, censored at month {month}")
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


def heatmap_differences(final_rows: pd.DataFrame, a: str, b: str, reference: tuple[Any, Any], metric: str) -> pd.DataFrame:
    """Each (a, b) cell against the reference cell, paired by seed (each arm the per-seed mean
    over the other factors' cells), with Holm-adjusted p-values over the map's cells."""
    from ..stats import paired_difference

    per_rep = final_rows.groupby([a, b, "replicate"], dropna=False)[metric].mean().unstack("replicate")
    base = per_rep.loc[reference]
    rows = []
    for (va, vb), values in per_rep.iterrows():
        if (va, vb) == tuple(reference):
            rows.append({"a_value": va, "b_value": vb, "diff": 0.0, "p": np.nan, "reference": True})
            continue
        both = values.notna() & base.notna()
        e = paired_difference(base[both].to_numpy(float), values[both].to_numpy(float)) if both.sum() >= 2 else None
        rows.append({"a_value": va, "b_value": vb, "diff": e.diff if e else np.nan, "p": e.pvalue if e else np.nan, "reference": False})
    table = pd.DataFrame(rows)
    tested = table["p"].notna() & ~table["reference"]
    table["p_holm"] = np.nan
    if tested.any():
        table.loc[tested, "p_holm"] = adjust_pvalues(table.loc[tested, "p"].to_numpy(float), "holm")
    table["significant"] = table["p_holm"] < 0.05
    return table


def _heatmap_figure(final_rows: pd.DataFrame, a: str, b: str, reference: tuple[Any, Any], metrics: list[str]) -> Any:
    fig, axes = _figure(len(metrics), height=3.0)
    for ax, metric in zip(axes, metrics):
        table = heatmap_differences(final_rows, a, b, reference, metric)
        diff = table.pivot(index="b_value", columns="a_value", values="diff")
        sig = table.pivot(index="b_value", columns="a_value", values="significant").reindex_like(diff)
        cols, rows = list(diff.columns), list(diff.index)
        values = diff.to_numpy(dtype=float)
        finite = np.abs(values[np.isfinite(values)])
        top = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        fmt = f"{{:+.{max(0, 1 - int(np.floor(np.log10(top))))}f}}"  # one decimal count per map: two significant digits for the largest
        image = centred_heatmap(ax, values, sig.fillna(False).to_numpy(dtype=bool), [_fmt(v) for v in rows], [_fmt(v) for v in cols],
                                fmt, reference=(rows.index(reference[1]), cols.index(reference[0])), origin="lower",
                                fontsize=6, annotate=values.size <= 100)
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.set_title(f"{final_label(metric)}:\ncell minus {a}={level_text(reference[0])}, {b}={level_text(reference[1])}", fontsize=8)
        fig.colorbar(image, ax=ax, label="paired difference")
    fig.suptitle(f"{a} x {b}: paired difference from the reference cell (scale centred on zero)\n"
                 "hatched, ns: not significant (Holm over the map's cells)", fontsize=8)
    return fig


# ------------------------------------------------------------------------------ runs from precision
def contrast_label(labels: dict[str, str], kind: str) -> str:
    """One line naming a contrast: "backbone true - false", or "backbone true x funder_pressure 1"."""
    if kind == "interaction":
        return (f"interaction {labels['factor_a']} {labels['level_a']}-{labels['reference_a']} x "
                f"{labels['factor_b']} {labels['level_b']}-{labels['reference_b']}")
    if labels["factor"] == "point":
        return f"{labels['level']} - {labels['reference']}"
    return f"{labels['factor']} {labels['level']} - {labels['reference']}"


def replicates_needed(root: str | os.PathLike, metrics: Sequence[str], halfwidth: float, conf: float = 0.95, references: Sequence[str] | None = None) -> pd.DataFrame:
    """From a pilot sweep: the replicates each paired contrast needs for a CI of +- ``halfwidth``.

    The contrasts are the report's (main and simple effects, interactions, or point-by-point
    differences); the SD of each one's per-seed differences in the pilot sets the count
    (``collabsim.stats.replicates_for_halfwidth``). ``halfwidth`` is in the metrics' own unit,
    hence one metric family at a time.
    """
    from ..stats import replicates_for_halfwidth
    from .contrasts import per_seed_differences

    if not metrics:
        raise UserError("--metric: give at least one metric (the half-width is in its unit)")
    try:  # check --halfwidth and --conf before reading the runs; the message names the option
        replicates_for_halfwidth([0.0, 1.0], halfwidth, conf=conf)
    except ValueError as exc:
        raise UserError(f"--{exc}") from None
    h = float(halfwidth)
    manifest, df, varied, _all, chosen = load_sweep(root, metrics, option="--metric")
    for name in chosen:
        if name in TIME_TO_EVENT:
            raise UserError(f"--metric: {name} is a censored time to an event; a CI half-width of a mean difference does not apply to it (choose a count or a mean metric)")
    final_rows = df[df["month"] == df["month"].max()]
    plan = plan_pairs(final_rows, design_kind(manifest), varied, chosen, references)
    if not plan.pairs:
        raise UserError(f"{root}: {' '.join(plan.notes)}")
    rows = []
    for pair in plan.pairs:
        diffs = per_seed_differences(pair)
        effect = evaluate(pair, conf=conf)
        need = replicates_for_halfwidth(diffs, h, conf=conf)
        rows.append({"metric": pair.metric, "contrast": contrast_label(pair.labels, pair.kind), "given": pair.labels.get("given", ""),
                     "kind": pair.kind, "pilot_n": len(diffs), "diff": effect["diff"], "sd_diff": effect["sd_diff"],
                     "pilot_halfwidth": (effect["ci_high"] - effect["ci_low"]) / 2, "target_halfwidth": h, "conf": conf, "replicates_needed": need})
    return pd.DataFrame(rows)
