"""The seven behaviours of DESIGN.md, each a paired comparison over many seeds.

Every comparison uses common random numbers (the same seeds in both arms) and a
statistical assertion: a one-sided sign test at p < 0.01, or an interval that excludes
the wrong answer. Never one lucky run.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest, wilcoxon

from collabsim import trust
from collabsim.levels import STAKE
from collabsim.structure import STAKE as STAKE_ROW

from .conftest import metric_at, run_cached

pytestmark = pytest.mark.slow

SEEDS = range(20)
ALPHA = 0.01


def sign_test(treated, control) -> tuple[int, int, float]:
    """One-sided sign test that treated > control (ties dropped)."""
    d = np.asarray(treated, float) - np.asarray(control, float)
    wins, n = int((d > 0).sum()), int((d != 0).sum())
    return wins, n, binomtest(wins, n, 0.5, alternative="greater").pvalue if n else 1.0


def assert_greater(treated, control, what):
    wins, n, p = sign_test(treated, control)
    assert p < ALPHA, f"{what}: treated higher in {wins}/{n} paired seeds (p={p:.3g}); means {np.mean(treated):.3f} vs {np.mean(control):.3f}"


# 1 ------------------------------------------------------------------------------
def _one_setback(seed: int) -> tuple[float, float]:
    """In a running community (compiled model): the trust one broken commitment takes from
    the victims of every pair at coordination or above, and the trust the same views gain
    in an average month of the untouched twin run (paired by seed)."""
    import collabsim

    twin = collabsim.CollaborationModel(seed=seed, months=48, staff_turnover=0.0)
    twin.run(36)
    rows = np.flatnonzero(twin.rel.level >= 2)
    before = twin.rel.trust[0, rows].copy()
    hit = collabsim.CollaborationModel(seed=seed, months=48, staff_turnover=0.0)
    hit.run(36)
    hit.update_trust(rows, np.zeros(rows.size, dtype=int), -hit.ladder[STAKE_ROW][hit.rel.level[rows]])
    drop = float((before - hit.rel.trust[0, rows]).mean())
    twin.run(6)
    gain_per_month = float((twin.rel.trust[0, rows] - before).mean()) / 6
    return drop, gain_per_month


def test_1_trust_builds_slowly_and_falls_fast():
    """One broken commitment costs several months of building (paired seeds, compiled model)."""
    results = np.array([_one_setback(s) for s in SEEDS])
    drop, gain = results[:, 0], results[:, 1]
    assert gain.mean() > 0, gain
    assert_greater(drop, 3 * gain, "one setback's loss against three months of building")
    assert np.median(drop / gain) >= 3


# 2 ------------------------------------------------------------------------------
COHORT_MET_BY, FOLLOW_TO = 60, 240
WINDOW = FOLLOW_TO - COHORT_MET_BY
"""Pairs that first met by month 60, followed to month 240: every one is watched for at least
180 months, so 'months to collaboration among the pairs that get there within 180 months of
meeting' is observed in full, with no censoring (the old per-run median of pairs that reached
collaboration by month 120, whatever their month of meeting, was biased low by censoring, issue 14)."""


def _cohort_durations(seeds) -> tuple[list[np.ndarray], int]:
    """Per run, months from first contact to collaboration of the cohort's pairs that got there
    within ``WINDOW`` months (pairs whose purpose calls for collaboration; ODD 2.2), and the cohort's size."""
    per_run, cohort = [], 0
    for seed in seeds:
        rel = run_cached("default", seed, FOLLOW_TO).rel
        k = (~rel.historic) & (rel.first_contact >= 0) & (rel.first_contact <= COHORT_MET_BY) & (rel.purpose >= 4)
        reached = k & (rel.collab_month >= 0) & (rel.collab_month - rel.first_contact <= WINDOW)
        per_run.append((rel.collab_month[reached] - rel.first_contact[reached]).astype(float))
        cohort += int(k.sum())
    return per_run, cohort


def _run_bootstrap_median(per_run: list[np.ndarray], draws: int = 400) -> tuple[float, float, float]:
    """Median of the pooled months, with a 95% CI from resampling whole runs (a run's pairs share its history)."""
    rng = np.random.default_rng(2)
    pooled = np.concatenate(per_run)
    meds = [np.median(np.concatenate([per_run[k] for k in rng.integers(0, len(per_run), len(per_run))])) for _ in range(draws)]
    return float(np.median(pooled)), float(np.percentile(meds, 2.5)), float(np.percentile(meds, 97.5))


def test_2_collaboration_takes_months_to_years():
    """Months to years with a long tail, read without censoring bias. The bounds are 'months to
    years' of 004 ('a period of months, or even a year or two') widened to five years: the model's
    median is about three and a half years, beyond DESIGN's 6-36 months (next test, and Q1's
    FINDINGS, where the disagreement is stated)."""
    per_run, cohort = _cohort_durations(range(30))
    pooled = np.concatenate(per_run)
    assert pooled.size >= 300 and cohort > pooled.size  # many got there; not all did
    median, lo, hi = _run_bootstrap_median(per_run)
    assert 6 <= lo and hi <= 60, (median, lo, hi)
    assert np.percentile(pooled, 90) > 1.5 * median, "no long tail"
    assert pooled.mean() > median


