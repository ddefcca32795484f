"""Paired contrasts of ``collabsim report`` and ``collabsim replicates``.

Synthetic sweeps (no model runs) check what is compared for each kind of design against the
statistics computed by hand from the same rows; one small real sweep checks the command line
end to end against the stored runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from collabsim.stats import adjust_pvalues, interaction, kaplan_meier, paired_censored_test, paired_difference, replicates_for_halfwidth
from collabsim.sweep.contrasts import plan_pairs
from collabsim.sweep.errors import UserError
from collabsim.sweep.report import contrast_tables, survival_table

from .cli_helpers import cli, table, write_design

SEEDS = 12


def synthetic(seed: int = 0) -> pd.DataFrame:
    """A 2 x 3 factorial (a bool and a float) at its last month, with seed effects and an interaction."""
    rng = np.random.default_rng(seed)
    rows = []
    seed_effect = rng.normal(0, 2, SEEDS)
    point = 0
    for backbone in (False, True):
        for pressure in (0.0, 0.5, 1.0):
            for rep in range(SEEDS):
                y = 10 + seed_effect[rep] + 3 * backbone - 2 * pressure + 4 * backbone * pressure + rng.normal(0, 1)
                t = 5 + 2 * rep + (6 if backbone else 0)  # month of first event; > 24 = censored
                rows.append({"run_id": point * SEEDS + rep, "point": point, "replicate": rep, "seed": 100 + rep, "month": 24,
                             "backbone": backbone, "funder_pressure": pressure, "y": y, "first_collaboration_month": t if t <= 24 else 25})
            point += 1
    return pd.DataFrame(rows)


def cell(df: pd.DataFrame, backbone: bool, pressure: float, column: str = "y") -> np.ndarray:
    return df[(df["backbone"] == backbone) & (df["funder_pressure"] == pressure)].sort_values("replicate")[column].to_numpy(float)


def test_factorial_main_simple_and_interaction_match_hand_computation():
    df = synthetic()
    contrasts, interactions, text = contrast_tables(df, "vary", ["backbone", "funder_pressure"], ["y"], None, "holm")
    main = contrasts[(contrasts["factor"] == "backbone") & (contrasts["given"] == "averaged over funder_pressure")].iloc[0]
    ref = np.mean([cell(df, False, p) for p in (0.0, 0.5, 1.0)], axis=0)
    lev = np.mean([cell(df, True, p) for p in (0.0, 0.5, 1.0)], axis=0)
    expected = paired_difference(ref, lev)
    assert (main["level"], main["reference"]) == ("true", "false")  # booleans as categories
    assert (main["diff"], main["ci_low"], main["ci_high"], main["d_z"], main["p"]) == pytest.approx(
        (expected.diff, expected.lower, expected.upper, expected.d_z, expected.pvalue))
    simple = contrasts[(contrasts["factor"] == "funder_pressure") & (contrasts["level"] == "1") & (contrasts["given"] == "backbone=true")].iloc[0]
    assert simple["diff"] == pytest.approx(paired_difference(cell(df, True, 0.0), cell(df, True, 1.0)).diff)
    inter = interactions[(interactions["level_b"] == "1")].iloc[0]
    hand = interaction(cell(df, False, 0.0), cell(df, False, 1.0), cell(df, True, 0.0), cell(df, True, 1.0))
    assert (inter["factor_a"], inter["level_a"], inter["factor_b"]) == ("backbone", "true", "funder_pressure")
    assert (inter["diff"], inter["ci_low"], inter["ci_high"]) == pytest.approx((hand.diff, hand.lower, hand.upper))
    # one family: every contrast and interaction of the report, Holm-adjusted together
    p = np.concatenate([contrasts["p"].to_numpy(), interactions["p"].to_numpy()])
    adjusted = np.concatenate([contrasts["p_adjusted"].to_numpy(), interactions["p_adjusted"].to_numpy()])
    assert adjusted == pytest.approx(adjust_pvalues(p, "holm"))
    assert (contrasts["adjustment"] == f"holm over {p.size}").all()
    # 1 backbone level x (1 main + 3 simple) + 2 pressure levels x (1 main + 2 simple); 2 interactions
    assert len(contrasts) == 4 + 6 and len(interactions) == 2
    assert "Holm" in text and "| interaction |" in text and "B effect at A ref" in text


def test_reference_option_and_bh():
    df = synthetic()
    contrasts, _, text = contrast_tables(df, "vary", ["backbone", "funder_pressure"], ["y"], ["funder_pressure=0.5", "backbone=true"], "bh")
    rows = contrasts[contrasts["factor"] == "funder_pressure"]
    assert set(rows["reference"]) == {"0.5"} and set(rows["level"]) == {"0", "1"}
    assert set(contrasts[contrasts["factor"] == "backbone"]["level"]) == {"false"}
    assert "Benjamini-Hochberg" in text and "funder_pressure=0.5" in text


@pytest.mark.parametrize(
    "refs, words",
    [
        (["funder_pressure=0.3"], ["funder_pressure=0.3", "not a level", "0, 0.5, 1"]),
        (["trust_gain=0.1"], ["'trust_gain'", "not varied", "backbone, funder_pressure"]),
        (["backbone"], ["NAME=VALUE"]),
        (["backbone=maybe"], ["backbone=maybe", "false, true"]),
        (["backbone=true", "backbone=false"], ["given twice"]),
    ],
)
def test_bad_reference_is_a_clear_user_error(refs, words):
    with pytest.raises(UserError) as info:
        plan_pairs(synthetic(), "vary", ["backbone", "funder_pressure"], ["y"], refs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_points_design_is_compared_point_by_point_never_as_factorial():
    df = synthetic()
    contrasts, interactions, text = contrast_tables(df, "points", ["backbone", "funder_pressure"], ["y"], ["point=3"], "holm")
    assert interactions is None and set(contrasts["factor"]) == {"point"} and len(contrasts) == 5
    assert (contrasts["reference"] == "#3 backbone=true, funder_pressure=0").all()
    row = contrasts[contrasts["level"].str.startswith("#0 ")].iloc[0]
    assert row["diff"] == pytest.approx(paired_difference(cell(df, True, 0.0), cell(df, False, 0.0)).diff)
    assert "not factorial effects" in text
    by_values = plan_pairs(df, "points", ["backbone", "funder_pressure"], ["y"], ["backbone=true", "funder_pressure=0"])
    assert by_values.reference == {"point": "3"}
    with pytest.raises(UserError, match="matches 3 points"):
        plan_pairs(df, "points", ["backbone", "funder_pressure"], ["y"], ["backbone=true"])
    with pytest.raises(UserError, match="no such point; points: 0, 1, 2, 3, 4, 5"):
        plan_pairs(df, "points", ["backbone", "funder_pressure"], ["y"], ["point=9"])


def test_sampled_and_single_designs_have_no_contrasts():
    for kind in ("sample", "single"):
        contrasts, interactions, text = contrast_tables(synthetic(), kind, ["backbone", "funder_pressure"], ["y"], None, "holm")
        assert contrasts is None and interactions is None and "No contrasts" in text


def test_time_to_event_uses_censoring_not_means():
    df = synthetic()
    contrasts, interactions, text = contrast_tables(df, "vary", ["backbone", "funder_pressure"], ["first_collaboration_month"], None, "holm")
    assert interactions is None  # no interaction of censored times
    assert "diff" not in contrasts and "Kaplan-Meier" in text
    row = contrasts[(contrasts["factor"] == "backbone") & (contrasts["given"] == "funder_pressure=0")].iloc[0]
    a, b = cell(df, False, 0.0, "first_collaboration_month"), cell(df, True, 0.0, "first_collaboration_month")
    test = paired_censored_test(np.minimum(a, 24), a <= 24, np.minimum(b, 24), b <= 24)
    assert (row["informative"], row["reference_first"], row["level_first"], row["p"]) == pytest.approx(
        (test.n_informative, test.a_first, test.b_first, test.pvalue))
    assert row["median_level"] == str(kaplan_meier(np.minimum(b, 24), b <= 24).median())
    survival = survival_table(df, ["point", "backbone", "funder_pressure"], ["first_collaboration_month"], 24)
    censored = survival[survival["backbone"]]["censored_share"]
    assert censored.to_numpy() == pytest.approx(np.mean(b > 24)) and censored.gt(0).all()


# ------------------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("contrasts")
    design = write_design(root / "design.toml", """\
        scenario = "funder_mandate"
        months = 15
        replicates = 5
        root_seed = 3
        [set]
        n_organisations = 12
        [vary]
        backbone = [false, true]
        funder_pressure = [0.0, 1.0]
        """)
    out = root / "sweep"
    result = cli("sweep", design, "--out", out, "--workers", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    return out


def test_report_contrasts_match_the_stored_runs(swept):
    result = cli("report", swept, "--metrics", "mean_trust", "durable_collaborations")
    assert result.returncode == 0, result.stderr
    assert "Paired contrasts" in result.stdout and "p adj" in result.stdout
    report = swept / "report"
    contrasts = pd.read_csv(report / "contrasts.csv", keep_default_na=False, na_values=[""])
    interactions = pd.read_csv(report / "interactions.csv", keep_default_na=False, na_values=[""])
    df = table(swept)
    final = df[df["month"] == df["month"].max()]

    def arm(backbone, pressure):
        rows = final[(final["backbone"] == backbone) & (final["funder_pressure"] == pressure)].sort_values("replicate")
        return rows["mean_trust"].to_numpy()

    row = contrasts[(contrasts["metric"] == "mean_trust") & (contrasts["factor"] == "backbone") & (contrasts["given"] == "funder_pressure=1")].iloc[0]
    assert row["diff"] == pytest.approx(paired_difference(arm(False, 1.0), arm(True, 1.0)).diff)
    hand = interaction(arm(False, 0.0), arm(False, 1.0), arm(True, 0.0), arm(True, 1.0))
    inter = interactions[interactions["metric"] == "mean_trust"].iloc[0]
    assert (inter["diff"], inter["p"]) == pytest.approx((hand.diff, hand.pvalue))
    assert (contrasts["p_adjusted"] >= contrasts["p"] - 1e-12).all()
    assert (report / "contrasts.md").read_text().startswith("# Paired contrasts")
    survival = pd.read_csv(report / "survival.csv")
    assert len(survival) == 4 and {"median_text", "censored_share"} <= set(survival.columns)
    assert "first_collaboration_month" not in set(pd.read_csv(report / "final.csv")["metric"])  # no censored means
    assert json.loads((swept / "manifest.json").read_text())["design"]["kind"] == "vary"


def test_report_bad_reference_exits_2(swept):
    bad = cli("report", swept, "--reference", "funder_pressure=0.7")
    assert bad.returncode == 2 and "not a level of funder_pressure; its levels: 0, 1" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_replicates_from_the_pilot(swept):
    result = cli("replicates", swept, "--metric", "mean_trust", "--halfwidth", "0.01", "--format", "csv")
    assert result.returncode == 0, result.stderr
    need = pd.read_csv(__import__("io").StringIO(result.stdout), keep_default_na=False, na_values=[""])
    df = table(swept)
    final = df[df["month"] == df["month"].max()]
    rows = {k: g.sort_values("replicate")["mean_trust"].to_numpy() for k, g in final.groupby(["backbone", "funder_pressure"])}
    simple = need[(need["contrast"] == "backbone true - false") & (need["given"] == "funder_pressure=0")].iloc[0]
    assert simple["replicates_needed"] == replicates_for_halfwidth(rows[(True, 0.0)] - rows[(False, 0.0)], 0.01)
    assert simple["pilot_n"] == 5
    table_out = cli("replicates", swept, "--metric", "mean_trust", "--halfwidth", "0.01")
    assert table_out.returncode == 0 and "largest need" in table_out.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--metric", "mean_trus", "--halfwidth", "1"], ["--metric", "did you mean 'mean_trust'", "known:"]),
        (["--metric", "mean_trust", "--halfwidth", "-1"], ["--halfwidth", "-1", "positive"]),
        (["--metric", "mean_trust", "--halfwidth", "wide"], ["--halfwidth", "wide"]),
        (["--metric", "mean_trust", "--halfwidth", "1", "--conf", "95"], ["--conf", "95"]),
        (["--metric", "first_collaboration_month", "--halfwidth", "1"], ["censored"]),
        (["--halfwidth", "1"], ["--metric"]),
    ],
)
def test_replicates_bad_input_exits_2(swept, args, words):
    bad = cli("replicates", swept, *args)
    assert bad.returncode == 2, bad.stderr
    assert "Traceback" not in bad.stderr
    for word in words:
        assert word in bad.stderr, (word, bad.stderr)


def test_replicates_help_has_examples():
    result = cli("replicates", "--help")
    assert result.returncode == 0 and "example" in result.stdout and "--halfwidth" in result.stdout


def test_partly_run_sweep_compares_what_is_stored():
    df = synthetic()
    df = df[df["point"] != 5]  # backbone=true, funder_pressure=1 not run yet
    contrasts, interactions, text = contrast_tables(df, "vary", ["backbone", "funder_pressure"], ["y"], None, "holm")
    assert "no stored runs yet" in text
    averaged = contrasts[contrasts["given"].str.startswith("averaged")]
    assert list(zip(averaged["factor"], averaged["level"])) == [("funder_pressure", "0.5")]  # its four points are all stored
    assert set(contrasts[contrasts["factor"] == "backbone"]["given"]) == {"funder_pressure=0", "funder_pressure=0.5"}
    assert interactions is None or "1" not in set(interactions["level_b"])
