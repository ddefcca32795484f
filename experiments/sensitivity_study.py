"""Global sensitivity analysis that answers the study's questions (issue 14).

1. **Morris screening of every numeric registry parameter** (structure ones included) plus a
   dummy factor whose value only enters the run's seed (the honest noise floor), under each
   trust rule of the registry (structural alternatives are not Morris factors), for:
   outputs per organisation (durable collaborations, collective impact, breakdowns) and
   community totals, and the *effect* of each intervention: the paired difference between
   a run with a backbone, a funder mandate or a standing forum and the same run (same point,
   same seed) without it.
2. **Rank stability**: a bootstrap over trajectories (CI of each mu* and of its rank), and
   independent screenings (the trajectories split into disjoint halves, Spearman's rho and
   top-10 overlap between the halves).
   Under the default rule the screening has more trajectories (``trajectories_default_rule``),
   and the split-half check is repeated at every multiple of the shared count, so the gain in
   stability is measured, not assumed.
3. **Sobol' indices** (SALib) of the top factors plus the noise factor, with N doubled until
   every ST CI half-width is at most ``ST_HALFWIDTH``: of the levels under the default rule, of
   each intervention's paired effect under the default rule (the top factors of that effect's
   Morris ranking), and of the levels under each other rule (their own top factors; N capped
   lower by the time budget, the N the target would need reported).

Runs go straight through ``collabsim.run.run_metrics`` (the compiled engine the sweeps
use) in a process pool: a point's run is fixed by its parameters and seed, so results do
not depend on the number of workers.

    python experiments/run_all.py --only sensitivity --quick   # a small version (into results/)
    python experiments/sensitivity_study.py                     # the full study
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

from collabsim.parameters import DEFAULTS, PARAMETERS  # noqa: E402
from collabsim.sweep import sensitivity as sa  # noqa: E402

MONTHS = 120
SCENARIO = "default"
RULES = PARAMETERS["trust_rule"].choices
DUMMY = "dummy_seed"
ST_HALFWIDTH = 0.05
TOP_K = 10

EXCLUDED = {
    "months": "the horizon, not a mechanism (the study reads month 120)",
    "seed": "the random seed (the dummy factor measures its effect)",
    "start": "choice: a structural alternative (the study starts from a history)",
    "trust_rule": "choice: a structural alternative, screened rule by rule",
    "backbone": "switch: an intervention, analysed as a paired effect",
    "regular_meetings": "switch: an intervention, analysed as a paired effect",
    "celebrate_successes": "switch: off in every run (its two constants are screened and inert)",
    "funding_end_month": "optional month: off (money never ends)",
    "shock_month": "optional month: off (no crisis; the crisis constants are screened and inert)",
}

RANGES: dict[str, tuple[float, float]] = {
    "n_organisations": (20, 80),
    "initial_trust": (0.05, 0.4),
    "history_of_harm": (0.0, 0.8),
    "trust_gain": (0.03, 0.3),
    "trust_loss": (0.1, 0.6),
    "damage_severity": (0.2, 1.0),
    "damage_decay": (0.005, 0.1),
    "interdependence_weight": (0.0, 1.5),
    "honest_failure_severity": (0.05, 0.6),
    "reliability": (0.6, 0.98),
    "min_months_per_level": (0, 12),
    "contact_rate": (0.02, 0.5),
    "capacity": (0.5, 2.0),
    "style_mismatch_penalty": (0.0, 0.3),
    "funder_pressure": (0.1, 1.0),
    "funder_required_level": (1, 4),
    "funder_deadline_months": (6, 60),
    "funding_scarcity": (0.0, 1.0),
    "grant_interval_months": (3, 12),
    "grant_size": (0.0, 1.0),
    "backbone_capacity": (5, 40),
    "collaborative_skill": (0.1, 0.9),
    "referral_weight": (0.0, 0.8),
    "staff_turnover": (0.0, 0.06),
    "turnover_trust_loss": (0.0, 0.8),
    "stake_collaboration": (0.9, 1.0),  # default 1.0 sits on the registry bound
}
"""Ranges given by hand (the plausible part of the registry range). Every other numeric
parameter varies by the generic rule of ``study_ranges``."""

ARMS: dict[str, dict[str, Any]] = {
    "none": {"backbone": False, "regular_meetings": False, "funder_pressure": 0.0},
    "backbone": {"backbone": True, "regular_meetings": False, "funder_pressure": 0.0},
    "mandate": {"backbone": False, "regular_meetings": False},  # funder_pressure: the sampled value
    "meetings": {"backbone": False, "regular_meetings": True, "funder_pressure": 0.0},
}
"""The runs made at every point. ``none`` has no intervention; each other arm adds one, with
the same parameters and seed, so its effect is a paired difference (common random numbers)."""

SOBOL_FIXED = {"funder_pressure": sum(RANGES["funder_pressure"]) / 2}
"""Values held fixed in a Sobol' design when they are not among its factors, instead of the
registry default: the mandate arm's pressure (the registry's 0 is no mandate at all) sits in
the middle of its screened range. The other arms set it to 0 themselves (``ARMS``)."""

OUTPUTS = ("durable_per_org", "impact_per_org", "breakdowns_per_org", "mean_trust", "durable_collaborations", "collective_impact")
"""Read at month ``MONTHS``: three per organisation (a community total divided by its size,
so that size does not dominate trivially), the mean trust of known pairs, and two totals."""
PER_ORG = {"durable_per_org": "durable_collaborations", "impact_per_org": "collective_impact", "breakdowns_per_org": "breakdowns"}
RAW = ("durable_collaborations", "collective_impact", "breakdowns", "mean_trust")
SOBOL_OUTPUTS = ("durable_per_org", "impact_per_org", "breakdowns_per_org", "mean_trust")


def study_ranges() -> dict[str, tuple[float, float]]:
    """The range of every screened parameter.

    Hand-set ranges for the 25 parameters of the model's surface (``RANGES``); for every other
    numeric registry parameter (the ``structure`` group: the ladder and the rules' constants)
    the default plus or minus half its distance to the nearer registry bound (a probability of
    0.9 varies in [0.85, 0.95], a weight of 1.5 in [1, 5] in [1.25, 1.75], a cost of 0.4 in
    [0.2, 0.6]; integers at least one either side): wide where the registry allows, never at
    a bound. A rung of an ordered ladder (``sensitivity.ladder_groups``) moves at most halfway
    to its neighbours' defaults, so no sampled point breaks the ladder's order.
    """
    out: dict[str, tuple[float, float]] = {}
    for name, p in PARAMETERS.items():
        if name in EXCLUDED or p.kind not in ("int", "float"):
            continue
        if name in RANGES:
            out[name] = tuple(map(float, RANGES[name]))
            continue
        d = float(p.default)
        half = 0.5 * min(d - p.low, p.high - d)
        if p.kind == "int":
            half = max(float(round(half)), 1.0)
        if half <= 0:
            raise ValueError(f"{name}: default {d} sits on a registry bound; give it a range in RANGES")
        out[name] = (round(d - half, 6), round(d + half, 6))
    # ladders: each rung moves no further than halfway to its neighbours' defaults, so every
    # sampled point keeps the order check_consistency asks for (nothing to repair)
    for names in sa.ladder_groups():
        for k, name in enumerate(names):
            lo, hi = out[name]
            d = float(DEFAULTS[name])
            if k:
                lo = max(lo, round((d + float(DEFAULTS[names[k - 1]])) / 2, 6))
            if k + 1 < len(names):
                hi = min(hi, round((d + float(DEFAULTS[names[k + 1]])) / 2, 6))
            out[name] = (lo, hi)
    return out


def problem() -> dict[str, Any]:
    ranges = study_ranges()
    names = [*ranges, DUMMY]
    return {"num_vars": len(names), "names": names, "bounds": [list(ranges[n]) for n in ranges] + [[0.0, 1.0]]}


def point_params(names: list[str], row: np.ndarray) -> tuple[dict[str, Any], bool]:
    """Model parameters of a sampled row (integers rounded, the ladder mapped onto valid values)."""
    values = {}
    for name, x in zip(names, row):
        if name == DUMMY:
            continue
        values[name] = int(round(x)) if PARAMETERS[name].kind == "int" else float(x)
    return sa.repair_ladder(values)


# ----------------------------------------------------------------------- running
_TASK: dict[str, Any] = {}


def _init(points: list[dict[str, Any]], seeds: list[int]) -> None:
    _TASK["points"], _TASK["seeds"] = points, seeds


def _run(task: tuple[int, str, str]) -> np.ndarray:
    """The outputs ``RAW`` at the last month of one run (point, arm, trust rule)."""
    from collabsim.run import run_metrics

    k, arm, rule = task
    params = dict(_TASK["points"][k])
    params.update(ARMS[arm])
    params["trust_rule"] = rule
    cols = run_metrics(SCENARIO, seed=_TASK["seeds"][k], months=MONTHS, **params)
    return np.array([float(cols[c][-1]) for c in RAW])


def run_all(points: list[dict[str, Any]], seeds: list[int], tasks: list[tuple[int, str, str]], workers: int, label: str) -> np.ndarray:
    """Run ``tasks`` in a process pool (fork: workers inherit the points); rows in task order."""
    start = time.time()
    if workers <= 1:
        _init(points, seeds)
        out = [_run(t) for t in tasks]
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=_init, initargs=(points, seeds)) as pool:
            out = list(pool.map(_run, tasks, chunksize=max(1, min(64, len(tasks) // (8 * workers) or 1))))
    elapsed = time.time() - start
    print(f"  {label}: {len(tasks)} runs in {elapsed:.0f} s ({len(tasks) / max(elapsed, 1e-9):.0f} runs/s)", flush=True)
    return np.vstack(out)


def outputs_of(raw: np.ndarray, n_org: np.ndarray) -> dict[str, np.ndarray]:
    """The study's outputs from the raw columns ``RAW`` (rows: points)."""
    col = {name: raw[:, k] for k, name in enumerate(RAW)}
    out = {name: col[src] / n_org for name, src in PER_ORG.items()}
    out["mean_trust"] = col["mean_trust"]
    out["durable_collaborations"] = col["durable_collaborations"]
    out["collective_impact"] = col["collective_impact"]
    return {name: out[name] for name in OUTPUTS}


def targets(Y: dict[str, dict[str, np.ndarray]], n_org: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Every analysed quantity of one trust rule: (arm, output) -> values per point. Arm
    ``none`` holds the level without intervention; the other arms the paired effect."""
    base = outputs_of(Y["none"], n_org)
    out = {("none", o): v for o, v in base.items()}
    for arm in ARMS:
        if arm == "none" or arm not in Y:
            continue
        with_arm = outputs_of(Y[arm], n_org)
        out.update({(arm, o): with_arm[o] - base[o] for o in OUTPUTS})
    return out


CACHE = ROOT / ".cache" / "sensitivity"
_CACHE_DIR: dict[str, Path | None] = {"dir": CACHE}
TIMING: list[dict[str, float]] = []
"""Wall and CPU seconds of every block of runs of this study (from the cache's records when
the runs were made by an earlier, interrupted call), so the reported time is the runs' time."""


def cached(key: str, compute: Any) -> np.ndarray:
    """Raw outputs kept under ``.cache/sensitivity/`` by design and model code, so that a study
    stopped in its Sobol' part resumes without running its Morris part again."""
    from collabsim.sweep.store import model_code

    path = None if _CACHE_DIR.get("dir") is None else _CACHE_DIR["dir"] / f"{key}-{model_code()[:16]}.npy"
    if path is not None and path.is_file():
        timing = {**json.loads(path.with_suffix(".json").read_text(encoding="utf-8")), "cached": True}
    else:
        wall, cpu = time.time(), _cpu()
        raw = compute()
        timing = {"runs": len(raw), "seconds": time.time() - wall, "cpu_seconds": _cpu() - cpu}
        if path is None:
            TIMING.append(timing)
            return raw
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, raw)
        path.with_suffix(".json").write_text(json.dumps(timing) + "\n", encoding="utf-8")
    TIMING.append(timing)
    return np.load(path)


# ----------------------------------------------------------------------- Morris
def morris_table(prob: dict[str, Any], X: np.ndarray, Y: np.ndarray, rule: str, arm: str, output: str, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One output's Morris indices with bootstrap CIs and ranks, and its rank stability."""
    EE = sa.elementary_effects(X, Y, prob["bounds"])
    idx = sa.morris_indices(EE)
    boot = sa.bootstrap_mu_star(EE, seed=seed)
    names = prob["names"]
    d = names.index(DUMMY)
    table = pd.DataFrame({
        "rule": rule, "arm": arm, "output": output, "parameter": names,
        "group": [PARAMETERS[n].group if n in PARAMETERS else "dummy" for n in names],
        "mu": idx["mu"], "mu_star": idx["mu_star"], "sigma": idx["sigma"],
        "mu_star_lower": boot["mu_star_lower"], "mu_star_upper": boot["mu_star_upper"],
        "rank_lower": boot["rank_lower"], "rank_upper": boot["rank_upper"],
    })
    table["mu_star_conf"] = (table["mu_star_upper"] - table["mu_star_lower"]) / 2
    table["rank"] = table["mu_star"].rank(ascending=False, method="first").astype(int)
    floor = float(table["mu_star_upper"].iloc[d])
    table["above_noise"] = table["mu_star_lower"] > floor
    table["mu_star_over_dummy"] = table["mu_star"] / table["mu_star"].iloc[d] if table["mu_star"].iloc[d] > 0 else np.nan
    stab = sa.split_stability(EE, TOP_K, seed=seed)
    above = table["above_noise"].to_numpy()
    stab_above = sa.split_stability(EE[:, above], min(TOP_K, int(above.sum()) // 2), seed=seed) if above.sum() >= 6 else {}
    row = {"rule": rule, "arm": arm, "output": output, "trajectories": EE.shape[0], "factors": EE.shape[1],
           "above_noise": int(above.sum()), "dummy_rank": int(table["rank"].iloc[d]), **stab,
           "spearman_median_above_noise": stab_above.get("spearman_median", np.nan),
           "spearman_min_above_noise": stab_above.get("spearman_min", np.nan)}
    return table.sort_values("rank"), row


def morris(r: int, workers: int, seed: int, rules: tuple[str, ...], r_default: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Screen every factor with ``r`` trajectories under each rule, and ``r_default`` (at
    least ``r``) under the default rule, whose effect rankings the Sobol' designs follow;
    every arm at every point. SALib's trajectories are drawn one after the other, so the
    first ``r`` of the default rule's are the other rules' (same points, same seeds): the
    rules are compared on those."""
    from SALib.sample import morris as morris_sample

    ref = DEFAULTS["trust_rule"]
    r_default = max(r, r_default or r) if ref in rules else r
    prob = problem()
    X = morris_sample.sample(prob, r_default, num_levels=4, seed=seed)
    D = prob["num_vars"]
    points, repaired = zip(*(point_params(prob["names"], row) for row in X))
    traj = np.arange(len(X)) // (D + 1)
    seeds = [sa.noise_seed(seed, int(t), float(x)) for t, x in zip(traj, X[:, -1])]
    n_org = np.array([p["n_organisations"] for p in points], dtype=float)
    shared = r * (D + 1)
    tables, stability, by_r, per_rule, runs = [], [], [], {}, 0
    for rule in rules:
        n = len(X) if rule == ref else shared
        tasks = [(k, arm, rule) for arm in ARMS for k in range(n)]
        raw = cached(f"morris-{rule}-r{n // (D + 1)}-s{seed}", lambda: run_all(list(points), seeds, tasks, workers, f"Morris {rule}"))
        runs += len(tasks)
        Y = {arm: raw[a * n:(a + 1) * n] for a, arm in enumerate(ARMS)}
        values = targets(Y, n_org[:n])
        per_rule[rule] = {key: y[:shared] for key, y in values.items()}
        for (arm, output), y in values.items():
            t, s = morris_table(prob, X[:n], y, rule, arm, output, seed)
            tables.append(t)
            stability.append(s)
            if rule == ref:
                by_r.extend(stability_by_trajectories(prob, X[:n], y, rule, arm, output, r, seed))
    info = {"factors": D, "trajectories": r, "trajectories_default_rule": r_default, "points": shared, "points_default_rule": len(X),
            "levels": 4, "rules": list(rules), "arms": list(ARMS), "runs": runs, "repaired_share": float(np.mean(repaired))}
    return pd.concat(tables, ignore_index=True), pd.DataFrame(stability), pd.DataFrame(by_r), rule_levels(per_rule, traj[:shared]), info


def stability_by_trajectories(prob: dict[str, Any], X: np.ndarray, y: np.ndarray, rule: str, arm: str, output: str, step: int, seed: int) -> list[dict[str, Any]]:
    """Split-half rank stability of the first ``step``, ``2 * step``, ... trajectories: how the
    agreement of two independent screenings grows with the trajectory count (measured, so
    that the count is chosen by the stability it gives and not by habit)."""
    EE = sa.elementary_effects(X, y, prob["bounds"])
    rows = []
    for r in range(step, EE.shape[0] + 1, step):
        stab = sa.split_stability(EE[:r], TOP_K, seed=seed)
        rows.append({"rule": rule, "arm": arm, "output": output, "trajectories": r, **stab})
    return rows


def _mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and t-based 95% CI over independent units."""
    from scipy import stats

    mean = float(x.mean())
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else np.nan
    return mean, mean - half, mean + half


def rule_levels(per_rule: dict[str, dict[tuple[str, str], np.ndarray]], traj: np.ndarray) -> pd.DataFrame:
    """Each output's mean over the screened points under each trust rule, and its paired
    difference from the default rule (same points, same seeds). One value per trajectory, so
    that the CIs rest on independent units."""
    ref = DEFAULTS["trust_rule"]
    means = {rule: {key: pd.Series(y).groupby(traj).mean().to_numpy() for key, y in values.items()} for rule, values in per_rule.items()}
    rows = []
    for rule, values in means.items():
        for (arm, output), y in values.items():
            mean, lower, upper = _mean_ci(y)
            row = {"rule": rule, "arm": arm, "output": output, "mean": mean, "lower": lower, "upper": upper, "trajectories": len(y)}
            if ref in means and rule != ref:
                diff, dlo, dhi = _mean_ci(y - means[ref][(arm, output)])
                row.update(diff_vs_default=diff, diff_lower=dlo, diff_upper=dhi)
            rows.append(row)
    return pd.DataFrame(rows)


def rule_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Structural sensitivity of the ranking: Spearman's rho and top-10 overlap between each
    trust rule's mu* and the default rule's, per arm and output."""
    ref = DEFAULTS["trust_rule"]
    rows = []
    for (rule, arm, output), t in table.groupby(["rule", "arm", "output"], sort=False):
        if rule == ref:
            continue
        base = table[(table["rule"] == ref) & (table["arm"] == arm) & (table["output"] == output)].set_index("parameter")["mu_star"]
        mine = t.set_index("parameter")["mu_star"].reindex(base.index)
        agree = sa.rank_agreement(base.to_numpy(), mine.to_numpy(), TOP_K)
        rows.append({"rule": rule, "arm": arm, "output": output, "spearman_vs_default": agree["spearman"],
                     "top_k_overlap_vs_default": agree["top_k_overlap"], "top1": t.loc[t["mu_star"].idxmax(), "parameter"],
                     "top1_default": base.idxmax()})
    return pd.DataFrame(rows)


def top_factors(table: pd.DataFrame, k: int, arm: str = "none", rule: str = DEFAULTS["trust_rule"]) -> list[str]:
    """Factors with the largest mu* (normalised per output, averaged) for the per-organisation
    outputs and the mean trust of one arm (``none``: the levels; another arm: its effect)
    under one rule; the dummy excluded."""
    m = table[(table["rule"] == rule) & (table["arm"] == arm)
              & table["output"].isin(SOBOL_OUTPUTS)
              & (table["parameter"] != DUMMY)].copy()
    m["norm"] = m["mu_star"] / m.groupby("output")["mu_star"].transform("max")
    return list(m.groupby("parameter")["norm"].mean().sort_values(ascending=False).index[:k])


# ----------------------------------------------------------------------- Sobol'
def sobol(factors: list[str], n_start: int, n_max: int, workers: int, seed: int, arm: str = "none",
          rule: str = DEFAULTS["trust_rule"]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Sobol' indices of ``factors`` plus the noise factor (``DUMMY``, mixed into the seed), the
    other parameters at their defaults, under trust rule ``rule``; N doubles (earlier rows
    reused: Sobol' sequences extend) until every ST CI half-width is at most ``ST_HALFWIDTH``
    or N reaches ``n_max``. ``arm="none"`` decomposes the levels without intervention; another
    arm decomposes its effect: every point runs with and without the intervention (same
    parameters, same seed) and the output is the paired difference."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    ranges = study_ranges()
    prob = {"num_vars": len(factors) + 1, "names": [*factors, DUMMY], "bounds": [list(ranges[f]) for f in factors] + [[0.0, 1.0]]}
    arms = list(dict.fromkeys(["none", arm]))
    done = {a: np.empty((0, len(RAW))) for a in arms}
    N = n_start
    key = f"sobol-{rule}-{arm}-{'-'.join(factors)}" if (rule, arm) != (DEFAULTS["trust_rule"], "none") else f"sobol-{'-'.join(factors)}"
    while True:
        X = sobol_sample.sample(prob, N, calc_second_order=False, seed=seed)
        points = [{**SOBOL_FIXED, **point_params(prob["names"], row)[0]} for row in X]
        seeds = [sa.noise_seed(seed, float(x)) for x in X[:, -1]]
        new = list(range(len(done["none"]), len(X)))
        tasks = [(k, a, rule) for a in arms for k in new]
        raw = cached(f"{key}-N{N}-s{seed}", lambda: run_all(points, seeds, tasks, workers, f"Sobol' {rule} {arm} N={N}"))
        done = {a: np.vstack([done[a], raw[i * len(new):(i + 1) * len(new)]]) for i, a in enumerate(arms)}
        n_org = np.array([p.get("n_organisations", DEFAULTS["n_organisations"]) for p in points], dtype=float)
        rows = []
        for output in SOBOL_OUTPUTS:
            y = targets(done, n_org)[(arm, output)]
            if np.ptp(y) == 0:
                raise ValueError(f"Sobol' {rule} {arm}: {output} is the same at every point; does the arm change anything with factors {factors}?")
            with np.errstate(divide="ignore", invalid="ignore"):
                res = sobol_analyze.analyze(prob, y, calc_second_order=False, conf_level=0.95, seed=seed)
            for k, name in enumerate(prob["names"]):
                rows.append({"rule": rule, "arm": arm, "output": output, "parameter": name, "N": N, "S1": res["S1"][k],
                             "S1_conf": res["S1_conf"][k], "ST": res["ST"][k], "ST_conf": res["ST_conf"][k]})
        table = pd.DataFrame(rows)
        table["rank_ST"] = table.groupby("output")["ST"].rank(ascending=False, method="first").astype(int)
        table["S1_le_ST"] = table["S1"] - table["S1_conf"] <= table["ST"] + table["ST_conf"]
        worst = float(table["ST_conf"].max())
        print(f"  Sobol' {rule} {arm} N={N}: largest ST CI half-width {worst:.3f}", flush=True)
        if worst <= ST_HALFWIDTH or 2 * N > n_max:
            break
        N *= 2
    # the half-width shrinks as 1 / sqrt(N): the N that would meet the target, from the one reached
    n_needed = N if worst <= ST_HALFWIDTH else int(2 ** math.ceil(math.log2(N * (worst / ST_HALFWIDTH) ** 2)))
    info = {"rule": rule, "arm": arm, "factors": prob["names"], "N": N, "runs": int(len(X) * len(arms)), "max_ST_conf": worst,
            "halfwidth_target": ST_HALFWIDTH, "target_met": worst <= ST_HALFWIDTH, "S1_le_ST_all": bool(table["S1_le_ST"].all()),
            "N_needed": n_needed, "runs_needed": int(n_needed * (len(factors) + 3) * len(arms))}
    return table, info


# ----------------------------------------------------------------------- figures
MU_SIGMA_OUTPUTS = ("durable_per_org", "impact_per_org", "breakdowns_per_org", "mean_trust")


def mu_sigma_figure(table: pd.DataFrame, path: Path, by: str) -> None:
    """mu*-sigma plot, one row per output; columns: the arms under the default rule
    (``by="arm"``) or the trust rules without intervention (``by="rule"``). The dummy (x) and
    its bootstrap upper bound (dashed) mark the noise floor; grey factors are not above it;
    the three largest are named."""
    from matplotlib.figure import Figure

    columns = list(dict.fromkeys(table[by]))
    fixed = {"rule": DEFAULTS["trust_rule"]} if by == "arm" else {"arm": "none"}
    fig = Figure(figsize=(7.2, 8.4), layout="constrained")
    axes = fig.subplots(len(MU_SIGMA_OUTPUTS), len(columns), squeeze=False)
    for i, output in enumerate(MU_SIGMA_OUTPUTS):
        for j, col in enumerate(columns):
            ax = axes[i, j]
            sel = {**fixed, by: col, "output": output}
            t = table[np.logical_and.reduce([table[k] == v for k, v in sel.items()])]
            dummy = t[t["parameter"] == DUMMY].iloc[0]
            rest = t[t["parameter"] != DUMMY]
            ax.scatter(rest["mu_star"], rest["sigma"], s=8, c=np.where(rest["above_noise"], "C0", "0.65"), linewidths=0)
            ax.scatter([dummy["mu_star"]], [dummy["sigma"]], s=18, marker="x", c="C3")
            ax.axvline(dummy["mu_star_upper"], color="C3", lw=0.6, ls="--")
            for r in rest.nsmallest(3, "rank").itertuples():
                ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=5, xytext=(2, 2), textcoords="offset points")
            ax.tick_params(labelsize=6)
            if i == 0:
                ax.set_title(col if by == "rule" else ("level, no intervention" if col == "none" else f"effect of {col}"), fontsize=7)
            if j == 0:
                ax.set_ylabel(f"{output}\nsigma", fontsize=6)
            if i == len(MU_SIGMA_OUTPUTS) - 1:
                ax.set_xlabel("mu*", fontsize=6)
    what = f"trust rule {fixed['rule']}" if by == "arm" else "each trust rule, no intervention"
    fig.suptitle(f"Morris mu*-sigma, {what}. x: dummy (seed only); dashed: its 95% upper bound; grey: not above it", fontsize=7)
    fig.savefig(path.with_suffix(".png"), dpi=200)
    fig.savefig(path.with_suffix(".svg"))


def sobol_figure(table: pd.DataFrame, path: Path) -> None:
    """S1 and ST with 95% CIs, one panel per output of each design (rule, arm) in the table."""
    from matplotlib.figure import Figure

    panels = list(table.groupby(["rule", "arm", "output"], sort=False))
    several = {c: table[c].nunique() > 1 for c in ("rule", "arm")}
    fig = Figure(figsize=(7.2, 1.2 + 1.6 * math.ceil(len(panels) / 2)), layout="constrained")
    axes = fig.subplots(math.ceil(len(panels) / 2), 2, squeeze=False).ravel()
    for ax, ((rule, arm, output), t) in zip(axes, panels):
        pos = np.arange(len(t))
        ax.barh(pos - 0.2, t["S1"], height=0.4, xerr=t["S1_conf"], color="C0", label="S1", capsize=1.5)
        ax.barh(pos + 0.2, t["ST"], height=0.4, xerr=t["ST_conf"], color="C1", label="ST", capsize=1.5)
        ax.set_yticks(pos, list(t["parameter"]), fontsize=6)
        ax.invert_yaxis()
        ax.tick_params(labelsize=6)
        what = [rule] if several["rule"] else []
        what += [f"effect of {arm}"] if arm != "none" else []
        ax.set_title(": ".join([*what, output]) + f" (N = {int(t['N'].iloc[0])})", fontsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=6)
    rules = ", ".join(dict.fromkeys(table["rule"]))
    kind = "levels without intervention" if set(table["arm"]) == {"none"} else "paired effects of the interventions"
    fig.suptitle(f"Sobol' indices with 95% CIs: {kind}, trust rule {rules}", fontsize=8)
    fig.savefig(path.with_suffix(".png"), dpi=200)
    fig.savefig(path.with_suffix(".svg"))


# ----------------------------------------------------------------------- the study
def manifest(settings: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    """The folder's manifest, from the sweep engine's writers (versions, code hash, git)."""
    from collabsim.sweep.store import code_hash, git_commit, model_code, versions

    return {"kind": "sensitivity-study", "script": "experiments/sensitivity_study.py", "command": sys.argv,
            "settings": settings, "scenario": SCENARIO, "months": MONTHS, "arms": ARMS, "sobol_fixed": SOBOL_FIXED,
            "ranges": {k: list(v) for k, v in study_ranges().items()}, "excluded": EXCLUDED,
            "fixed": {k: v for k, v in DEFAULTS.items() if k not in study_ranges()},
            "versions": versions(), "model_code": model_code(), "code": code_hash(), "git": git_commit(), **info}


FULL = dict(trajectories=30, trajectories_default_rule=90, sobol_n_start=1024, sobol_n_max=16384, rules_n_max=4096, effect_factors=6, seed=606)
QUICK = dict(trajectories=4, trajectories_default_rule=8, sobol_n_start=16, sobol_n_max=32, rules_n_max=16, effect_factors=3, seed=606)
LEVEL_FACTORS = 8
"""Sobol' factors of the levels (per rule); an effect's count is ``effect_factors`` (its
variance is mostly chance, so fewer factors buy a larger N within the time budget)."""


def run(root: Path, raw: Path, out: Path, quick: bool, workers: int | None, quiet: bool) -> dict:
    """Entry point of ``experiments/run_all.py``."""
    settings = QUICK if quick else FULL
    return study(out / "sensitivity", workers=workers or os.cpu_count() or 1, **settings)


def _cpu() -> float:
    """CPU seconds of this process and its finished workers (the wall time on 2 quiet cores is about half)."""
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))


def study(target: Path, trajectories: int, sobol_n_start: int, sobol_n_max: int, seed: int, workers: int, rules: tuple[str, ...] = RULES,
          cache: Path | None = CACHE, trajectories_default_rule: int | None = None, effect_factors: int = FULL["effect_factors"],
          rules_n_max: int | None = None) -> dict:
    """The whole study into ``target``; raw outputs cached in ``cache`` (None: no cache). The
    other rules' Sobol' designs stop at ``rules_n_max`` (default ``sobol_n_max``): the time
    budget buys the default rule's levels and effects first."""
    _CACHE_DIR["dir"] = cache
    TIMING.clear()
    target.mkdir(parents=True, exist_ok=True)
    start = time.time()
    table, stability, by_r, levels, morris_info = morris(trajectories, workers, seed, rules, trajectories_default_rule)
    table.to_csv(target / "morris.csv", index=False, float_format="%.6g")
    stability.to_csv(target / "morris_stability.csv", index=False, float_format="%.4g")
    by_r.to_csv(target / "morris_stability_by_trajectories.csv", index=False, float_format="%.4g")
    levels.to_csv(target / "rule_levels.csv", index=False, float_format="%.6g")
    rule_agreement(table).to_csv(target / "rule_agreement.csv", index=False, float_format="%.4g")
    mu_sigma_figure(table, target / "morris_mu_sigma", by="arm")
    mu_sigma_figure(table, target / "morris_mu_sigma_rules", by="rule")
    ref = DEFAULTS["trust_rule"]
    sobol_seed = seed + 101
    designs: dict[str, list[tuple[str, str, list[str]]]] = {
        "sobol": [(ref, "none", top_factors(table, LEVEL_FACTORS))],
        "sobol_effects": [(ref, arm, top_factors(table, effect_factors, arm)) for arm in ARMS if arm != "none"],
        "sobol_rules": [(rule, "none", top_factors(table, LEVEL_FACTORS, rule=rule)) for rule in rules if rule != ref],
    }
    sobol_info: dict[str, Any] = {}
    for name, runs_of in designs.items():
        if not runs_of:
            continue
        n_max = rules_n_max or sobol_n_max if name == "sobol_rules" else sobol_n_max
        parts = [sobol(factors, min(sobol_n_start, n_max), n_max, workers, sobol_seed, arm=arm, rule=rule) for rule, arm, factors in runs_of]
        sob = pd.concat([t for t, _ in parts], ignore_index=True)
        sob.to_csv(target / f"{name}.csv", index=False, float_format="%.4g")
        sobol_figure(sob, target / name)
        sobol_info[name] = parts[0][1] if name == "sobol" else {(i["arm"] if name == "sobol_effects" else i["rule"]): i for _, i in parts}
    analysis = time.time() - start - sum(t["seconds"] for t in TIMING if not t.get("cached"))
    runs = sum(t["runs"] for t in TIMING)
    run_seconds = sum(t["seconds"] for t in TIMING)
    cpu = sum(t["cpu_seconds"] for t in TIMING)
    summary = {"morris": morris_info, **sobol_info, "top_factors": sobol_info["sobol"]["factors"][:-1] if "sobol" in sobol_info else [],
               "workers": workers, "runs": runs,
               "run_minutes": round(run_seconds / 60, 1), "runs_per_second": round(runs / max(run_seconds, 1e-9)),
               "cpu_minutes": round(cpu / 60, 1), "cpu_ms_per_run": round(1000 * cpu / max(1, runs), 1),
               "quiet_two_core_minutes": round(cpu / 2 / 60, 1), "analysis_minutes": round(analysis / 60, 1)}
    (target / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    settings = {"trajectories": trajectories, "trajectories_default_rule": morris_info["trajectories_default_rule"], "sobol_n_start": sobol_n_start,
                "sobol_n_max": sobol_n_max, "rules_n_max": rules_n_max or sobol_n_max, "level_factors": LEVEL_FACTORS, "effect_factors": effect_factors, "seed": seed, "workers": workers}
    (target / "manifest.json").write_text(json.dumps(manifest(settings, summary), indent=2, default=str) + "\n", encoding="utf-8")
    print(f"sensitivity study: {runs} runs in {run_seconds:.0f} s ({cpu:.0f} CPU s), analysis {analysis:.0f} s", flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "sensitivity")
    ap.add_argument("--trajectories", type=int, default=FULL["trajectories"])
    ap.add_argument("--trajectories-default-rule", type=int, default=FULL["trajectories_default_rule"],
                    help="Morris trajectories under the default rule (its effect rankings choose the Sobol' factors)")
    ap.add_argument("--rules-n-max", type=int, default=FULL["rules_n_max"], help="largest Sobol' N of the other rules' levels")
    ap.add_argument("--effect-factors", type=int, default=FULL["effect_factors"], help="Sobol' factors of each intervention's effect")
    ap.add_argument("--sobol-n", type=int, default=FULL["sobol_n_start"], help="first Sobol' N (a power of 2)")
    ap.add_argument("--sobol-n-max", type=int, default=FULL["sobol_n_max"])
    ap.add_argument("--seed", type=int, default=FULL["seed"])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rules", nargs="+", choices=RULES, default=list(RULES))
    args = ap.parse_args(argv)
    study(args.out, args.trajectories, args.sobol_n, args.sobol_n_max, args.seed, args.workers, tuple(args.rules),
          trajectories_default_rule=args.trajectories_default_rule, effect_factors=args.effect_factors, rules_n_max=args.rules_n_max)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
