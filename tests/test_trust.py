"""Unit tests of the trust rules against values computed by hand from their equations."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collabsim import trust
from collabsim.kernels import RULE_CODES
from collabsim.parameters import PARAMETERS


def test_two_layer_success_grows_toward_ceiling():
    # T += 0.1 * 1 * max(0, (1 - 0.2) - 0.5) = 0.03; R -= 0.03 * 0.2
    t, r = trust.two_layer(0.5, 0.2, 1.0, 0.0)
    assert t == pytest.approx(0.53)
    assert r == pytest.approx(0.194)


def test_two_layer_setback_scales_with_interdependence():
    # T += 0.3 * (-1) * 0.5 * (1 + 0.5 * 1) = -0.225; R += 0.6 * 1 * (1 - 0.2) = 0.48
    t, r = trust.two_layer(0.5, 0.2, -1.0, 1.0)
    assert t == pytest.approx(0.275)
    assert r == pytest.approx(0.68)
    t0, _ = trust.two_layer(0.5, 0.2, -1.0, 0.0)
    assert t0 == pytest.approx(0.35)  # 0.5 - 0.3 * 0.5


def test_two_layer_no_growth_above_ceiling_and_damage_heals_without_setback():
    t, r = trust.two_layer(0.9, 0.3, 0.5, 0.5)
    assert t == pytest.approx(0.9)  # above the ceiling 0.7: no growth, no loss
    assert r == pytest.approx(0.291)
    t, r = trust.two_layer(0.4, 0.5, 0.0, 0.5)
    assert t == pytest.approx(0.4)
    assert r == pytest.approx(0.485)


def test_two_layer_published_defaults_and_calibration():
    """A pair that succeeds every month goes from 0.2 to 0.7 in 6 to 24 months (DESIGN)."""
    t, r, months = 0.2, 0.0, 0
    while t < 0.7:
        t, r = trust.two_layer(t, r, 1.0, 0.0)
        months += 1
    assert 6 <= months <= 24


def test_two_layer_is_pure_and_vectorised():
    t = np.array([0.2, 0.5, 0.8])
    r = np.array([0.0, 0.1, 0.4])
    s = np.array([1.0, -0.5, 0.0])
    d = np.array([0.0, 0.5, 1.0])
    copies = [a.copy() for a in (t, r, s, d)]
    new_t, new_r = trust.two_layer(t, r, s, d, trust_gain=0.2)
    for a, c in zip((t, r, s, d), copies):
        np.testing.assert_array_equal(a, c)
    assert new_t.shape == (3,)
    assert new_t[0] == pytest.approx(0.2 + 0.2 * 0.8)
    assert new_t[1] == pytest.approx(0.5 - 0.3 * 0.5 * 0.5 * 1.25)
    assert new_r[1] == pytest.approx(0.1 + 0.6 * 0.5 * 0.9)


def test_smoothing_matches_jonker_treur():
    # positive experience E = 1: T' = 0.4 + 0.1 * 0.5 * (1 - 0.4)
    assert trust.smoothing(0.4, 0.5) == pytest.approx(0.43)
    # negative experience E = 0: T' = 0.4 + 0.5 * 1 * (0 - 0.4)
    assert trust.smoothing(0.4, -1.0, smoothing_rate=0.5) == pytest.approx(0.2)
    # any setback lowers trust, however small and however low trust is
    assert trust.smoothing(0.2, -0.15) < 0.2
    # symmetric: equal signals move trust equally far toward 1 and toward 0 from 0.5
    assert trust.smoothing(0.5, 0.4) - 0.5 == pytest.approx(0.5 - trust.smoothing(0.5, -0.4))


def test_beta_matches_josang_ismail():
    # r' = 0.95 * 2 + 1 = 2.9; s' = 0.95 * 1 = 0.95; T = 3.9 / 5.85
    t, r, s = trust.beta(2.0, 1.0, 1.0)
    assert t == pytest.approx(3.9 / 5.85)
    assert (r, s) == (pytest.approx(2.9), pytest.approx(0.95))
    t, r, s = trust.beta(0.0, 0.0, -0.5, beta_forgetting=1.0)
    assert t == pytest.approx(1.0 / 2.5)


@pytest.mark.parametrize("t0", [0.05, 0.2, 0.5, 0.8, 0.95])
def test_beta_evidence_reproduces_starting_trust(t0):
    r, s = trust.beta_evidence_for(t0)
    assert r >= 0 and s >= 0
    assert (r + 1) / (r + s + 2) == pytest.approx(t0)


def test_rules_registry():
    assert set(trust.RULES) == {"two_layer", "two_layer_damped", "smoothing", "beta"}
    assert trust.RULES["two_layer"] is trust.two_layer
    assert trust.RULES["two_layer_damped"] is trust.two_layer_damped
    # every rule can be chosen by name, and the compiled passes know it
    assert set(trust.RULES) == set(PARAMETERS["trust_rule"].choices) == set(RULE_CODES)


def test_two_layer_damped_is_the_papers_eq_7():
    # T += 0.1 * 1 * (1 - 0.5) * (1 - 0.2) = 0.04; damage heals as in two_layer
    t, r = trust.two_layer_damped(0.5, 0.2, 1.0, 0.0)
    assert t == pytest.approx(0.54)
    assert r == pytest.approx(0.194)
    # setbacks and damage are exactly two_layer's
    for s, d in [(-1.0, 1.0), (-0.3, 0.25), (0.0, 0.5)]:
        assert trust.two_layer_damped(0.5, 0.2, s, d) == trust.two_layer(0.5, 0.2, s, d)


def test_only_the_hard_ceiling_stops_growth_at_one_minus_damage():
    """Above the ceiling 1 - R, two_layer does not grow; the paper's Eq. 7 still does."""
    t, r = trust.two_layer(0.65, 0.4, 1.0, 0.5, damage_decay=0.0)
    assert (t, r) == (0.65, 0.4)
    t, r = trust.two_layer_damped(0.65, 0.4, 1.0, 0.5, damage_decay=0.0)
    assert t == pytest.approx(0.65 + 0.1 * 0.35 * 0.6) and r == 0.4


