"""The numbers quoted in docs/teaching.md: the three classroom experiments over 10 seeds.

Run: python scripts/teaching_numbers.py [--seeds 10] [--months 120]
Prints Markdown tables (mean, and min-max over seeds) that docs/teaching.md quotes.
Re-run it after the model's constants change and update the lesson's numbers.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import numpy as np

import collabsim


def run(scenario: str, seed: int, months: int, actions: dict[int, object] | None = None, **params):
    """Run one model, applying ``actions[month](model)`` before that month's step (like the page's buttons)."""
    m = collabsim.CollaborationModel(scenario, seed=seed, **params)
    for month in range(months):
        if actions and month in actions:
            actions[month](m)
        m.step()
    return m


def series(m, name: str) -> np.ndarray:
    return m.datacollector.get_model_vars_dataframe()[name].to_numpy()


def first_month(values: np.ndarray) -> float:
    hit = np.flatnonzero(values > 0)
    return float(hit[0]) if hit.size else float("nan")


def fmt(values) -> str:
    v = np.asarray(values, dtype=float)
    ok = v[~np.isnan(v)]
    if ok.size == 0:
        return "never"
    mean = ok.mean()
    digits = 0 if abs(mean) >= 10 else 1
    text = f"{mean:.{digits}f} ({ok.min():.{digits}f}-{ok.max():.{digits}f})"
    if ok.size < v.size:
        text += f", never in {v.size - ok.size}"
    return text


def table(title: str, rows: dict[str, dict[str, list]]) -> str:
    cols = list(next(iter(rows.values())))
    out = [f"### {title}", "", "| run | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, vals in rows.items():
        out.append(f"| {name} | " + " | ".join(fmt(vals[c]) for c in cols) + " |")
    return "\n".join(out) + "\n"


def harmed_rows(m) -> np.ndarray:
    rel = m.rel
    s = m.orgs.sector
    return np.flatnonzero(m.harmed_sectors[s[rel.i], s[rel.j]])


def experiment_funder(seeds, months) -> str:
    runs = {
        "patient (default, no mandate)": dict(scenario="default"),
        "mandate: pressure 0.6, deadline 24, money ends 60 (funder_mandate)": dict(scenario="funder_mandate"),
        "mandate: pressure 0.6, deadline 48, money ends 60": dict(scenario="funder_mandate", funder_deadline_months=48),
        "mandate: pressure 0.9, deadline 12, money ends 60": dict(scenario="funder_mandate", funder_pressure=0.9, funder_deadline_months=12),
        "mandate as funder_mandate, but the money never ends": dict(scenario="funder_mandate", funding_end_month=None),
        "no mandate, but the money ends at 60": dict(scenario="default", funding_end_month=60),
        "button at month 12: pressure 0.6, 24 months, money never ends": dict(
            scenario="default", actions={12: lambda m: m.start_mandate(0.6, 24, 4)}
        ),
    }
    rows = {}
    for name, spec in runs.items():
        spec = dict(spec)
        sc = spec.pop("scenario")
        actions = spec.pop("actions", None)
        cols: dict[str, list] = {k: [] for k in (
            "collaborating pairs at 24", "nominal collaborations at 24", "collaborating pairs at 60", f"collaborating pairs at {months}",
            f"durable at {months}", "premature escalations", f"breakdowns by {months}", "months to first collaboration",
        )}
        for seed in seeds:
            m = run(sc, seed, months, actions, **spec)
            c = series(m, "pairs_collaboration")
            b = series(m, "breakdowns")
            cols["collaborating pairs at 24"].append(c[24])
            cols["nominal collaborations at 24"].append(series(m, "nominal_collaborations")[24])
            cols["collaborating pairs at 60"].append(c[60])
            cols[f"collaborating pairs at {months}"].append(c[months])
            cols[f"durable at {months}"].append(series(m, "durable_collaborations")[months])
            cols["premature escalations"].append(series(m, "premature_escalations")[months])
            cols[f"breakdowns by {months}"].append(b[months])
            first = m.summary()["months_to_first_collaboration"]
            cols["months to first collaboration"].append(np.nan if first is None else first)
        rows[name] = cols
    return table("Experiment 1: patience vs a funder deadline", rows)


def experiment_history(seeds, months) -> str:
    runs = {
        "police_community with history_of_harm = 0": dict(scenario="police_community", history_of_harm=0.0),
        "police_community (history 0.6, no forum)": dict(scenario="police_community"),
        "police_community_meetings (history 0.6, monthly forum)": dict(scenario="police_community_meetings"),
    }
    rows = {}
    for name, spec in runs.items():
        spec = dict(spec)
        sc = spec.pop("scenario")
        cols: dict[str, list] = {k: [] for k in (
            "first month a harmed pair works", "harmed pairs working at 12", "harmed pairs working at 24",
            "harmed pairs working at 60", f"harmed pairs working at {months}", f"harmed pairs cooperating+ at {months}",
            "damage in harmed pairs at 24", f"damage in harmed pairs at {months}",
        )}
        for seed in seeds:
            damage_at: dict[int, float] = {}

            def note_damage(mm, month=24):
                rows_h = harmed_rows(mm)
                damage_at[month] = float(mm.rel.damage[:, rows_h].mean()) if rows_h.size else np.nan

            m = run(sc, seed, months, {24: note_damage}, **spec)
            w = series(m, "harmed_pairs_working")
            cols["first month a harmed pair works"].append(first_month(w))
            cols["harmed pairs working at 12"].append(w[12])
            cols["harmed pairs working at 24"].append(w[24])
            cols["harmed pairs working at 60"].append(w[60])
            cols[f"harmed pairs working at {months}"].append(w[months])
            cols[f"harmed pairs cooperating+ at {months}"].append(series(m, "harmed_pairs_cooperating")[months])
            cols["damage in harmed pairs at 24"].append(damage_at.get(24, np.nan))
            hr = harmed_rows(m)
            cols[f"damage in harmed pairs at {months}"].append(float(m.rel.damage[:, hr].mean()) if hr.size else np.nan)
        rows[name] = cols
    # harmed_pairs_working is 0 by definition when history_of_harm = 0: count the same sector pairs by hand
    base = rows["police_community with history_of_harm = 0"]
    for k in list(base):
        base[k] = []
    for seed in seeds:
        m = collabsim.CollaborationModel("police_community", seed=seed, history_of_harm=0.0)
        working = [0]
        for _ in range(months):
            m.step()
            hr = harmed_rows(m)
            working.append(int((m.rel.level[hr] >= 1).sum()))
            if m.month == 24:
                d24 = float(m.rel.damage[:, hr].mean())
        w = np.array(working)
        hr = harmed_rows(m)
        base["first month a harmed pair works"].append(first_month(w))
        base["harmed pairs working at 12"].append(w[12])
        base["harmed pairs working at 24"].append(w[24])
        base["harmed pairs working at 60"].append(w[60])
        base[f"harmed pairs working at {months}"].append(w[months])
        base[f"harmed pairs cooperating+ at {months}"].append(int((m.rel.level[hr] >= 3).sum()))
        base["damage in harmed pairs at 24"].append(d24)
        base[f"damage in harmed pairs at {months}"].append(float(m.rel.damage[:, hr].mean()))
    return table("Experiment 2: a history of harm and regular meetings (harmed pairs: police or public agency with community groups)", rows)


def experiment_backbone(seeds, months) -> str:
    runs = {
        "collective_impact without the backbone (backbone = false)": dict(scenario="collective_impact", backbone=False),
        "collective_impact (backbone, 20 organisations a month)": dict(scenario="collective_impact"),
        "collective_impact, backbone_capacity = 5": dict(scenario="collective_impact", backbone_capacity=5),
        "collective_impact, backbone removed at month 60": dict(
            scenario="collective_impact", actions={60: lambda m: m.set_backbone(False)}
        ),
    }
    rows = {}
    for name, spec in runs.items():
        spec = dict(spec)
        sc = spec.pop("scenario")
        actions = spec.pop("actions", None)
        cols: dict[str, list] = {k: [] for k in (
            "months to first collaboration", "collaborating pairs at 36", "collaborating pairs at 60", f"collaborating pairs at {months}",
            "durable at 60", f"durable at {months}", f"multisector clusters at {months}", f"breakdowns by {months}",
            f"collective impact by {months}",
        )}
        for seed in seeds:
            m = run(sc, seed, months, actions, **spec)
            c = series(m, "pairs_collaboration")
            first = m.summary()["months_to_first_collaboration"]
            cols["months to first collaboration"].append(np.nan if first is None else first)
            cols["collaborating pairs at 36"].append(c[36])
            cols["collaborating pairs at 60"].append(c[60])
            cols[f"collaborating pairs at {months}"].append(c[months])
            d = series(m, "durable_collaborations")
            cols["durable at 60"].append(d[60])
            cols[f"durable at {months}"].append(d[months])
            cols[f"multisector clusters at {months}"].append(series(m, "multisector_clusters")[months])
            cols[f"breakdowns by {months}"].append(series(m, "breakdowns")[months])
            cols[f"collective impact by {months}"].append(series(m, "collective_impact")[months])
        rows[name] = cols
    text = table("Experiment 3: what a backbone does", rows)
    sd = {name: np.std(cols[f"durable at {months}"], ddof=1) for name, cols in rows.items()}
    text += "\nSpread (standard deviation over seeds) of durable collaborations at the end: " + "; ".join(
        f"{name}: {v:.1f}" for name, v in sd.items()
    ) + "\n"
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--months", type=int, default=120)
    a = ap.parse_args()
    seeds = list(range(a.seeds))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, check=False
        ).stdout.strip()
    except OSError:  # pragma: no cover
        commit = "?"
    print(f"collabsim {collabsim.__version__} at commit {commit or '?'}; seeds {seeds[0]}-{seeds[-1]}; {a.months} months; "
          "cells: mean (min-max over seeds); cumulative counts are totals since month 0\n")
    print(experiment_funder(seeds, a.months))
    print(experiment_history(seeds, a.months))
    print(experiment_backbone(seeds, a.months))


if __name__ == "__main__":
    main()
