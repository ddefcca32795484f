"""Unit tests of the escalation, outcome, capacity, funder, backbone and referral rules."""

import numpy as np
import pytest

import collabsim
from collabsim import capacity, kernels, levels, outcomes, referral
from collabsim.levels import COST, TRUST_NEEDED
from collabsim.relationships import RelationshipTable


# --- escalation -------------------------------------------------------------------
def test_climb_needs_trust_time_capacity_and_success():
    lvl = np.array([1, 1, 1, 1, 1, 4])
    trust = np.array([0.4, 0.3, 0.4, 0.4, 0.4, 0.9])
    months = np.array([4, 4, 3, 4, 4, 40])
    need = np.full(6, 4.0)
    room = np.array([True, True, True, False, True, True])
    ok = np.array([True, True, True, True, False, True])
    np.testing.assert_array_equal(
        levels.can_climb(lvl, trust, months, need, room, ok), [True, False, False, False, False, False]
    )


def test_months_needed_none_at_aware_grows_with_level_and_slower_for_mismatch():
    from collabsim import structure
    from collabsim.parameters import DEFAULTS

    lad = structure.ladder({**DEFAULTS, "min_months_per_level": 4, "level_time_growth": 1.5, "mismatch_slowdown": 1.5})
    np.testing.assert_array_equal(
        levels.months_needed(lad, np.array([False, False, False, False, True, True]), np.array([0, 1, 2, 3, 1, 3])),
        [0, 4, 6, 9, 6, 14],  # 4 * 1.5 ** (L - 1), times 1.5 when mismatched, rounded up (growth 1.5 here)
    )


def test_fallback_below_floor_only():
    lvl = np.array([0, 2, 2, 4])
    trust = np.array([0.0, TRUST_NEEDED[2] - 0.14, TRUST_NEEDED[2] - 0.16, 0.56])
    np.testing.assert_array_equal(levels.falls_back(lvl, trust), [False, False, True, False])


def test_breakdown_chance_only_past_networking_and_grows_with_level_and_distrust():
    p = levels.breakdown_chance(np.array([1, 2, 4, 4]), np.array([0.2, 0.2, 0.2, 0.8]))
    assert p[0] == 0
    assert p[2] > p[1] > 0
    assert p[2] > p[3]
    assert p[2] == pytest.approx(0.8)


def test_premature_when_trust_or_time_short():
    got = levels.is_premature(np.array([0.2, 0.5, 0.5]), np.array([1, 1, 1]), np.array([5, 1, 5]), np.array([4.0, 4.0, 4.0]))
    np.testing.assert_array_equal(got, [True, True, False])


# --- outcomes ---------------------------------------------------------------------
def test_success_probability_directions():
    base = dict(reliability_pair=0.85, skill_pair=0.5, alignment=0.5)
    p = lambda **kw: float(outcomes.success_probability(np.array([2]), weaker_trust=0.5, **{**base, **kw})[0])  # noqa: E731
    ref = p()
    assert ref == pytest.approx(levels.DIFFICULTY[2])
    assert p(reliability_pair=0.95) > ref
    assert p(skill_pair=0.9) > ref
    assert p(alignment=0.9) > ref
    assert p(style_mismatch=True) < ref
    assert p(support=0.05) > ref
    assert p(rivalry=0.05) < ref
    low = float(outcomes.success_probability(np.array([4]), weaker_trust=0.4, **base)[0])
    assert low == pytest.approx(levels.DIFFICULTY[4] - 0.8 * (TRUST_NEEDED[4] - 0.4))


def test_signals_honest_vs_broken():
    lvl = np.array([3, 3, 3, 3])
    success = np.array([True, False, False, False])
    broken = np.array([False, False, True, True])
    culprit_i = np.array([False, False, True, False])
    s_ij, s_ji = outcomes.signals(lvl, success, broken, culprit_i, honest_failure_severity=0.25)
    stake = levels.STAKE[3]
    np.testing.assert_allclose(s_ij, [stake, -0.25 * stake, 0.0, -stake])
    np.testing.assert_allclose(s_ji, [stake, -0.25 * stake, -stake, 0.0])
    s_ij, _ = outcomes.signals(lvl, success, broken, culprit_i, honest_failure_severity=0.25, celebration=0.5)
    assert s_ij[0] == pytest.approx(min(1.0, stake * 1.5))


def test_broken_commitment_chance():
    np.testing.assert_allclose(outcomes.broken_commitment_chance(np.array([0.9, 0.9, 0.2]), np.array([0.0, 0.3, 0.5])), [0.1, 0.4, 1.0])


