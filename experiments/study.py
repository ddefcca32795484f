"""Shared statistics and figure helpers of the study's questions (experiments/analysis.py).

Why a module of its own: every question reads times to events with censoring
(Kaplan–Meier, ``collabsim.stats``), compares arms as paired differences over common
random numbers, controls multiplicity within an answer and asks whether its answer
depends on the month it is read. Doing that in one place keeps the answers consistent
and leaves ``analysis.py`` (questions 1-5) and the question modules of 6-8 (through
``study_tools.py``, which adds their sweep cube and contrasts) with what each question asks.
Figures share ``collabsim.sweep.figures`` with ``collabsim report`` (style, PNG with its SVG
twin, the centred heat map).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any, Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from collabsim.stats import adjust_pvalues, interaction, kaplan_meier, paired_censored_test, paired_difference  # noqa: E402
from collabsim.sweep.figures import COLUMN, PAGE, STYLE, centred_heatmap, save_figure, text_colour  # noqa: E402,F401

plt.rcParams.update(STYLE)
BAND = "band: 95% CI of the mean over replicate seeds (Student t)"
ALPHA = 0.05
"""Level of every test of the study (after its family's adjustment)."""


# --------------------------------------------------------------------------- data
def load(raw_dir: Path, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """The sweep's monthly table (only ``columns`` besides the keys, to keep memory small)."""
    cols = None if columns is None else sorted({"run_id", "point", "replicate", "month", *columns})
    df = pd.read_parquet(raw_dir / "runs", columns=cols)
    return df.sort_values(["point", "replicate", "month"]).reset_index(drop=True)


def at_month(df: pd.DataFrame, month: int) -> pd.DataFrame:
    """Rows of the month an answer is read (a stock's level, a cumulative count's total)."""
    if month not in set(df.month.unique()):
        raise ValueError(f"month {month} is not in the sweep (months {df.month.min()}-{df.month.max()})")
    return df[df.month == month].copy()


def replicates_of(df: pd.DataFrame) -> int:
    return int(df.groupby("point")["replicate"].nunique().min())


def first_event(df: pd.DataFrame, metric: str, keys: list[str], horizon: int | None = None) -> pd.DataFrame:
    """Per run: the first month ``metric`` is above zero (``time``, ``observed`` True), or the
    last month observed (``observed`` False: censored there). ``horizon`` reads the runs as if
    they had stopped at that month (the answer as read then)."""
    last = int(df.month.max()) if horizon is None else int(horizon)
    seen = df[df.month <= last]
    hit = seen[seen[metric] > 0].groupby("run_id")["month"].min()
    runs = seen.drop_duplicates("run_id")[["run_id", "point", "replicate", *keys]].set_index("run_id")
    runs["observed"] = runs.index.isin(hit.index)
    runs["time"] = hit.reindex(runs.index).fillna(last).to_numpy(dtype=float)
    return runs.reset_index()


# --------------------------------------------------------------------------- survival
def km_row(times: np.ndarray, observed: np.ndarray, bounds: tuple[str, str] = ("median_low", "median_high"), tenth: bool = True,
           reached: bool = False, **labels: Any) -> dict[str, Any]:
    """Kaplan–Meier summary of one arm after its ``labels``: median with its CI ("not reached" =
    inf; the CI's columns named ``bounds``), censored share; ``tenth``: the month by which a
    tenth had the event; ``reached``: whether the median was reached. (Questions 1-5 and 6-8
    name the columns differently; the names stay so that their tables and templates do.)"""
    km = kaplan_meier(times, observed)
    med = km.median()
    row = {**labels, "n": km.n, "events": km.events, "censored_share": km.censored_share,
           "median": med.estimate, bounds[0]: med.lower, bounds[1]: med.upper, "median_text": str(med)}
    if tenth:
        q10 = km.quantile(0.1)
        row.update(q10=q10.estimate, q10_text=str(q10))
    if reached:
        row["reached"] = not math.isinf(med.estimate)
    return row


def km_table(runs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rows = []
    for key, g in runs.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, key)), **km_row(g.time.to_numpy(), g.observed.to_numpy())})
    return pd.DataFrame(rows)


