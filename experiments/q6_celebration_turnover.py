"""Question 6: celebrated successes and staff turnover (DESIGN behaviour 6).

The sources: 000 "spread the word" (successes seen and spoken about), 004 "celebrate every
success, large and small"; 002 (the people chosen for collaborative work) and Zaheer,
McEvily & Perrone 1998 (trust lives partly in the boundary spanners, and leaves with
them). The model's claims to test: celebration speeds early trust and the first
collaborations; turnover erodes trust and durable collaboration.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import study_tools as st
from study_tools import Contrast, Target

KEYS = ["celebrate_successes", "staff_turnover"]
TURNOVER = (0.0, 0.01, 0.05)
EARLY, READ = 24, 120
OUTCOMES = [("mean_trust", EARLY), ("mean_trust", READ), ("pairs_collaboration", READ), ("durable_collaborations", READ),
            ("breakdowns", READ)]


def contrasts(turnover: tuple[float, ...] = TURNOVER) -> list[Contrast]:
    out = [Contrast(f"celebration at turnover {t:g}", {"celebrate_successes": False, "staff_turnover": t},
                    {"celebrate_successes": True, "staff_turnover": t}) for t in turnover]
    out += [Contrast(f"turnover {t:g} vs 0 (no celebration)", {"celebrate_successes": False, "staff_turnover": 0.0},
                     {"celebrate_successes": False, "staff_turnover": t}) for t in turnover[1:]]
    high = turnover[-1]
    out.append(Contrast(f"celebration x turnover {high:g}", {"celebrate_successes": False, "staff_turnover": 0.0},
                        {"celebrate_successes": True, "staff_turnover": 0.0},
                        {"celebrate_successes": False, "staff_turnover": high},
                        {"celebrate_successes": True, "staff_turnover": high}))
    return out


CELEBRATION = Contrast("celebration at turnover 0.01", {"celebrate_successes": False, "staff_turnover": 0.01},
                       {"celebrate_successes": True, "staff_turnover": 0.01})
TURNOVER_HIGH = Contrast("turnover 0.05 vs 0 (no celebration)", {"celebrate_successes": False, "staff_turnover": 0.0},
                         {"celebrate_successes": False, "staff_turnover": 0.05})
TARGETS = [
    Target(CELEBRATION, "mean_trust", EARLY, 0.005,
           "early trust is reported to two decimals: a half-width of 0.005 keeps the second decimal"),
    Target(CELEBRATION, "durable_collaborations", READ, 1.0, "durable collaborations are whole pairs: a half-width of one pair"),
    Target(TURNOVER_HIGH, "durable_collaborations", READ, 1.0, "durable collaborations are whole pairs: a half-width of one pair"),
]
CAP = 250
"""Compute budget: the turnover target needs about 190 seeds by the pilots seen so far; 6 points
x 250 replicates x 240 months is about a minute on 2 cores (each stage)."""


def analyse(raw: Path, out: Path, design: dict) -> dict:
    sweep = st.Sweep(raw, KEYS)
    turnover = tuple(sorted(sweep.points["staff_turnover"].unique()))
    cons = contrasts(turnover)
    effects = st.effects_table(sweep, cons, OUTCOMES)
    effects.to_csv(out / "effects.csv", index=False)

    ev = st.events(st.n_organisations(design))
    km_rows = [st.km_row(*sweep.events(metric, p, threshold), event=name, label=label, celebrate_successes=bool(r.celebrate_successes),
                         staff_turnover=float(r.staff_turnover))
               for name, (metric, threshold, label) in ev.items() for p, r in sweep.points.iterrows()]
    km = pd.DataFrame(km_rows)
    km.to_csv(out / "time_to_event.csv", index=False)
    cens = pd.DataFrame([st.censored_row(sweep, c, metric, threshold, event=name) for c in cons if c.c is None
                         for name, (metric, threshold, _) in ev.items()])
    cens = st.adjust(cens)
    cens.to_csv(out / "time_to_event_tests.csv", index=False)

    high = next(c for c in cons if c.label.startswith(f"turnover {turnover[-1]:g}"))
    headline = [(CELEBRATION, "mean_trust"), (CELEBRATION, "durable_collaborations"),
                (high, "mean_trust"), (high, "durable_collaborations")]
    read, settle, series = st.horizon_table(sweep, headline)
    read.to_csv(out / "horizon.csv", index=False)
    settle.to_csv(out / "horizon_settle.csv", index=False)
    figures = figures_q6(sweep, out, effects, turnover, series, ev)
    return {"replicates": sweep.replicates, "months": sweep.horizon, "points": len(sweep.points),
            "tests_in_effects": int(len(effects)), "significant_effects_holm": int(effects["significant_holm"].sum()),
            "figures": figures, "tables": ["effects.csv", "time_to_event.csv", "time_to_event_tests.csv", "horizon.csv",
                                           "horizon_settle.csv", "precision.csv"]}


def figures_q6(sweep: st.Sweep, out: Path, effects: pd.DataFrame, turnover: tuple, series: dict, ev: dict) -> list[str]:
    reps = sweep.replicates
    files = []
    fig, axes = plt.subplots(1, len(ev), figsize=(4.2 * len(ev), 4.2), sharey=True)
    colors = plt.get_cmap("tab10").colors
    for ax, (metric, threshold, label) in zip(axes, ev.values()):
        for k, t in enumerate(turnover):
            for cel in (False, True):
                times, obs = sweep.events(metric, sweep.point(celebrate_successes=cel, staff_turnover=t), threshold)
                st.km_plot(ax, times, obs, f"{'celebrated' if cel else 'not celebrated'}, turnover {t:g}", colors[k], ls="-" if cel else "--")
        ax.set_xlabel("month")
        ax.set_title(label, fontsize=9)
        ax.legend(fontsize=6)
    axes[0].set_ylabel("share of runs without it yet")
    files += st.save(fig, out, "time_to_event_km", "Q6. Months to trust, first and durable collaborations, Kaplan-Meier",
                     f"default community, fresh start, {reps} replicate seeds per arm; band: 95% pointwise CI; "
                     f"runs without the event are censored at month {sweep.horizon} (share in the legend)")
    files += st.forest_panels(out, effects, "effects_forest", "Q6. Paired effects of celebration and turnover",
                              f"{reps} replicate seeds, common random numbers; bars: 95% CI; filled = significant after Holm over "
                              f"the {len(effects)} tests of the answer; b - a in each panel's own units")
    files += st.horizon_figure(sweep, out, series, ("mean_trust", "durable_collaborations"),
                               "Q6. Does the answer depend on the month it is read?")
    return files
