"""The sensitivity study's tools (issue 14): elementary effects equal SALib's, the screened
ranges keep the ladder valid, the dummy changes only the random streams, rank stability
separates signal from noise, and a tiny study writes every table through the real model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from collabsim.parameters import DEFAULTS, PARAMETERS, ParameterError, check_consistency, validate
from collabsim.sweep import sensitivity as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

import sensitivity_study as study  # noqa: E402


def _linear_problem(D: int = 5) -> dict:
    return {"num_vars": D, "names": [f"x{k}" for k in range(D)], "bounds": [[0.0, 2.0 + k] for k in range(D)]}


def test_elementary_effects_equal_salib_morris() -> None:
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    prob = _linear_problem()
    X = morris_sample.sample(prob, 20, num_levels=4, seed=3)
    Y = 3 * X[:, 0] - 2 * X[:, 1] * X[:, 2] + np.sin(X[:, 3])  # x4 is inert
    EE = sa.elementary_effects(X, Y, prob["bounds"])
    ours = sa.morris_indices(EE)
    theirs = morris_analyze.analyze(prob, X, Y, num_levels=4, seed=3)
    np.testing.assert_allclose(ours["mu_star"], theirs["mu_star"], rtol=1e-12)
    np.testing.assert_allclose(ours["mu"], theirs["mu"], rtol=1e-12)
    np.testing.assert_allclose(ours["sigma"], theirs["sigma"], rtol=1e-12)
    assert ours["mu_star"][4] == 0 and ours["mu_star"][0] > 0


def test_elementary_effects_refuse_a_sample_that_is_not_morris() -> None:
    prob = _linear_problem(3)
    with pytest.raises(ValueError, match="multiple of 4 rows"):
        sa.elementary_effects(np.zeros((6, 3)), np.zeros(6), prob["bounds"])


def test_bootstrap_and_split_stability_tell_signal_from_noise() -> None:
    rng = np.random.default_rng(0)
    signal = rng.normal(np.linspace(10, 0.5, 20), 0.3, size=(40, 20))
    stab = sa.split_stability(signal, k=5, seed=1)
    assert stab["spearman_min"] > 0.9 and stab["top_k_overlap_median"] == 1.0
    noise = rng.normal(0, 1, size=(40, 20))
    assert abs(sa.split_stability(noise, k=5, seed=1)["spearman_median"]) < 0.5
    boot = sa.bootstrap_mu_star(signal, n_boot=200, seed=2)
    mu_star = np.abs(signal).mean(axis=0)
    assert np.all(boot["mu_star_lower"] <= mu_star) and np.all(mu_star <= boot["mu_star_upper"])
    assert boot["rank_lower"][0] == 1 and boot["rank_upper"][-1] == 20


def test_repair_ladder_maps_onto_valid_values() -> None:
    bad = dict(DEFAULTS, trust_needed_cooperation=0.3, base_success_cooperation=0.99)
    with pytest.raises(ParameterError):
        check_consistency(bad)
    fixed, changed = sa.repair_ladder(bad)
    assert changed
    check_consistency(fixed)
    assert fixed["trust_needed_cooperation"] == bad["trust_needed_coordination"]
    assert sa.repair_ladder(DEFAULTS) == (dict(DEFAULTS), False)


def test_screened_ranges_cover_every_numeric_parameter_and_keep_the_ladder() -> None:
    ranges = study.study_ranges()
    numeric = {n for n, p in PARAMETERS.items() if p.kind in ("int", "float")}
    assert set(ranges) | set(study.EXCLUDED) >= numeric
    assert numeric - set(ranges) <= set(study.EXCLUDED)
    assert sum(PARAMETERS[n].group == "structure" for n in ranges) == sum(p.group == "structure" for p in PARAMETERS.values())
    for name, (lo, hi) in ranges.items():
        assert lo < hi, name
        validate({name: int(lo) if PARAMETERS[name].kind == "int" else lo})
        validate({name: int(hi) if PARAMETERS[name].kind == "int" else hi})
    prob = study.problem()
    corners = [np.array([b[0] for b in prob["bounds"]]), np.array([b[1] for b in prob["bounds"]]),
               np.random.default_rng(1).uniform([b[0] for b in prob["bounds"]], [b[1] for b in prob["bounds"]])]
    for row in corners:
        params, repaired = study.point_params(prob["names"], row)
        assert not repaired
        check_consistency({**DEFAULTS, **params})


def test_noise_seed_is_deterministic_and_moves_with_the_dummy() -> None:
    a = sa.noise_seed(606, 3, 0.25)
    assert a == sa.noise_seed(606, 3, 0.25)
    assert a != sa.noise_seed(606, 3, 0.5) and a != sa.noise_seed(606, 4, 0.25)
    assert 0 <= a < 2**63


def test_dummy_changes_the_streams_and_an_unread_parameter_changes_nothing() -> None:
    """Why the dummy draws its own seed: a parameter the model does not read (celebration is
    off) gives bit-identical runs under a shared seed, so its effect is zero by construction;
    the dummy's value enters the seed and its runs differ."""
    base = {"n_organisations": 20}
    points = [dict(base), dict(base, celebration_boost=2.0), dict(base)]
    seeds = [sa.noise_seed(1, 0, 0.0), sa.noise_seed(1, 0, 0.0), sa.noise_seed(1, 0, 1 / 3)]
    study._init(points, seeds)
    runs = [study._run((k, "none", "two_layer")) for k in range(3)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_pool_gives_the_same_runs_as_one_process() -> None:
    points = [{"n_organisations": 20, "trust_gain": g} for g in (0.05, 0.2)]
    seeds = [11, 12]
    tasks = [(k, arm, "two_layer") for arm in ("none", "backbone") for k in range(2)]
    one = study.run_all(points, seeds, tasks, 1, "one")
    two = study.run_all(points, seeds, tasks, 2, "two")
    np.testing.assert_array_equal(one, two)


def test_a_tiny_study_writes_every_table(tmp_path: Path) -> None:
    summary = study.study(tmp_path, trajectories=2, trajectories_default_rule=4, sobol_n_start=4, sobol_n_max=4, seed=5, workers=2,
                          rules=("two_layer", "smoothing"), cache=None, effect_factors=3)
    import pandas as pd

    morris = pd.read_csv(tmp_path / "morris.csv")
    D = study.problem()["num_vars"]
    assert len(morris) == D * 2 * len(study.ARMS) * len(study.OUTPUTS)
    assert set(morris["parameter"]) == set(study.problem()["names"])
    assert (morris["mu_star_lower"] <= morris["mu_star"] + 1e-12).all()
    # the mandate arm's pressure is the screened value, the others run without it
    none = morris[(morris.arm == "none") & (morris.parameter == "funder_pressure")]
    assert (none["mu_star"] == 0).all()
    # the default rule has its own, longer screening; the rules are compared on the shared trajectories
    stab = pd.read_csv(tmp_path / "morris_stability.csv")
    assert set(stab[stab.rule == "two_layer"]["trajectories"]) == {4} and set(stab[stab.rule == "smoothing"]["trajectories"]) == {2}
    by_r = pd.read_csv(tmp_path / "morris_stability_by_trajectories.csv")
    assert set(by_r["rule"]) == {"two_layer"} and sorted(set(by_r["trajectories"])) == [2, 4]
    assert len(by_r) == 2 * len(study.ARMS) * len(study.OUTPUTS)
    assert (pd.read_csv(tmp_path / "rule_levels.csv")["trajectories"] == 2).all()
    sobol = pd.read_csv(tmp_path / "sobol.csv")
    assert set(sobol["output"]) == set(study.SOBOL_OUTPUTS) and (sobol["N"] == 4).all()
    effects = pd.read_csv(tmp_path / "sobol_effects.csv")
    assert set(effects["arm"]) == set(study.ARMS) - {"none"} and set(effects["rule"]) == {"two_layer"}
    for arm, t in effects.groupby("arm"):
        assert list(dict.fromkeys(t["parameter"])) == [*study.top_factors(morris, 3, arm), study.DUMMY]
        assert len(t) == 4 * len(study.SOBOL_OUTPUTS)
    rules = pd.read_csv(tmp_path / "sobol_rules.csv")
    assert set(rules["rule"]) == {"smoothing"} and set(rules["arm"]) == {"none"}
    assert list(dict.fromkeys(rules["parameter"])) == [*study.top_factors(morris, study.LEVEL_FACTORS, rule="smoothing"), study.DUMMY]
    assert set(pd.read_csv(tmp_path / "rule_agreement.csv")["rule"]) == {"smoothing"}
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["versions"] and manifest["model_code"] and manifest["ranges"]["trust_gain"] == list(study.RANGES["trust_gain"])
    assert manifest["settings"]["trajectories_default_rule"] == 4 and manifest["code"]["sha256"]
    level_runs = 4 * (study.LEVEL_FACTORS + 3)  # N (D + 2) points, D = the factors and the dummy
    effect_runs = 2 * 4 * (3 + 3)  # each point with and without the intervention
    assert summary["runs"] == (4 + 2) * (D + 1) * len(study.ARMS) + 2 * level_runs + 3 * effect_runs
    assert summary["sobol_effects"]["mandate"]["runs"] == effect_runs and summary["sobol_rules"]["smoothing"]["runs"] == level_runs
    assert summary["cpu_ms_per_run"] > 0 and summary["run_minutes"] > 0
    for name in ("morris_mu_sigma", "morris_mu_sigma_rules", "sobol", "sobol_effects", "sobol_rules"):
        assert (tmp_path / f"{name}.svg").is_file() and (tmp_path / f"{name}.png").stat().st_size > 1000


def test_a_sobol_effect_is_the_paired_difference_of_two_runs() -> None:
    """The effect's Sobol' output is, point by point, the run with the intervention minus the
    run without it at the same parameters and seed (the runs recomputed here one by one)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    study._CACHE_DIR["dir"] = None
    table, info = study.sobol(["trust_gain", "n_organisations"], 4, 4, 1, 9, arm="backbone")
    prob = {"num_vars": 3, "names": ["trust_gain", "n_organisations", study.DUMMY],
            "bounds": [list(study.RANGES["trust_gain"]), list(study.RANGES["n_organisations"]), [0.0, 1.0]]}
    X = sobol_sample.sample(prob, 4, calc_second_order=False, seed=9)
    points = [{**study.SOBOL_FIXED, **study.point_params(prob["names"], row)[0]} for row in X]
    study._init(points, [sa.noise_seed(9, float(x)) for x in X[:, -1]])
    durable = study.RAW.index("durable_collaborations")
    y = np.array([(study._run((k, "backbone", "two_layer"))[durable] - study._run((k, "none", "two_layer"))[durable]) / p["n_organisations"]
                  for k, p in enumerate(points)])
    assert np.ptp(y) > 0
    expected = sobol_analyze.analyze(prob, y, calc_second_order=False, conf_level=0.95, seed=9)
    got = table[table.output == "durable_per_org"]
    np.testing.assert_allclose(got["ST"], expected["ST"], rtol=1e-9)
    np.testing.assert_allclose(got["S1"], expected["S1"], rtol=1e-9)
    assert info["runs"] == 2 * len(X) and info["arm"] == "backbone"


def test_committed_results_are_the_studys_and_say_what_they_met() -> None:
    """results/sensitivity holds every factor, rule, arm and output of the study's design, and
    its summary states the Sobol' precision that the table shows (not a target typed in)."""
    import pandas as pd

    folder = ROOT / "results" / "sensitivity"
    morris = pd.read_csv(folder / "morris.csv")
    assert set(morris["parameter"]) == set(study.problem()["names"])
    assert set(morris["rule"]) == set(study.RULES) and set(morris["arm"]) == set(study.ARMS) and set(morris["output"]) == set(study.OUTPUTS)
    summary = json.loads((folder / "summary.json").read_text())
    sobol = pd.read_csv(folder / "sobol.csv")
    assert summary["sobol"]["max_ST_conf"] == pytest.approx(sobol["ST_conf"].max(), rel=1e-3)
    assert summary["sobol"]["target_met"] == bool(sobol["ST_conf"].max() <= study.ST_HALFWIDTH + 5e-4)
    assert summary["sobol"]["S1_le_ST_all"] == bool(sobol["S1_le_ST"].all())
    assert (sobol["N"] == summary["sobol"]["N"]).all()
    assert summary["morris"]["repaired_share"] == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["ranges"] == {k: list(v) for k, v in study.study_ranges().items()}


def _committed_sobol(name: str):
    import pandas as pd

    folder = ROOT / "results" / "sensitivity"
    return pd.read_csv(folder / f"{name}.csv"), json.loads((folder / "summary.json").read_text()), pd.read_csv(folder / "morris.csv")


@pytest.mark.parametrize("name", ["sobol_effects", "sobol_rules"])
def test_committed_sobol_designs_follow_the_screening_and_report_their_precision(name: str) -> None:
    """Every intervention's effect (default rule) and every other rule's levels has its Sobol'
    design: the factors are the top of that effect's or rule's committed Morris ranking, the
    table has every output of every factor at one N, and the summary's precision claims are
    the table's: largest ST half-width, whether it met the target, S1 <= ST within the CIs.
    N stops below its maximum only when the target is met."""
    table, summary, morris = _committed_sobol(name)
    infos = summary[name]
    settings = json.loads((ROOT / "results" / "sensitivity" / "manifest.json").read_text())["settings"]
    ref = DEFAULTS["trust_rule"]
    expected = ({arm: (ref, arm, settings["effect_factors"]) for arm in study.ARMS if arm != "none"} if name == "sobol_effects"
                else {rule: (rule, "none", settings["level_factors"]) for rule in study.RULES if rule != ref})
    assert set(infos) == set(expected)
    for key, (rule, arm, k) in expected.items():
        info, t = infos[key], table[(table.rule == rule) & (table.arm == arm)]
        assert info["factors"] == [*study.top_factors(morris, k, arm, rule), study.DUMMY]
        assert len(t) == len(info["factors"]) * len(study.SOBOL_OUTPUTS) and set(t["output"]) == set(study.SOBOL_OUTPUTS)
        assert (t["N"] == info["N"]).all()
        assert info["runs"] == info["N"] * (len(info["factors"]) + 2) * (1 if arm == "none" else 2)
        assert info["max_ST_conf"] == pytest.approx(t["ST_conf"].max(), rel=1e-3)
        assert info["target_met"] == bool(t["ST_conf"].max() <= study.ST_HALFWIDTH + 5e-4)
        if info["N"] < settings["rules_n_max" if name == "sobol_rules" else "sobol_n_max"]:
            assert info["target_met"]  # the doubling stops early only at the target
        else:
            assert info["N_needed"] >= info["N"] and info["target_met"] == (info["N_needed"] == info["N"])
        within = t["S1"] - t["S1_conf"] <= t["ST"] + t["ST_conf"] + 5e-4
        assert (t["S1_le_ST"] == within).all() and info["S1_le_ST_all"] == bool(within.all())
        assert (t["ST_conf"] >= 0).all() and np.isfinite(t[["S1", "ST"]].to_numpy()).all()


def test_committed_stability_grows_with_the_trajectories() -> None:
    """The split-half stability is measured at every multiple of the shared trajectory count
    under the default rule, for every arm and output, and the largest count is the screening's."""
    import pandas as pd

    folder = ROOT / "results" / "sensitivity"
    by_r = pd.read_csv(folder / "morris_stability_by_trajectories.csv")
    summary = json.loads((folder / "summary.json").read_text())
    r, r_default = summary["morris"]["trajectories"], summary["morris"]["trajectories_default_rule"]
    assert sorted(set(by_r["trajectories"])) == list(range(r, r_default + 1, r))
    assert len(by_r) == len(set(by_r["trajectories"])) * len(study.ARMS) * len(study.OUTPUTS)
    stab = pd.read_csv(folder / "morris_stability.csv")
    full = stab[stab.rule == DEFAULTS["trust_rule"]].merge(by_r[by_r.trajectories == r_default], on=["rule", "arm", "output"])
    np.testing.assert_allclose(full["spearman_median_x"], full["spearman_median_y"], rtol=1e-3)
