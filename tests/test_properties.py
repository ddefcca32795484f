"""Property tests (hypothesis): invariants that must hold for any parameters and seed."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import collabsim
from collabsim import PARAMETERS, _jit, engine
from collabsim.parameters import _ORDERED, DEFAULTS
from collabsim.relationships import RelationshipTable

EPS = 1e-9
SKIP = {"n_organisations", "months", "seed", "trust_rule", "shock_month", "funding_end_month", "backbone_capacity"}


def _value(p):
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "int":
        return st.integers(int(p.low), int(min(p.high, 60)))
    low = p.low + (1e-3 if p.low_open else 0.0)
    return st.floats(low, p.high, allow_nan=False)


PARAM_STRATEGY = st.fixed_dictionaries(
    {},
    optional={name: _value(p) for name, p in PARAMETERS.items() if name not in SKIP},
)


def consistent(params: dict) -> dict:
    """Put each ladder in order (the model refuses a ladder that runs backwards)."""
    full = {**DEFAULTS, **params}
    for names in _ORDERED:
        for name, value in zip(names, sorted(full[n] for n in names)):
            params[name] = value
    bases = [f"base_success_{lv}" for lv in collabsim.LEVEL_NAMES]
    for name, value in zip(bases, sorted((full[n] for n in bases), reverse=True)):
        params[name] = value
    return params


@st.composite
def setups(draw, rule="two_layer"):
    params = consistent(draw(PARAM_STRATEGY))
    params["n_organisations"] = draw(st.integers(1, 40))
    params["backbone_capacity"] = draw(st.integers(1, 30))
    params["shock_month"] = draw(st.none() | st.integers(0, 20))
    params["funding_end_month"] = draw(st.none() | st.integers(0, 30))
    params["trust_rule"] = rule
    scenario = draw(st.sampled_from(sorted(collabsim.SCENARIOS)))
    return scenario, draw(st.integers(0, 2**32)), params


CHECKED = {"views_with_damage": 0, "months": 0}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups())
def test_invariants_two_layer(setup):
    """Any legal parameters: the ceiling T <= 1 - R holds for every directed view after
    every month, on the compiled path the model runs (``_check_run`` asserts it)."""
    scenario, seed, params = setup
    original_add = RelationshipTable.add
    RelationshipTable.add = _guarded_add
    try:
        _check_run(scenario, seed, params, ceiling=True)
    finally:
        RelationshipTable.add = original_add


def test_the_ceiling_check_ran_on_the_compiled_passes():
    """The property test above saw damaged views, through the compiled passes."""
    if CHECKED["months"] == 0:  # run alone: run the property test first
        test_invariants_two_layer()
    assert CHECKED["views_with_damage"] > 0, CHECKED
    if not _jit.DISABLED:
        assert engine.run_months.signatures, "the compiled engine never ran"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["two_layer_damped", "smoothing", "beta"]).flatmap(setups))
def test_invariants_one_layer_rules(setup):
    scenario, seed, params = setup
    _check_run(scenario, seed, params)


_ORIGINAL_ADD = RelationshipTable.add


def _guarded_add(self, a, b, month, start_trust, start_damage):
    """First contact (stranger, referral, backbone, forum) never starts above the ceiling."""
    assert (np.asarray(start_trust) <= 1 - np.asarray(start_damage) + EPS).all(), "first contact above ceiling"
    return _ORIGINAL_ADD(self, a, b, month, start_trust, start_damage)


def _check_run(scenario, seed, params, ceiling=False):
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
        assert (m.orgs.spare >= -EPS).all(), "capacity went negative"
        assert ((rel.level <= np.maximum(rel.purpose, 1)) | rel.forced | rel.historic).all(), "climbed past its purpose unpushed"
        if ceiling:
            above = rel.trust - (1.0 - rel.damage)
            assert (above <= EPS).all(), f"trust above its ceiling by {above.max():.3g}"
            CHECKED["views_with_damage"] += int((rel.damage > 0).sum())
            CHECKED["months"] += 1


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups())
def test_first_contacts_never_start_above_the_ceiling(setup):
    """Every first contact the engine makes (stranger, referral, backbone, forum) starts at
    or below its ceiling: the month runs down to ``engine.add_pairs`` as Python (``py_func``,
    the engine's own code) so each addition is checked; the rules stay compiled."""
    scenario, seed, params = setup
    seen = []
    compiled_add = engine.add_pairs

    def guarded(S, K, O, R, a, b, t, d):
        assert (t <= 1 - d + EPS).all(), "first contact above ceiling"
        seen.append(a.size)
        return compiled_add(S, K, O, R, a, b, t, d)

    saved = {name: getattr(engine, name) for name in ("run_months", "meet", "add_pairs")}
    try:
        for name in ("run_months", "meet"):
            setattr(engine, name, getattr(saved[name], "py_func", saved[name]))
        engine.add_pairs = guarded
        collabsim.CollaborationModel(scenario, seed=seed, **params).run(12)
    finally:
        for name, f in saved.items():
            setattr(engine, name, f)
