"""The public API, edge cases and determinism of CollaborationModel."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import collabsim
from collabsim import CollaborationModel, run_model

REQUIRED_COLUMNS = [
    "mean_trust", "pairs_networking", "pairs_coordination", "pairs_cooperation",
    "pairs_collaboration", "premature_escalations", "breakdowns", "durable_collaborations",
    "nominal_collaborations", "multisector_clusters", "collective_impact",
]
CUMULATIVE = ["premature_escalations", "breakdowns", "collective_impact", "failures", "successes"]
PAIR_COLUMNS = ["i", "j", "sector_i", "sector_j", "trust_ij", "trust_ji", "damage_ij", "damage_ji",
                "level", "months_at_level", "successes", "failures"]


@pytest.fixture(scope="module")
def finished():
    m = CollaborationModel("funder_mandate", seed=11)
    m.run(72)
    return m


def test_monthly_table(finished):
    df = finished.datacollector.get_model_vars_dataframe()
    assert len(df) == 73  # month 0 and 72 months
    assert list(df["month"]) == list(range(73))
    for col in REQUIRED_COLUMNS:
        assert col in df.columns
    for col in CUMULATIVE:
        assert (np.diff(df[col].to_numpy()) >= 0).all(), col
    levels = df[[f"pairs_{n}" for n in collabsim.LEVEL_NAMES]].sum(axis=1)
    assert (levels == df["known_pairs"]).all()


def test_summary_and_relationships(finished):
    s = finished.summary()
    assert "months_to_first_collaboration" in s and "months_to_collaboration" in s
    rel = finished.relationships()
    assert list(rel.columns[: len(PAIR_COLUMNS)]) == PAIR_COLUMNS
    assert set(rel.sector_i) | set(rel.sector_j) <= set(collabsim.SECTORS)
    assert len(rel) == s["known_pairs"]
    reached = rel[(rel.collaboration_month >= 0) & ~rel.historic]
    assert sorted((reached.collaboration_month - reached.first_contact).tolist()) == s["months_to_collaboration"]
    if s["months_to_first_collaboration"] is not None:
        # any collaboration formed in the run counts, a pair that existed before it too
        assert s["months_to_first_collaboration"] == rel.collaboration_month[rel.collaboration_month >= 0].min()
    json.dumps(s)  # plain types only


def test_organisations_funder_backbone_are_mesa_agents():
    import mesa

    m = CollaborationModel("collective_impact", seed=1)
    kinds = {type(a).__name__ for a in m.agents}
    assert kinds == {"Organisation", "Funder", "Backbone"}
    assert all(isinstance(a, mesa.Agent) for a in m.agents)
    org = m.organisations[0]
    assert org.sector in collabsim.SECTORS
    assert 0 <= org.collaborative_skill <= 1 and 0 <= org.reliability <= 1
    assert org.decision_style in ("hierarchical", "consensual")


@pytest.mark.parametrize(
    "params",
    [
        dict(n_organisations=1),
        dict(n_organisations=2),
        dict(months=0),
        dict(backbone=False, regular_meetings=False, celebrate_successes=False, staff_turnover=0.0,
             funder_pressure=0.0, funding_scarcity=0.0, referral_weight=0.0, history_of_harm=0.0),
        dict(backbone=True, regular_meetings=True, celebrate_successes=True, staff_turnover=1.0,
             funder_pressure=1.0, funding_scarcity=1.0, referral_weight=1.0, history_of_harm=1.0, funding_end_month=5),
        dict(trust_rule="smoothing"),
        dict(trust_rule="beta"),
        dict(reliability=1.0, collaborative_skill=0.0, initial_trust=0.0),
    ],
)
def test_edge_cases_run_cleanly(params):
    r = run_model(seed=3, months=params.pop("months", 24), **params)
    assert len(r.metrics) == r.params["months"] + 1
    assert r.metrics.notna().all().all() or r.params["n_organisations"] == 1


def test_zero_months_and_one_organisation():
    r = run_model(seed=1, months=0)
    assert len(r.metrics) == 1
    r = run_model(seed=1, n_organisations=1, months=12)
    assert r.summary["known_pairs"] == 0
    assert r.summary["months_to_first_collaboration"] is None
    assert r.relationships.empty


def _digest(result) -> str:
    m = pd.util.hash_pandas_object(result.metrics, index=True).to_numpy()
    r = pd.util.hash_pandas_object(result.relationships, index=True).to_numpy()
    return f"{m.sum() % (2**61)}-{r.sum() % (2**61)}-{len(result.relationships)}"


def test_same_seed_identical_different_seeds_differ():
    a, b, c = run_model(seed=7, months=60), run_model(seed=7, months=60), run_model(seed=8, months=60)
    pd.testing.assert_frame_equal(a.metrics, b.metrics, check_exact=True)
    pd.testing.assert_frame_equal(a.relationships, b.relationships, check_exact=True)
    assert not a.metrics.equals(c.metrics)


def test_identical_across_processes():
    code = (
        "import collabsim, sys; sys.path.insert(0, 'tests');"
        "from test_model import _digest;"
        "print(_digest(collabsim.run_model('crisis_mutual_aid', seed=21, months=48, backbone=True)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _digest(run_model("crisis_mutual_aid", seed=21, months=48, backbone=True))


def test_seed_none_is_recorded_and_reproducible():
    m = CollaborationModel(months=24)
    m.run()
    again = run_model(seed=m.params["seed"], months=24)
    pd.testing.assert_frame_equal(m.datacollector.get_model_vars_dataframe().reset_index(drop=True), again.metrics)


def test_run_defaults_to_months_parameter():
    m = CollaborationModel(seed=1, months=7).run()
    assert m.month == 7
    m.run(3)
    assert m.month == 10


def test_the_sweep_paths_model_cannot_be_stepped_by_mistake():
    """run_metrics' model has no data collector nor organisation agents: stepping it says so."""
    from collabsim.run import _UnobservedModel

    model = _UnobservedModel(seed=1, n_organisations=5, months=3)
    assert model.organisations == [] and not hasattr(model, "datacollector")
    for call in (model.step, model.run):
        with pytest.raises(TypeError, match="CollaborationModel"):
            call()


def test_run_metrics_is_run_model_metrics_without_the_rest():
    from collabsim.run import run_metrics

    for scenario in ("default", "crisis_mutual_aid"):
        full = collabsim.run_model(scenario, seed=4, n_organisations=15, months=20).metrics
        lean = run_metrics(scenario, seed=4, n_organisations=15, months=20)
        assert list(lean) == list(full.columns)
        pd.testing.assert_frame_equal(pd.DataFrame(lean), full, check_exact=True)