def km_plot(ax, times: np.ndarray, observed: np.ndarray, label: str, color=None, event: bool = True, ls: str = "-") -> None:
    """Step curve of the share of subjects that have had the event (1 - S; ``event`` False: the
    share still without it, S) with its 95% band; the legend gives the median (with CI) and the
    share censored."""
    km = kaplan_meier(times, observed)
    t = np.concatenate([[0.0], km.time])
    s, lo, hi = (np.concatenate([[1.0], v]) for v in (km.survival, km.lower, km.upper))
    if event:
        s, lo, hi = 1 - s, 1 - hi, 1 - lo
    text = f"{label}: median {km.median()}; {km.censored_share:.0%} censored"
    line = ax.step(t, s, where="post", color=color, ls=ls, label=text, lw=1.2)[0]
    ax.fill_between(t, lo, hi, step="post", alpha=0.18, color=line.get_color(), lw=0)


def censored_contrast(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, Any]:
    """Paired censored comparison of two arms (rows matched by replicate seed): the exact sign
    test of which arm had the event first, its effect size (share of informative seeds where b
    came first, with CI), and, when no run of either arm is censored, the mean paired
    difference in months with its CI (NaN otherwise: no censored mean)."""
    a, b = a.sort_values("replicate"), b.sort_values("replicate")
    if not np.array_equal(a.replicate.to_numpy(), b.replicate.to_numpy()):
        raise ValueError("the two arms do not share their replicate seeds")
    r = paired_censored_test(a.time.to_numpy(), a.observed.to_numpy(), b.time.to_numpy(), b.observed.to_numpy())
    row = {"n": r.n, "n_informative": r.n_informative, "a_first": r.a_first, "b_first": r.b_first, "ties": r.ties,
           "both_censored": r.both_censored, "prob_b_first": r.prob_b_first, "prob_low": r.lower, "prob_high": r.upper,
           "pvalue": r.pvalue, "censored_a": 1 - a.observed.mean(), "censored_b": 1 - b.observed.mean()}
    row.update(dict.fromkeys(("diff_months", "diff_low", "diff_high"), math.nan))
    if a.observed.all() and b.observed.all():
        e = paired_difference(a.time.to_numpy(), b.time.to_numpy())
        row.update(diff_months=e.diff, diff_low=e.lower, diff_high=e.upper)
    return row


# --------------------------------------------------------------------------- paired effects
def mde(sd: float, n: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest paired effect detected with ``power`` by a two-sided test at ``alpha``."""
    if n < 2 or not np.isfinite(sd):
        return math.nan
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * sd / math.sqrt(n))


def power_for(effect: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """Power of the two-sided paired test at ``alpha`` to detect a true mean difference ``effect``."""
    if n < 2 or not sd > 0:
        return math.nan
    shift = abs(effect) * math.sqrt(n) / sd
    z = stats.norm.ppf(1 - alpha / 2)
    return float(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))


def effect_fields(e, bounds: tuple[str, str] = ("diff_low", "diff_high"), **labels: Any) -> dict[str, Any]:
    """A paired effect (``collabsim.stats`` Effect: a difference or an interaction) as a table
    row after its ``labels``; the CI's columns named ``bounds`` (questions 1-5: diff_low and
    diff_high; 6-8: lower and upper)."""
    return {**labels, "n": e.n, "mean_a": e.mean_a, "mean_b": e.mean_b, "diff": e.diff, bounds[0]: e.lower, bounds[1]: e.upper,
            "sd_diff": e.sd_diff, "d_z": e.d_z, "corr": e.corr, "pvalue": e.pvalue}


def effect_row(a: np.ndarray, b: np.ndarray, family: int = 1) -> dict[str, Any]:
    """The paired difference b - a, and the smallest effect it detects with 80% power (alone,
    and Bonferroni-corrected over a ``family`` of tests)."""
    e = paired_difference(a, b)
    return {**effect_fields(e), "mde80": mde(e.sd_diff, e.n), "mde80_bonferroni": mde(e.sd_diff, e.n, ALPHA / max(family, 1))}


def arm(df: pd.DataFrame, metric: str, **where) -> np.ndarray:
    """One value per replicate seed (sorted by replicate) of the rows matching ``where``."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    sel = sel.sort_values("replicate")
    if sel.replicate.duplicated().any():
        raise ValueError(f"{where} does not pick one row per replicate")
    return sel[metric].to_numpy(dtype=float)


