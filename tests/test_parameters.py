"""The registry refuses bad input with a clear message naming the key, value and range."""

import math

import numpy as np
import pytest

import collabsim
from collabsim import PARAMETERS, ParameterError
from collabsim.parameters import parse_assignment, validate

REQUIRED = """n_organisations months seed trust_rule initial_trust history_of_harm trust_gain
trust_loss damage_severity damage_decay interdependence_weight min_months_per_level
funder_pressure funder_required_level funder_deadline_months funding_end_month
funding_scarcity backbone backbone_capacity regular_meetings collaborative_skill
celebrate_successes referral_weight staff_turnover""".split()


def test_required_names_exist_with_metadata():
    for name in REQUIRED:
        p = PARAMETERS[name]
        assert p.meaning and p.source and p.unit
        if p.kind in ("int", "float"):
            assert p.low is not None and p.high is not None
        if p.default is not None:
            assert p.check(p.default) == p.default


def test_parameter_error_is_value_error():
    assert issubclass(ParameterError, ValueError)


def test_out_of_range_message_matches_issue_example():
    with pytest.raises(ParameterError, match=r"trust_gain must be in \(0, 1\], got 2.0"):
        collabsim.CollaborationModel(trust_gain=2.0)


@pytest.mark.parametrize(
    "name,value,fragment",
    [
        ("trust_gain", 0.0, "(0, 1]"),
        ("trust_gain", math.nan, "got nan"),
        ("trust_loss", math.inf, "got inf"),
        ("n_organisations", 2.5, "integer"),
        ("n_organisations", 0, "[1, 20000]"),
        ("n_organisations", "40", "must be a number"),
        ("backbone", "yes", "true or false"),
        ("trust_rule", "two_layers", "did you mean 'two_layer'"),
        ("funding_end_month", -1, "or None"),
        ("months", True, "must be a number"),
        ("history_of_harm", 1.5, "[0, 1]"),
    ],
)
def test_bad_values(name, value, fragment):
    with pytest.raises(ParameterError) as err:
        collabsim.CollaborationModel(**{name: value})
    assert name in str(err.value)
    assert fragment in str(err.value)


def test_unknown_name_suggests():
    with pytest.raises(ParameterError, match="did you mean 'trust_gain'"):
        collabsim.CollaborationModel(trust_gian=0.1)


def test_unknown_scenario_lists_known():
    with pytest.raises(ParameterError) as err:
        collabsim.CollaborationModel("polic_community")
    for name in collabsim.SCENARIOS:
        assert name in str(err.value)


def test_numpy_numbers_and_none_accepted():
    v = validate({"trust_gain": np.float64(0.2), "n_organisations": np.int64(10), "funding_end_month": None})
    assert v == {"trust_gain": 0.2, "n_organisations": 10, "funding_end_month": None}
    assert isinstance(v["n_organisations"], int)


def test_parse_by_declared_type():
    assert parse_assignment("trust_gain=0.2") == ("trust_gain", 0.2)
    assert parse_assignment("n_organisations=30") == ("n_organisations", 30)
    assert parse_assignment("backbone=true") == ("backbone", True)
    assert parse_assignment("funding_end_month=none") == ("funding_end_month", None)
    assert parse_assignment("trust_rule=beta") == ("trust_rule", "beta")
    for bad in ("trust_gain=__import__('os')", "trust_gain", "n_organisations=3.5", "nope=1"):
        with pytest.raises(ParameterError):
            parse_assignment(bad)


def test_seed_validation():
    with pytest.raises(ParameterError, match="seed"):
        collabsim.CollaborationModel(seed=-1)
    with pytest.raises(ParameterError, match="seed"):
        collabsim.CollaborationModel(seed=1.5)


def test_every_scenario_is_valid_and_documented():
    for name, sc in collabsim.SCENARIOS.items():
        assert sc.description and sc.source
        assert abs(sum(sc.sector_shares.values()) - 1.0) < 1e-9
        validate(sc.parameters)
        collabsim.CollaborationModel(name, seed=1).run(2)
    assert {"default", "police_community", "police_community_meetings", "funder_mandate",
            "collective_impact", "task_force", "crisis_mutual_aid"} <= set(collabsim.SCENARIOS)