def test_asymmetry_one_setback_costs_several_months():
    """Behaviour 1 at the rule level: trust builds slowly and falls fast."""
    t, r = 0.7, 0.0
    lost, r2 = trust.two_layer(t, r, -0.8, 0.75)  # broken commitment at cooperation
    months = 0
    while lost < t and months < 240:
        lost, r2 = trust.two_layer(lost, r2, 0.8, 0.75)
        months += 1
    assert months >= 6


# --- the compiled rules are their published equations, bit for bit ----------------------
# Plain numpy transcriptions of the equations, as written in the publications (and in
# docs/ODD.md 7.4); the rules themselves are written once, as compiled scalar forms.

unit = st.floats(0.0, 1.0, allow_nan=False)
signal = st.floats(-1.0, 1.0, allow_nan=False)


def _two_layer_equations(t, r, s, d, gain, loss, severity, decay, xi, damped):
    if damped:  # Eq. 7: trust_gain · s · (1 − T) · (1 − R)
        growth = gain * np.maximum(s, 0.0) * (1.0 - t) * (1.0 - r)
    else:  # reference code and DESIGN: trust_gain · s · max(0, (1 − R) − T)
        growth = gain * np.maximum(s, 0.0) * np.maximum(0.0, (1.0 - r) - t)
    new_t = t + growth + loss * np.minimum(s, 0.0) * t * (1.0 + xi * d)
    new_r = np.where(s < 0, r + severity * np.abs(s) * (1.0 - r), r - decay * r)
    return np.clip(new_t, 0.0, 1.0), np.clip(new_r, 0.0, 1.0)


@settings(max_examples=300, deadline=None)
@given(unit, unit, signal, unit, st.floats(0.001, 1.0), st.floats(0.0, 1.0), unit, st.floats(0.0, 0.3), st.floats(0.0, 2.0), st.booleans())
def test_two_layer_rules_are_the_equations(t, r, s, d, gain, loss, severity, decay, xi, damped):
    rule = trust.two_layer_damped if damped else trust.two_layer
    got = rule(t, r, s, d, trust_gain=gain, trust_loss=loss, damage_severity=severity, damage_decay=decay, interdependence_weight=xi)
    assert got == _two_layer_equations(t, r, s, d, gain, loss, severity, decay, xi, damped)


@settings(max_examples=200, deadline=None)
@given(unit, signal, st.floats(0.001, 1.0), st.floats(0.0, 20.0), st.floats(0.0, 20.0), st.floats(0.5, 1.0), unit)
def test_one_layer_rules_are_the_equations(t, s, rate, pos, neg, forgetting, t0):
    experience = 1.0 if s > 0 else 0.0
    assert trust.smoothing(t, s, smoothing_rate=rate) == np.clip(t + rate * abs(s) * (experience - t), 0.0, 1.0)
    r = forgetting * pos + max(s, 0.0)
    q = forgetting * neg + max(-s, 0.0)
    assert trust.beta(pos, neg, s, beta_forgetting=forgetting) == ((r + 1.0) / (r + q + 2.0), r, q)
    tc = np.clip(t0, 1e-6, 1 - 1e-6)
    n = max(1.0, 1.0 / tc - 2.0, 1.0 / (1.0 - tc) - 2.0)
    assert trust.beta_evidence_for(t0) == (max(tc * (n + 2.0) - 1.0, 0.0), max(n - (tc * (n + 2.0) - 1.0), 0.0))


def test_vectorised_rules_broadcast_and_return_floats():
    t = np.array([[0.2, 0.5, 0.8]])
    out = trust.two_layer_damped(t, np.zeros((2, 1)), 1, 0, trust_gain=np.array([0.1, 0.2, 0.3]))
    assert all(o.shape == (2, 3) and o.dtype == float for o in out)
    assert isinstance(trust.smoothing(0.4, 1), np.floating)
    assert trust.beta(np.zeros(0), np.zeros(0), 1.0)[0].shape == (0,)