# --- capacity ---------------------------------------------------------------------
def test_capacity_serves_deeper_ties_first():
    # org 0 has a collaboration (0.40) with 1 and cooperations (0.25) with 2 and 3; budget 0.7
    i = np.array([0, 0, 0])
    j = np.array([1, 2, 3])
    lvl = np.array([4, 3, 3])
    trust = np.array([0.8, 0.6, 0.7])
    works, room, spare = capacity.allocate(i, j, lvl, trust, np.array([0.7, 1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(works, [True, False, True])  # the more trusted cooperation wins
    assert spare[0] == pytest.approx(0.7 - COST[4] - COST[3])
    assert spare[0] >= 0
    assert not room[2]  # 0.40 + 0.25 + 0.15 to climb to collaboration exceeds 0.7


def test_capacity_climb_room():
    works, room, _ = capacity.allocate(np.array([0]), np.array([1]), np.array([1]), np.array([0.5]), np.array([0.1, 1.0]))
    assert works[0] and not room[0]  # 0.05 fits, 0.12 does not
    works, room, _ = capacity.allocate(np.array([0]), np.array([1]), np.array([0]), np.array([0.5]), np.array([1.0, 1.0]))
    assert not works[0] and room[0]  # aware pairs do not work, but could start networking


# --- relationships and referral ------------------------------------------------------
def _table():
    rel = RelationshipTable(5)
    rows = rel.add(np.array([0, 1, 2, 3]), np.array([1, 2, 1, 2]), 0, np.full((2, 4), 0.5), np.zeros((2, 4)))
    return rel, rows


def test_table_add_find_and_dedup():
    rel, rows = _table()
    assert rows.size == 3  # (2, 1) duplicates (1, 2)
    assert rel.find(np.array([1, 0, 4]), np.array([0, 1, 0])).tolist() == [0, 0, -1]
    assert (rel.i < rel.j).all()
    rel.add(np.array([4]), np.array([0]), 3, np.array([[0.1], [0.9]]), np.zeros((2, 1)))
    r = rel.find(np.array([0]), np.array([4]))[0]
    assert rel.trust[0, r] == pytest.approx(0.9)  # row 0 is i=0's view of j=4
    assert rel.trust[1, r] == pytest.approx(0.1)


def test_referred_trust_passes_trust_and_distrust():
    rel, _ = _table()
    r12 = rel.find(np.array([1]), np.array([2]))[0]
    rel.damage[:, r12] = 0.5
    t, d = referral.referred_trust(rel, np.array([0]), np.array([1]), np.array([2]), np.array([0.2]), np.array([0.0]), 0.5)
    # T0 = 0.5 * 0.2 + 0.5 * 0.5 * 0.5 = 0.225; R0 = max(0, 0.5 * 0.5 * 0.5) = 0.125
    assert t[0] == pytest.approx(0.225)
    assert d[0] == pytest.approx(0.125)
    assert t[0] <= 1 - d[0]


def test_hearers_are_partners_of_teller_who_know_subject():
    rel, _ = _table()
    rel.add(np.array([0]), np.array([2]), 0, np.full((2, 1), 0.5), np.zeros((2, 1)))
    # 1 tells about 2: partners of 1 are 0 and 2; only 0 knows 2 and is not the subject
    rows, dirs, t_teller, ev = referral.hearers(rel, np.array([1]), np.array([2]), rel.find(np.array([1]), np.array([2])))
    assert rows.tolist() == [rel.find(np.array([0]), np.array([2]))[0]]
    assert dirs.tolist() == [0]
    assert t_teller.tolist() == [0.5]


# --- funder, backbone and forum inside the model -------------------------------------
def test_funder_grant_rounds_and_end_of_money():
    m = collabsim.CollaborationModel(seed=3, funding_end_month=30, funder_required_level=1, grant_interval_months=6)
    m.run(30)
    assert m.metrics["grants_won"] > 0
    assert not m.funder.funding_active(30)
    assert (m.orgs.grant == 0).all()
    before = m.metrics["grants_won"]
    m.run(12)
    assert m.metrics["grants_won"] == before


def test_funder_pressure_pushes_lagging_pairs():
    calm = collabsim.CollaborationModel(seed=4, months=30)
    pushed = collabsim.CollaborationModel(seed=4, months=30, funder_pressure=1.0, funder_deadline_months=12)
    calm.run()
    pushed.run()
    assert calm.metrics["premature_escalations"] == 0
    assert pushed.metrics["forced_escalations"] > 0
    assert pushed.metrics["premature_escalations"] > 0
    assert pushed.metrics["premature_escalations"] <= pushed.metrics["forced_escalations"]


def test_end_of_funding_dissolves_weak_forced_ties():
    m = collabsim.CollaborationModel(seed=5, funder_pressure=1.0, funder_deadline_months=6, funding_end_month=13)
    m.run(12)
    rel = m.rel
    weak = rel.forced & (rel.level >= 1) & (rel.min_trust() < TRUST_NEEDED[rel.level])
    n_weak = int(weak.sum())
    assert n_weak > 0
    before = m.metrics["breakdowns"]
    m.run(1)
    assert m.metrics["breakdowns"] - before >= n_weak


def test_backbone_serves_at_most_its_capacity():
    m = collabsim.CollaborationModel(seed=1, n_organisations=50, backbone=True, backbone_capacity=7)
    for _ in range(5):
        m.step()
        assert m.backbone.served.sum() == 7
    small = collabsim.CollaborationModel(seed=1, n_organisations=5, backbone=True, backbone_capacity=7)
    small.step()
    assert small.backbone.served.all()


def test_backbone_can_be_added_and_removed():
    m = collabsim.CollaborationModel(seed=1)
    m.run(3)
    m.set_backbone(True)
    m.run(2)
    assert m.backbone is not None
    m.set_backbone(False)
    m.run(2)
    assert m.backbone is None
    assert [text for _, text in m.interventions] == ["backbone added", "backbone removed"]


def test_turnover_only_lowers_trust_toward_first_contact():
    m = collabsim.CollaborationModel(seed=2, staff_turnover=0.0)
    m.run(24)
    before = m.rel.trust.copy()
    m.replace_staff_at(0)
    after = m.rel.trust
    assert (after <= before + 1e-12).all()
    touched = (m.rel.i == 0) | (m.rel.j == 0)
    base = m.rel.base_trust
    expected = np.where(before > base, base + 0.7 * (before - base), before)
    np.testing.assert_allclose(after[:, touched], expected[:, touched])
    np.testing.assert_array_equal(after[:, ~touched], before[:, ~touched])


def test_inject_broken_commitment_hits_victims_trust_only():
    m = collabsim.CollaborationModel(seed=2)
    m.run(24)
    r = int(np.flatnonzero(m.rel.level >= 2)[0])
    a, b = int(m.rel.i[r]), int(m.rel.j[r])
    t = m.rel.trust[:, r].copy()
    m.inject_broken_commitment(a, b)
    assert m.rel.trust[0, r] < t[0]
    assert m.rel.trust[1, r] == t[1]
    with pytest.raises(collabsim.ParameterError):
        m.inject_broken_commitment(a, a)


def test_beta_rule_turnover_is_not_undone_by_the_next_success():
    m = collabsim.CollaborationModel(seed=2, trust_rule="beta", staff_turnover=0.0)
    m.run(36)
    r = int(np.argmax(m.rel.trust[0]))
    org = int(m.rel.i[r])
    before = float(m.rel.trust[0, r])
    m.replace_staff_at(org)
    lowered = float(m.rel.trust[0, r])
    assert lowered < before
    m.update_trust(np.array([r]), np.array([0]), np.array([0.2]))
    assert m.rel.trust[0, r] < before - 0.5 * (before - lowered)


def test_news_about_one_subject_adds_up_within_a_month():
    one = collabsim.CollaborationModel(seed=1)
    two = collabsim.CollaborationModel(seed=1)
    t0 = float(one.rel.trust[0, 0])
    one.update_trust(*kernels.sum_by_view(np.array([0]), np.array([0]), np.array([-0.2])))
    two.update_trust(*kernels.sum_by_view(np.array([0, 0]), np.array([0, 0]), np.array([-0.1, -0.1])))
    assert one.rel.trust[0, 0] == pytest.approx(two.rel.trust[0, 0])
    assert one.rel.trust[0, 0] < t0
    rows, dirs, total = kernels.sum_by_view(np.array([3, 1, 3, 1]), np.array([1, 0, 1, 1]), np.array([-0.7, 0.2, -0.6, 0.1]))
    assert rows.tolist() == [1, 1, 3] and dirs.tolist() == [0, 1, 1]
    assert total.tolist() == pytest.approx([0.2, 0.1, -1.0])  # clipped to [-1, 1]
