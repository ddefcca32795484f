"""Questions 6-8 as parts of ``run_all.py``: the replicate count from precision in two
stages (``precision.two_stage``, as questions 1-5: a pilot, the sweep, the count again from
the sweep's own differences and, if it asks for more, the sweep again), the sweep through
collabsim's own engine, the question's tables and figures, and the manifest
(``run_all.write_manifest``, as questions 1-5) (issue 14: "celebration, turnover, the three
trust rules and multisector clusters are never studied").

Each question module (``q6_celebration_turnover``, ``q7_trust_rules``, ``q8_multisector``)
gives ``KEYS`` (its varied parameters), ``TARGETS`` (the paired differences its answer
rests on, each with the CI half-width it should have), ``CAP`` (its compute budget in
replicates) and ``analyse(raw, out, design)``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import ModuleType

import precision
import q6_celebration_turnover
import q7_trust_rules
import q8_multisector
import study
import study_tools

MODULES: dict[str, ModuleType] = {
    "q6_celebration_turnover": q6_celebration_turnover,
    "q7_trust_rules": q7_trust_rules,
    "q8_multisector": q8_multisector,
}
QUESTIONS = tuple(MODULES)


def run(name: str, design: dict, quick: bool, raw: Path, out: Path, workers: int | None, quiet: bool) -> dict:
    """Replicate choice, sweep, report and analysis of one new question (``run_all.run_question`` calls this)."""
    import run_all  # the sweep and report commands, the TOML writer and the manifest, shared with Q1-Q5

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

    pilot, cap = (study_tools.QUICK_PILOT, study_tools.QUICK_CAP) if quick else (study_tools.PILOT_REPLICATES, module.CAP)
    raw_dir, design, record = precision.two_stage(
        name, design, raw, sweep,
        lambda: study_tools.plan_replicates(name, design, module.KEYS, module.TARGETS, cap, sweep, raw, target, pilot),
        lambda folder, chosen: study_tools.recount_replicates(folder, chosen, module.KEYS, module.TARGETS, cap))
    table = study_tools.precision_table(study_tools.Sweep(raw_dir, module.KEYS), module.TARGETS, record)
    study.write_csv(table, target / "precision.csv")
    record["targets_missed"] = int((~table["meets_target"]).sum())
    run_all.collabsim_cmd("report", str(raw_dir), quiet=quiet)
    summary = module.analyse(raw_dir, target, design)
    summary["replicates_choice"] = {k: v for k, v in record.items() if k not in ("targets", "stage2")}
    summary["wall_seconds"] = round(time.time() - start, 1)
    run_all.write_manifest(target, json.loads((raw_dir / "manifest.json").read_text(encoding="utf-8")), precision=record,
                           wall_seconds=summary["wall_seconds"])
    (target / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    return summary
