"""Shared machinery of questions 6-8 (celebration and turnover, trust rules, multisector clusters).

Why a module of its own: the three questions ask the same kinds of things of a sweep
(paired effects on common random numbers, time-to-event outcomes as censored data, a
horizon check to month 240, replicate counts from the precision of a pilot's paired
differences), so the statistics are written once here, on top of ``collabsim.stats``,
and each question's module says only what it compares. What is not particular to these
questions (the Parquet loader, Kaplan–Meier rows and curves, effect rows, multiplicity
adjustment, figure finishing) comes from ``study.py``, shared with questions 1-5, and the
centred heat map from ``collabsim.sweep.figures``, shared with ``collabsim report``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import study  # noqa: E402
from collabsim.stats import interaction, kaplan_meier, paired_censored_test, paired_difference, replicates_for_halfwidth  # noqa: E402
from collabsim.sweep.figures import centred_heatmap  # noqa: E402,F401  (the questions' modules draw with it)

ROOT = Path(__file__).resolve().parents[1]
HORIZON_MONTHS = (12, 24, 60, 120, 180, 240)
"""Months at which every question reads its answer again (issue 14: to month 240)."""
PILOT_REPLICATES = 10
"""Replicates of a question's pilot (its own root seed, so the pilot does not choose the
count from the very runs it then reports)."""
QUICK_PILOT, QUICK_CAP = 4, 8
"""The quick run's pilot and cap (as questions 1-5's, ``precision.choose``)."""
PILOT_SEED_OFFSET = 1_000_000


# --------------------------------------------------------------------------- the sweep
class Sweep:
    """A finished sweep as a cube [point, replicate, month] per metric.

    Every point shares the replicate seeds (common random numbers), so the arrays that
    ``at`` returns for two points are paired by replicate, position for position.
    """

    def __init__(self, raw_dir: Path | None, keys: list[str], frame: pd.DataFrame | None = None):
        df = study.load(raw_dir) if frame is None else frame.sort_values(["point", "replicate", "month"]).reset_index(drop=True)
        self.df = df
        self.keys = keys
        self.points = df.drop_duplicates("point").set_index("point")[keys].sort_index()
        self.months = np.sort(df["month"].unique())
        self.replicates = int(df.groupby("point")["replicate"].nunique().min())
        expected = len(self.points) * self.replicates * len(self.months)
        if len(df) != expected:
            raise ValueError(f"{raw_dir}: {len(df)} rows, expected {expected} (points x replicates x months): is the sweep complete?")
        self._cubes: dict[str, np.ndarray] = {}

    @property
    def horizon(self) -> int:
        return int(self.months[-1])

    def select(self, **selection: Any) -> list[int]:
        """Points whose varied values equal ``selection`` (the others at any value)."""
        mask = np.ones(len(self.points), bool)
        for key, value in selection.items():
            if key not in self.points:
                raise KeyError(f"{key!r} is not varied in this sweep; varied: {', '.join(self.points)}")
            col = self.points[key]
            mask &= np.isclose(col.astype(float), float(value)) if col.dtype.kind in "fiu" else (col == value).to_numpy()
        return [int(p) for p in self.points.index[mask]]

    def point(self, **selection: Any) -> int:
        """The one point whose varied values equal ``selection``."""
        hits = self.select(**selection)
        if len(hits) != 1:
            raise KeyError(f"selection {selection} matches {len(hits)} points, not one")
        return hits[0]

    def mean_at(self, metric: str, month: int | None = None, **selection: Any) -> np.ndarray:
        """Per-replicate mean of ``metric`` over the points that match ``selection`` (one
        point when every varied key is named; a factor's main-effect arm otherwise: the
        mean over the other factors' cells, seed by seed)."""
        hits = self.select(**selection)
        if not hits:
            raise KeyError(f"selection {selection} matches no point")
        return np.mean([self.at(metric, p, month) for p in hits], axis=0)

    def cube(self, metric: str) -> np.ndarray:
        if metric not in self._cubes:
            values = self.df[metric].to_numpy(float)
            self._cubes[metric] = values.reshape(len(self.points), self.replicates, len(self.months))
        return self._cubes[metric]

    def at(self, metric: str, point: int, month: int | None = None) -> np.ndarray:
        """Per-replicate values of ``metric`` at ``point`` and ``month`` (default: the last)."""
        m = self.horizon if month is None else month
        return self.cube(metric)[point, :, int(np.searchsorted(self.months, m))]

    def events(self, metric: str, point: int, threshold: float = 0.0, until: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Months until ``metric`` first exceeds ``threshold`` per replicate, and whether it
        did by ``until`` (default: the last month); runs where it never did are censored there."""
        last = self.horizon if until is None else until
        upto = self.months <= last
        hit = self.cube(metric)[point][:, upto] > threshold
        observed = hit.any(axis=1)
        times = np.where(observed, self.months[upto][hit.argmax(axis=1)], last).astype(float)
        return times, observed


# --------------------------------------------------------------------------- contrasts
@dataclass(frozen=True)
class Contrast:
    """Arm b minus arm a (same seeds); with c and d, the interaction (d - c) - (b - a).
    An arm that names only some varied keys is the seed-by-seed mean over the others."""

    label: str
    a: dict
    b: dict
    c: dict | None = None
    d: dict | None = None

    def diffs(self, sweep: Sweep, metric: str, month: int | None = None) -> np.ndarray:
        ya, yb, *rest = self.arms(sweep, metric, month)
        return yb - ya if not rest else (rest[1] - rest[0]) - (yb - ya)

    def arms(self, sweep: Sweep, metric: str, month: int | None = None) -> list[np.ndarray]:
        return [sweep.mean_at(metric, month, **s) for s in (self.a, self.b, self.c, self.d) if s is not None]

    def effect(self, sweep: Sweep, metric: str, month: int | None = None):
        arms = self.arms(sweep, metric, month)
        return paired_difference(*arms) if len(arms) == 2 else interaction(*arms)


effect_row = partial(study.effect_fields, bounds=("lower", "upper"))
"""An effect as a row of these questions' tables (CI as ``lower`` and ``upper``)."""
adjust = study.adjust_table


def effects_table(sweep: Sweep, contrasts: list[Contrast], outcomes: list[tuple[str, int]], family: str | None = None, **labels) -> pd.DataFrame:
    rows = [effect_row(c.effect(sweep, metric, month), contrast=c.label, outcome=metric, month=month, **labels)
            for c in contrasts for metric, month in outcomes]
    return adjust(pd.DataFrame(rows), family)


# --------------------------------------------------------------------------- time to event
DURABLE_SHARE = 4
"""The durable event: one durable collaboration per this many organisations of the community."""


def n_organisations(design: dict) -> int:
    from collabsim.sweep.design import design_from_dict

    return int(design_from_dict(json.loads(json.dumps(design))).base_values()["n_organisations"])


def events(n_orgs: int) -> dict[str, tuple[str, float, str]]:
    """Time-to-event outcomes read from the monthly table: (metric, threshold it must
    exceed, label). Trust is read against the registry's need for cooperation (the level
    where partners share resources, 004), so the threshold is the model's own, not ours."""
    from collabsim.parameters import DEFAULTS

    level = DEFAULTS["trust_needed_cooperation"]
    durable = n_orgs // DURABLE_SHARE
    return {"first_collaboration": ("collaborations_formed", 0.0, "first new collaboration"),
            "trust_at_cooperation": ("mean_trust", level - 1e-12, f"mean trust reaches the cooperation need ({level:g})"),
            "durable_per_four": ("durable_collaborations", durable - 0.5, f"{durable} durable collaborations")}


km_row = partial(study.km_row, bounds=("median_lower", "median_upper"), tenth=False, reached=True)
"""Kaplan–Meier row of these questions' tables (median CI as ``median_lower`` and ``median_upper``, and ``reached``)."""


def censored_row(sweep: Sweep, contrast: Contrast, metric: str, threshold: float = 0.0, **labels: Any) -> dict:
    """Paired censoring-aware comparison of the months until ``metric`` first exceeds ``threshold``."""
    ta, oa = sweep.events(metric, sweep.point(**contrast.a), threshold)
    tb, ob = sweep.events(metric, sweep.point(**contrast.b), threshold)
    test = paired_censored_test(ta, oa, tb, ob)
    ka, kb = kaplan_meier(ta, oa).median(), kaplan_meier(tb, ob).median()
    return {"event": metric, **labels, "contrast": contrast.label, "median_a": str(ka), "median_b": str(kb),
            "n_informative": test.n_informative, "a_first": test.a_first, "b_first": test.b_first, "ties": test.ties,
            "both_censored": test.both_censored, "prob_b_first": test.prob_b_first, "prob_lower": test.lower,
            "prob_upper": test.upper, "pvalue": test.pvalue}


km_plot = partial(study.km_plot, event=False)
"""Kaplan–Meier curve of the share of runs still without the event (band, median and share censored in the label)."""


# --------------------------------------------------------------------------- horizon
def horizon_series(sweep: Sweep, contrast: Contrast, metric: str) -> pd.DataFrame:
    """The paired effect at every collected month (mean and 95% CI)."""
    rows = []
    for m in sweep.months:
        if m == 0:
            continue
        e = contrast.effect(sweep, metric, int(m))
        rows.append({"month": int(m), "diff": e.diff, "lower": e.lower, "upper": e.upper})
    return pd.DataFrame(rows)


def settle_month(series: pd.DataFrame) -> int:
    """First month from which the effect stays within the final month's CI half-width of
    its final value (the month the answer stops depending on when it is read)."""
    final = series.iloc[-1]
    half = max((final["upper"] - final["lower"]) / 2, 1e-12)
    outside = np.abs(series["diff"].to_numpy() - final["diff"]) > half
    if not outside.any():
        return int(series["month"].iloc[0])
    last_out = int(np.nonzero(outside)[0][-1])
    return int(series["month"].iloc[min(last_out + 1, len(series) - 1)])


def verdict(lower: float, upper: float) -> str:
    return "positive" if lower > 0 else "negative" if upper < 0 else "unclear"


def horizon_table(sweep: Sweep, items: list[tuple[Contrast, str]], **labels) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Per (contrast, metric): the effect at ``HORIZON_MONTHS``, its settle month, and
    whether the verdict (CI above, below or across zero) at month 120 is the one at the end."""
    read, settle, series = [], [], {}
    for contrast, metric in items:
        s = horizon_series(sweep, contrast, metric)
        series[(contrast.label, metric)] = s
        at = s.set_index("month")
        for m in HORIZON_MONTHS:
            if m in at.index:
                r = at.loc[m]
                read.append({**labels, "contrast": contrast.label, "outcome": metric, "month": m, "diff": r["diff"],
                             "lower": r["lower"], "upper": r["upper"], "verdict": verdict(r["lower"], r["upper"])})
        end = s.iloc[-1]
        mid = at.loc[120] if 120 in at.index else end
        settle.append({**labels, "contrast": contrast.label, "outcome": metric, "settle_month": settle_month(s),
                       "diff_120": mid["diff"], "diff_end": end["diff"], "end_month": int(end["month"]),
                       "verdict_120": verdict(mid["lower"], mid["upper"]), "verdict_end": verdict(end["lower"], end["upper"]),
                       "same_verdict": verdict(mid["lower"], mid["upper"]) == verdict(end["lower"], end["upper"])})
    return pd.DataFrame(read), pd.DataFrame(settle), series


def horizon_plot(ax, series: pd.DataFrame, label: str, color=None) -> None:
    line = ax.plot(series["month"], series["diff"], label=label, color=color)[0]
    ax.fill_between(series["month"], series["lower"], series["upper"], alpha=0.2, color=line.get_color())
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(120, color="#888", ls=":", lw=1)


# --------------------------------------------------------------------------- figures
def horizon_figure(sweep: Sweep, out: Path, series: dict, metrics: tuple[str, ...], title: str, ylabel: str = "effect on {metric}") -> list[str]:
    """One panel per metric: every series of that metric, effect by month with its band."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for (label, m), s in series.items():
            if m == metric:
                horizon_plot(ax, s, label)
        ax.set_xlabel("month")
        ax.set_ylabel(ylabel.format(metric=metric))
        ax.legend(fontsize=7)
    return save(fig, out, "horizon", title, f"paired effect at every month to {sweep.horizon} with its 95% CI; "
                f"dotted: month 120; {sweep.replicates} replicate seeds, common random numbers")


def km_figure(sweep: Sweep, out: Path, stem: str, curves: list[tuple[dict, str, float, str]], ylabel: str, title: str, note: str) -> list[str]:
    """Kaplan-Meier curves, one per (point selection, metric, threshold, label)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for selection, metric, threshold, label in curves:
        km_plot(ax, *sweep.events(metric, sweep.point(**selection), threshold), label)
    ax.set_xlabel("month")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return save(fig, out, stem, title, f"{note}; {sweep.replicates} replicate seeds; band: 95% pointwise CI; "
                f"runs without the event are censored at month {sweep.horizon} (share in the legend)")


def save(fig, out: Path, stem: str, title: str, subtitle: str) -> list[str]:
    """Through ``study.finish`` (title, wrapped footnote, PNG and its vector twin, SVG), as questions 1-5."""
    png = out / f"{stem}.png"
    study.finish(fig, png, title, subtitle)
    return [png.name, f"{stem}.svg"]


def forest(ax, table: pd.DataFrame, label_col: str = "contrast") -> None:
    """Paired effects with 95% CIs; filled marker = significant after Holm, hollow = not."""
    y = np.arange(len(table))[::-1]
    for yi, r in zip(y, table.itertuples()):
        ax.errorbar(r.diff, yi, xerr=[[r.diff - r.lower], [r.upper - r.diff]], fmt="o", color="#2c5d8f", capsize=3,
                    mfc="#2c5d8f" if r.significant_holm else "white")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, table[label_col])


def forest_panels(out: Path, table: pd.DataFrame, stem: str, title: str, subtitle: str, ncols: int = 3) -> list[str]:
    """One forest panel per (outcome, month), each in its own units, the contrasts as rows."""
    groups = list(table.groupby(["outcome", "month"], sort=False))
    nrows = math.ceil(len(groups) / ncols)
    n_contrasts = table["contrast"].nunique()
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols + 2.2, (0.28 * n_contrasts + 1.2) * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(groups):
            ax.set_visible(False)
            continue
        (metric, month), g = groups[k]
        forest(ax, g)
        if k % ncols:
            ax.set_yticklabels([])
        ax.set_title(f"{metric}, month {month}", fontsize=9)
        ax.tick_params(labelsize=8)
    return save(fig, out, stem, title, subtitle)


# --------------------------------------------------------------------------- replicates from precision
@dataclass(frozen=True)
class Target:
    """A paired difference an answer rests on and the CI half-width it should have."""

    contrast: Contrast
    metric: str
    month: int
    halfwidth: float
    reason: str


def target_rows(sweep: Sweep, targets: list[Target]) -> list[dict]:
    """Each target's per-seed differences in ``sweep``: their mean, SD, CI half-width reached
    and the replicates its target half-width needs (``collabsim.stats.replicates_for_halfwidth``)."""
    rows = []
    for t in targets:
        d = t.contrast.diffs(sweep, t.metric, t.month)
        e = t.contrast.effect(sweep, t.metric, t.month)
        rows.append({"contrast": t.contrast.label, "outcome": t.metric, "month": t.month, "target_halfwidth": t.halfwidth,
                     "replicates": len(d), "diff": float(np.mean(d)), "sd_diff": float(np.std(d, ddof=1)),
                     "halfwidth": (e.upper - e.lower) / 2, "needed": int(replicates_for_halfwidth(d, t.halfwidth)), "reason": t.reason})
    return rows


def plan_replicates(name: str, design: dict, keys: list[str], targets: list[Target], cap: int,
                    run_sweep: Callable[[dict, Path], None], raw: Path, out: Path, pilot_replicates: int = PILOT_REPLICATES) -> tuple[int, dict]:
    """Stage 1 of ``precision.two_stage``: run a pilot (``pilot_replicates`` replicates, its own
    root seed, so the pilot does not choose the count from the very runs it then reports) and
    choose the count that gives every target its CI half-width (``precision.first_count``:
    at least the pilot's, at most ``cap``, the compute budget). Returns (count, record)."""
    import precision

    pilot = json.loads(json.dumps(design))
    pilot["replicates"] = pilot_replicates
    pilot["root_seed"] = int(design["root_seed"]) + PILOT_SEED_OFFSET
    pilot_dir = raw / f"{name}_pilot"
    run_sweep(pilot, pilot_dir)
    rows = target_rows(Sweep(pilot_dir, keys), targets)
    needed = max(r["needed"] for r in rows)
    chosen = precision.first_count(needed, pilot_replicates, cap)
    return chosen, {"pilot_replicates": pilot_replicates, "pilot_root_seed": pilot["root_seed"], "replicates_needed": needed,
                    "replicates_floor": pilot_replicates, "replicates_cap": cap, "replicates_chosen": chosen, "cap_binds": needed > cap,
                    "rule": precision.FIRST_RULE + " (the largest over the targets)", "targets": rows, "table": "precision.csv"}


def recount_replicates(raw_dir: Path, chosen: int, keys: list[str], targets: list[Target], cap: int) -> dict:
    """Stage 2 of ``precision.two_stage``: the count again from the full sweep's own per-seed
    differences (``precision.rerun_count``)."""
    import precision

    rows = target_rows(Sweep(raw_dir, keys), targets)
    needed = max(r["needed"] for r in rows)
    return {"stage1_replicates": chosen, "targets": rows, "replicates_needed": needed,
            "rerun_with": precision.rerun_count(needed, chosen, cap), "cap_binds": needed > cap, "rule": precision.SECOND_RULE}


def precision_table(sweep: Sweep, targets: list[Target], record: dict) -> pd.DataFrame:
    """``precision.csv``: per target, the pilot's estimate and count, stage 2's count, and the CI
    half-width the answer's sweep reached against the target (``meets_target``)."""
    pilot = {(r["contrast"], r["outcome"], r["month"]): r for r in record["targets"]}
    stage2 = {(r["contrast"], r["outcome"], r["month"]): r for r in record["stage2"]["targets"]}
    rows = []
    for r in target_rows(sweep, targets):
        key = (r["contrast"], r["outcome"], r["month"])
        rows.append({"contrast": r["contrast"], "outcome": r["outcome"], "month": r["month"], "target_halfwidth": r["target_halfwidth"],
                     "pilot_replicates": record["pilot_replicates"], "pilot_sd_diff": pilot[key]["sd_diff"], "pilot_diff": pilot[key]["diff"],
                     "needed": pilot[key]["needed"], "stage1_replicates": record["stage2"]["stage1_replicates"],
                     "stage1_halfwidth": stage2[key]["halfwidth"], "stage2_needed": stage2[key]["needed"], "cap": record["replicates_cap"],
                     "chosen": r["replicates"], "diff": r["diff"], "sd_diff": r["sd_diff"], "achieved_halfwidth": r["halfwidth"],
                     "meets_target": bool(r["halfwidth"] <= r["target_halfwidth"]), "reason": r["reason"]})
    return pd.DataFrame(rows)
