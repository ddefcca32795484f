"""The eight measurements of the model-validity review (issue 10), re-measured on this model.

Each prints one line of figures, measured as a new user would (paired seeds). Run it
after a model change to see whether a finding still comes from a mechanism rather
than from a penalty or from how a run starts. Writes ``results/validity/validity.csv``.

Usage: python experiments/validity_checks.py [--seeds 40] [--out results/validity]
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np
from scipy.stats import wilcoxon

import collabsim
from collabsim import structure, trust
from collabsim.parameters import DEFAULTS, PARAMETERS

ROOT = Path(__file__).resolve().parents[1]


def final(scenario: str, seed: int, months: int, name: str, **params) -> float:
    m = collabsim.CollaborationModel(scenario, seed=seed, months=months, **params)
    m.run()
    return float(m.metrics[name])


def scarcity_without_rounds(seeds: range) -> dict:
    """1. Money ended before the first round: same-sector pairs cooperating at month 96."""
    calm = [final("task_force", s, 96, "same_sector_pairs_cooperating", funding_end_month=1, funding_scarcity=0.0) for s in seeds]
    scarce = [final("task_force", s, 96, "same_sector_pairs_cooperating", funding_end_month=1, funding_scarcity=0.6) for s in seeds]
    return {"scarcity 0": np.mean(calm), "scarcity 0.6": np.mean(scarce), "identical runs": int(np.sum(np.equal(calm, scarce)))}


def mandate_breakdowns(seeds: range) -> dict:
    """2. Required level 4, deadline 24, money that never ends: breakdowns at month 120."""
    base = dict(funder_required_level=4, funder_deadline_months=24, funding_end_month=None)
    calm = np.array([final("default", s, 120, "breakdowns", funder_pressure=0.0, **base) for s in seeds])
    pushed = np.array([final("default", s, 120, "breakdowns", funder_pressure=0.8, **base) for s in seeds])
    p = wilcoxon(pushed, calm, alternative="greater").pvalue if np.any(pushed != calm) else 1.0
    return {"pressure 0": calm.mean(), "pressure 0.8": pushed.mean(), "Wilcoxon p (greater)": p}


def fastest_climb(min_months: int, seeds: range) -> int:
    """3. Fewest months between reaching networking and reaching coordination (matched styles)."""
    best = math.inf
    for s in seeds:
        m = collabsim.CollaborationModel(seed=s, months=60, start="fresh", min_months_per_level=min_months)
        m.record_events = True
        reached: dict[int, dict[int, int]] = {}
        for _ in range(60):
            before = m.rel.level.copy()
            m.step()
            lvl = m.rel.level[: before.size]
            for r in np.flatnonzero(lvl > before):
                reached.setdefault(int(r), {})[int(lvl[r])] = m.month
        for r, months in reached.items():
            if 1 in months and 2 in months and not m.rel.mismatch[r] and months[2] > months[1]:
                best = min(best, months[2] - months[1])
    return int(best) if best < math.inf else -1


def start_onset(seeds: range) -> dict:
    """4. First collaboration month (fresh vs history) and whether min_months_per_level matters."""
    out = {}
    for start in ("fresh", "history"):
        firsts = []
        for s in seeds:
            m = collabsim.CollaborationModel(seed=s, months=120, start=start)
            m.run()
            formed = m.rel.collab_month[m.rel.collab_month >= 0]
            firsts.append(int(formed.min()) if formed.size else 121)
        out[f"{start}: earliest first collaboration"] = min(firsts)
        out[f"{start}: median first collaboration"] = float(np.median(firsts))
    for k in (0, 2, 4):
        out[f"history, min_months {k}: collaborating pairs at 36"] = np.mean(
            [final("default", s, 36, "pairs_collaboration", min_months_per_level=k) for s in seeds]
        )
    return out


def meetings(seeds: range) -> dict:
    """5. Share of meeting experiences that go badly, and the forum's sectors.

    The month runs down to the meetings as Python (the engine's own functions, their
    ``py_func``) so that each meeting's signal (``meetings.meeting_signal_one``, called by
    ``engine.meetings_month``) can be counted; the rules stay compiled.
    """
    from collabsim import engine

    poor = total = 0
    compiled_signal = engine.meeting_signal_one

    def counting(u, chance, good, bad):
        nonlocal poor, total
        s = compiled_signal(u, chance, good, bad)
        poor += int(s < 0)
        total += 1
        return s

    names = ("run_months", "meetings_month")
    saved = {name: getattr(engine, name) for name in names + ("meeting_signal_one",)}
    try:
        for name in names:
            setattr(engine, name, getattr(saved[name], "py_func", saved[name]))
        engine.meeting_signal_one = counting
        for s in seeds:
            collabsim.CollaborationModel("police_community_meetings", seed=s, months=24).run()
    finally:
        for name, f in saved.items():
            setattr(engine, name, f)
    sectors = collabsim.SCENARIOS["police_community_meetings"].forum_sectors
    return {"poor meetings (share)": poor / max(total, 1), "meetings": total, "forum sectors": len(sectors)}


def ceiling(seeds: range) -> dict:
    """6. Directed views above the ceiling 1 - damage, default scenario, month 120."""
    above = views = 0
    worst = 0.0
    for s in seeds:
        m = collabsim.CollaborationModel(seed=s, months=120)
        m.run()
        gap = m.rel.trust - (1.0 - m.rel.damage)
        above += int((gap > 1e-12).sum())
        views += gap.size
        worst = max(worst, float(gap.max()))
    return {"share of views above ceiling": above / views, "largest excess": max(worst, 0.0)}


def registry() -> dict:
    """7. Behavioural numbers in the registry."""
    return {"registry parameters": len(PARAMETERS), "structure parameters": sum(p.group == "structure" for p in PARAMETERS.values())}


def calibration() -> dict:
    """8. Months of unbroken success from trust 0.2 to 0.7 at each working level's stake."""
    lad = structure.ladder(DEFAULTS)
    out = {}
    for level in range(1, 5):
        t, r, months = np.array([0.2]), np.array([0.0]), 0
        while t[0] < 0.7 and months < 1000:
            t, r = trust.two_layer(t, r, lad[structure.STAKE, level], level / 4)
            months += 1
        out[f"months at {collabsim.LEVEL_NAMES[level]}"] = months
    out["funders in scenario two_funders"] = len(collabsim.CollaborationModel("two_funders", seed=1).funders)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--out", default=str(ROOT / "results" / "validity"))
    args = parser.parse_args(argv)
    seeds = range(args.seeds)
    rows = []
    checks = [
        ("1 scarcity without rounds", lambda: scarcity_without_rounds(seeds)),
        ("2 mandate breakdowns", lambda: mandate_breakdowns(seeds)),
        ("3 fastest climb", lambda: {f"min_months {k}": fastest_climb(k, range(min(args.seeds, 10))) for k in (1, 4)}),
        ("4 start", lambda: start_onset(range(min(args.seeds, 20)))),
        ("5 meetings", lambda: meetings(range(min(args.seeds, 10)))),
        ("6 ceiling", lambda: ceiling(range(min(args.seeds, 10)))),
        ("7 registry", registry),
        ("8 calibration", calibration),
    ]
    for name, fn in checks:
        figures = fn()
        print(f"{name}: " + "; ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}" for k, v in figures.items()), flush=True)
        rows += [{"check": name, "figure": k, "value": v} for k, v in figures.items()]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "validity.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["check", "figure", "value"])
        writer.writeheader()
        writer.writerows(rows)
    sys.path.insert(0, str(ROOT / "experiments"))
    from run_all import write_manifest

    write_manifest(out, None, command=["python", "experiments/validity_checks.py", *(argv if argv is not None else sys.argv[1:])],
                   seeds=args.seeds, parameters="registry defaults and each check's scenario (see the functions above)")
    print(f"wrote {out / 'validity.csv'} and {out / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
