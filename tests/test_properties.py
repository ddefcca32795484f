"""Property tests (hypothesis): invariants that must hold for any parameters and seed."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import collabsim
from collabsim import PARAMETERS, trust
from collabsim.relationships import RelationshipTable

EPS = 1e-9
SKIP = {"n_organisations", "months", "seed", "trust_rule", "shock_month", "funding_end_month", "backbone_capacity"}


def _value(p):
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "int":
        return st.integers(int(p.low), int(min(p.high, 60)))
    low = p.low + (1e-3 if p.low_open else 0.0)
    return st.floats(low, p.high, allow_nan=False)


PARAM_STRATEGY = st.fixed_dictionaries(
    {},
    optional={name: _value(p) for name, p in PARAMETERS.items() if name not in SKIP},
)


@st.composite
def setups(draw, rule="two_layer"):
    params = draw(PARAM_STRATEGY)
    params["n_organisations"] = draw(st.integers(1, 40))
    params["backbone_capacity"] = draw(st.integers(1, 30))
    params["shock_month"] = draw(st.none() | st.integers(0, 20))
    params["funding_end_month"] = draw(st.none() | st.integers(0, 30))
    params["trust_rule"] = rule
    scenario = draw(st.sampled_from(sorted(collabsim.SCENARIOS)))
    return scenario, draw(st.integers(0, 2**32)), params


class CeilingGuard:
    """Wraps the two-layer rule: no positive or neutral experience may lift trust above 1 - damage."""

    def __init__(self, rule):
        self.rule = rule
        self.calls = 0

    def __call__(self, t, r, s, d, **kw):
        new_t, new_r = self.rule(t, r, s, d, **kw)
        t, r, s = np.broadcast_arrays(np.asarray(t, float), np.asarray(r, float), np.asarray(s, float))
        up = s >= 0
        assert (new_t[up] <= np.maximum(t[up], 1 - r[up]) + EPS).all(), "trust lifted above its ceiling"
        self.calls += 1
        return new_t, new_r


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups())
def test_invariants_two_layer(setup):
    scenario, seed, params = setup
    guard = CeilingGuard(trust.two_layer)
    original, original_add = trust.two_layer, RelationshipTable.add
    trust.two_layer = guard
    RelationshipTable.add = _guarded_add
    try:
        _check_run(scenario, seed, params)
    finally:
        trust.two_layer = original
        RelationshipTable.add = original_add


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["smoothing", "beta"]).flatmap(setups))
def test_invariants_one_layer_rules(setup):
    scenario, seed, params = setup
    _check_run(scenario, seed, params)


_ORIGINAL_ADD = RelationshipTable.add


def _guarded_add(self, a, b, month, start_trust, start_damage):
    """First contact (stranger, referral, backbone, forum) never starts above the ceiling."""
    assert (np.asarray(start_trust) <= 1 - np.asarray(start_damage) + EPS).all(), "first contact above ceiling"
    return _ORIGINAL_ADD(self, a, b, month, start_trust, start_damage)


def _check_run(scenario, seed, params):
    m = collabsim.CollaborationModel(scenario, seed=seed, **params)
    for _ in range(18):
        k = m.rel.size
        before = m.rel.level.copy()
        m.step()
        rel = m.rel
        assert ((rel.trust >= 0) & (rel.trust <= 1)).all()
        assert ((rel.damage >= 0) & (rel.damage <= 1)).all()
        assert (rel.level[:k].astype(int) - before.astype(int) <= 1).all(), "climbed two levels in a month"
        assert (rel.level[k:] <= 1).all()
        assert ((rel.level >= 0) & (rel.level <= 4)).all()
        assert sum(m.metrics[f"pairs_{n}"] for n in collabsim.LEVEL_NAMES) == m.metrics["known_pairs"] == rel.size
        assert (m.orgs.budget >= 0).all()
        assert (m._spare >= -EPS).all(), "capacity went negative"
