"""Regenerate every result of collabsim from scratch: the eight research questions, the replicate check and the
global sensitivity analysis (DESIGN.md, "Experiments the project must answer").

Each question has a sweep design in ``experiments/``. Its replicate count comes from a pilot
of the question's key contrast (``experiments/precision.py``: the seeds needed for a target
CI half-width of that paired difference), checked again on the full sweep's own differences
(a second stage; questions 6-8 the same way, with several targets each). This script runs each design
through the real sweep engine (``collabsim sweep``, resumable: run it again after an
interruption and it continues), makes the generic report (``collabsim report``), then
draws the question's own figures and tables into ``results/<question>/``. At the end of a
full run, every ``results/<folder>/FINDINGS.md`` is rendered again from its template in
``experiments/findings/`` (``experiments/findings.py``), so the text follows the new tables.

Usage:
    python experiments/run_all.py            # the full study: about 40 minutes on 2 cores from an empty cache
    python experiments/run_all.py --quick    # a small version (a few minutes): results/quick/
    python experiments/run_all.py --only q2_funder --workers 2

Raw sweep outputs (Parquet) go under ``.cache/sweeps/`` and are not committed; the
figures (PNG and SVG), tables (CSV), manifests and summaries in ``results/`` are.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

import analysis  # noqa: E402
import precision  # noqa: E402
import findings  # noqa: E402
import new_questions  # noqa: E402  (Q6-Q8: celebration and turnover, trust rules, multisector clusters)

QUESTIONS = ("q1_time", "q2_funder", "q3_history", "q4_backbone_skills", "q5_competition", *new_questions.QUESTIONS)


def quick_design(design: dict, name: str) -> dict:
    """A smaller version of a design for the main job: fewer replicates and points."""
    small = json.loads(json.dumps(design))
    small["replicates"] = 6
    vary = small.get("vary", {})
    if name == "q1_time":
        vary["trust_loss"] = [0.3]
        vary["min_months_per_level"] = [0, 4, 8]
    elif name == "q2_funder":
        vary["funder_pressure"] = [0.0, 0.5, 1.0]
        vary["funder_deadline_months"] = [12, 24]
    elif name == "q4_backbone_skills":
        vary["collaborative_skill"] = [0.3, 0.5]
        vary["n_organisations"] = [20, 40]
    elif name == "q3_history":
        vary["history_of_harm"] = [0.0, 0.6]
    return small


def write_toml(design: dict, path: Path) -> None:
    """Write a flat design (scalars, [set], [vary], [sample], [sample.ranges]) as TOML."""

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines = [f"{k} = {value(v)}" for k, v in design.items() if not isinstance(v, dict)]
    for k, v in design.items():
        if isinstance(v, dict):
            flat = {kk: vv for kk, vv in v.items() if not isinstance(vv, dict)}
            lines.append(f"\n[{k}]")
            lines += [f"{kk} = {value(vv)}" for kk, vv in flat.items()]
            for kk, vv in v.items():
                if isinstance(vv, dict):
                    lines.append(f"\n[{k}.{kk}]")
                    lines += [f"{kkk} = {value(vvv)}" for kkk, vvv in vv.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_manifest(target: Path, sweep: dict | None = None, **extra) -> None:
    """``target/manifest.json``: the sweep's manifest (design, full effective parameters,
    versions, model code) and, at analysis time, the git commit, every dependency's version
    and the hash of all the code (collabsim/, collabsim/sweep/, experiments/) that made the folder."""
    from collabsim.sweep.store import code_hash, git_commit, versions

    manifest = dict(sweep or {})
    if "effective_parameters" in manifest:  # a sweep made before the run length and seeds were filled in
        from collabsim.sweep.engine import effective_parameters

        manifest["effective_parameters"] = effective_parameters(manifest["effective_parameters"]["every_point"], manifest["design"]["months"])
    manifest["results"] = {"folder": target.name, "git": git_commit(), "versions": versions(), "code": code_hash(),
                           "made_by": "experiments/run_all.py", **{k: v for k, v in extra.items() if v is not None}}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")


def collabsim_cmd(*args: str, quiet: bool = False) -> None:
    cmd = [sys.executable, "-m", "collabsim.cli", *args] + (["--quiet"] if quiet else [])
    print("$ collabsim " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def run_question(name: str, quick: bool, raw: Path, out: Path, workers: int | None, quiet: bool) -> dict:
    design = tomllib.loads((ROOT / "experiments" / f"{name}.toml").read_text(encoding="utf-8"))
    if quick:
        design = quick_design(design, name)
    if name in new_questions.QUESTIONS:  # replicates from a pilot's precision, then sweep and analysis
        return new_questions.run(name, design, quick, raw, out, workers, quiet)
    raw_dir = raw / name
    raw_dir.mkdir(parents=True, exist_ok=True)
    extra = ["--workers", str(workers)] if workers else []

    def run_sweep(d: dict, path: Path, into: Path) -> None:
        write_toml(d, path)
        collabsim_cmd("sweep", str(path), "--out", str(into), *extra, quiet=quiet)

    record = None
    if name in precision.TARGETS:  # replicates from the precision of the key paired difference, in two stages
        raw_dir, design, record = precision.two_stage(
            name, design, raw, lambda d, into: run_sweep(d, into.parent / f"{into.name}.toml", into),
            lambda: precision.choose(name, design, raw, run_sweep, quick),
            lambda folder, chosen: precision.second_stage(name, folder, chosen, quick))
    else:
        run_sweep(design, raw / f"{name}.toml", raw_dir)
    collabsim_cmd("report", str(raw_dir), quiet=quiet)
    target = out / name
    target.mkdir(parents=True, exist_ok=True)
    write_manifest(target, json.loads((raw_dir / "manifest.json").read_text(encoding="utf-8")), precision=record)
    report = raw_dir / "report"
    if report.is_dir():
        if (target / "report").exists():
            shutil.rmtree(target / "report")
        # the month-by-month table of every metric stays with the raw sweep (it is large)
        shutil.copytree(report, target / "report", ignore=shutil.ignore_patterns("by_month.csv"))
    return analysis.ANALYSES[name](raw_dir, target, design)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--quick", action="store_true", help="small version (the README's main job)")
    ap.add_argument("--only", nargs="+", choices=(*QUESTIONS, "sensitivity", "replicates"), help="run only these parts")
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default results/ or results/quick/)")
    ap.add_argument("--raw", type=Path, default=None, help="raw sweep folder (default .cache/sweeps[-quick]/)")
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    args = ap.parse_args(argv)
    out = args.out or (ROOT / "results" / "quick" if args.quick else ROOT / "results")
    raw = args.raw or (ROOT / ".cache" / ("sweeps-quick" if args.quick else "sweeps"))
    out.mkdir(parents=True, exist_ok=True)
    raw.mkdir(parents=True, exist_ok=True)
    parts = args.only or (*QUESTIONS, "replicates", "sensitivity")
    summaries: dict[str, dict] = {}
    start = time.time()
    for name in parts:
        print(f"\n== {name}", flush=True)
        if name == "sensitivity":
            summaries[name] = analysis.sensitivity(ROOT, raw, out, args.quick, args.workers, args.quiet)
        elif name == "replicates":
            summaries[name] = analysis.replicate_stability(ROOT, raw, out, args.quick, args.workers, args.quiet)
        else:
            summaries[name] = run_question(name, args.quick, raw, out, args.workers, args.quiet)
        (out / name / "summary.json").write_text(json.dumps(summaries[name], indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nDone in {time.time() - start:.0f} s. Results are in {out}/:")
    for name in parts:
        figures = sorted((out / name).glob("*.png"))
        print(f"  {name}/: " + ", ".join(f.name for f in figures))
    if args.quick or args.out:
        print("FINDINGS.md not refreshed (their templates read the full study in results/): run python experiments/findings.py")
        return 0
    return findings.main(["--results", str(out)])  # every FINDINGS.md from its template and the new tables


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
