"""Questions 6-8 as parts of ``run_all.py``: a pilot, the replicate count from its
precision, the sweep through collabsim's own engine, the question's tables and figures,
and the manifest (issue 14: "celebration, turnover, the three trust rules and
multisector clusters are never studied").

Each question module (``q6_celebration_turnover``, ``q7_trust_rules``, ``q8_multisector``)
gives ``KEYS`` (its varied parameters), ``TARGETS`` (the paired differences its answer
rests on, each with the CI half-width it should have), ``CAP`` (its compute budget in
replicates) and ``analyse(raw, out, design)``.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from types import ModuleType

import q6_celebration_turnover
import q7_trust_rules
import q8_multisector
import study_tools

MODULES: dict[str, ModuleType] = {
    "q6_celebration_turnover": q6_celebration_turnover,
    "q7_trust_rules": q7_trust_rules,
    "q8_multisector": q8_multisector,
}
QUESTIONS = tuple(MODULES)
QUICK_REPLICATES = 6


def run(name: str, design: dict, quick: bool, raw: Path, out: Path, workers: int | None, quiet: bool) -> dict:
    """Pilot, sweep, report and analysis of one new question (``run_all.run_question`` calls this)."""
    import run_all  # the sweep and report commands and the TOML writer, shared with Q1-Q5

    module = MODULES[name]
    start = time.time()
    target = out / name
    target.mkdir(parents=True, exist_ok=True)
    extra = ["--workers", str(workers)] if workers else []

    def sweep(d: dict, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder.parent / f"{folder.name}.toml"
        run_all.write_toml({k: v for k, v in d.items() if k != "points"}, path)
        if "points" in d:  # [[points]] tables (run_all.write_toml writes flat designs only)
            with path.open("a", encoding="utf-8") as f:
                for point in d["points"]:
                    f.write("\n[[points]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in point.items()))
        run_all.collabsim_cmd("sweep", str(path), "--out", str(folder), *extra, quiet=quiet)

    if quick:
        design = {**design, "replicates": QUICK_REPLICATES}
        precision = {"quick": True, "chosen": QUICK_REPLICATES, "note": "quick run: no pilot, replicates fixed"}
    else:
        precision = study_tools.plan_replicates(name, design, module.KEYS, module.TARGETS, module.CAP, sweep, raw, target)
        design = {**design, "replicates": precision["chosen"]}
    raw_dir = raw / name
    sweep(design, raw_dir)
    run_all.collabsim_cmd("report", str(raw_dir), quiet=quiet)
    shutil.copy2(raw_dir / "manifest.json", target / "manifest.json")
    summary = module.analyse(raw_dir, target, design)
    summary["replicates_choice"] = {k: v for k, v in precision.items() if k != "targets"}
    summary["wall_seconds"] = round(time.time() - start, 1)
    study_tools.enrich_manifest(target, design, precision, summary["wall_seconds"])
    (target / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return summary
