"""Figures and tables that answer each research question, from the sweep engine's Parquet runs.

Every figure says how many replicates it shows and what its band means (a 95% confidence
interval of the mean over replicate seeds, Student's t). Designs use common random
numbers (every point shares the replicate seeds), so differences between points are
paired by replicate.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

BAND = "band: 95% CI of the mean over replicate seeds"


# --------------------------------------------------------------------------- helpers
def load(raw_dir: Path) -> pd.DataFrame:
    df = pd.read_parquet(raw_dir / "runs")
    return df.sort_values(["point", "replicate", "month"]).reset_index(drop=True)


def ci(values: np.ndarray) -> tuple[float, float, float, int]:
    """Mean, lower and upper 95% t-interval, n (NaNs dropped)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    m = float(v.mean())
    if n < 2:
        return m, np.nan, np.nan, n
    h = float(stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return m, m - h, m + h, n


def summarise(df: pd.DataFrame, by: list[str], cols: list[str]) -> pd.DataFrame:
    rows = []
    for key, g in df.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        for c in cols:
            m, lo, hi, n = ci(g[c].to_numpy())
            row.update({f"{c}_mean": m, f"{c}_ci_low": lo, f"{c}_ci_high": hi})
            row["replicates"] = n
        rows.append(row)
    return pd.DataFrame(rows)


def final_month(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["month"] == df["month"].max()].copy()


def first_month(df: pd.DataFrame, metric: str, keys: list[str]) -> pd.DataFrame:
    """Per run: first month the metric is above zero (censored at months + 1)."""
    horizon = int(df["month"].max())
    hit = df[df[metric] > 0].groupby("run_id")["month"].min()
    runs = df.drop_duplicates("run_id")[["run_id", "point", "replicate", *keys]].set_index("run_id")
    runs[f"first_{metric}"] = hit.reindex(runs.index).fillna(horizon + 1).to_numpy()
    runs["censored"] = ~runs.index.isin(hit.index)
    return runs.reset_index()


def time_to_first_table(df: pd.DataFrame, keys: list[str], metric: str, final_cols: list[str], never: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per point: months until ``metric`` first exceeds zero (with 95% CI), the final-month
    means of ``final_cols``, and the share of runs where it never did (column ``never``)."""
    runs = first_month(df, metric, keys)
    table = summarise(runs, keys, [f"first_{metric}"]).merge(
        summarise(final_month(df), keys, final_cols).drop(columns="replicates"), on=keys)
    table = table.merge(runs.groupby(keys)["censored"].mean().rename(never).reset_index(), on=keys)
    return table, runs


def band(ax, df: pd.DataFrame, metric: str, label: str, color=None) -> None:
    g = df.groupby("month")[metric]
    m = g.mean()
    n = g.count()
    h = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * g.std(ddof=1).fillna(0) / np.sqrt(n)
    line = ax.plot(m.index, m.to_numpy(), label=label, color=color)[0]
    ax.fill_between(m.index, (m - h).to_numpy(), (m + h).to_numpy(), alpha=0.2, color=line.get_color())


def errorbars(ax, table: pd.DataFrame, x: str, metric: str, label: str) -> None:
    """Means with 95% CI error bars from a ``summarise`` table."""
    m = table[f"{metric}_mean"]
    ax.errorbar(table[x], m, yerr=[m - table[f"{metric}_ci_low"], table[f"{metric}_ci_high"] - m], marker="o", capsize=3, label=label)


def finish(fig, path: Path, title: str, subtitle: str) -> None:
    """Title, footnote (wrapped to the figure's width, so a narrow figure cuts nothing off), save."""
    width = fig.get_figwidth()
    title = textwrap.fill(title, width=max(30, int(width * 9)))  # about 9 bold 12 pt characters an inch
    subtitle = textwrap.fill(subtitle, width=max(40, int(width * 15)))  # about 15 characters of 8 pt
    fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.text(0.5, 0.005, subtitle, ha="center", va="bottom", fontsize=8, color="#444")
    lines, title_lines = subtitle.count("\n") + 1, title.count("\n") + 1
    fig.tight_layout(rect=(0, 0.03 * lines, 1, 1 - 0.05 * title_lines))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def replicates_of(df: pd.DataFrame) -> int:
    return int(df.groupby("point")["replicate"].nunique().min())


def paired_difference(final: pd.DataFrame, keys: list[str], factor: str, baseline, metric: str) -> pd.DataFrame:
    """Per point and replicate: metric minus the same replicate at the factor's baseline."""
    others = [k for k in keys if k != factor]
    base = final[final[factor] == baseline].set_index([*others, "replicate"])[metric]
    f = final.set_index([*others, "replicate"])
    f[f"delta_{metric}"] = f[metric] - base.reindex(f.index).to_numpy()
    return f.reset_index()


# --------------------------------------------------------------------------- Q1
def q1_time(raw: Path, out: Path, design: dict) -> dict:
    df = load(raw)
    keys = list(design["vary"])
    table, _ = time_to_first_table(df, keys, "collaborations_formed", ["pairs_collaboration", "durable_collaborations"],
                                   "share_without_collaboration")
    table.to_csv(out / "time_to_first_collaboration.csv", index=False)
    reps = replicates_of(df)
    losses = sorted(set(table.trust_loss))
    fig, axes = plt.subplots(1, len(losses), figsize=(4.5 * len(losses), 4), squeeze=False, sharey=True)
    for ax, loss in zip(axes[0], losses):
        t = table[table.trust_loss == loss]
        for gain, g in t.groupby("trust_gain"):
            errorbars(ax, g, "min_months_per_level", "first_collaborations_formed", f"trust_gain {gain}")
        ax.set_title(f"trust_loss = {loss}")
        ax.set_xlabel("min_months_per_level (months)")
    axes[0][0].set_ylabel("months to first collaboration")
    axes[0][-1].legend(fontsize=8)
    finish(fig, out / "time_to_first_collaboration.png", "Q1. Months until the first collaboration appears",
           f"default community, {reps} replicates per point; error bars: 95% CI of the mean; runs without any collaboration count as months+1")
    mid = 0.3 if 0.3 in losses else losses[len(losses) // 2]
    t = table[table.trust_loss == mid]
    piv = t.pivot(index="trust_gain", columns="min_months_per_level", values="first_collaborations_formed_mean")
    fig, ax = plt.subplots(figsize=(6, 4))
    im = ax.imshow(piv.to_numpy(), cmap="viridis_r", aspect="auto", origin="lower")
    ax.set_xticks(range(piv.shape[1]), piv.columns)
    ax.set_yticks(range(piv.shape[0]), piv.index)
    for (a, b), v in np.ndenumerate(piv.to_numpy()):
        ax.text(b, a, f"{v:.0f}", ha="center", va="center", color="w", fontsize=9)
    ax.set_xlabel("min_months_per_level (months)")
    ax.set_ylabel("trust_gain")
    fig.colorbar(im, label="months to first collaboration")
    finish(fig, out / "heatmap_gain_x_patience.png", "Q1. Faster trust vs required patience",
           f"trust_loss = {mid}; mean of {reps} replicates per cell")
    fig, ax = plt.subplots(figsize=(7, 4))
    gain0 = 0.1 if 0.1 in set(df.trust_gain) else sorted(set(df.trust_gain))[0]
    for mm in sorted(set(df.min_months_per_level)):
        sub = df[(df.trust_gain == gain0) & (df.trust_loss == mid) & (df.min_months_per_level == mm)]
        band(ax, sub, "pairs_collaboration", f"min_months_per_level {mm}")
    ax.set_xlabel("month")
    ax.set_ylabel("pairs at collaboration")
    ax.legend(fontsize=8)
    finish(fig, out / "collaboration_over_time.png", "Q1. Pairs at collaboration over time",
           f"trust_gain {gain0}, trust_loss {mid}; {reps} replicates; {BAND}")
    ref = table[(table.trust_gain == gain0) & (table.trust_loss == mid)]
    durations = pair_durations(design, reps)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(durations, bins=np.arange(0, durations.max() + 6, 3), color="#4c72b0")
    med = float(np.median(durations))
    ax.axvline(med, color="k", ls="--", lw=1, label=f"median {med:.0f} months")
    ax.axvline(float(np.percentile(durations, 90)), color="k", ls=":", lw=1, label=f"90th percentile {np.percentile(durations, 90):.0f}")
    ax.set_xlabel("months from first contact to collaboration")
    ax.set_ylabel("pairs")
    ax.legend(fontsize=8)
    finish(fig, out / "months_to_collaboration_histogram.png", "Q1. How long pairs take from first contact to collaboration",
           f"default community and parameters, every pair that reached collaboration in {reps} runs of 120 months ({durations.size} pairs)")
    return {
        "pairs_reaching_collaboration": int(durations.size),
        "months_first_contact_to_collaboration": {"median": med, "p10": float(np.percentile(durations, 10)),
                                                  "p90": float(np.percentile(durations, 90)), "mean": float(durations.mean())},
        "replicates": reps,
        "first_collaboration_by_min_months": {str(r.min_months_per_level): [round(r.first_collaborations_formed_mean, 1), round(r.first_collaborations_formed_ci_low, 1), round(r.first_collaborations_formed_ci_high, 1)] for r in ref.itertuples()},
        "first_collaboration_by_gain_at_4_months": {str(r.trust_gain): round(r.first_collaborations_formed_mean, 1) for r in table[(table.trust_loss == mid) & (table.min_months_per_level == 4)].itertuples()},
        "first_collaboration_by_loss_at_default": {str(r.trust_loss): round(r.first_collaborations_formed_mean, 1) for r in table[(table.trust_gain == gain0) & (table.min_months_per_level == 4)].itertuples()},
        "pairs_collaboration_final_by_loss": {str(r.trust_loss): round(r.pairs_collaboration_mean, 1) for r in table[(table.trust_gain == gain0) & (table.min_months_per_level == 4)].itertuples()},
    }


def pair_durations(design: dict, replicates: int) -> np.ndarray:
    """Months from first contact to collaboration of every pair, default parameters.

    The sweep stores monthly tables, not pairs, so these runs use the model directly,
    with the design's replicate seeds (same root seed, same derivation as the sweep).
    """
    import collabsim

    seeds = np.random.SeedSequence(design["root_seed"]).generate_state(replicates, dtype=np.uint64) % (2**63)
    out = []
    for seed in seeds:
        m = collabsim.CollaborationModel(design.get("scenario", "default"), seed=int(seed), months=design["months"])
        m.run()
        out.extend(m.summary()["months_to_collaboration"])
    return np.asarray(out, dtype=float)


# --------------------------------------------------------------------------- Q2
def q2_funder(raw: Path, out: Path, design: dict) -> dict:
    df = load(raw)
    keys = list(design["vary"])
    fin = final_month(df)
    for metric in ("breakdowns", "durable_collaborations"):
        fin = paired_difference(fin, keys, "funder_pressure", 0.0, metric)
    fin["harm_minus_help"] = fin["delta_breakdowns"] - fin["delta_durable_collaborations"]
    cols = ["breakdowns", "durable_collaborations", "premature_escalations", "nominal_collaborations",
            "collective_impact", "delta_breakdowns", "delta_durable_collaborations", "harm_minus_help"]
    table = summarise(fin, keys, cols)
    table["harm_outweighs_help"] = table["harm_minus_help_ci_low"] > 0
    table["help_outweighs_harm"] = table["harm_minus_help_ci_high"] < 0
    table.to_csv(out / "pressure_deadline_backbone.csv", index=False)
    reps = replicates_of(df)
    horizon = int(df.month.max())
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    vmax = np.nanmax(np.abs(table.harm_minus_help_mean)) or 1
    for ax, bb in zip(axes, (False, True)):
        t = table[table.backbone == bb]
        piv = t.pivot(index="funder_pressure", columns="funder_deadline_months", values="harm_minus_help_mean")
        sig = t.pivot(index="funder_pressure", columns="funder_deadline_months", values="harm_outweighs_help")
        im = ax.imshow(piv.to_numpy(), cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto", origin="lower")
        for (a, b), v in np.ndenumerate(piv.to_numpy()):
            mark = " *" if bool(sig.to_numpy()[a, b]) else ""
            ax.text(b, a, f"{v:+.1f}{mark}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(piv.shape[1]), piv.columns)
        ax.set_yticks(range(piv.shape[0]), piv.index)
        ax.set_xlabel("funder deadline (months)")
        ax.set_title("with a backbone" if bb else "no backbone")
    axes[0].set_ylabel("funder_pressure")
    fig.colorbar(im, ax=axes, label="extra breakdowns minus extra durable collaborations")
    fig.suptitle("Q2. Where mandated collaboration does more harm than good", fontsize=12, fontweight="bold")
    fig.text(0.5, -0.04, f"difference from no pressure (same deadline, same replicate seeds), month {horizon}, money ends at month 60; "
             f"{reps} replicates; * = 95% CI above 0 (harm outweighs help)", ha="center", fontsize=8, color="#444")
    fig.savefig(out / "harm_vs_help_heatmap.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    dl = 12 if 12 in set(df.funder_deadline_months) else sorted(set(df.funder_deadline_months))[0]
    for p in sorted(set(df.funder_pressure)):
        sub = df[(df.funder_deadline_months == dl) & (df.backbone == False) & (df.funder_pressure == p)]  # noqa: E712
        band(axes[0], sub, "durable_collaborations", f"pressure {p}")
        band(axes[1], sub, "breakdowns", f"pressure {p}")
    for ax, lab in zip(axes, ("durable collaborations (pairs)", "breakdowns (cumulative)")):
        ax.axvline(dl, color="k", ls=":", lw=1)
        ax.axvline(60, color="k", ls="--", lw=1)
        ax.set_xlabel("month")
        ax.set_ylabel(lab)
    axes[0].legend(fontsize=8)
    finish(fig, out / "pressure_over_time.png", f"Q2. Funder pressure over time (deadline {dl} months, no backbone)",
           f"dotted: deadline; dashed: money ends; {reps} replicates; {BAND}")
    region = {
        ("backbone" if bb else "no_backbone"): [
            {"pressure": r.funder_pressure, "deadline": r.funder_deadline_months, "harm_minus_help": round(r.harm_minus_help_mean, 2)}
            for r in table[(table.backbone == bb) & table.harm_outweighs_help].itertuples()
        ]
        for bb in (False, True)
    }
    helped = {
        ("backbone" if bb else "no_backbone"): [
            {"pressure": r.funder_pressure, "deadline": r.funder_deadline_months, "harm_minus_help": round(r.harm_minus_help_mean, 2)}
            for r in table[(table.backbone == bb) & table.help_outweighs_harm].itertuples()
        ]
        for bb in (False, True)
    }
    return {"replicates": reps, "harm_outweighs_help": region, "help_outweighs_harm": helped,
            "table": "pressure_deadline_backbone.csv"}


# --------------------------------------------------------------------------- Q3
def q3_history(raw: Path, out: Path, design: dict) -> dict:
    df = load(raw)
    keys = list(design["vary"])
    table, _ = time_to_first_table(df, keys, "harmed_pairs_working", ["harmed_pairs_cooperating", "durable_collaborations"],
                                   "share_never")
    table.to_csv(out / "history_and_meetings.csv", index=False)
    reps = replicates_of(df)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for meet, t in table.groupby("regular_meetings"):
        lab = "regular meetings" if meet else "no meetings"
        errorbars(axes[0], t, "history_of_harm", "first_harmed_pairs_working", lab)
        errorbars(axes[1], t, "history_of_harm", "harmed_pairs_cooperating", lab)
    axes[0].set_ylabel("months to first joint work across the divide")
    axes[1].set_ylabel(f"harmed-sector pairs cooperating at month {int(df.month.max())}")
    for ax in axes:
        ax.set_xlabel("history_of_harm (starting damage)")
        ax.legend(fontsize=8)
    finish(fig, out / "history_delay.png", "Q3. A history of harm delays collaboration; regular meetings shorten the delay",
           f"police_community scenario (community groups, police, public agencies); {reps} replicates; error bars: 95% CI; never = months+1")
    fig, ax = plt.subplots(figsize=(7, 4))
    hs = sorted(set(df.history_of_harm))
    for h in (hs[0], hs[-1] if len(hs) < 4 else 0.6):
        for meet in (False, True):
            sub = df[(df.history_of_harm == h) & (df.regular_meetings == meet)]
            if len(sub):
                band(ax, sub, "harmed_pairs_cooperating", f"harm {h}, {'meetings' if meet else 'no meetings'}")
    ax.set_xlabel("month")
    ax.set_ylabel("harmed-sector pairs at cooperation or above")
    ax.legend(fontsize=8)
    finish(fig, out / "harmed_pairs_over_time.png", "Q3. Cooperation across the harmed divide over time", f"{reps} replicates; {BAND}")
    return {"replicates": reps, "table": {f"h={r.history_of_harm},meetings={r.regular_meetings}": {
        "first_joint_work": [round(r.first_harmed_pairs_working_mean, 1), round(r.first_harmed_pairs_working_ci_low, 1), round(r.first_harmed_pairs_working_ci_high, 1)],
        "share_never": round(r.share_never, 2), "cooperating_final": round(r.harmed_pairs_cooperating_mean, 1)} for r in table.itertuples()}}


# --------------------------------------------------------------------------- Q4
def q4_backbone_skills(raw: Path, out: Path, design: dict) -> dict:
    df = load(raw)
    keys = list(design["vary"])
    fin = final_month(df)
    fin = paired_difference(fin, keys, "backbone", False, "durable_collaborations")
    fin = paired_difference(fin, keys, "backbone", False, "collective_impact")
    table = summarise(fin, keys, ["durable_collaborations", "collective_impact", "delta_durable_collaborations", "delta_collective_impact"])
    sd = fin.groupby(keys)["durable_collaborations"].std(ddof=1).rename("durable_sd_across_runs").reset_index()
    table = table.merge(sd, on=keys)
    table.to_csv(out / "backbone_skills.csv", index=False)
    reps = replicates_of(df)
    sizes = sorted(set(df.n_organisations))
    fig, axes = plt.subplots(2, len(sizes), figsize=(4.2 * len(sizes), 7), squeeze=False)
    for col, n in enumerate(sizes):
        for bb, t in table[table.n_organisations == n].groupby("backbone"):
            for row, metric in enumerate(("durable_collaborations", "collective_impact")):
                errorbars(axes[row][col], t, "collaborative_skill", metric, "backbone" if bb else "no backbone")
        axes[0][col].set_title(f"{n} organisations")
        axes[1][col].set_xlabel("collaborative_skill (mean, 0-1)")
    axes[0][0].set_ylabel(f"durable collaborations at month {int(df.month.max())}")
    axes[1][0].set_ylabel("collective impact (cumulative value)")
    axes[0][0].legend(fontsize=8)
    finish(fig, out / "backbone_and_skills.png", "Q4. Backbone and collaborative staff",
           f"default community; backbone staff serve 20 organisations a month; {reps} replicates; error bars: 95% CI")
    t = table[table.backbone == True]  # noqa: E712
    piv = t.pivot(index="collaborative_skill", columns="n_organisations", values="delta_durable_collaborations_mean")
    fig, ax = plt.subplots(figsize=(6, 4))
    im = ax.imshow(piv.to_numpy(), cmap="Greens", aspect="auto", origin="lower")
    ax.set_xticks(range(piv.shape[1]), piv.columns)
    ax.set_yticks(range(piv.shape[0]), piv.index)
    for (a, b), v in np.ndenumerate(piv.to_numpy()):
        ax.text(b, a, f"{v:+.1f}", ha="center", va="center", fontsize=9)
    ax.set_xlabel("organisations in the community")
    ax.set_ylabel("collaborative_skill")
    fig.colorbar(im, label="extra durable collaborations with a backbone")
    finish(fig, out / "backbone_gain_heatmap.png", "Q4. What a backbone adds", f"paired by replicate seed; mean of {reps} replicates")
    summary = {"replicates": reps, "points": {}}
    for r in table.itertuples():
        summary["points"][f"n={r.n_organisations},skill={r.collaborative_skill},backbone={r.backbone}"] = {
            "durable": round(r.durable_collaborations_mean, 1), "impact": round(r.collective_impact_mean, 0),
            "backbone_gain_durable": [round(r.delta_durable_collaborations_mean, 1), round(r.delta_durable_collaborations_ci_low, 1), round(r.delta_durable_collaborations_ci_high, 1)],
            "sd_across_runs": round(r.durable_sd_across_runs, 2)}
    return summary


# --------------------------------------------------------------------------- Q5
def q5_competition(raw: Path, out: Path, design: dict) -> dict:
    df = load(raw)
    keys = list(design["vary"])
    fin = final_month(df)
    deep = fin["same_sector_pairs_cooperating"] + fin["cross_sector_pairs_cooperating"]
    fin["same_sector_share"] = np.where(deep > 0, fin["same_sector_pairs_cooperating"] / deep.where(deep > 0, 1), np.nan)
    cols = ["same_sector_pairs_cooperating", "cross_sector_pairs_cooperating", "same_sector_share", "durable_collaborations", "collective_impact", "breakdowns"]
    table = summarise(fin, keys, cols)
    table.to_csv(out / "scarcity.csv", index=False)
    reps = replicates_of(df)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for metric, lab in (("same_sector_pairs_cooperating", "same sector"), ("cross_sector_pairs_cooperating", "across sectors")):
        errorbars(axes[0], table, "funding_scarcity", metric, lab)
    axes[0].set_xlabel("funding_scarcity (share of applicants unfunded)")
    axes[0].set_ylabel(f"pairs at cooperation or above, month {int(df.month.max())}")
    axes[0].legend(fontsize=8)
    for s in sorted(set(df.funding_scarcity))[:: max(1, len(set(df.funding_scarcity)) // 3)]:
        band(axes[1], df[df.funding_scarcity == s], "same_sector_pairs_cooperating", f"scarcity {s}")
    axes[1].set_xlabel("month")
    axes[1].set_ylabel("same-sector pairs at cooperation or above")
    axes[1].legend(fontsize=8)
    finish(fig, out / "scarcity_partners.png", "Q5. Scarce money turns same-sector partners into rivals",
           f"task_force scenario (law enforcement, victim services, NGOs); {reps} replicates; error bars and {BAND}")
    return {"replicates": reps, "by_scarcity": {str(r.funding_scarcity): {
        "same": round(r.same_sector_pairs_cooperating_mean, 1), "cross": round(r.cross_sector_pairs_cooperating_mean, 1),
        "same_share": round(r.same_sector_share_mean, 3), "durable": round(r.durable_collaborations_mean, 1),
        "impact": round(r.collective_impact_mean, 0)} for r in table.itertuples()}}


ANALYSES = {
    "q1_time": q1_time,
    "q2_funder": q2_funder,
    "q3_history": q3_history,
    "q4_backbone_skills": q4_backbone_skills,
    "q5_competition": q5_competition,
}


# --------------------------------------------------------------------------- replicates
REFERENCE_POINTS = {
    # question: (scenario, months, fixed parameters, key metric, how it is read)
    "q1_time": ("default", 120, {}, "collaborations_formed", "first"),
    "q2_funder": ("default", 96, {"funder_pressure": 0.5, "funder_deadline_months": 12, "funding_end_month": 60}, "durable_collaborations", "final"),
    "q3_history": ("police_community", 120, {"regular_meetings": True}, "harmed_pairs_cooperating", "final"),
    "q4_backbone_skills": ("default", 120, {"backbone": True}, "durable_collaborations", "final"),
    "q5_competition": ("task_force", 120, {"funding_scarcity": 0.5}, "cross_sector_pairs_cooperating", "final"),
}


def _cli(args: list[str], quiet: bool) -> None:
    subprocess.run([sys.executable, "-m", "collabsim.cli", *args] + (["--quiet"] if quiet else []), check=True)


def replicate_stability(root: Path, raw: Path, out: Path, quick: bool, workers: int | None, quiet: bool) -> dict:
    """Is the key metric's mean stable to within 5% as replicates grow? (running mean vs the largest n)."""
    from run_all import write_toml

    n_max = 20 if quick else 60
    target = out / "replicates"
    target.mkdir(parents=True, exist_ok=True)
    result, rows = {}, []
    fig, axes = plt.subplots(1, len(REFERENCE_POINTS), figsize=(3.6 * len(REFERENCE_POINTS), 3.6))
    for ax, (q, (scenario, months, fixed, metric, how)) in zip(axes, REFERENCE_POINTS.items()):
        design = {"scenario": scenario, "months": months, "replicates": n_max, "root_seed": 9000 + len(rows), "set": dict(fixed)}
        path = raw / f"replicates_{q}.toml"
        write_toml(design, path)
        extra = ["--workers", str(workers)] if workers else []
        _cli(["sweep", str(path), "--out", str(raw / f"replicates_{q}"), *extra], quiet)
        df = load(raw / f"replicates_{q}")
        if how == "first":
            values = first_month(df, metric, [])[f"first_{metric}"].to_numpy()
        else:
            values = final_month(df).sort_values("replicate")[metric].to_numpy()
        running = np.cumsum(values) / np.arange(1, values.size + 1)
        final = running[-1]
        within = np.abs(running / final - 1) <= 0.05
        stable_from = int(next((k + 1 for k in range(values.size) if within[k:].all()), values.size))
        import tomllib

        used = tomllib.loads((root / "experiments" / f"{q}.toml").read_text(encoding="utf-8"))["replicates"]
        result[q] = {"metric": metric, "mean_at_max": round(float(final), 3), "max_replicates": int(values.size),
                     "stable_within_5pct_from": stable_from, "replicates_used_in_sweep": used}
        rows.append({"question": q, **result[q]})
        ax.plot(np.arange(1, values.size + 1), running, label="running mean")
        ax.axhspan(final * 0.95, final * 1.05, color="green", alpha=0.15, label="±5% of final")
        ax.axvline(used, color="k", ls=":", lw=1, label="replicates used")
        ax.set_title(f"{q}\n{'first month with ' + metric + ' > 0' if how == 'first' else metric}", fontsize=9)
        ax.set_xlabel("replicates")
    axes[0].set_ylabel("mean of key metric")
    axes[0].legend(fontsize=7)
    finish(fig, target / "replicate_stability.png", "How many replicates? Running mean of each question's key metric",
           f"one reference point per question, up to {n_max} replicate seeds; green: within 5% of the mean at {n_max}")
    pd.DataFrame(rows).to_csv(target / "replicate_stability.csv", index=False)
    return result


# --------------------------------------------------------------------------- sensitivity
def sensitivity(root: Path, raw: Path, out: Path, quick: bool, workers: int | None, quiet: bool) -> dict:
    """Morris screening over every numeric parameter, then Sobol' over the ones that matter."""
    import sensitivity_study

    return sensitivity_study.run(root, raw, out, quick, workers, quiet)


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(sorted(ANALYSES)))
