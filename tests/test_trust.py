"""Unit tests of the trust rules against values computed by hand from their equations."""

import numpy as np
import pytest

from collabsim import trust


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
    assert set(trust.RULES) == {"two_layer", "smoothing", "beta"}
    assert trust.RULES["two_layer"] is trust.two_layer


def test_asymmetry_one_setback_costs_several_months():
    """Behaviour 1 at the rule level: trust builds slowly and falls fast."""
    t, r = 0.7, 0.0
    lost, r2 = trust.two_layer(t, r, -0.8, 0.75)  # broken commitment at cooperation
    months = 0
    while lost < t and months < 240:
        lost, r2 = trust.two_layer(lost, r2, 0.8, 0.75)
        months += 1
    assert months >= 6
