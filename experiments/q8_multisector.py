"""Question 8: what builds multisector clusters?

A multisector cluster is a connected group of collaborating pairs spanning three or more
sectors (``metrics.MULTISECTOR_MIN_SECTORS``; 004's multisector collaboration). Candidate
builders, each from a source: a backbone that brokers introductions and supports joint
work (001), a standing forum of community groups and police (000), referrals through
partners (Gulati & Gargiulo 1999) and celebrated successes (000, 004). Full factorial on
common random numbers: main effects are seed-by-seed means over the other factors' cells,
two-factor interactions likewise, Holm-controlled per outcome.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import study_tools as st
from collabsim.engine import ROW_NAMES
from collabsim.stats import paired_difference
from study_tools import Contrast, Target

KEYS = ["backbone", "regular_meetings", "referral_weight", "celebrate_successes"]
REFERENCE = {"backbone": False, "regular_meetings": False, "referral_weight": 0.0, "celebrate_successes": False}
OUTCOMES = [("multisector_clusters", 120), ("multisector_clusters", 240), ("pairs_collaboration", 120),
            ("cross_sector_pairs_cooperating", 120)]
NAMES = {"backbone": "backbone", "regular_meetings": "meetings", "referral_weight": "referral", "celebrate_successes": "celebration"}


def factors(referral_levels: list[float]) -> dict[str, tuple]:
    """Each factor as (low, high) selections; referral has one contrast per level above 0."""
    out = {NAMES[k]: ({k: False}, {k: True}) for k in ("backbone", "regular_meetings", "celebrate_successes")}
    out.update({f"referral {w:g}": ({"referral_weight": 0.0}, {"referral_weight": w}) for w in referral_levels if w > 0})
    return out


def main_and_interactions(referral_levels: list[float]) -> list[Contrast]:
    f = factors(referral_levels)
    top = max(referral_levels)
    mains = [Contrast(name, lo, hi) for name, (lo, hi) in f.items()]
    pairs = [n for n in f if not n.startswith("referral") or n == f"referral {top:g}"]
    inter = [Contrast(f"{x} x {y}", {**f[x][0], **f[y][0]}, {**f[x][0], **f[y][1]}, {**f[x][1], **f[y][0]}, {**f[x][1], **f[y][1]})
             for x, y in combinations(pairs, 2)]
    return mains + inter


TARGETS = [
    Target(Contrast("backbone", {"backbone": False}, {"backbone": True}), "multisector_clusters", 120, 0.25,
           "a quarter of a cluster: the communities hold one to three clusters"),
    Target(Contrast("meetings", {"regular_meetings": False}, {"regular_meetings": True}), "multisector_clusters", 120, 0.25,
           "a quarter of a cluster"),
]
CAP = 100
"""Compute budget: 24 points x 100 replicates x 240 months, and the membership re-runs of 4 cells
x the replicates, about two minutes on 2 cores."""


def analyse(raw: Path, out: Path, design: dict) -> dict:
    sweep = st.Sweep(raw, KEYS)
    levels = sorted(float(w) for w in sweep.points["referral_weight"].unique())
    cons = main_and_interactions(levels)
    effects = pd.concat([st.effects_table(sweep, cons, [o], family=None) for o in OUTCOMES]).reset_index(drop=True)
    effects["kind"] = np.where(effects["contrast"].str.contains(" x "), "interaction", "main effect")
    effects.to_csv(out / "effects.csv", index=False)

    cells = cell_table(sweep, levels)
    cells.to_csv(out / "cells.csv", index=False)

    simple = [Contrast(name, {**REFERENCE, **lo}, {**REFERENCE, **hi}) for name, (lo, hi) in factors(levels).items()]
    km = pd.DataFrame([st.km_row(*sweep.events("multisector_clusters", p), backbone=bool(r.backbone),
                                 regular_meetings=bool(r.regular_meetings), referral_weight=float(r.referral_weight),
                                 celebrate_successes=bool(r.celebrate_successes)) for p, r in sweep.points.iterrows()])
    km.to_csv(out / "time_to_event.csv", index=False)
    cens = st.adjust(pd.DataFrame([st.censored_row(sweep, c, "multisector_clusters") for c in simple]))
    cens.to_csv(out / "time_to_event_tests.csv", index=False)

    runs = membership(sweep, design)
    runs.to_csv(out / "membership_runs.csv", index=False)
    traits, members = membership_tables(runs)
    traits.to_csv(out / "membership_traits.csv", index=False)
    members.to_csv(out / "membership_effects.csv", index=False)
    sectors = runs.groupby(["backbone", "celebrate_successes"])[[c for c in runs if c.startswith("share_")]].mean().reset_index()
    sectors.to_csv(out / "membership_by_sector.csv", index=False)

    read, settle, series = st.horizon_table(sweep, [(c, "multisector_clusters") for c in cons if " x " not in c.label])
    read.to_csv(out / "horizon.csv", index=False)
    settle.to_csv(out / "horizon_settle.csv", index=False)
    files = figures_q8(sweep, out, effects, cells, series, levels)
    files += sector_figure(out, runs)
    main120 = effects[(effects.outcome == "multisector_clusters") & (effects.month == 120)]
    return {"replicates": sweep.replicates, "months": sweep.horizon, "points": len(sweep.points),
            "tests_per_outcome": int(len(cons)),
            "significant_main_effects_120": int((main120["significant_holm"] & (main120["kind"] == "main effect")).sum()),
            "significant_interactions_120": int((main120["significant_holm"] & (main120["kind"] == "interaction")).sum()),
            "membership_reruns": int(len(runs)), "membership_reruns_equal_to_sweep": int(runs["same_as_sweep"].sum()),
            "figures": files}


MEMBERSHIP_CELLS = [{"backbone": b, "regular_meetings": False, "referral_weight": 0.3, "celebrate_successes": c}
                    for b in (False, True) for c in (False, True)]
"""Cells whose runs are re-run to month 120 to see who is inside the clusters (the sweep
stores monthly counts, not organisations): backbone x celebration at the default referral."""


def clusters(level: np.ndarray, i: np.ndarray, j: np.ndarray, sector: np.ndarray) -> np.ndarray:
    """Per organisation: True if it belongs to a connected cluster of collaborating pairs
    spanning ``MULTISECTOR_MIN_SECTORS`` sectors or more (the rule of ``metrics.pair_statistics``)."""
    from collabsim.levels import COLLABORATION
    from collabsim.metrics import MULTISECTOR_MIN_SECTORS

    n = sector.size
    parent = np.arange(n)

    def root(o: int) -> int:
        while parent[o] != o:
            parent[o] = parent[parent[o]]
            o = parent[o]
        return o

    working = level == COLLABORATION
    for a, b in zip(i[working], j[working]):
        ra, rb = root(int(a)), root(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    in_collab = np.zeros(n, bool)
    in_collab[i[working]] = in_collab[j[working]] = True
    roots = np.array([root(o) for o in range(n)])
    spans = {r: len(set(sector[(roots == r) & in_collab])) for r in set(roots[in_collab])}
    return np.array([in_collab[o] and spans[roots[o]] >= MULTISECTOR_MIN_SECTORS for o in range(n)])


def membership(sweep: st.Sweep, design: dict, month: int = 120) -> pd.DataFrame:
    """Re-run the runs of ``MEMBERSHIP_CELLS`` to ``month`` (same seeds and parameters as
    the sweep) and describe who is in a multisector cluster. Each re-run's cluster count
    must equal the sweep's (column ``same_as_sweep``), the proof that it is the same run."""
    from collabsim import CollaborationModel
    from collabsim.scenarios import SECTORS
    from collabsim.sweep.design import design_from_dict

    d = design_from_dict(json.loads(json.dumps({**design, "replicates": sweep.replicates})))
    rows = []
    for cell in MEMBERSHIP_CELLS:
        point = sweep.point(**cell)
        stored = sweep.at("multisector_clusters", point, month)
        for rep in range(sweep.replicates):
            _, _, seed, params = d.run_spec(point * d.replicates + rep)
            model = CollaborationModel(d.scenario, seed=seed, **{**params, "months": d.months})
            last = model.run_rows(month)[-1]
            rel, orgs = model.rel, model.orgs
            member = clusters(rel.level, rel.i, rel.j, orgs.sector)
            count = last[ROW_NAMES.index("multisector_clusters")]
            row = {**cell, "replicate": rep, "month": month, "members": int(member.sum()), "member_share": float(member.mean()),
                   "clusters": int(count), "same_as_sweep": bool(count == stored[rep])}
            for trait, values in (("skill", orgs.skill), ("reliability", orgs.reliability), ("forum_member", model.forum_member.astype(float))):
                row[f"{trait}_members"] = float(values[member].mean()) if member.any() else np.nan
                row[f"{trait}_others"] = float(values[~member].mean()) if (~member).any() else np.nan
            for k, name in enumerate(SECTORS):
                in_sector = orgs.sector == k
                row[f"share_{name}"] = float(member[in_sector].mean()) if in_sector.any() else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def membership_tables(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Members against the other organisations of the same run (paired within run), per
    cell; and the cells' effects on how many organisations are inside clusters."""
    traits = []
    for (b, c), g in runs.groupby(["backbone", "celebrate_successes"]):
        for trait in ("skill", "reliability", "forum_member"):
            ok = g[[f"{trait}_members", f"{trait}_others"]].dropna()
            e = paired_difference(ok[f"{trait}_others"], ok[f"{trait}_members"])
            traits.append(st.effect_row(e, backbone=b, celebrate_successes=c, trait=trait))
    traits = st.adjust(pd.DataFrame(traits))
    cells = []
    ref = runs[(~runs.backbone) & (~runs.celebrate_successes)].sort_values("replicate")
    for (b, c), g in runs.groupby(["backbone", "celebrate_successes"]):
        if b or c:
            g = g.sort_values("replicate")
            for col in ("members", "clusters"):
                cells.append(st.effect_row(paired_difference(ref[col], g[col]), backbone=b, celebrate_successes=c, outcome=col))
    return traits, st.adjust(pd.DataFrame(cells))


def cell_table(sweep: st.Sweep, levels: list[float], metric: str = "multisector_clusters", month: int = 120) -> pd.DataFrame:
    """Every cell against the all-off reference cell (same seeds), BH over the cells."""
    rows = []
    for p, r in sweep.points.iterrows():
        sel = {k: getattr(r, k) for k in KEYS}
        if all(sel[k] == REFERENCE[k] for k in KEYS):
            continue
        e = Contrast("cell", REFERENCE, sel).effect(sweep, metric, month)
        rows.append(st.effect_row(e, **{k: sel[k] for k in KEYS}, outcome=metric, month=month))
    return st.adjust(pd.DataFrame(rows))


def figures_q8(sweep: st.Sweep, out: Path, effects: pd.DataFrame, cells: pd.DataFrame, series: dict, levels: list[float]) -> list[str]:
    reps = sweep.replicates
    files = []
    files += st.forest_panels(out, effects, "effects_forest", "Q8. What builds multisector clusters: main effects and interactions",
                              f"main effect: seed-by-seed mean over the other factors' cells; {reps} replicate seeds; bars: 95% CI; "
                              f"filled = significant after Holm over the {effects.contrast.nunique()} tests of each panel", ncols=2)
    rows = [(b, m) for b in (False, True) for m in (False, True)]
    cols = [(w, c) for w in levels for c in (False, True)]
    vals = np.zeros((len(rows), len(cols)))
    sig = np.ones_like(vals, dtype=bool)
    for i, (b, m) in enumerate(rows):
        for j, (w, c) in enumerate(cols):
            hit = cells[(cells.backbone == b) & (cells.regular_meetings == m) & np.isclose(cells.referral_weight, w) & (cells.celebrate_successes == c)]
            if len(hit):
                vals[i, j], sig[i, j] = hit["diff"].iloc[0], bool(hit["significant_holm"].iloc[0])
    fig, ax = plt.subplots(figsize=(8, 3.8))
    im = st.centred_heatmap(ax, vals, sig, [f"backbone {'on' if b else 'off'}, meetings {'on' if m else 'off'}" for b, m in rows],
                            [f"referral {w:g}\n{'celebrated' if c else 'not celeb.'}" for w, c in cols], reference=(0, 0))
    fig.colorbar(im, ax=ax, label="clusters vs all-off cell")
    files += st.save(fig, out, "cells_heatmap", "Q8. Multisector clusters at month 120, each cell against the all-off cell",
                     f"paired difference (same {reps} seeds), colour centred on zero; hatched and ns = not significant after Holm "
                     f"over the {len(cells)} cells; ref = the all-off reference cell")
    files += st.horizon_figure(sweep, out, series, ("multisector_clusters",), "Q8. Main effects on multisector clusters over time",
                               "main effect on {metric}")
    files += st.km_figure(sweep, out, "time_to_first_cluster_km",
                          [({**REFERENCE, "backbone": b, "regular_meetings": m}, "multisector_clusters", 0.0,
                            f"backbone {'on' if b else 'off'}, meetings {'on' if m else 'off'}") for b in (False, True) for m in (False, True)],
                          "share of runs without a multisector cluster yet", "Q8. Months to the first multisector cluster, Kaplan-Meier",
                          "referral 0, not celebrated, fresh start")
    return files


def sector_figure(out: Path, runs: pd.DataFrame) -> list[str]:
    """Share of each sector's organisations inside a multisector cluster, per cell, with 95% CIs."""
    from collabsim.scenarios import SECTORS

    fig, ax = plt.subplots(figsize=(8, 4))
    cells = list(runs.groupby(["backbone", "celebrate_successes"]))
    width = 0.8 / len(cells)
    for k, ((b, c), g) in enumerate(cells):
        means, errs = [], []
        for name in SECTORS:
            v = g[f"share_{name}"].dropna().to_numpy()
            e = paired_difference(np.zeros_like(v), v)  # the mean with its t interval
            means.append(e.diff)
            errs.append(e.upper - e.diff)
        ax.bar(np.arange(len(SECTORS)) + k * width, means, width, yerr=errs, capsize=2,
               label=f"backbone {'on' if b else 'off'}, {'celebrated' if c else 'not celebrated'}")
    ax.set_xticks(np.arange(len(SECTORS)) + width * (len(cells) - 1) / 2, [s.replace("_", " ") for s in SECTORS])
    ax.set_ylabel("share of the sector's organisations")
    ax.legend(fontsize=7)
    return st.save(fig, out, "membership_by_sector", "Q8. Who is inside a multisector cluster at month 120, by sector",
                   f"{runs.replicate.nunique()} replicate seeds per cell, re-run from the sweep's seeds and parameters "
                   "(meetings off, referral 0.3); bars: 95% CI of the mean over runs")
