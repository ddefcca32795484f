"""collabsim.stats: hand-computed cases, a textbook data set, SciPy cross-checks, invariants
(hypothesis) and clear errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from collabsim.stats import (
    adjust_pvalues,
    interaction,
    kaplan_meier,
    paired_censored_test,
    paired_difference,
    replicates_for_halfwidth,
)

# Freireich et al. (1963), 6-MP arm, remission times in weeks ("+" = censored), the classic
# Kaplan-Meier example (Gehan 1965; Klein and Moeschberger, Survival Analysis, table 4.1A).
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
# the textbook's S(t) and Greenwood standard errors at the event times
SIX_MP_TABLE = {6: (0.857, 0.076), 7: (0.807, 0.087), 10: (0.753, 0.096), 13: (0.690, 0.107),
                16: (0.627, 0.114), 22: (0.538, 0.128), 23: (0.448, 0.135)}


# ------------------------------------------------------------------------------ Kaplan-Meier
def test_km_by_hand_without_censoring():
    km = kaplan_meier([3, 1, 2], [True, True, True])
    assert km.time.tolist() == [1, 2, 3]
    assert km.survival == pytest.approx([2 / 3, 1 / 3, 0])
    assert (km.n, km.events, km.censored_share) == (3, 3, 0.0)
    assert km.median().estimate == 2
    assert km.at([0, 1.5, 99])[:, 0] == pytest.approx([1, 2 / 3, 0])


def test_km_by_hand_with_censoring():
    # 1 event of 4 at risk, then 1 censored, then 1 event of 2 at risk: S = 3/4, 3/4, 3/8
    km = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 0])
    assert km.survival == pytest.approx([0.75, 0.75, 0.375, 0.375])
    assert km.at_risk.tolist() == [4, 3, 2, 1]
    assert km.censored_share == 0.5
    assert km.median().estimate == 3


def test_km_textbook_six_mp():
    km = kaplan_meier(SIX_MP, SIX_MP_EVENT)
    for t, (s, se) in SIX_MP_TABLE.items():
        i = int(np.flatnonzero(km.time == t)[0])
        assert km.survival[i] == pytest.approx(s, abs=5e-4)
        greenwood_se = km.survival[i] * math.sqrt(
            sum(d / (n * (n - d)) for d, n in zip(km.event_count[: i + 1], km.at_risk[: i + 1]) if d))
        assert greenwood_se == pytest.approx(se, abs=1.5e-3)
    assert km.median().estimate == 23
    assert km.censored_share == pytest.approx(12 / 21)


def test_km_band_matches_scipy_ecdf():
    km = kaplan_meier(SIX_MP, SIX_MP_EVENT, conf=0.9)
    data = sps.CensoredData(uncensored=[t for t, e in zip(SIX_MP, SIX_MP_EVENT) if e],
                            right=[t for t, e in zip(SIX_MP, SIX_MP_EVENT) if not e])
    sf = sps.ecdf(data).sf
    band = sf.confidence_interval(confidence_level=0.9, method="log-log")
    assert km.survival == pytest.approx(sf.evaluate(km.time))
    assert km.lower == pytest.approx(band.low.evaluate(km.time))
    assert km.upper == pytest.approx(band.high.evaluate(km.time))


def test_median_ci_inverts_the_band():
    km = kaplan_meier(SIX_MP, SIX_MP_EVENT)
    med = km.median()
    first_upper_below = km.time[np.flatnonzero(km.upper <= 0.5)]
    first_lower_below = km.time[np.flatnonzero(km.lower <= 0.5)]
    assert med.lower == (first_lower_below[0] if first_lower_below.size else math.inf)
    assert med.upper == (first_upper_below[0] if first_upper_below.size else math.inf)
    assert med.lower <= med.estimate <= med.upper


def test_median_not_reached_and_str():
    km = kaplan_meier([120] * 8 + [30, 40], [False] * 8 + [True, True])
    med = km.median()
    assert not med.reached and str(med) == "not reached" and med.upper == math.inf
    reached = kaplan_meier([1, 2, 3, 4, 5, 6], [1] * 6).median()
    text = str(reached)
    assert text.startswith(f"{reached.estimate:g} [") and text.endswith("]")


def test_restricted_mean_by_hand():
    # S = 1 on [0, 1), 3/4 on [1, 3), 3/8 on [3, 5): area 1 + 1.5 + 0.75
    km = kaplan_meier([1, 2, 3, 4], [1, 0, 1, 0])
    assert km.restricted_mean(5) == pytest.approx(3.25)
    assert km.restricted_mean(0) == 0 and km.restricted_mean(0.5) == 0.5
    with pytest.raises(ValueError, match="horizon"):
        km.restricted_mean(float("nan"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=40), st.integers(1, 30))
def test_restricted_mean_is_the_mean_of_min_time_horizon_under_administrative_censoring(times, horizon):
    t = np.array(times, dtype=float)
    km = kaplan_meier(np.minimum(t, horizon), t <= horizon)
    assert km.restricted_mean(horizon) == pytest.approx(np.minimum(t, horizon).mean())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), min_size=1, max_size=60),
       st.sampled_from([0.8, 0.95, 0.99]))
def test_km_invariants(rows, conf):
    times, observed = zip(*rows)
    km = kaplan_meier(times, observed, conf=conf)
    assert np.all(np.diff(km.survival) <= 1e-12), "survival never rises"
    assert np.all((km.survival >= 0) & (km.survival <= 1))
    assert np.all(km.lower <= km.survival + 1e-12) and np.all(km.survival <= km.upper + 1e-12)
    assert np.all((km.lower >= 0) & (km.upper <= 1))
    assert km.events == sum(observed) and km.n == len(rows)
    med = km.median()
    assert med.lower <= med.estimate <= med.upper
    if not any(observed):
        assert np.all(km.survival == 1) and not med.reached


# ------------------------------------------------------------------------------ paired censored test
def test_sign_test_by_hand():
    # 10 seeds, b's event first in 9: two-sided exact p = 2 * (C(10,9) + C(10,10)) / 2^10
    ta = [50] * 10
    tb = [40] * 9 + [60]
    res = paired_censored_test(ta, [True] * 10, tb, [True] * 10)
    assert (res.n_informative, res.a_first, res.b_first) == (10, 1, 9)
    assert res.pvalue == pytest.approx(2 * 11 / 1024)
    assert res.prob_b_first == 0.9 and res.lower < 0.9 < res.upper


def test_sign_test_censoring_rules():
    # a event at 30 / b censored at 120: a first; both censored: dropped; tie: dropped;
    # a event at 100 / b censored at 80: cut at 80 -> both censored, dropped;
    # b event at 120 / a censored at 120: b first (censored at c = no event up to and including c)
    res = paired_censored_test([30, 120, 50, 100, 120], [1, 0, 1, 1, 0],
                               [120, 120, 50, 80, 120], [0, 0, 1, 0, 1])
    assert (res.a_first, res.b_first, res.ties, res.both_censored, res.n_informative) == (1, 1, 1, 2, 2)


def test_sign_test_nothing_informative():
    res = paired_censored_test([120, 120], [0, 0], [120, 120], [0, 0])
    assert res.n_informative == 0 and res.pvalue == 1.0 and math.isnan(res.prob_b_first)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans(), st.integers(0, 30), st.booleans()), min_size=1, max_size=40))
def test_sign_test_invariants(rows):
    ta, da, tb, db = (list(c) for c in zip(*rows))
    res = paired_censored_test(ta, da, tb, db)
    swapped = paired_censored_test(tb, db, ta, da)
    assert res.a_first + res.b_first + res.ties + res.both_censored == res.n == len(rows)
    assert (swapped.a_first, swapped.b_first) == (res.b_first, res.a_first)
    assert swapped.pvalue == pytest.approx(res.pvalue)
    assert 0 <= res.pvalue <= 1


# ------------------------------------------------------------------------------ paired differences
def test_paired_difference_by_hand():
    eff = paired_difference([1, 2, 3, 4], [2, 4, 4, 6])  # diffs 1, 2, 1, 2: mean 1.5, sd 1/sqrt(3)
    sd = math.sqrt(1 / 3)
    half = sps.t.ppf(0.975, 3) * sd / 2
    assert (eff.n, eff.mean_a, eff.mean_b, eff.diff) == (4, 2.5, 4.0, 1.5)
    assert eff.sd_diff == pytest.approx(sd)
    assert (eff.lower, eff.upper) == pytest.approx((1.5 - half, 1.5 + half))
    assert eff.d_z == pytest.approx(1.5 / sd)
    assert eff.corr == pytest.approx(np.corrcoef([1, 2, 3, 4], [2, 4, 4, 6])[0, 1])
    assert eff.pvalue == pytest.approx(sps.ttest_rel([2, 4, 4, 6], [1, 2, 3, 4]).pvalue)


def test_paired_difference_constant_differences():
    eff = paired_difference([1, 2, 3], [1, 2, 3])
    assert (eff.diff, eff.lower, eff.upper, eff.pvalue) == (0, 0, 0, 1.0) and math.isnan(eff.d_z)
    shifted = paired_difference([5, 5, 5], [6, 6, 6])
    assert shifted.pvalue == 0.0 and math.isnan(shifted.corr)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), min_size=2, max_size=50),
       st.floats(-50, 50))
def test_paired_difference_invariants(rows, shift):
    a, b = (np.array(c) for c in zip(*rows))
    eff = paired_difference(a, b)
    assert eff.lower <= eff.diff <= eff.upper
    back = paired_difference(b, a)
    assert back.diff == pytest.approx(-eff.diff, abs=1e-9)
    assert back.pvalue == pytest.approx(eff.pvalue, abs=1e-9)
    moved = paired_difference(a + shift, b + shift)
    assert moved.diff == pytest.approx(eff.diff, abs=1e-6)
    assert 0 <= eff.pvalue <= 1
    if eff.sd_diff > 1e-6:
        assert paired_difference(a, b, conf=0.99).halfwidth >= eff.halfwidth


def test_interaction_by_hand():
    # B's effect: 1, 2, 1 with A at 0; 3, 3, 4 with A at 1 -> per seed 2, 1, 3
    eff = interaction([1, 2, 3], [2, 4, 4], [0, 0, 0], [3, 3, 4])
    assert (eff.mean_a, eff.mean_b, eff.diff, eff.sd_diff) == pytest.approx((4 / 3, 10 / 3, 2, 1))
    half = sps.t.ppf(0.975, 2) / math.sqrt(3)
    assert (eff.lower, eff.upper) == pytest.approx((2 - half, 2 + half))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(*[st.floats(-100, 100)] * 3), min_size=2, max_size=30))
def test_additive_effects_have_no_interaction(rows):
    base, b_effect, a_effect = (np.array(c) for c in zip(*rows))
    eff = interaction(base, base + b_effect, base + a_effect, base + a_effect + b_effect)
    assert eff.diff == pytest.approx(0, abs=1e-9)


# ------------------------------------------------------------------------------ multiplicity
def test_holm_and_bh_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_pvalues(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_pvalues(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_adjust_keeps_nan_out_of_the_family():
    out = adjust_pvalues([0.01, math.nan, 0.02], "holm")
    assert out[0] == pytest.approx(0.02) and math.isnan(out[1]) and out[2] == pytest.approx(0.02)
    assert adjust_pvalues([], "bh").size == 0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_adjust_invariants(p):
    raw = np.array(p)
    holm = adjust_pvalues(raw, "holm")
    bh = adjust_pvalues(raw, "bh")
    assert np.all(holm >= raw - 1e-12) and np.all(bh >= raw - 1e-12)
    assert np.all(holm <= np.minimum(raw * raw.size, 1) + 1e-12), "never above Bonferroni"
    assert np.all(bh <= holm + 1e-12), "FDR control is never stricter than Holm's FWER control"
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(holm[order]) >= -1e-12) and np.all(np.diff(bh[order]) >= -1e-12)


# ------------------------------------------------------------------------------ precision
def test_replicates_by_hand():
    pilot = np.array([-1.0, 1.0] * 5) * math.sqrt(0.9)  # SD exactly 1
    assert np.std(pilot, ddof=1) == pytest.approx(1)
    # n = 17: t(16) / sqrt(17) = 0.514 > 0.5; n = 18: t(17) / sqrt(18) = 0.497
    assert replicates_for_halfwidth(pilot, 0.5) == 18
    assert replicates_for_halfwidth([2.0, 2.0, 2.0], 0.1) == 2


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=2, max_size=30), st.floats(0.05, 20), st.sampled_from([0.9, 0.95]))
def test_replicates_is_the_smallest_that_fits(pilot, h, conf):
    n = replicates_for_halfwidth(pilot, h, conf)
    s = np.std(pilot, ddof=1)
    q = 0.5 + conf / 2

    def half(k):
        return sps.t.ppf(q, k - 1) * s / math.sqrt(k)

    assert n >= 2 and half(n) <= h * (1 + 1e-12)
    if n > 2:
        assert half(n - 1) > h


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: kaplan_meier([1, float("nan")], [1, 1]), ["times", "position 1", "nan"]),
        (lambda: kaplan_meier([1, -2], [1, 1]), ["times", ">= 0", "-2"]),
        (lambda: kaplan_meier([1, 2], [1]), ["observed", "1 values", "times", "2"]),
        (lambda: kaplan_meier([1, 2], [1, 2]), ["observed", "position 1", "2"]),
        (lambda: kaplan_meier([1, 2], ["yes", "no"]), ["observed", "True/False"]),
        (lambda: kaplan_meier([], []), ["times", "at least 1"]),
        (lambda: kaplan_meier([1], [1], conf=95), ["conf", "95"]),
        (lambda: kaplan_meier(["a"], [1]), ["times", "'a'"]),
        (lambda: kaplan_meier([1], [1]).quantile(1.5), ["p", "1.5"]),
        (lambda: paired_censored_test([1, 2], [1, 1], [1], [1]), ["time_b", "time_a"]),
        (lambda: paired_difference([1], [2]), ["a", "at least 2"]),
        (lambda: paired_difference([1, 2], [1, 2, 3]), ["b", "3 values", "a"]),
        (lambda: paired_difference([[1, 2]], [[1, 2]]), ["a", "shape"]),
        (lambda: interaction([1, 2], [1, 2], [1, 2], [1]), ["y11", "y00"]),
        (lambda: adjust_pvalues([0.1, 1.2]), ["pvalues", "position 1", "1.2"]),
        (lambda: adjust_pvalues([0.1], "bonferroni"), ["method", "bonferroni", "holm", "bh"]),
        (lambda: replicates_for_halfwidth([1, 2], 0), ["halfwidth", "0"]),
        (lambda: replicates_for_halfwidth([1, 2], "wide"), ["halfwidth", "wide"]),
        (lambda: replicates_for_halfwidth([1], 0.5), ["pilot_diffs", "at least 2"]),
        (lambda: replicates_for_halfwidth([0, 1e6], 1e-6), ["halfwidth", "replicates"]),
    ],
)
def test_bad_input_names_argument_and_value(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# ------------------------------------------------------------------------------ behaviour by simulation
def test_paired_interval_covers_the_true_difference_95_percent_of_the_time():
    rng = np.random.default_rng(2024)
    reps, n, true = 2000, 10, 0.7
    hits = 0
    for _ in range(reps):
        shared = rng.normal(0, 3, n)  # what common random numbers share between the arms
        eff = paired_difference(shared + rng.normal(0, 1, n), shared + true + rng.normal(0, 1, n))
        hits += eff.lower <= true <= eff.upper
    se = math.sqrt(0.95 * 0.05 / reps)
    assert abs(hits / reps - 0.95) < 4 * se


@pytest.mark.slow
def test_sign_test_keeps_its_level_under_exchangeable_censored_arms():
    rng = np.random.default_rng(7)
    reps, n, horizon = 1500, 30, 24
    rejections = 0
    for _ in range(reps):
        frailty = rng.gamma(2.0, 1.0, n)  # a seed's shared speed
        ta, tb = (np.ceil(rng.exponential(20 / frailty)) for _ in range(2))
        rejections += paired_censored_test(np.minimum(ta, horizon), ta <= horizon, np.minimum(tb, horizon), tb <= horizon).pvalue <= 0.05
    # the exact test is conservative: at most alpha, up to Monte Carlo error
    assert rejections / reps <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)


def test_replicates_deliver_the_halfwidth_on_average():
    rng = np.random.default_rng(11)
    sd, h = 2.0, 0.5
    pilot = rng.normal(0, sd, 200)
    n = replicates_for_halfwidth(pilot, h)
    widths = [paired_difference(np.zeros(n), rng.normal(0, sd, n)).halfwidth for _ in range(400)]
    # the pilot's SD is estimated, so the mean realised half-width is near h, not below it always
    assert abs(np.mean(widths) - h) < 0.1 * h


def test_every_event_at_the_first_time_gives_a_closed_median_ci():
    """All 24 runs have the event at month 1: the median is 1 and its CI cannot be open above
    (the exact bound for no survivors of 24 is 1 - 0.025 ** (1 / 24), about 0.14, below 0.5)."""
    from collabsim.stats import kaplan_meier

    km = kaplan_meier(np.ones(24), np.ones(24, bool))
    assert km.upper[0] == pytest.approx(1 - 0.025 ** (1 / 24))
    med = km.median()
    assert (med.estimate, med.lower, med.upper) == (1, 1, 1)
    assert str(med) == "1 [1, 1]"
    # with few runs the exact bound stays above one half and the CI is honestly open
    assert math.isinf(kaplan_meier(np.ones(4), np.ones(4, bool)).median().upper)
