"""Figures and tables that answer each research question, from the sweep engine's Parquet runs.

Each question reads its answer at a stated month (120, or 96 for Q2) and follows it to month
240 (the horizon: does the answer depend on when it is read, and where does the system
settle?). Statistics (``collabsim.stats`` through ``experiments/study.py``):

* times to an event (first contact, first joint work, first collaboration, first breakdown)
  are censored data: Kaplan–Meier curves with 95% bands, medians with CIs or "not reached",
  the share censored on every figure, arms compared seed by seed with a censoring-aware
  paired sign test; no mean of a censored time anywhere;
* every other comparison is a paired difference over common random numbers (every point
  shares the replicate seeds) with its 95% CI and d_z; several tests in one answer are
  adjusted (Benjamini–Hochberg for a heat map's cells, Holm for small families);
  "A changes the effect of B" is an interaction estimate with its CI;
* figures are written as PNG and SVG.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import precision  # noqa: E402
import study  # noqa: E402
from study import PAGE, COLUMN, BAND, plt  # noqa: E402

# --------------------------------------------------------------------------- shared
ANSWER = {q: t.month for q, t in precision.TARGETS.items()}  # the month each answer is read


def ofat(fin: pd.DataFrame, reference: dict, metrics: list[str], method: str = "holm") -> pd.DataFrame:
    """One factor at a time from a reference point: every other level of each factor against the
    reference, the other factors held there; paired differences, adjusted within each metric."""
    rows = []
    for metric in metrics:
        family = []
        for factor, ref in reference.items():
            held = {k: v for k, v in reference.items() if k != factor}
            sub = fin
            for k, v in held.items():
                sub = sub[sub[k] == v]
            base = study.arm(sub, metric, **{factor: ref})
            for level in sorted(set(sub[factor]) - {ref}):
                family.append({"metric": metric, "factor": factor, "level": level, "reference": ref,
                               **study.effect_row(base, study.arm(sub, metric, **{factor: level}))})
        study.adjust(family, method)
        rows += family
    return pd.DataFrame(rows)


def ofat_censored(runs: pd.DataFrame, reference: dict, method: str = "holm") -> pd.DataFrame:
    """``ofat`` for a censored time: the paired sign test of which arm had the event first."""
    family = []
    for factor, ref in reference.items():
        sub = runs
        for k, v in reference.items():
            if k != factor:
                sub = sub[sub[k] == v]
        base = sub[sub[factor] == ref]
        for level in sorted(set(sub[factor]) - {ref}):
            family.append({"factor": factor, "level": level, "reference": ref,
                           **study.censored_contrast(base, sub[sub[factor] == level])})
    study.adjust(family, method)
    return pd.DataFrame(family)


def horizon_and_settling(df: pd.DataFrame, out: Path, name: str, metric_labels: dict, a: dict, b: dict, answer: int, where_settle: dict,
                         title: str, note: str) -> dict:
    """The key paired effect read every 12 months to the last (``<name>_horizon.csv`` and figure), and
    whether each metric has settled: the per-run change from month last-60 to the last month."""
    last = int(df.month.max())
    tables = [study.horizon_effects(df, m, a, b, study.horizon_months(last)) for m in metric_labels]
    hz = pd.concat(tables, ignore_index=True)
    study.write_csv(hz, out / "horizon.csv")
    fig, axes = plt.subplots(1, len(metric_labels), figsize=(PAGE, 2.6), squeeze=False)
    for ax, (m, lab) in zip(axes[0], metric_labels.items()):
        study.effect_line(ax, hz[hz.metric == m], "month", lab)
        ax.axvline(answer, color="k", ls=":", lw=0.8)
        ax.set_xlabel("month the answer is read")
        ax.set_ylabel(f"{lab}\n(paired difference)")
    study.finish(fig, out / "horizon.png", title, f"{note}; dotted: the month the answer is read ({answer}); error bars: 95% CI of the paired difference over {int(hz.n.min())} seeds")
    settle = [study.settling(df, m, w, last - 60, last) for m in metric_labels for w in where_settle]
    st = pd.DataFrame(settle)
    study.write_csv(st, out / "settling.csv")
    at = lambda month: {m: {k: float(v) for k, v in hz[(hz.metric == m) & (hz.month == month)][["diff", "diff_low", "diff_high"]].iloc[0].items()} for m in metric_labels}  # noqa: E731
    return {"answer_month": answer, "last_month": last, "effect_at_answer": at(answer), "effect_at_last": at(last)}


def open_question(raw: Path, design: dict, name: str, metrics: list[str]):
    """(varied keys, month the answer is read, monthly table of ``metrics``, last month, replicates)."""
    keys = list(design["vary"])
    df = study.load(raw, [*keys, *metrics])
    return keys, ANSWER[name], df, int(df.month.max()), study.replicates_of(df)


def event_table(df: pd.DataFrame, keys: list[str], event: str, answer: int, stocks: list[str]):
    """Per point: the Kaplan–Meier summary of the first month ``event`` is above zero read at
    ``answer`` (and, suffixed, at the last month), with the means of ``stocks`` at ``answer``.
    Returns (table, runs read at ``answer``, runs read at the last month, rows of month ``answer``)."""
    last = int(df.month.max())
    runs = study.first_event(df, event, keys, horizon=answer)
    runs_last = study.first_event(df, event, keys)
    fin = study.at_month(df, answer)
    late = study.km_table(runs_last, keys).set_index(keys)[["median_text", "censored_share"]].add_suffix(f"_at_{last}")
    means = fin.groupby(keys)[stocks].mean().add_suffix("_mean")
    table = study.km_table(runs, keys).set_index(keys).join(late).join(means).reset_index()
    return table, runs, runs_last, fin


# --------------------------------------------------------------------------- Q1
Q1_REFERENCE = {"trust_gain": 0.1, "trust_loss": 0.3, "min_months_per_level": 4}


def q1_time(raw: Path, out: Path, design: dict) -> dict:
    metrics = ["collaborations_formed", "breakdowns", "pairs_collaboration", "durable_collaborations"]
    keys, answer, df, last, reps = open_question(raw, design, "q1_time", metrics)
    table, runs, _, fin = event_table(df, keys, "collaborations_formed", answer, ["pairs_collaboration", "durable_collaborations"])
    study.write_csv(table, out / "time_to_first_collaboration.csv")
    tests = ofat_censored(runs, Q1_REFERENCE)
    study.write_csv(tests, out / "first_collaboration_tests.csv")
    effects = ofat(fin, Q1_REFERENCE, ["durable_collaborations", "pairs_collaboration"])
    study.write_csv(effects, out / "durable_effects.csv")
    first_breakdown = study.km_table(study.first_event(df, "breakdowns", keys, horizon=answer), keys)
    study.write_csv(first_breakdown, out / "time_to_first_breakdown.csv")

    losses = sorted(set(table.trust_loss))
    fig, axes = plt.subplots(1, len(losses), figsize=(PAGE, 2.6), squeeze=False, sharey=True)
    for ax, loss in zip(axes[0], losses):
        t = table[table.trust_loss == loss]
        for gain, g in t.groupby("trust_gain"):
            g = g[np.isfinite(g["median"])]
            ax.errorbar(g.min_months_per_level, g["median"], yerr=[g["median"] - g.median_low, np.where(np.isfinite(g.median_high), g.median_high, g["median"]) - g["median"]],
                        marker="o", ms=3, capsize=2, lw=1, label=f"trust_gain {gain}")
        ax.set_title(f"trust_loss = {loss}")
        ax.set_xlabel("min_months_per_level")
    axes[0][0].set_ylabel("months to first collaboration\n(Kaplan–Meier median)")
    axes[0][-1].legend()
    finish_note = (f"default community, {reps} seeds per point; error bars: 95% CI of the median; runs without a collaboration by month {answer} "
                   f"are censored there ({table.censored_share.max():.0%} at most per point, {table.censored_share.mean():.1%} overall)")
    study.finish(fig, out / "time_to_first_collaboration.png", "Q1. Months until the community's first collaboration", finish_note)

    mid = Q1_REFERENCE["trust_loss"]
    t = table[table.trust_loss == mid]
    piv = t.pivot(index="trust_gain", columns="min_months_per_level", values="median")
    fig, ax = plt.subplots(figsize=(COLUMN, 2.6))
    im = study.sequential_heatmap(ax, piv.to_numpy(), list(piv.index), list(piv.columns), lambda v: f"{v:.0f}" if np.isfinite(v) else "n.r.")
    ax.set_xlabel("min_months_per_level")
    ax.set_ylabel("trust_gain")
    fig.colorbar(im, label="median months")
    study.finish(fig, out / "heatmap_gain_x_patience.png", "Q1. Faster trust vs required patience",
                 f"trust_loss {mid}; Kaplan–Meier median months to the first collaboration, {reps} seeds per cell; n.r. = not reached; "
                 f"censored share at most {t.censored_share.max():.0%}")

    fig, ax = plt.subplots(figsize=(COLUMN, 2.6))
    ref = df[(df.trust_gain == Q1_REFERENCE["trust_gain"]) & (df.trust_loss == mid)]
    for mm in sorted(set(df.min_months_per_level)):
        study.band(ax, ref[ref.min_months_per_level == mm], "pairs_collaboration", f"min_months_per_level {mm}")
    ax.axvline(answer, color="k", ls=":", lw=0.8)
    ax.set_xlabel("month")
    ax.set_ylabel("pairs at collaboration")
    ax.legend()
    study.finish(fig, out / "collaboration_over_time.png", "Q1. Pairs at collaboration over time",
                 f"trust_gain {Q1_REFERENCE['trust_gain']}, trust_loss {mid}; {reps} seeds; {BAND}; dotted: month {answer}")

    pairs = pair_events(design, min(reps, 60), last)
    pair_rows, fig = [], None
    fig, axes = plt.subplots(2, 2, figsize=(PAGE, 5.2), sharey=True)
    axes = axes.ravel()
    for ax, (event, label) in zip(axes, PAIR_EVENTS.items()):
        for read, color in ((answer, "#d95f02"), (last, "#1b9e77")):
            t_, o_ = censor_at(pairs, event, read)
            study.km_plot(ax, t_, o_, f"read at {read}", color=color)
            row = {"event": event, "read_at": read, **study.km_row(t_, o_), **cluster_median_ci(pairs, event, read)}
            pair_rows.append(row)
        ax.set_title(label, fontsize=8)
        ax.set_xlabel("months")
        ax.set_ylim(0, 1)
        ax.legend(loc="upper left", fontsize=6)
    for ax in axes[::2]:
        ax.set_ylabel("share of pairs with the event")
    early = pairs[(pairs.contact >= 0) & (pairs.contact <= answer)]  # the cohort the month-120 reading sees, followed to the end
    for event in ("work", "collab"):
        t_, o_ = censor_at(early, event, last)
        pair_rows.append({"event": f"{event}_met_by_{answer}", "read_at": last, **study.km_row(t_, o_), **cluster_median_ci(early, event, last)})
    pt = pd.DataFrame(pair_rows)
    study.write_csv(pt, out / "pair_times.csv")
    study.finish(fig, out / "pair_times_km.png", "Q1. How long pairs take: first contact, first joint work, collaboration (Kaplan–Meier)",
                 f"default community and parameters, {pairs.run.nunique()} runs, {len(pairs)} pairs not present at the start; a pair without the "
                 f"event by the month read is censored there; bands: pointwise 95% (pairs of one run are not independent: the medians' CIs in "
                 f"pair_times.csv come from a bootstrap over runs)")

    hz = horizon_and_settling(df[(df.trust_gain == Q1_REFERENCE["trust_gain"]) & (df.trust_loss == mid)], out, "q1",
                              {"pairs_collaboration": "pairs at collaboration", "durable_collaborations": "durable collaborations"},
                              {"min_months_per_level": 4}, {"min_months_per_level": 8}, answer, [{"min_months_per_level": 4}, {"min_months_per_level": 8}],
                              "Q1. Does the effect of required patience (8 vs 4 months) depend on the month it is read?",
                              f"trust_gain {Q1_REFERENCE['trust_gain']}, trust_loss {mid}")
    return {"replicates": reps, "answer_month": answer, "last_month": last, "reference": Q1_REFERENCE, "horizon": hz,
            "pair_runs": int(pairs.run.nunique()), "pairs": int(len(pairs)),
            "first_collaboration_censored_share": float(runs.observed.eq(False).mean())}


PAIR_EVENTS = {"contact": "first contact (from month 0)", "work": "first joint work (from first contact)",
               "collab": "collaboration (from first contact)", "collab_purpose": "collaboration, pairs whose purpose needs it"}
from collabsim.levels import COLLABORATION  # noqa: E402  (the level index a purpose must reach)


def pair_events(design: dict, replicates: int, months: int) -> pd.DataFrame:
    """Every pair of organisations in runs at default parameters (the design's replicate seeds):
    month of first contact, of first joint work and of collaboration (-1 = not by ``months``).
    Pairs present at the start (``historic``) are left out: their climb is not observed. The
    sweep stores monthly totals, not pairs, so these runs use the model directly."""
    import collabsim
    from collabsim.sweep.design import replicate_seeds

    rows = []
    for run, seed in enumerate(replicate_seeds(design["root_seed"], replicates)):
        m = collabsim.CollaborationModel(design.get("scenario", "default"), seed=int(seed), months=months)
        m.run()
        rel = m.rel
        keep = ~rel.historic
        known = pd.DataFrame({"i": rel.i[keep], "j": rel.j[keep], "contact": rel.first_contact[keep].astype(int),
                              "work": rel.work_month[keep].astype(int), "collab": rel.collab_month[keep].astype(int),
                              "purpose": rel.purpose[keep].astype(int)})
        historic = {(int(a), int(b)) for a, b in zip(rel.i[~keep], rel.j[~keep])}
        met = set(zip(known.i.astype(int), known.j.astype(int))) | historic
        never = [(a, b) for a in range(m.n) for b in range(a + 1, m.n) if (a, b) not in met and (b, a) not in met]
        unmet = pd.DataFrame({"i": [a for a, _ in never], "j": [b for _, b in never], "contact": -1, "work": -1, "collab": -1, "purpose": -1})
        both = pd.concat([known, unmet], ignore_index=True)
        both["run"] = run
        rows.append(both)
    return pd.concat(rows, ignore_index=True)


def censor_at(pairs: pd.DataFrame, event: str, read: int) -> tuple[np.ndarray, np.ndarray]:
    """(time, observed) of ``event`` per pair as read at month ``read``: first contact from month 0;
    joint work and collaboration from first contact (pairs met by then)."""
    if event == "contact":
        seen = (pairs.contact >= 0) & (pairs.contact <= read)
        return np.where(seen, pairs.contact, read).astype(float), seen.to_numpy()
    met = pairs[(pairs.contact >= 0) & (pairs.contact <= read)]
    if event == "collab_purpose":  # a pair whose purpose stops below collaboration never gets there (ODD 2.2)
        met, event = met[met.purpose >= COLLABORATION], "collab"
    when = met[event]
    seen = (when >= 0) & (when <= read)
    return np.where(seen, when - met.contact, read - met.contact).astype(float), seen.to_numpy()


def cluster_median_ci(pairs: pd.DataFrame, event: str, read: int, draws: int = 200) -> dict:
    """95% CI of the Kaplan–Meier median by resampling whole runs (pairs of a run share its history)."""
    rng = np.random.default_rng(14)
    groups = [g for _, g in pairs.groupby("run")]
    meds = []
    for _ in range(draws):
        sample = pd.concat([groups[k] for k in rng.integers(0, len(groups), len(groups))], ignore_index=True)
        t_, o_ = censor_at(sample, event, read)
        meds.append(study.kaplan_meier(t_, o_).median().estimate)
    meds = np.asarray(meds)
    lo, hi = (float(np.percentile(meds, q, method="nearest")) for q in (2.5, 97.5))  # "nearest": a bound may be inf (not reached)
    text = "not reached" if not np.isfinite(lo) else f"[{lo:g}, {hi:g}]" if np.isfinite(hi) else f"[{lo:g}, not reached]"
    return {"median_low_runs": lo, "median_high_runs": hi, "median_ci_runs_text": text}


# --------------------------------------------------------------------------- Q2
Q2_FLOWS = {"breakdowns": "extra breakdowns (events to the month read)", "collaborations_formed": "extra collaborations formed (events)",
            "durable_collaborations": "extra durable collaborations (pairs at the month read)"}


def q2_funder(raw: Path, out: Path, design: dict) -> dict:
    metrics = [*Q2_FLOWS, "premature_escalations", "nominal_collaborations"]
    keys, answer, df, last, reps = open_question(raw, design, "q2_funder", metrics)
    fin = study.at_month(df, answer)
    con = study.contrasts(fin, keys, "funder_pressure", 0.0, metrics, "bh")
    con["power_for_3"] = [study.power_for(3.0, sd, n) for sd, n in zip(con.sd_diff, con.n)]
    study.write_csv(con, out / "pressure_deadline_backbone.csv")
    inter = study.interactions(fin, "backbone", False, "funder_pressure", 0.0, ["funder_deadline_months"], list(Q2_FLOWS), "holm")
    study.write_csv(inter, out / "backbone_interaction.csv")
    pooled = []
    for metric in Q2_FLOWS:  # the backbone's change of the pressure effect, averaged over the 16 pressure x deadline cells per seed
        eff = {bb: np.mean([study.arm(fin, metric, funder_pressure=p, funder_deadline_months=d, backbone=bb)
                            - study.arm(fin, metric, funder_pressure=0.0, funder_deadline_months=d, backbone=bb)
                            for p in sorted(set(fin.funder_pressure) - {0.0}) for d in sorted(set(fin.funder_deadline_months))], axis=0)
               for bb in (False, True)}
        pooled.append({"metric": metric, **study.effect_row(eff[False], eff[True])})
    study.adjust(pooled, "holm")
    study.write_csv(pd.DataFrame(pooled), out / "backbone_interaction_pooled.csv")

    fig, axes = plt.subplots(len(Q2_FLOWS), 2, figsize=(PAGE, 7.4), sharey=True, layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0.065, 1, 0.885), hspace=0.06)  # (left, bottom, width, height): room for the title and the note
    for row, (metric, label) in enumerate(Q2_FLOWS.items()):
        c = con[con.metric == metric]
        vmax = float(np.nanmax(np.abs(c["diff"]))) or 1.0
        for col, bb in enumerate((False, True)):
            t = c[c.backbone == bb]
            piv = t.pivot(index="funder_pressure", columns="funder_deadline_months", values="diff")
            sig = t.pivot(index="funder_pressure", columns="funder_deadline_months", values="significant").to_numpy(dtype=bool)
            im = study.centred_heatmap(axes[row][col], piv.to_numpy(), sig, list(piv.index), list(piv.columns), "{:+.1f}", origin="lower", vmax=vmax)
            axes[row][col].set_title(("with a backbone" if bb else "no backbone"), fontsize=8)
            axes[row][col].set_xlabel("funder deadline (months)")
        axes[row][0].set_ylabel("funder_pressure")
        fig.colorbar(im, ax=axes[row].tolist(), label=textwrap.fill(label, 26), shrink=0.95, pad=0.02)
    fig.text(0.5, 0.975, "Q2. What mandated collaboration adds and costs, by pressure and deadline", ha="center", va="center", fontsize=9, fontweight="bold")
    fig.text(0.5, 0.005, textwrap.fill(
        f"paired difference from no pressure (same deadline, backbone and seeds), read at month {answer}; money ends at month 60 in every arm; "
        f"{reps} seeds per cell; hatched, ns = not significant (Benjamini–Hochberg-adjusted p ≥ 0.05 over the {len(c)} cells of a row); breakdowns and formations are events "
        f"counted to month {answer} (same unit), durable collaborations a number of pairs at month {answer} (a state): they are shown apart, not subtracted", 130),
        ha="center", va="bottom", fontsize=6.5, color="#333")
    study.save_figure(fig, out / "harm_vs_help_heatmap.png")
    plt.close(fig)

    dl = 12
    base = df[(df.funder_deadline_months == dl) & (df.backbone == False)]  # noqa: E712
    fig, axes = plt.subplots(1, 2, figsize=(PAGE, 2.7))
    for p in sorted(set(df.funder_pressure)):
        sub = base[base.funder_pressure == p]
        study.band(axes[0], sub, "durable_collaborations", f"pressure {p}")
        study.band(axes[1], sub, "breakdowns", f"pressure {p}")
    for ax, lab in zip(axes, ("durable collaborations (pairs)", "breakdowns (cumulative events)")):
        for x, ls in ((dl, ":"), (60, "--"), (answer, "-.")):
            ax.axvline(x, color="k", ls=ls, lw=0.7)
        ax.set_xlabel("month")
        ax.set_ylabel(lab)
    axes[0].legend()
    study.finish(fig, out / "pressure_over_time.png", f"Q2. Funder pressure over time (deadline {dl} months, no backbone)",
                 f"dotted: deadline; dashed: money ends; dash-dot: month the answer is read; {reps} seeds; {BAND}")

    runs = study.first_event(base, "breakdowns", ["funder_pressure"], horizon=answer)
    kmt = study.km_table(runs, ["funder_pressure"])
    tests = []
    for p in sorted(set(runs.funder_pressure) - {0.0}):
        tests.append({"funder_pressure": p, **study.censored_contrast(runs[runs.funder_pressure == 0.0], runs[runs.funder_pressure == p])})
    study.adjust(tests, "holm")
    kmt = kmt.merge(pd.DataFrame(tests), on="funder_pressure", how="left", suffixes=("", "_test"))
    study.write_csv(kmt, out / "first_breakdown.csv")
    fig, ax = plt.subplots(figsize=(COLUMN, 2.8))
    for p, g in runs.groupby("funder_pressure"):
        study.km_plot(ax, g.time.to_numpy(), g.observed.to_numpy(), f"pressure {p}")
    ax.set_xlabel("month")
    ax.set_ylabel("share of runs with a breakdown")
    ax.legend(fontsize=5.5)
    study.finish(fig, out / "first_breakdown_km.png", "Q2. Months to the first breakdown (Kaplan–Meier)",
                 f"deadline {dl}, no backbone; {reps} seeds; runs without a breakdown by month {answer} censored there; bands: pointwise 95%")

    hz = horizon_and_settling(df[(df.funder_deadline_months == dl) & (df.backbone == False)], out, "q2",  # noqa: E712
                              {"breakdowns": "breakdowns", "durable_collaborations": "durable collaborations"},
                              {"funder_pressure": 0.0}, {"funder_pressure": 1.0}, answer, [{"funder_pressure": 0.0}, {"funder_pressure": 1.0}],
                              "Q2. Does the effect of full pressure depend on the month it is read?", f"pressure 1.0 minus none, deadline {dl}, no backbone")
    b = con[con.metric == "breakdowns"]
    power = {"power": 0.8, "median_sd_diff": float(b.sd_diff.median()), "median_mde80": float(b.mde80.median()),
             "median_mde80_bonferroni": float(b.mde80_bonferroni.median()), "median_power_for_3": float(b.power_for_3.median())}
    return {"replicates": reps, "answer_month": answer, "last_month": last, "reference_deadline": dl, "horizon": hz, "power_breakdowns": power,
            "significant_cells": {m: int(con[(con.metric == m)].significant.sum()) for m in metrics},
            "cells": int(len(b))}


# --------------------------------------------------------------------------- Q3
def q3_history(raw: Path, out: Path, design: dict) -> dict:
    metrics = ["harmed_pairs_working", "harmed_pairs_cooperating", "durable_collaborations", "breakdowns"]
    keys, answer, df, last, reps = open_question(raw, design, "q3_history", metrics)
    table, runs, runs_last, fin = event_table(df, keys, "harmed_pairs_working", answer, ["harmed_pairs_cooperating", "durable_collaborations"])
    study.write_csv(table, out / "history_and_meetings.csv")
    tests = []
    for h in sorted(set(runs.history_of_harm)):
        r = runs[runs.history_of_harm == h]
        tests.append({"comparison": "meetings vs none", "history_of_harm": h, "regular_meetings": True,
                      **study.censored_contrast(r[~r.regular_meetings], r[r.regular_meetings])})
    study.adjust(tests, "holm")
    harm_tests = []
    for meet in (False, True):
        r = runs[runs.regular_meetings == meet]
        for h in sorted(set(r.history_of_harm) - {0.0}):
            harm_tests.append({"comparison": "harm vs none", "history_of_harm": h, "regular_meetings": meet,
                               **study.censored_contrast(r[r.history_of_harm == 0.0], r[r.history_of_harm == h])})
    study.adjust(harm_tests, "holm")
    study.write_csv(pd.DataFrame(tests + harm_tests), out / "first_joint_work_tests.csv")
    effects = pd.concat([study.contrasts(fin, keys, "regular_meetings", False, ["harmed_pairs_cooperating", "durable_collaborations"], "holm"),
                         study.contrasts(fin, keys, "history_of_harm", 0.0, ["harmed_pairs_cooperating", "durable_collaborations", "breakdowns"], "holm")],
                        ignore_index=True)
    effects.insert(0, "factor", np.where(effects.reference.astype(str) == "False", "regular_meetings", "history_of_harm"))
    study.write_csv(effects, out / "history_effects.csv")
    inter = study.interactions(fin, "history_of_harm", 0.0, "regular_meetings", False, [], ["harmed_pairs_cooperating"], "holm")
    study.write_csv(inter, out / "meetings_by_harm_interaction.csv")

    fig, axes = plt.subplots(1, 2, figsize=(PAGE, 3.0), sharey=True)
    for ax, meet in zip(axes, (False, True)):
        r = runs_last[runs_last.regular_meetings == meet]
        for h, g in r.groupby("history_of_harm"):
            study.km_plot(ax, g.time.to_numpy(), g.observed.to_numpy(), f"harm {h}")
        ax.axvline(answer, color="k", ls=":", lw=0.8)
        ax.set_title("regular meetings" if meet else "no meetings")
        ax.set_xlabel("month")
        ax.legend(fontsize=5.5, loc="lower right")
    axes[0].set_ylabel("share of runs with joint work\nacross the harmed divide")
    study.finish(fig, out / "history_delay.png", "Q3. Months to the first joint work across the divide (Kaplan–Meier)",
                 f"police_community, standing start; {reps} seeds per arm; runs without such work by month {last} are censored there "
                 f"(medians in the legend read to month {last}; the table also reads them at month {answer}, dotted); bands: pointwise 95%")
    fig, ax = plt.subplots(figsize=(COLUMN, 2.8))
    hs = sorted(set(df.history_of_harm))
    for h in (hs[0], 0.6 if 0.6 in hs else hs[-1]):
        for meet in (False, True):
            study.band(ax, df[(df.history_of_harm == h) & (df.regular_meetings == meet)], "harmed_pairs_cooperating",
                       f"harm {h}, {'meetings' if meet else 'no meetings'}")
    ax.axvline(answer, color="k", ls=":", lw=0.8)
    ax.set_xlabel("month")
    ax.set_ylabel("harmed-sector pairs at cooperation or above")
    ax.legend(fontsize=6)
    study.finish(fig, out / "harmed_pairs_over_time.png", "Q3. Cooperation across the harmed divide over time", f"{reps} seeds; {BAND}")
    hz = horizon_and_settling(df[df.history_of_harm == 0.6], out, "q3", {"harmed_pairs_cooperating": "harmed pairs cooperating",
                              "durable_collaborations": "durable collaborations"}, {"regular_meetings": False}, {"regular_meetings": True}, answer,
                              [{"regular_meetings": False}, {"regular_meetings": True}],
                              "Q3. Does the effect of meetings (harm 0.6) depend on the month it is read?", "meetings minus none, history_of_harm 0.6")
    return {"replicates": reps, "answer_month": answer, "last_month": last, "horizon": hz}


# --------------------------------------------------------------------------- Q4
def q4_backbone_skills(raw: Path, out: Path, design: dict) -> dict:
    metrics = ["durable_collaborations", "collective_impact"]
    keys, answer, df, last, reps = open_question(raw, design, "q4_backbone_skills", metrics)
    fin = study.at_month(df, answer)
    con = study.contrasts(fin, keys, "backbone", False, metrics, "bh")
    spread = fin.groupby(keys)["durable_collaborations"].std(ddof=1).unstack("backbone")
    con = con.merge(spread.rename(columns={False: "durable_sd_without", True: "durable_sd_with"}).reset_index(),
                    on=["collaborative_skill", "n_organisations"], how="left")
    study.write_csv(con, out / "backbone_skills.csv")
    study.write_csv(study.contrasts(fin, keys, "collaborative_skill", 0.3, metrics, "bh"), out / "skill_effects.csv")
    inter = pd.concat([
        study.interactions(fin, "n_organisations", 20, "backbone", False, ["collaborative_skill"], metrics, "holm").assign(question="size changes the backbone's gain"),
        study.interactions(fin, "collaborative_skill", 0.3, "backbone", False, ["n_organisations"], metrics, "holm").assign(question="skill changes the backbone's gain"),
    ], ignore_index=True)
    study.write_csv(inter, out / "backbone_interactions.csv")
    sizes = sorted(set(fin.n_organisations))
    fig, axes = plt.subplots(1, 2, figsize=(PAGE, 2.7))
    for ax, metric, lab in zip(axes, metrics, ("extra durable collaborations", "extra collective impact")):
        for n in sizes:
            study.effect_line(ax, con[(con.metric == metric) & (con.n_organisations == n)], "collaborative_skill", f"{n} organisations")
        ax.set_xlabel("collaborative_skill")
        ax.set_ylabel(f"with minus without a backbone\n({lab}, month {answer})")
    axes[0].legend()
    study.finish(fig, out / "backbone_and_skills.png", "Q4. What a backbone adds, by staff skill and community size",
                 f"default community; paired by seed; {reps} seeds per cell; error bars: 95% CI of the paired difference")
    c = con[con.metric == "durable_collaborations"]
    piv = c.pivot(index="collaborative_skill", columns="n_organisations", values="diff")
    sig = c.pivot(index="collaborative_skill", columns="n_organisations", values="significant").to_numpy(dtype=bool)
    fig, ax = plt.subplots(figsize=(COLUMN, 2.8))
    im = study.centred_heatmap(ax, piv.to_numpy(), sig, list(piv.index), list(piv.columns), "{:+.1f}", origin="lower")
    ax.set_xlabel("organisations in the community")
    ax.set_ylabel("collaborative_skill")
    fig.colorbar(im, label="extra durable collaborations")
    study.finish(fig, out / "backbone_gain_heatmap.png", "Q4. What a backbone adds",
                 f"paired by seed, month {answer}, {reps} seeds per cell; scale centred on zero; hatched, ns = not significant (Benjamini–Hochberg-adjusted p ≥ 0.05 over {len(c)} cells)")
    hz = horizon_and_settling(df[(df.collaborative_skill == 0.5) & (df.n_organisations == 40)], out, "q4",
                              {"durable_collaborations": "durable collaborations", "collective_impact": "collective impact"},
                              {"backbone": False}, {"backbone": True}, answer, [{"backbone": False}, {"backbone": True}],
                              "Q4. Does the backbone's gain depend on the month it is read?", "backbone minus none, skill 0.5, 40 organisations")
    return {"replicates": reps, "answer_month": answer, "last_month": last, "horizon": hz}


# --------------------------------------------------------------------------- Q5
Q5_METRICS = ["same_sector_pairs_cooperating", "cross_sector_pairs_cooperating", "durable_collaborations", "breakdowns",
              "multisector_clusters", "rivalries", "collective_impact"]


def q5_competition(raw: Path, out: Path, design: dict) -> dict:
    keys, answer, df, last, reps = open_question(raw, design, "q5_competition", Q5_METRICS)
    fin = study.at_month(df, answer)
    levels = []
    for s, g in fin.groupby("funding_scarcity"):
        row = {"funding_scarcity": s, "replicates": len(g)}
        for m in Q5_METRICS:
            lo, hi = _t_interval(g[m].to_numpy(dtype=float))
            row.update({f"{m}_mean": float(g[m].mean()), f"{m}_ci_low": lo, f"{m}_ci_high": hi})
        deep = g.same_sector_pairs_cooperating + g.cross_sector_pairs_cooperating
        row["same_sector_share_pooled"] = float(g.same_sector_pairs_cooperating.sum() / deep.sum()) if deep.sum() else math.nan
        levels.append(row)
    study.write_csv(pd.DataFrame(levels), out / "scarcity.csv")
    con = study.contrasts(fin, keys, "funding_scarcity", 0.0, Q5_METRICS, "holm")
    study.write_csv(con, out / "scarcity_effects.csv")
    fig, axes = plt.subplots(1, 2, figsize=(PAGE, 2.7))
    for m, lab in (("same_sector_pairs_cooperating", "same sector"), ("cross_sector_pairs_cooperating", "across sectors")):
        study.effect_line(axes[0], con[con.metric == m], "funding_scarcity", lab)
    axes[0].set_ylabel(f"change in pairs at cooperation+\n(vs no scarcity, month {answer})")
    for m, lab in (("breakdowns", "breakdowns"), ("durable_collaborations", "durable collaborations")):
        study.effect_line(axes[1], con[con.metric == m], "funding_scarcity", lab)
    axes[1].set_ylabel("change vs no scarcity")
    for ax in axes:
        ax.set_xlabel("funding_scarcity")
        ax.legend()
    study.finish(fig, out / "scarcity_partners.png", "Q5. What scarce money changes, seed by seed",
                 f"task_force scenario; paired differences from scarcity 0 with 95% CI, {reps} seeds per level; Holm-adjusted tests in scarcity_effects.csv")
    fig, ax = plt.subplots(figsize=(COLUMN, 2.7))
    for s in (0.0, 0.5, 1.0):
        study.band(ax, df[df.funding_scarcity == s], "same_sector_pairs_cooperating", f"scarcity {s}")
    ax.axvline(answer, color="k", ls=":", lw=0.8)
    ax.set_xlabel("month")
    ax.set_ylabel("same-sector pairs at cooperation+")
    ax.legend()
    study.finish(fig, out / "same_sector_over_time.png", "Q5. Same-sector partnerships over time", f"{reps} seeds; {BAND}")
    hz = horizon_and_settling(df, out, "q5", {"same_sector_pairs_cooperating": "same-sector pairs", "cross_sector_pairs_cooperating": "cross-sector pairs"},
                              {"funding_scarcity": 0.0}, {"funding_scarcity": 0.5}, answer, [{"funding_scarcity": 0.0}, {"funding_scarcity": 0.5}],
                              "Q5. Does the effect of scarcity 0.5 depend on the month it is read?", "scarcity 0.5 minus none")
    return {"replicates": reps, "answer_month": answer, "last_month": last, "horizon": hz}


def _t_interval(v: np.ndarray) -> tuple[float, float]:
    from scipy import stats

    if v.size < 2:
        return math.nan, math.nan
    h = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return float(v.mean() - h), float(v.mean() + h)


ANALYSES = {
    "q1_time": q1_time,
    "q2_funder": q2_funder,
    "q3_history": q3_history,
    "q4_backbone_skills": q4_backbone_skills,
    "q5_competition": q5_competition,
}


# --------------------------------------------------------------------------- replicates
def replicate_stability(root: Path, raw: Path, out: Path, quick: bool, workers: int | None, quiet: bool) -> dict:
    """Were there enough replicates? For each question, the precision of the paired difference
    its answer rests on: target CI half-width, pilot, chosen count, and the half-width reached
    (also as a function of the seeds used, to show where it crosses the target)."""
    from run_all import write_manifest

    target_dir = out / "replicates"
    target_dir.mkdir(parents=True, exist_ok=True)
    rows, curves = [], {}
    for q, t in precision.TARGETS.items():
        manifest = out / q / "manifest.json"
        if not (raw / q / "runs").is_dir() or not manifest.is_file():
            continue
        record = json.loads(manifest.read_text(encoding="utf-8"))["results"].get("precision") or {}
        stage2 = (record.get("stage2") or {}).get("rerun_with")
        a, b = precision.contrast_arms(study.load(raw / (f"{q}_stage2" if stage2 else q), [t.factor, t.metric, *t.fixed]), t)
        e = study.effect_row(a, b)
        steps = list(range(2, a.size + 1))
        curves[q] = (steps, precision.achieved_halfwidths(a, b, steps), t)
        half = (e["diff_high"] - e["diff_low"]) / 2
        rows.append({"question": q, "contrast": f"{t.factor} {t.level} vs {t.reference}", "metric": t.metric, "read": t.read,
                     "month": t.month, "unit": t.unit, "target_halfwidth": t.halfwidth,
                     "pilot_replicates": record.get("pilot_replicates"), "pilot_sd_diff": record.get("pilot_sd_diff"),
                     "replicates_needed": record.get("replicates_needed"), "replicates_floor": record.get("replicates_floor"),
                     "replicates_cap": record.get("replicates_cap"), "replicates_chosen": record.get("replicates_chosen"),
                     "stage2_needed": (record.get("stage2") or {}).get("replicates_needed"),
                     "cap_binds": record.get("cap_binds"), "replicates_run": int(a.size), "diff": e["diff"], "diff_low": e["diff_low"],
                     "diff_high": e["diff_high"], "sd_diff": e["sd_diff"], "corr": e["corr"], "achieved_halfwidth": half,
                     "meets_target": bool(half <= t.halfwidth), "why": t.why})
    table = pd.DataFrame(rows)
    study.write_csv(table, target_dir / "precision.csv")
    for old in ("replicate_stability.csv", "replicate_stability.png"):
        (target_dir / old).unlink(missing_ok=True)
    fig, axes = plt.subplots(1, max(1, len(curves)), figsize=(PAGE, 2.9), squeeze=False)
    for ax, (q, (steps, halves, t)) in zip(axes[0], curves.items()):
        keep = [i for i, k in enumerate(steps) if k >= 5]  # a handful of seeds gives no usable SD
        ks, hs = [steps[i] for i in keep], [halves[i] for i in keep]
        ax.plot(ks, hs, lw=1.2, label="reached with the first n seeds")
        ax.axhline(t.halfwidth, color="#d95f02", ls="--", lw=1, label="target")
        ax.set_title(textwrap.fill(f"{q.split('_')[0].upper()}: {t.metric.replace('_', ' ')} ({t.unit})", 22), fontsize=7)
        ax.set_xlabel("seeds")
        ax.set_ylim(0, max(hs + [t.halfwidth]) * 1.05)
    axes[0][0].set_ylabel("95% CI half-width of the\nkey paired difference")
    axes[0][-1].legend(fontsize=5.5, loc="upper right")
    study.finish(fig, target_dir / "precision.png", "How many replicates? The precision of the difference each answer rests on",
                 "per question: the key contrast's 95% CI half-width as seeds are added (full study), and the target the replicate count was chosen for (experiments/precision.py)")
    write_manifest(target_dir, None, targets={q: {**vars(t)} for q, t in precision.TARGETS.items()},
                   sources={q: f"results/{q}/manifest.json" for q in curves})
    return {"questions": {r["question"]: {k: r[k] for k in ("replicates_chosen", "target_halfwidth", "achieved_halfwidth", "meets_target")} for r in rows}}

# --------------------------------------------------------------------------- sensitivity
def sensitivity(root: Path, raw: Path, out: Path, quick: bool, workers: int | None, quiet: bool) -> dict:
    """Morris screening over every numeric parameter, then Sobol' over the ones that matter."""
    import sensitivity_study

    return sensitivity_study.run(root, raw, out, quick, workers, quiet)


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(sorted(ANALYSES)))
