"""The study's analysis helpers (experiments/study.py, precision.py, the results manifests): censored
times stay censored, paired effects pair by seed, multiplicity is adjusted, figures are vector
beside raster, and every results folder's manifest names the commit, versions and code hash
(issue 14)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

import precision  # noqa: E402
import study  # noqa: E402

QUESTIONS = ("q1_time", "q2_funder", "q3_history", "q4_backbone_skills", "q5_competition")


def monthly(first: list[int | None], months: int = 10, **cols) -> pd.DataFrame:
    """A monthly table with one run per entry of ``first``: the metric turns positive at that month (None: never)."""
    rows = []
    for run, f in enumerate(first):
        for m in range(months + 1):
            rows.append({"run_id": run, "point": 0, "replicate": run, "month": m, "x": int(f is not None and m >= f), **cols})
    return pd.DataFrame(rows)


def test_first_event_censors_runs_without_the_event_at_the_month_read() -> None:
    runs = study.first_event(monthly([3, None, 8]), "x", [])
    assert runs.time.tolist() == [3, 10, 8] and runs.observed.tolist() == [True, False, True]
    early = study.first_event(monthly([3, None, 8]), "x", [], horizon=5)
    assert early.time.tolist() == [3, 5, 5] and early.observed.tolist() == [True, False, False]


def test_km_row_reports_not_reached_instead_of_a_censored_mean() -> None:
    row = study.km_row(np.array([2.0, 10, 10, 10]), np.array([True, False, False, False]))
    assert row["median"] == math.inf and row["median_text"] == "not reached"
    assert row["censored_share"] == pytest.approx(0.75)


def test_censored_contrast_gives_a_month_difference_only_without_censoring() -> None:
    a = pd.DataFrame({"replicate": [0, 1, 2], "time": [5.0, 6, 7], "observed": [True, True, True]})
    b = pd.DataFrame({"replicate": [2, 1, 0], "time": [9.0, 8, 7], "observed": [True, True, True]})  # order differs: pairs by replicate
    row = study.censored_contrast(a, b)
    assert row["diff_months"] == pytest.approx(2.0) and row["a_first"] == 3
    b.loc[0, "observed"] = False
    assert math.isnan(study.censored_contrast(a, b)["diff_months"])


def test_contrasts_pair_by_seed_and_adjust_within_a_metric() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(50, 10, 30)  # shared by seed: a paired test sees the small shift, an unpaired one would not
    rows = []
    for level, shift in ((0.0, 0.0), (0.5, 1.0), (1.0, 0.0)):
        for r, v in enumerate(base + shift + rng.normal(0, 0.3, 30)):
            rows.append({"f": level, "g": 1, "replicate": r, "y": v})
    out = study.contrasts(pd.DataFrame(rows), ["f", "g"], "f", 0.0, ["y"], "holm")
    assert list(out.f) == [0.5, 1.0] and set(out.family_size) == {2}
    hit = out[out.f == 0.5].iloc[0]
    assert hit.diff_low < 1.0 < hit.diff_high and hit.significant and hit.p_adj >= hit.pvalue
    assert not out[out.f == 1.0].iloc[0].significant


def test_interaction_estimates_the_change_of_an_effect_with_its_ci() -> None:
    rng = np.random.default_rng(2)
    rows = []
    for r in range(40):
        noise = rng.normal(0, 1)
        for a in (0, 1):
            for b in (0, 1):
                rows.append({"A": a, "B": b, "replicate": r, "y": noise + 2 * b + 3 * a * b + rng.normal(0, 0.2)})
    out = study.interactions(pd.DataFrame(rows), "A", 0, "B", 0, [], ["y"])
    assert len(out) == 1
    assert out.int_low[0] < 3 < out.int_high[0] and out.effect_at_ref[0] == pytest.approx(2, abs=0.2)


def test_power_and_minimum_detectable_effect_agree() -> None:
    mde = study.mde(12.0, 60)
    assert study.power_for(mde, 12.0, 60) == pytest.approx(0.8, abs=0.01)
    assert study.mde(12.0, 60, alpha=0.05 / 32) > mde


def test_finish_writes_a_vector_figure_beside_the_png(tmp_path: Path) -> None:
    fig, ax = study.plt.subplots()
    values = np.array([[-2.0, 1.0], [0.5, 4.0]])
    im = study.centred_heatmap(ax, values, np.array([[True, False], [False, False]]), [0, 1], [0, 1], vmax=4.0)
    assert im.norm.vmin == -im.norm.vmax == -4.0  # centred on zero, on the scale given
    study.finish(fig, tmp_path / "f.png", "title", "note")
    assert (tmp_path / "f.png").stat().st_size > 0 and (tmp_path / "f.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_pilot_design_keeps_the_key_contrast_only() -> None:
    import tomllib

    for q, target in precision.TARGETS.items():
        design = tomllib.loads((ROOT / "experiments" / f"{q}.toml").read_text(encoding="utf-8"))
        assert target.factor in design["vary"] and {target.reference, target.level} <= set(design["vary"][target.factor])
        for k, v in target.fixed.items():
            assert v in design["vary"][k], f"{q}: {k}={v} is not a level of the design"
        pilot = precision.pilot_design(q, design, target, 5)
        assert pilot["vary"] == {target.factor: [target.reference, target.level]} and pilot["replicates"] == 5


def test_sweep_manifest_names_versions_code_hash_and_effective_parameters() -> None:
    from collabsim.sweep.design import load_design
    from collabsim.sweep.engine import base_manifest

    m = base_manifest(load_design(ROOT / "experiments" / "q2_funder.toml"), "sweep", ["test"])
    for name in ("scipy", "SALib", "matplotlib", "numpy", "numba", "mesa", "pandas"):
        assert m["versions"].get(name, "not installed") != "not installed", name
    assert len(m["code"]["sha256"]) == 64 and "experiments/**/*.{py,toml,csv}" in m["code"]["covers"]
    params = m["effective_parameters"]["every_point"]
    assert params["funding_end_month"] == 60 and "trust_gain" in params and params["months"] == 240


def test_code_hash_changes_with_an_experiments_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from collabsim.sweep import store

    before = store.code_hash()["sha256"]
    real = Path.read_bytes

    def edited(path: Path) -> bytes:
        data = real(path)
        return data + b"#" if path.name == "study.py" and path.parent.name == "experiments" else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert store.code_hash()["sha256"] != before


NEW_QUESTIONS = ("q6_celebration_turnover", "q7_trust_rules", "q8_multisector")


@pytest.mark.parametrize("folder", [*QUESTIONS, *NEW_QUESTIONS, "replicates", "validity"])
def test_every_results_folder_has_a_full_manifest(folder: str) -> None:
    manifest = json.loads((ROOT / "results" / folder / "manifest.json").read_text(encoding="utf-8"))
    res = manifest["results"]
    assert res["git"] is None or len(res["git"]["commit"]) == 40
    assert {"scipy", "SALib", "matplotlib", "numpy", "numba", "mesa", "pandas"} <= set(res["versions"])
    assert len(res["code"]["sha256"]) == 64
    if folder in QUESTIONS:
        assert manifest["effective_parameters"]["every_point"]["months"] == manifest["design"]["months"] and manifest["design"]["points"]
        p = res["precision"]
        assert p["replicates_chosen"] == manifest["design"]["replicates"] and p["target"]["halfwidth"] > 0 and p["pilot_replicates"] >= 2
    if folder in NEW_QUESTIONS:  # the same two-stage choice (precision.two_stage), several targets each
        p = res["precision"]
        assert p["replicates_chosen"] == manifest["design"]["replicates"] and p["pilot_replicates"] >= 2 and p["targets"]
        assert p["cap_binds"] == (max(p["replicates_needed"], p["stage2"]["replicates_needed"]) > p["replicates_cap"])
        table = pd.read_csv(ROOT / "results" / folder / "precision.csv")
        assert (table["chosen"] == p["replicates_chosen"]).all()
        assert table["meets_target"].tolist() == (table["achieved_halfwidth"] <= table["target_halfwidth"]).tolist()


@pytest.mark.parametrize("folder", [*QUESTIONS, *NEW_QUESTIONS])
def test_every_png_has_a_vector_twin(folder: str) -> None:
    pngs = sorted((ROOT / "results" / folder).rglob("*.png"))  # the question's figures and its collabsim report's
    assert pngs
    assert [p.name for p in pngs if not p.with_suffix(".svg").is_file()] == []