@pytest.mark.xfail(strict=True, reason="the model disagrees with DESIGN behaviour 2: the median from first "
                   "contact to collaboration is above 36 months once censoring is handled (Q1 FINDINGS)")
def test_2_design_range_6_to_36_months():
    per_run, _ = _cohort_durations(range(30))
    median, lo, hi = _run_bootstrap_median(per_run)
    assert 6 <= lo and hi <= 36, (median, lo, hi)


# 3 ------------------------------------------------------------------------------
MANDATE = dict(funder_pressure=0.8, funder_required_level=4, funder_deadline_months=24, funding_end_month=None)
"""A mandate with money that never ends: breakdowns can come only from the pushes."""
PATIENT = dict(MANDATE, funder_pressure=0.0)


def test_3_premature_escalation_raises_breakdowns():
    seeds = range(40)  # the effect is about 8 breakdowns in 80: 20 seeds give p of about 0.02
    calm = [metric_at(run_cached("default", s, 120, **PATIENT), "breakdowns") for s in seeds]
    forced = [metric_at(run_cached("default", s, 120, **MANDATE), "breakdowns") for s in seeds]
    assert_greater(forced, calm, "breakdowns under a funder mandate (money never ends)")


def test_3_premature_escalation_raises_failures_per_month_of_joint_work():
    def rate(m):
        return metric_at(m, "failures") / metric_at(m, "joint_work_months")

    calm = [rate(run_cached("default", s, 120, **PATIENT)) for s in SEEDS]
    forced = [rate(run_cached("default", s, 120, **MANDATE)) for s in SEEDS]
    assert_greater(forced, calm, "failures per month of joint work under a mandate")


def test_3_the_end_of_money_works_without_a_mandate():
    """No mandate: when the money ends, funded relationships that trust cannot hold dissolve."""
    base = dict(funder_required_level=2, funder_pressure=0.0)
    ends = [metric_at(run_cached("default", s, 72, funding_end_month=60, **base), "breakdowns") for s in SEEDS]
    lasts = [metric_at(run_cached("default", s, 72, funding_end_month=None, **base), "breakdowns") for s in SEEDS]
    wins, n, _ = sign_test(ends, lasts)
    assert np.mean(ends) >= np.mean(lasts) and wins >= n / 2, (np.mean(ends), np.mean(lasts))


# 4 ------------------------------------------------------------------------------
def _harmed_started_within(model, months: int = 24) -> float:
    """Share of harmed-sector pairs met during the run (at least ``months`` before its end)
    that started joint work within ``months`` of first contact: a proportion, so pairs
    that never started (censored) count as not started, never as a short time."""
    rel = model.relationships()
    harmed = model.harmed_sectors[model.orgs.sector[rel.i], model.orgs.sector[rel.j]]
    met = harmed & ~rel.historic & (rel.first_contact <= model.month - months)
    if not met.any():
        return float("nan")
    started = (rel.work_month >= 0) & (rel.work_month - rel.first_contact <= months)
    return float((started & met).sum() / met.sum())


def test_4_history_of_harm_delays_first_joint_work():
    harm = [_harmed_started_within(run_cached("police_community", s, 96)) for s in SEEDS]
    none = [_harmed_started_within(run_cached("police_community", s, 96, history_of_harm=0.0)) for s in SEEDS]
    assert_greater(none, harm, "share of harmed-divide pairs at work within two years of meeting, no harm vs harm")


@pytest.mark.parametrize("intervention", ["meetings", "backbone"])
def test_4_meetings_shorten_the_delay(intervention):
    harm = [_harmed_started_within(run_cached("police_community", s, 96)) for s in SEEDS]
    if intervention == "meetings":
        helped = [_harmed_started_within(run_cached("police_community_meetings", s, 96)) for s in SEEDS]
    else:
        helped = [_harmed_started_within(run_cached("police_community", s, 96, backbone=True)) for s in SEEDS]
    assert_greater(helped, harm, f"share at work within two years, with {intervention} vs without")


def test_4_harm_slows_the_climb():
    harm = [metric_at(run_cached("police_community", s, 60), "harmed_pairs_cooperating") for s in SEEDS]
    meet = [metric_at(run_cached("police_community_meetings", s, 60), "harmed_pairs_cooperating") for s in SEEDS]
    assert_greater(meet, harm, "harmed-sector pairs cooperating after 5 years, meetings vs none")


# 5 ------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [20, 80])
def test_5_backbone_raises_durable_collaboration(n):
    base = [metric_at(run_cached("default", s, 96, n_organisations=n), "durable_collaborations") for s in SEEDS]
    bb = [metric_at(run_cached("default", s, 96, n_organisations=n, backbone=True), "durable_collaborations") for s in SEEDS]
    assert_greater(bb, base, f"durable collaborations with a backbone (n={n})")


