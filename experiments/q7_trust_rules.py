"""Question 7: do the study's answers depend on the trust rule (structural sensitivity)?

DESIGN offers four rules by name: the two-layer rule of Pant & Yu 2025 (the default),
its damped variant, exponential smoothing (Jonker & Treur 1999) and beta reputation with
forgetting (Josang & Ismail 2002). Each intervention of the study runs under each rule on
the same replicate seeds; an answer "depends on the rule" when the effect under a rule
differs from the effect under two_layer (an interaction with its CI, Holm-controlled),
or when its verdict (CI above, below or across zero) changes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import study_tools as st
from study_tools import Contrast, Target

RULES = ("two_layer", "two_layer_damped", "smoothing", "beta")
REFERENCE_RULE = "two_layer"
BASE = {"backbone": False, "funder_pressure": 0.0, "funder_deadline_months": 24, "celebrate_successes": False,
        "staff_turnover": 0.01, "regular_meetings": False}
ARMS = {
    "backbone": {"backbone": True},
    "funder pressure": {"funder_pressure": 0.75, "funder_deadline_months": 12},
    "celebration": {"celebrate_successes": True},
    "turnover 0.05": {"staff_turnover": 0.05},
    "meetings": {"regular_meetings": True},
}
KEYS = ["trust_rule", *BASE]
OUTCOMES = [("mean_trust", 24), ("durable_collaborations", 120), ("breakdowns", 120), ("multisector_clusters", 120)]


def holm_verdict(row) -> str:
    """An effect's verdict after the answer's Holm control: positive, negative or unclear."""
    return ("positive" if row.diff > 0 else "negative") if row.significant_holm else "unclear"


def arm(rule: str, name: str | None = None) -> dict:
    return {"trust_rule": rule, **BASE, **(ARMS[name] if name else {})}


def effect_of(rule: str, name: str) -> Contrast:
    return Contrast(f"{name} under {rule}", arm(rule), arm(rule, name))


def rule_interaction(rule: str, name: str) -> Contrast:
    """(effect under ``rule``) - (effect under two_layer), per seed."""
    return Contrast(f"{name}: {rule} - {REFERENCE_RULE}", arm(REFERENCE_RULE), arm(REFERENCE_RULE, name), arm(rule), arm(rule, name))


TARGETS = [
    Target(rule_interaction("smoothing", "backbone"), "durable_collaborations", 120, 2.0,
           "a rule that changes the backbone's effect (Q4) by two durable collaborations gives a different answer"),
    Target(effect_of(REFERENCE_RULE, "celebration"), "mean_trust", 24, 0.01, "early trust is compared across rules to two decimals"),
]
CAP = 100
"""Compute budget: 24 points x 100 replicates x 240 months, about a minute on 2 cores (each stage)."""


def analyse(raw: Path, out: Path, design: dict) -> dict:
    sweep = st.Sweep(raw, KEYS)
    rules = [r for r in RULES if r in set(sweep.points["trust_rule"])]
    effects = pd.concat([st.effects_table(sweep, [effect_of(r, a)], OUTCOMES, rule=r, intervention=a)
                         for r in rules for a in ARMS]).reset_index(drop=True)
    effects = st.adjust(effects.drop(columns=["p_holm", "p_bh", "significant_holm", "tests_in_family"]))
    inter = pd.concat([st.effects_table(sweep, [rule_interaction(r, a)], OUTCOMES, rule=r, intervention=a)
                       for r in rules if r != REFERENCE_RULE for a in ARMS]).reset_index(drop=True)
    inter = st.adjust(inter.drop(columns=["p_holm", "p_bh", "significant_holm", "tests_in_family"]))
    effects["verdict"] = [holm_verdict(r) for r in effects.itertuples()]
    effects.to_csv(out / "effects_by_rule.csv", index=False)
    own = effects.set_index(["rule", "intervention", "outcome"])["verdict"]
    inter["verdict_reference"] = [own[(REFERENCE_RULE, r.intervention, r.outcome)] for r in inter.itertuples()]
    inter["verdict_rule"] = [own[(r.rule, r.intervention, r.outcome)] for r in inter.itertuples()]
    inter["verdict_changes"] = inter["verdict_reference"] != inter["verdict_rule"]
    inter["reversal"] = ((inter["verdict_reference"] == "positive") & (inter["verdict_rule"] == "negative")) | \
        ((inter["verdict_reference"] == "negative") & (inter["verdict_rule"] == "positive"))
    inter.to_csv(out / "rule_interactions.csv", index=False)
    levels = st.effects_table(sweep, [Contrast(f"{r} - {REFERENCE_RULE} (baseline)", arm(REFERENCE_RULE), arm(r)) for r in rules
                                      if r != REFERENCE_RULE], OUTCOMES)
    levels.to_csv(out / "rule_levels.csv", index=False)

    ev = st.events(st.n_organisations(design))
    km = pd.DataFrame([st.km_row(*sweep.events(metric, sweep.point(**arm(r, a)), threshold), event=name, label=label, rule=r,
                                 intervention=a or "baseline") for name, (metric, threshold, label) in ev.items()
                       for r in rules for a in (None, *ARMS)])
    km.to_csv(out / "time_to_event.csv", index=False)
    cens = st.adjust(pd.DataFrame([st.censored_row(sweep, effect_of(r, a), metric, threshold, event=name, rule=r, intervention=a)
                                   for name, (metric, threshold, _) in ev.items() for r in rules for a in ARMS]))
    cens.to_csv(out / "time_to_event_tests.csv", index=False)

    items = [(effect_of(r, "backbone"), "durable_collaborations") for r in rules] + \
            [(effect_of(r, "celebration"), "mean_trust") for r in rules]
    read, settle, series = st.horizon_table(sweep, items)
    read.to_csv(out / "horizon.csv", index=False)
    settle.to_csv(out / "horizon_settle.csv", index=False)

    answers = inter.groupby(["intervention", "outcome"], sort=False).agg(
        interactions=("significant_holm", "sum"), verdict_changes=("verdict_changes", "sum"), reversals=("reversal", "sum")).reset_index()
    answers["verdict_two_layer"] = [own[(REFERENCE_RULE, r.intervention, r.outcome)] for r in answers.itertuples()]
    answers["depends_on_rule"] = (answers["interactions"] > 0) | (answers["reversals"] > 0)
    answers.to_csv(out / "answers.csv", index=False)
    files = figures_q7(sweep, out, effects, inter, series, rules, ev)
    return {"replicates": sweep.replicates, "months": sweep.horizon, "rules": rules,
            "effects_tests": int(len(effects)), "interaction_tests": int(len(inter)),
            "significant_interactions_holm": int(inter["significant_holm"].sum()),
            "verdict_changes": int(inter["verdict_changes"].sum()), "reversals": int(inter["reversal"].sum()),
            "answers_depending_on_rule": int(answers["depends_on_rule"].sum()), "answers": int(len(answers)),
            "figures": files}


def figures_q7(sweep: st.Sweep, out: Path, effects: pd.DataFrame, inter: pd.DataFrame, series: dict, rules: list[str], ev: dict) -> list[str]:
    reps = sweep.replicates
    files = []
    arms = list(ARMS)
    for table, cols, stem, what in ((effects, rules, "effects_heatmap", "effect of each intervention (arm - baseline, same rule)"),
                                    (inter, [r for r in rules if r != REFERENCE_RULE], "interaction_heatmap",
                                     f"effect under the rule minus effect under {REFERENCE_RULE}")):
        fig, axes = plt.subplots(1, len(OUTCOMES), figsize=(3.4 * len(OUTCOMES), 3.6))
        for ax, (metric, month) in zip(axes, OUTCOMES):
            t = table[table.outcome == metric].set_index(["intervention", "rule"])
            vals = np.array([[t.loc[(a, r), "diff"] for r in cols] for a in arms])
            sig = np.array([[bool(t.loc[(a, r), "significant_holm"]) for r in cols] for a in arms])
            fmt = "{:+.3f}" if np.nanmax(np.abs(vals)) < 0.1 else "{:+.2f}"
            im = st.centred_heatmap(ax, vals, sig, arms if ax is axes[0] else [""] * len(arms), [c.replace("_", "\n") for c in cols], fmt)
            fig.colorbar(im, ax=ax, shrink=0.8)
            ax.set_title(f"{metric}\nmonth {month}", fontsize=9)
        files += st.save(fig, out, stem, f"Q7. {what[0].upper() + what[1:]}",
                         f"{reps} replicate seeds shared by every rule and arm; colour centred on zero (each panel its own units); "
                         f"hatched and ns = not significant after Holm over the {len(table)} tests of the figure")
    files += st.horizon_figure(sweep, out, series, ("durable_collaborations", "mean_trust"),
                               "Q7. Backbone and celebration effects over time, by trust rule")
    metric, threshold, label = ev["durable_per_four"]
    files += st.km_figure(sweep, out, "time_to_durable_km", [(arm(r), metric, threshold, r) for r in rules],
                          "share of runs without it yet", f"Q7. Months until {label}, by trust rule",
                          "default community and parameters (baseline arm)")
    return files
