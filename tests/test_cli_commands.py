"""End-to-end tests of ``collabsim run``, ``params``, ``scenarios``, ``--help`` and the
``viz`` hand-over, through the real entry point."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from collabsim.metrics import METRIC_NAMES
from collabsim.parameters import PARAMETERS
from collabsim.scenarios import SCENARIOS

from collabsim.cli import main

from .cli_helpers import cli


def test_run_writes_tables_summary_and_manifest(tmp_path):
    out = tmp_path / "run"
    result = cli("run", "--scenario", "police_community", "--months", "18", "--seed", "5", "--set", "n_organisations=12", "--set", "regular_meetings=true", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "police_community" in result.stdout and "seed 5" in result.stdout
    metrics = pd.read_csv(out / "metrics.csv")
    assert list(metrics.columns) == list(METRIC_NAMES)
    assert len(metrics) == 19 and metrics["month"].tolist() == list(range(19))
    rel = pd.read_csv(out / "relationships.csv")
    assert {"i", "j", "trust_ij", "trust_ji", "level"} <= set(rel.columns)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 5 and summary["months"] == 18
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(PARAMETERS) <= set(manifest["parameters"])
    assert manifest["parameters"]["regular_meetings"] is True
    assert manifest["parameters"]["n_organisations"] == 12
    assert manifest["seed"] == 5
    assert {"collabsim", "mesa", "numpy", "python"} <= set(manifest["versions"])
    assert "run" in manifest["command"] and manifest["started"] and manifest["finished"]


def test_run_is_reproducible_and_records_a_drawn_seed(tmp_path):
    first = cli("run", "--months", "6", "--set", "n_organisations=10", "--out", tmp_path / "a", "--quiet")
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""
    seed = json.loads((tmp_path / "a" / "manifest.json").read_text())["seed"]
    assert isinstance(seed, int)
    again = cli("run", "--months", "6", "--set", "n_organisations=10", "--seed", str(seed), "--out", tmp_path / "b", "--quiet")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a" / "metrics.csv").read_text() == (tmp_path / "b" / "metrics.csv").read_text()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--set", "trust_gian=0.2"], ["trust_gian", "did you mean 'trust_gain'"]),
        (["--set", "trust_gain=1.5"], ["trust_gain", "(0, 1]"]),
        (["--set", "trust_gain=abc"], ["trust_gain", "abc"]),
        (["--set", "backbone=maybe"], ["backbone", "true or false"]),
        (["--set", "trust_gain"], ["name=value"]),
        (["--scenario", "polce_community"], ["polce_community", "did you mean 'police_community'"]),
        (["--months", "-3"], ["months", "[0, 1200]"]),
        (["--seed", "x"], ["seed"]),
    ],
)
def test_run_bad_input_exits_2_with_a_message_and_writes_nothing(tmp_path, capsys, args, words):
    # in-process through main() (the console script's function); one case below runs
    # the real subprocess
    out = tmp_path / "out"
    assert main(["run", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in words:
        assert word in err
    assert not out.exists()


def test_run_bad_input_through_the_real_command(tmp_path):
    out = tmp_path / "out"
    result = cli("run", "--set", "trust_gian=0.2", "--out", out)
    assert result.returncode == 2
    assert "did you mean 'trust_gain'" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_run_unwritable_out_exits_2(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a directory")
    result = cli("run", "--months", "3", "--out", blocker / "sub")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--out" in result.stderr and "not a directory" in result.stderr
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = cli("run", "--months", "3", "--out", locked / "run")
        assert result.returncode == 2 and "cannot" in result.stderr
        assert list(locked.iterdir()) == []


def test_params_and_scenarios_list_everything(capsys):
    result = cli("params", "--format", "json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == list(PARAMETERS)
    assert {"name", "default", "range", "unit", "meaning", "source"} <= set(rows[0])
    scenarios = cli("scenarios")
    assert scenarios.returncode == 0
    for name in SCENARIOS:
        assert name in scenarios.stdout
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    assert "trust_gain" in out and "source" in out
    assert main(["params", "--group", "funder", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "funder_pressure" in out and "trust_gain" not in out
    assert main(["params", "--group", "fundr"]) == 2
    assert "did you mean 'funder'" in capsys.readouterr().err


def test_help_everywhere_with_examples(capsys):
    result = cli("--help")
    assert result.returncode == 0 and "usage:" in result.stdout and "example" in result.stdout
    for command in (["run"], ["sweep"], ["report"], ["sensitivity"], ["params"], ["scenarios"]):
        assert main([*command, "--help"]) == 0, command
        out = capsys.readouterr().out
        assert "usage:" in out and "example" in out, command
    assert main([]) == 2  # no command
    assert main(["sweep"]) == 2  # no design


def test_viz_passes_its_arguments_through():
    result = cli("viz", "--help")
    assert result.returncode == 0
    assert "--fetch-assets" in result.stdout and "--port" in result.stdout
    bad = cli("viz", "--scenario", "nope", "--quiet")
    assert bad.returncode == 2 and "nope" in bad.stderr