def test_5_backbone_benefit_grows_with_community_size():
    """With fixed backbone staff (the registry's 20 a month), the absolute gain in durable
    collaborations grows with the community (Wilcoxon signed-rank over 60 paired seeds).

    Per organisation the gain shrinks (the staff bottleneck of 001): results/q4 reports both.
    """
    seeds = range(60)

    def gain(n):
        return np.array([
            metric_at(run_cached("default", s, 72, n_organisations=n, backbone=True), "durable_collaborations")
            - metric_at(run_cached("default", s, 72, n_organisations=n), "durable_collaborations")
            for s in seeds
        ])

    small, large = gain(20), gain(80)
    p = wilcoxon(large, small, alternative="greater").pvalue
    assert p < ALPHA, f"backbone gain at 80 vs 20 organisations: {large.mean():.2f} vs {small.mean():.2f} (p={p:.3g})"


# 6 ------------------------------------------------------------------------------
def test_6_celebrating_successes_speeds_early_trust():
    base = [metric_at(run_cached("default", s, 24), "mean_trust", 12) for s in SEEDS]
    cel = [metric_at(run_cached("default", s, 24, celebrate_successes=True), "mean_trust", 12) for s in SEEDS]
    assert_greater(cel, base, "mean trust at month 12 when successes are celebrated")


def test_6_collaborative_staff_speed_building():
    base = [metric_at(run_cached("default", s, 60), "mean_trust", 36) for s in SEEDS]
    skilled = [metric_at(run_cached("default", s, 60, collaborative_skill=0.8), "mean_trust", 36) for s in SEEDS]
    assert_greater(skilled, base, "mean trust at month 36 with collaborative staff")


def test_6_staff_turnover_erodes_trust():
    stable = [metric_at(run_cached("default", s, 120, staff_turnover=0.0), "mean_trust") for s in SEEDS]
    churn = [metric_at(run_cached("default", s, 120, staff_turnover=0.05), "mean_trust") for s in SEEDS]
    assert_greater(stable, churn, "mean trust after 10 years without turnover")


# 7 ------------------------------------------------------------------------------
def _setback_experiment(seed: int, kind: str | None, skill: float | None = None) -> tuple[float, float]:
    """Run 36 months, give every pair at coordination or above one setback, run 24 more.

    ``skill`` (if given) replaces every organisation's collaborative skill at the moment
    of the setback, so the arms share their whole history. Returns the mean trust
    (victim's view) of those pairs just before the setback and two years later.
    """
    import collabsim

    m = collabsim.CollaborationModel(seed=seed, months=60, staff_turnover=0.0)
    m.run(36)
    rows = np.flatnonzero(m.rel.level >= 2)
    before = float(m.rel.trust[0, rows].mean())
    if skill is not None:
        m.orgs.skill[:] = skill
    if kind is not None:
        lvl = m.rel.level[rows]
        s = -STAKE[lvl] * (0.25 if kind == "honest" else 1.0)
        m.update_trust(rows, np.zeros(rows.size, dtype=int), s)
    m.run(24)
    return before, float(m.rel.trust[0, rows].mean())


def test_7_with_good_work_honest_failure_recovers_fully_broken_commitment_stays_lower():
    """Rule level, from states real runs reach: months of successful work after one setback."""

    def recovered_share(severity: float, months: int) -> float:
        shares = []
        for seed in range(8):
            rel = run_cached("default", seed, 60).rel
            rows = np.flatnonzero(rel.level >= 2)
            t, r, lvl = rel.trust[0, rows], rel.damage[0, rows], rel.level[rows]
            nt, nr = trust.two_layer(t, r, -severity * STAKE[lvl], lvl / 4.0)
            for _ in range(months):
                nt, nr = trust.two_layer(nt, nr, STAKE[lvl], lvl / 4.0)
            shares.extend(nt >= t - 0.01)
        return float(np.mean(shares))

    assert recovered_share(0.25, 24) >= 0.85  # honest failure: back where it was
    assert recovered_share(1.0, 12) <= 0.30  # broken commitment: most still lower a year on
    assert recovered_share(0.25, 12) - recovered_share(1.0, 12) >= 0.3


def test_7_broken_commitment_leaves_more_lasting_loss_than_honest_failure():
    """Model level, paired by seed: trust lost two years after the setback, against untouched runs."""
    control = np.array([_setback_experiment(s, None)[1] for s in SEEDS])
    honest = np.array([_setback_experiment(s, "honest")[1] for s in SEEDS])
    broken = np.array([_setback_experiment(s, "broken")[1] for s in SEEDS])
    assert_greater(control - broken, control - honest, "trust still lost two years after a broken commitment vs an honest failure")
    assert (control - broken).mean() > 2 * (control - honest).mean()


def test_6_collaborative_staff_speed_repair():
    low = [_setback_experiment(s, "broken", skill=0.2) for s in SEEDS]
    high = [_setback_experiment(s, "broken", skill=0.8) for s in SEEDS]
    assert_greater([a for _, a in high], [a for _, a in low], "trust two years after a broken commitment, skilled vs unskilled staff")