def groups(df: pd.DataFrame, by: list[str]):
    """(key tuple, rows) per combination of ``by`` (one group, key (), when ``by`` is empty)."""
    if not by:
        yield (), df
        return
    for key, g in df.groupby(by, sort=True):
        yield (key if isinstance(key, tuple) else (key,)), g


def contrasts(fin: pd.DataFrame, keys: list[str], factor: str, reference, metrics: list[str], method: str = "bh") -> pd.DataFrame:
    """Every level of ``factor`` against ``reference`` at each combination of the other keys,
    per metric, as paired differences; p-values adjusted within each metric's family."""
    others = [k for k in keys if k != factor]
    rows = []
    for metric in metrics:
        family = []
        for key, g in groups(fin, others):
            base = arm(g, metric, **{factor: reference})
            for level in sorted(set(g[factor]) - {reference}):
                family.append({"metric": metric, **dict(zip(others, key)), factor: level, "reference": reference,
                               "_b": arm(g, metric, **{factor: level}), "_a": base})
        for row in family:
            row.update(effect_row(row.pop("_a"), row.pop("_b"), len(family)))
        adjust(family, method)
        rows += family
    return pd.DataFrame(rows)


def interactions(fin: pd.DataFrame, a_factor: str, a_ref, b_factor: str, b_ref, by: list[str], metrics: list[str],
                 method: str = "holm") -> pd.DataFrame:
    """Does ``a_factor`` change the effect of ``b_factor``? For every other level a1 of A and b1
    of B, per seed (y[a1,b1] - y[a1,b_ref]) - (y[a_ref,b1] - y[a_ref,b_ref]), at each combination
    of ``by``; p-values adjusted (``method``) within each metric's family."""
    rows = []
    for metric in metrics:
        family = []
        for key, g in groups(fin, by):
            for a1 in sorted(set(g[a_factor]) - {a_ref}):
                for b1 in sorted(set(g[b_factor]) - {b_ref}):
                    y = [arm(g, metric, **{a_factor: a, b_factor: b}) for a in (a_ref, a1) for b in (b_ref, b1)]
                    e = interaction(*y)
                    family.append({"metric": metric, **dict(zip(by, key)), a_factor: a1, f"{a_factor}_ref": a_ref, b_factor: b1,
                                   f"{b_factor}_ref": b_ref, "effect_at_ref": e.mean_a, "effect_at_level": e.mean_b,
                                   "interaction": e.diff, "int_low": e.lower, "int_high": e.upper, "d_z": e.d_z, "n": e.n,
                                   "pvalue": e.pvalue})
        adjust(family, method)
        rows += family
    return pd.DataFrame(rows)


def adjust(family: list[dict], method: str) -> None:
    """Add ``p_adj`` (``method`` over the family) and ``significant`` (p_adj < ALPHA) to each row."""
    if not family:
        return
    p = adjust_pvalues([r["pvalue"] for r in family], method=method)
    for r, q in zip(family, p):
        r["p_adj"], r["adjust"], r["significant"], r["family_size"] = float(q), method, bool(q < ALPHA), len(family)


