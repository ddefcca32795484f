"""Sweep designs: parsing, points, seeds (common random numbers), and every kind of bad
input refused with exit code 2, one clear message and nothing written."""

from __future__ import annotations

import numpy as np
import pytest

from collabsim.sweep.design import design_from_dict, load_design, replicate_seeds
from collabsim.sweep.errors import DesignError

from .cli_helpers import cli, write_design


def test_full_factorial_points_and_common_seeds(tmp_path):
    design = load_design(write_design(tmp_path / "d.toml", replicates=4))
    assert design.varied == ["trust_gain", "funder_pressure"]
    assert design.points == [
        {"trust_gain": 0.05, "funder_pressure": 0.0},
        {"trust_gain": 0.05, "funder_pressure": 0.5},
        {"trust_gain": 0.2, "funder_pressure": 0.0},
        {"trust_gain": 0.2, "funder_pressure": 0.5},
    ]
    assert design.n_runs == 16
    seeds = {design.run_spec(run_id)[2] for run_id in range(design.n_runs)}
    assert seeds == set(design.seeds) and len(seeds) == 4  # every point uses the same 4 seeds
    assert design.run_spec(5) == (1, 1, design.seeds[1], {"n_organisations": 15, "trust_gain": 0.05, "funder_pressure": 0.5})
    # replicate r's seed does not depend on how many replicates there are
    assert replicate_seeds(11, 6)[:4] == design.seeds
    assert all(0 <= s < 2**63 for s in design.seeds)


def test_samples_are_seeded_and_within_ranges():
    spec = {"root_seed": 3, "sample": {"method": "lhs", "n": 10, "ranges": {"trust_gain": [0.02, 0.3], "min_months_per_level": [0, 8]}}}
    a, b = design_from_dict(spec), design_from_dict(spec)
    assert a.points == b.points and a.fingerprint() == b.fingerprint()
    tg = np.array([p["trust_gain"] for p in a.points])
    assert len(a.points) == 10 and tg.min() >= 0.02 and tg.max() <= 0.3
    assert all(isinstance(p["min_months_per_level"], int) for p in a.points)
    other = design_from_dict({**spec, "root_seed": 4})
    assert other.points != a.points
    sobol = design_from_dict({"sample": {"method": "sobol", "n": 8, "ranges": {"trust_gain": [0.02, 0.3]}}})
    assert len(sobol.points) == 8


def test_explicit_points_fill_missing_values_from_the_base():
    design = design_from_dict({"scenario": "police_community", "points": [{"regular_meetings": True}, {"history_of_harm": 0.2}]})
    assert design.points == [{"regular_meetings": True, "history_of_harm": 0.6}, {"regular_meetings": False, "history_of_harm": 0.2}]


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"vary": {"trust_gain": [0.1], "x": 1}, "sample": {}}, ["one way"]),
        ({"sample": {"method": "sobol", "n": 10, "ranges": {"trust_gain": [0.1, 0.2]}}}, ["power of 2"]),
        ({"sample": {"method": "grid", "n": 4, "ranges": {"trust_gain": [0.1, 0.2]}}}, ["'lhs'", "'sobol'"]),
        ({"sample": {"method": "lhs", "n": 4, "ranges": {"backbone": [0, 1]}}}, ["numeric"]),
        ({"vary": {"seed": [1, 2]}}, ["root_seed"]),
        ({"set": {"trust_gain": 0.1}, "vary": {"trust_gain": [0.2]}}, ["[set]"]),
        ({"months": 2000}, ["months", "[0, 1200]"]),
        ({"root_seed": -1}, ["root_seed"]),
        ({"points": [{}]}, ["empty"]),
        ({"replicats": 3}, ["did you mean 'replicates'"]),
    ],
)
def test_design_errors_name_the_key(spec, words):
    with pytest.raises(DesignError) as info:
        design_from_dict(spec, "my.toml")
    message = str(info.value)
    assert message.startswith("my.toml: ")
    for word in words:
        assert word in message


BAD_DESIGNS = {
    "syntax": ('scenario = "default"\nmonths = = 3\n', ["TOML syntax error", "line 2"]),
    "unknown_parameter": ('[vary]\ntrust_gian = [0.1, 0.2]\n', ["[vary] trust_gian", "did you mean 'trust_gain'"]),
    "out_of_range": ('[vary]\ntrust_gain = [0.1, 1.5]\n', ["[vary] trust_gain", "(0, 1]", "1.5"]),
    "empty_list": ('[vary]\ntrust_gain = []\n', ["[vary] trust_gain", "empty"]),
    "empty_range": ('[sample]\nmethod = "lhs"\nn = 4\n[sample.ranges]\ntrust_gain = [0.3, 0.1]\n', ["[sample.ranges] trust_gain", "empty range"]),
    "zero_replicates": ('replicates = 0\n[vary]\ntrust_gain = [0.1]\n', ["replicates", "[1, 100000]", "got 0"]),
    "unknown_scenario": ('scenario = "polce_community"\n', ["scenario", "did you mean 'police_community'", "task_force"]),
}


@pytest.mark.parametrize("kind", sorted(BAD_DESIGNS))
def test_bad_design_exits_2_names_file_and_key_writes_nothing(tmp_path, kind):
    text, words = BAD_DESIGNS[kind]
    path = tmp_path / f"{kind}.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = cli("sweep", path, "--out", out, "--workers", "1")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1  # one clear message
    assert not out.exists()


def test_missing_design_and_bad_options(tmp_path, capsys):
    from collabsim.cli import main

    assert main(["sweep", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "no such design file" in capsys.readouterr().err
    design = write_design(tmp_path / "d.toml")
    assert main(["sweep", str(design), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
    assert main(["sweep", str(design), "--out", str(tmp_path / "o"), "--scheduler", "127.0.0.1:8786"]) == 2
    assert "tcp://" in capsys.readouterr().err
    assert main(["sensitivity", str(design), "--method", "fast", "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_unwritable_out_exits_2(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    result = cli("sweep", write_design(tmp_path / "d.toml"), "--out", blocker / "sweep")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--out" in result.stderr and "not a directory" in result.stderr
    assert blocker.read_text() == "x"
