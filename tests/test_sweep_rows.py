"""Sweep storage through the real command: ``--collect every|final|K``, rows that carry the
scenario and every parameter (and reproduce their run), ``collabsim export`` long and wide,
CSV and Parquet, and manifests with the model-code hash and the git commit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collabsim import PARAMETERS, CollaborationModel
from collabsim.metrics import METRIC_NAMES
from collabsim.sweep.rows import collected_months
from collabsim.sweep.store import model_code
from tests.cli_helpers import cli, table

ROOT = Path(__file__).resolve().parents[1]
DESIGN = """\
scenario = "funder_mandate"
months = 12
replicates = 2
root_seed = 3
{collect}
[set]
n_organisations = 10
[vary]
trust_gain = [0.05, 0.2]
"""


def _sweep(tmp_path: Path, name: str, *args: str, collect: str = "") -> Path:
    design = tmp_path / f"{name}.toml"
    design.write_text(DESIGN.format(collect=collect), encoding="utf-8")
    out = tmp_path / name
    done = cli("sweep", design, "--out", out, "--workers", "1", "--quiet", *args)
    assert done.returncode == 0, done.stderr
    return out


def _git_head() -> str | None:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def test_collected_months():
    assert collected_months(12, "every").tolist() == list(range(13))
    assert collected_months(12, "final").tolist() == [12]
    assert collected_months(12, 5).tolist() == [0, 5, 10, 12]
    assert collected_months(12, 4).tolist() == [0, 4, 8, 12]
    assert collected_months(0, "final").tolist() == [0]


@pytest.mark.slow
def test_collect_rows_parameters_and_export(tmp_path):
    every = _sweep(tmp_path, "every")
    final = _sweep(tmp_path, "final", "--collect", "final")
    k5 = _sweep(tmp_path, "k5", collect='collect = 5')  # the design file's key
    full = table(every)
    assert sorted(full["month"].unique()) == list(range(13))
    for out, months in ((final, [12]), (k5, [0, 5, 10, 12])):
        part = table(out)
        assert sorted(part["month"].unique()) == months
        expected = full[full["month"].isin(months)].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)  # the same runs, fewer months
        assert json.loads((out / "manifest.json").read_text())["collect"] == (5 if out == k5 else "final")

    # every row: the scenario and every parameter; one row reproduces its run
    names = [n for n in PARAMETERS if n != "seed"]
    assert set(["scenario", *names]) <= set(full.columns)
    assert not set(PARAMETERS) & (set(METRIC_NAMES) - {"month"})
    for _, row in full[full["month"] == 12].iloc[[0, 3]].iterrows():
        params = {n: (row[n].item() if hasattr(row[n], "item") else row[n]) for n in names}
        params = {n: (None if v is pd.NA else v) for n, v in params.items()}
        model = CollaborationModel(row["scenario"], seed=int(row["seed"]), **params).run()
        assert {n: model.params[n] for n in names} == params
        for metric in METRIC_NAMES:
            assert model.metrics[metric] == pytest.approx(row[metric], nan_ok=True, rel=0, abs=0), metric

    # export: long = the stored table; wide = one row per run
    assert cli("export", every, "--quiet").returncode == 0
    long_csv = pd.read_csv(every / "export" / "runs_long.csv")
    assert len(long_csv) == len(full) and list(long_csv.columns) == list(full.columns)
    np.testing.assert_allclose(long_csv["mean_trust"], full["mean_trust"])
    done = cli("export", every, "--shape", "wide", "--format", "parquet", "--out", tmp_path / "wide.parquet")
    assert done.returncode == 0 and "4 rows (wide)" in done.stdout
    wide = pd.read_parquet(tmp_path / "wide.parquet").set_index("run_id")
    assert len(wide) == full["run_id"].nunique()
    for _, row in full.iterrows():
        assert wide.loc[row["run_id"], f"breakdowns_m{row['month']}"] == row["breakdowns"]
        assert wide.loc[row["run_id"], "trust_gain"] == row["trust_gain"]
    wide_final = cli("export", final, "--shape", "wide", "--out", tmp_path / "final.csv")
    assert wide_final.returncode == 0
    assert "breakdowns_m12" in pd.read_csv(tmp_path / "final.csv").columns

    # manifests: model code and git commit
    manifest = json.loads((every / "manifest.json").read_text())
    assert manifest["model_code"] == model_code()
    head = _git_head()
    assert (manifest["git"] or {}).get("commit") == head


def test_bad_collect_is_refused(tmp_path):
    design = tmp_path / "d.toml"
    design.write_text(DESIGN.format(collect='collect = "sometimes"'), encoding="utf-8")
    done = cli("sweep", design, "--out", tmp_path / "o")
    assert done.returncode == 2 and "collect" in done.stderr and "every, final" in done.stderr
    assert not (tmp_path / "o").exists()
    design.write_text(DESIGN.format(collect=""), encoding="utf-8")
    for bad in ("0", "-3", "weekly"):
        done = cli("sweep", design, "--out", tmp_path / "o", "--collect", bad)
        assert done.returncode == 2 and "--collect" in done.stderr, done.stderr
    assert not (tmp_path / "o").exists()


def test_export_refuses_what_it_cannot_do(tmp_path):
    done = cli("export", tmp_path)
    assert done.returncode == 2 and "not a collabsim sweep directory" in done.stderr
    bad = cli("export", tmp_path, "--format", "xlsx")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_single_run_manifest_has_model_code_and_git(tmp_path):
    done = cli("run", "--months", "2", "--set", "n_organisations=5", "--seed", "1", "--out", tmp_path / "r", "--quiet")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["model_code"] == model_code()
    head = _git_head()
    if head is None:
        assert manifest["git"] is None
    else:
        assert manifest["git"]["commit"] == head and isinstance(manifest["git"]["dirty"], bool)


def test_parameter_columns_are_typed_per_point_as_per_row():
    """``complete_rows`` types each parameter once per point and spreads it over the rows:
    the same columns (values and dtypes, None included) as typing every row's value."""
    from collabsim.sweep.design import design_from_dict
    from collabsim.sweep.engine import make_task, run_batch
    from collabsim.sweep.rows import complete_rows, effective_parameters, typed_column

    design = design_from_dict(
        {"scenario": "funder_mandate", "months": 3, "replicates": 2, "root_seed": 1, "set": {"n_organisations": 6},
         "vary": {"trust_rule": ["beta", "smoothing"], "funding_end_month": [None, 2]}},
        "<test>",
    )
    table = run_batch(*make_task(design, list(range(design.n_runs))))
    got = complete_rows(table, design)
    for name in PARAMETERS:
        if name == "seed" or name in table.columns:
            continue
        per_row = typed_column(name, [effective_parameters(design, int(p))[name] for p in table["point"]])
        pd.testing.assert_series_equal(got[name], pd.Series(per_row, name=name), check_exact=True)
    assert got["funding_end_month"].isna().any() and (got["funding_end_month"] == 2).any()
    assert list(got["scenario"].unique()) == ["funder_mandate"] and got["scenario"].dtype == "string"