def adjust_table(table: pd.DataFrame, family: str | None = None) -> pd.DataFrame:
    """``adjust`` for a table (questions 6-8): Holm (family-wise) and Benjamini-Hochberg (false
    discovery) over the rows of one answer, or per ``family`` column value, as ``p_holm`` and
    ``p_bh``; the verdict under Holm (``significant_holm``) and the family's size. A missing
    p-value counts as 1."""
    table = table.copy()
    parts = [table.index] if family is None else [g.index for _, g in table.groupby(family, sort=False)]
    for idx in parts:
        for method in ("holm", "bh"):
            rows = [{"pvalue": p} for p in table.loc[idx, "pvalue"].fillna(1.0).to_numpy(float)]
            adjust(rows, method)
            table.loc[idx, f"p_{method}"] = [r["p_adj"] for r in rows]
    table["significant_holm"] = table["p_holm"] < ALPHA
    table["tests_in_family"] = table.groupby(family)["pvalue"].transform("size") if family else len(table)
    return table


def horizon_effects(df: pd.DataFrame, metric: str, a: dict, b: dict, months: Iterable[int]) -> pd.DataFrame:
    """The paired difference b - a of ``metric`` read at each month (does the answer depend on when it is read?)."""
    rows = []
    for m in months:
        fin = df[df.month == m]
        rows.append({"month": int(m), "metric": metric, **effect_row(arm(fin, metric, **a), arm(fin, metric, **b))})
    return pd.DataFrame(rows)


def settling(df: pd.DataFrame, metric: str, where: dict, early: int, late: int) -> dict[str, Any]:
    """Per run, the change of ``metric`` from month ``early`` to ``late`` (paired within the run):
    a CI around zero says the system has settled by ``early``."""
    e = effect_row(arm(df[df.month == early], metric, **where), arm(df[df.month == late], metric, **where))
    e.update(metric=metric, early=early, late=late, **{f"at_{k}": v for k, v in where.items()})
    return e


def horizon_months(last: int, step: int = 12) -> list[int]:
    return list(range(step, last + 1, step))


# --------------------------------------------------------------------------- figures
def band(ax, df: pd.DataFrame, metric: str, label: str, color=None) -> None:
    g = df.groupby("month")[metric]
    m, n = g.mean(), g.count()
    h = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * g.std(ddof=1).fillna(0) / np.sqrt(n)
    line = ax.plot(m.index, m.to_numpy(), label=label, color=color, lw=1.2)[0]
    ax.fill_between(m.index, (m - h).to_numpy(), (m + h).to_numpy(), alpha=0.2, color=line.get_color(), lw=0)


def effect_line(ax, table: pd.DataFrame, x: str, label: str, color=None, marker="o") -> None:
    """Paired differences with their 95% CI against ``x``; a zero line for reference."""
    ax.errorbar(table[x], table["diff"], yerr=[table["diff"] - table["diff_low"], table["diff_high"] - table["diff"]],
                marker=marker, ms=3, capsize=2, lw=1, label=label, color=color)
    ax.axhline(0, color="#888", lw=0.6)


def sequential_heatmap(ax, values: np.ndarray, rows: list, cols: list, fmt, cmap: str = "viridis"):
    """A heat map of levels (not differences); text colour chosen against each cell's fill."""
    im = ax.imshow(values, cmap=cmap, aspect="auto", origin="lower")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, fmt(v), ha="center", va="center", fontsize=7, color=text_colour(im.cmap(im.norm(v)) if np.isfinite(v) else (1, 1, 1)))
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    return im


def finish(fig, path: Path, title: str, subtitle: str) -> None:
    """Title, footnote (wrapped to the figure's width), then PNG (200 dpi) and SVG (vector) side by side."""
    width = fig.get_figwidth()
    title = textwrap.fill(title, width=max(30, int(width * 11)))
    subtitle = textwrap.fill(subtitle, width=max(40, int(width * 17)))
    fig.suptitle(title, fontsize=9, fontweight="bold")
    fig.text(0.5, 0.005, subtitle, ha="center", va="bottom", fontsize=6.5, color="#333")
    lines, title_lines = subtitle.count("\n") + 1, title.count("\n") + 1
    height = fig.get_figheight()
    fig.tight_layout(rect=(0, min(0.4, 0.12 * lines / height), 1, 1 - min(0.3, 0.17 * title_lines / height)))
    save_figure(fig, path, dpi=200)
    plt.close(fig)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, float_format="%.6g")
