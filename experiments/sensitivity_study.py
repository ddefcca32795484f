"""Global sensitivity analysis: Morris screening over every numeric parameter, then Sobol'
indices over the parameters that matter, for three outputs read at month 120: months to
the first collaboration, durable collaborations and collective impact.

Both steps run through ``collabsim sensitivity`` (SALib sample, the sweep engine, SALib
analyse). Ranges are the plausible part of each registry range (the registry allows wider
values for edge cases); switches, choices and the optional months (funding end, crisis)
stay at the default scenario's values.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

OUTPUTS = ("first_collaboration_month", "durable_collaborations", "collective_impact")

RANGES = {
    "n_organisations": [20, 80],
    "initial_trust": [0.05, 0.4],
    "history_of_harm": [0.0, 0.8],
    "trust_gain": [0.03, 0.3],
    "trust_loss": [0.1, 0.6],
    "damage_severity": [0.2, 1.0],
    "damage_decay": [0.005, 0.1],
    "interdependence_weight": [0.0, 1.5],
    "honest_failure_severity": [0.05, 0.6],
    "reliability": [0.6, 0.98],
    "min_months_per_level": [0, 12],
    "contact_rate": [0.02, 0.5],
    "capacity": [0.5, 2.0],
    "style_mismatch_penalty": [0.0, 0.3],
    "funder_pressure": [0.0, 1.0],
    "funder_required_level": [1, 4],
    "funder_deadline_months": [6, 60],
    "funding_scarcity": [0.0, 1.0],
    "grant_interval_months": [3, 12],
    "grant_size": [0.0, 1.0],
    "backbone_capacity": [5, 40],
    "collaborative_skill": [0.1, 0.9],
    "referral_weight": [0.0, 0.8],
    "staff_turnover": [0.0, 0.06],
    "turnover_trust_loss": [0.0, 0.8],
}
"""Morris ranges. ``backbone_capacity`` is screened with the backbone off (the default), a
parameter known to have no effect there: a check that the screening can tell."""


def _write_design(path: Path, ranges: dict, n: int, replicates: int, months: int, seed: int) -> None:
    lines = [
        'scenario = "default"',
        f"months = {months}",
        f"replicates = {replicates}",
        f"root_seed = {seed}",
        "",
        "[sample]",
        f"n = {n}",
        "",
        "[sample.ranges]",
    ]
    lines += [f"{name} = [{lo}, {hi}]" for name, (lo, hi) in ranges.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _sensitivity(design: Path, method: str, out: Path, workers: int | None, quiet: bool) -> pd.DataFrame:
    cmd = [sys.executable, "-m", "collabsim.cli", "sensitivity", str(design), "--method", method, "--out", str(out)]
    for metric in OUTPUTS:
        cmd += ["--metric", metric]
    if workers:
        cmd += ["--workers", str(workers)]
    if quiet:
        cmd.append("--quiet")
    print("$ collabsim " + " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, check=True)
    return pd.read_csv(out / "sensitivity.csv")


def top_parameters(morris: pd.DataFrame, k: int) -> list[str]:
    """Parameters ranked by mu_star, normalised per output and averaged over outputs."""
    m = morris.copy()
    m["norm"] = m.groupby("metric")["mu_star"].transform(lambda s: s / s.max() if s.max() > 0 else s)
    return list(m.groupby("parameter")["norm"].mean().sort_values(ascending=False).index[:k])


def run(root: Path, raw: Path, out: Path, quick: bool, workers: int | None, quiet: bool) -> dict:
    target = out / "sensitivity"
    target.mkdir(parents=True, exist_ok=True)
    months = 120
    morris_design = raw / "sensitivity_morris.toml"
    _write_design(morris_design, RANGES, n=4 if quick else 12, replicates=1 if quick else 2, months=months, seed=606)
    morris = _sensitivity(morris_design, "morris", raw / "sensitivity_morris", workers, quiet)
    shutil.copy2(raw / "sensitivity_morris" / "sensitivity.csv", target / "morris.csv")
    shutil.copy2(raw / "sensitivity_morris" / "sensitivity.png", target / "morris.png")
    shutil.copy2(raw / "sensitivity_morris" / "manifest.json", target / "morris_manifest.json")
    top = top_parameters(morris, 5)
    sobol_design = raw / "sensitivity_sobol.toml"
    _write_design(sobol_design, {name: RANGES[name] for name in top}, n=16 if quick else 128, replicates=1, months=months, seed=707)
    sobol = _sensitivity(sobol_design, "sobol", raw / "sensitivity_sobol", workers, quiet)
    shutil.copy2(raw / "sensitivity_sobol" / "sensitivity.csv", target / "sobol.csv")
    shutil.copy2(raw / "sensitivity_sobol" / "sensitivity.png", target / "sobol.png")
    shutil.copy2(raw / "sensitivity_sobol" / "manifest.json", target / "sobol_manifest.json")
    summary = {"morris_top_overall": top, "morris_top_by_output": {}, "sobol": {}}
    for metric, g in morris.groupby("metric"):
        g = g.sort_values("mu_star", ascending=False)
        summary["morris_top_by_output"][metric] = [(r.parameter, round(float(r.mu_star), 3)) for r in g.head(6).itertuples()]
        bb = g[g.parameter == "backbone_capacity"]
        if len(bb):
            summary.setdefault("backbone_capacity_mu_star", {})[metric] = round(float(bb.mu_star.iloc[0]), 4)
    for metric, g in sobol.groupby("metric"):
        summary["sobol"][metric] = [(r.parameter, round(float(r.S1), 3), round(float(r.ST), 3)) for r in g.sort_values("ST", ascending=False).itertuples()]
    return summary
