"""The compiled monthly passes agree with the rules they compose, bit for bit.

The monthly passes must apply the trust rule chosen by name (``kernels.learn``), and the
scalar forms of the outcome rules (``outcomes.success_probability_one`` ...) must give
exactly what the vectorised rules give; the capacity and escalation passes
must give what a plain reading of their rules gives; the monthly counts must be the plain
reductions (clusters checked with networkx); and the whole model must give the same
output compiled and interpreted (``NUMBA_DISABLE_JIT=1``): the engine never changes a result.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collabsim import capacity, kernels, outcomes, structure, trust
from collabsim.levels import COST
from collabsim.parameters import DEFAULTS
from collabsim.relationships import LEVEL_NAMES
from collabsim.relationships import RelationshipTable

unit = st.floats(0.0, 1.0, allow_nan=False)
signal = st.floats(-1.0, 1.0, allow_nan=False)
level = st.integers(0, 4)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(kernels.RULE_CODES)), unit, unit, signal, unit, st.floats(0.0, 20.0), st.floats(0.0, 20.0),
       st.floats(0.001, 1.0), st.floats(0.001, 1.0), unit, st.floats(0.0, 0.3), st.floats(0.0, 2.0), st.floats(0.001, 1.0),
       st.floats(0.5, 1.0), st.floats(0.5, 2.0))
def test_learn_applies_the_rule_chosen_by_name(name, t, r, s, d, pos, neg, gain, loss, severity, decay, xi, rate, forgetting, mult):
    """The monthly passes' ``learn`` gives what the rule of that name gives, bit for bit."""
    params = {"trust_gain": gain, "trust_loss": loss, "damage_severity": severity, "damage_decay": decay,
              "interdependence_weight": xi, "smoothing_rate": rate, "beta_forgetting": forgetting}
    store = [np.array([x]) for x in (t, r, pos, neg)]
    kernels.learn(kernels.RULE_CODES[name], *store, 0, s, d, mult, kernels.rule_parameters(params))
    rule = trust.RULES[name]
    if name.startswith("two_layer"):
        expected = rule(t, r, s, d, trust_gain=gain, trust_loss=loss, damage_severity=severity, damage_decay=decay * mult,
                        interdependence_weight=xi)
        if name == "two_layer":  # the model's ceiling step follows the published rule
            expected = (min(expected[0], 1.0 - expected[1]), expected[1])
        assert (store[0][0], store[1][0]) == expected
    elif s == 0.0:  # one-layer rules learn only from evidence
        assert (store[0][0], store[2][0], store[3][0]) == (t, pos, neg)
    elif name == "smoothing":
        assert store[0][0] == rule(t, s, smoothing_rate=rate)
    else:
        assert (store[0][0], store[2][0], store[3][0]) == rule(pos, neg, s, beta_forgetting=forgetting)


@settings(max_examples=300, deadline=None)
@given(level, unit, unit, unit, unit, st.booleans(), st.floats(0.0, 1.0), st.floats(0.0, 0.2), st.floats(0.0, 0.2))
def test_outcome_rule_is_its_equation(lvl, rel, skill, align, weaker, mismatch, penalty, support, rivalry):
    """The compiled success chance equals the ODD's equation, read plainly at the defaults."""
    p = DEFAULTS
    need = 0.0 if lvl == 0 else p[f"trust_needed_{LEVEL_NAMES[lvl]}"]
    expected = (
        p[f"base_success_{LEVEL_NAMES[lvl]}"]
        + p["reliability_weight"] * (rel - 0.85) + p["skill_weight"] * (skill - 0.5) + p["alignment_weight"] * (align - 0.5)
        - penalty * float(mismatch) + support - rivalry - p["trust_gap_weight"] * max(0.0, need - weaker)
    )
    expected = min(max(expected, p["success_chance_min"]), p["success_chance_max"])
    lad, w = structure.defaults()
    got = outcomes.success_probability_one(lvl, rel, skill, align, weaker, 1.0 if mismatch else 0.0, penalty, support, rivalry, lad, w)
    assert got == pytest.approx(expected, abs=1e-12)
    vector = outcomes.success_probability(np.array([lvl]), np.array([rel]), np.array([skill]), np.array([align]), np.array([weaker]),
                                          style_mismatch=np.array([mismatch]), style_mismatch_penalty=penalty, support=support, rivalry=rivalry)
    assert vector[0] == got
    assert outcomes.broken_commitment_chance(np.array([rel]), np.array([weaker]))[0] == min(max(1.0 - rel + weaker, 0.0), 1.0)


@settings(max_examples=200, deadline=None)
@given(level, st.booleans(), st.booleans(), st.booleans(), unit, st.floats(0.0, 1.0))
def test_signals_are_their_rule(lvl, success, broken, culprit_is_i, severity, celebration):
    """Success: the stake (celebrated: more) to both; honest failure: a fraction to both;
    broken commitment: the full stake to the victim only."""
    broken = broken and not success
    stake = DEFAULTS[f"stake_{LEVEL_NAMES[lvl]}"]
    s_ij, s_ji = outcomes.signals(np.array([lvl]), np.array([success]), np.array([broken]), np.array([culprit_is_i]),
                                  honest_failure_severity=severity, celebration=celebration)
    if success:
        assert s_ij[0] == s_ji[0] == min(1.0, stake * (1.0 + celebration))
    elif broken:
        victim, culprit = (s_ji[0], s_ij[0]) if culprit_is_i else (s_ij[0], s_ji[0])
        assert victim == -stake and culprit == 0.0
    else:
        assert s_ij[0] == s_ji[0] == -severity * stake


def reference_allocation(i, j, level, weaker, budget):
    """The capacity rule read plainly: each organisation ranks its working ties, highest
    priority first (equal priorities in order of the ties, its ``i`` ties first), and a tie
    fits when it and every tie above it fit; aware ties cost nothing and rank last."""
    k, n = len(i), len(budget)
    through = {}
    total = np.zeros(n)
    for o in range(n):
        ties = [(side, r) for side in (0, 1) for r in range(k) if level[r] >= 1 and (i[r], j[r])[side] == o]
        ties.sort(key=lambda t: np.rint((5.0 - (level[t[1]] + weaker[t[1]])) * 1000.0))  # stable
        used = 0.0
        for side, r in ties:
            used += COST[level[r]]
            through[side, r] = used
        total[o] = used
    works = np.zeros(k, dtype=bool)
    room = np.zeros(k, dtype=bool)
    spare = budget.astype(float).copy()
    for r in range(k):
        ends = (i[r], j[r])
        step = COST[min(level[r] + 1, 4)] - COST[level[r]]
        t = [through[side, r] if level[r] >= 1 else total[ends[side]] for side in (0, 1)]
        works[r] = level[r] >= 1 and all(t[s] <= budget[ends[s]] + 1e-12 for s in (0, 1))
        room[r] = all(t[s] + step <= budget[ends[s]] + 1e-12 for s in (0, 1))
    for r in np.flatnonzero(works):
        spare[i[r]] -= COST[level[r]]
        spare[j[r]] -= COST[level[r]]
    return works, room, spare


@st.composite
def networks(draw):
    n = draw(st.integers(2, 8))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]), unique=True, max_size=20))
    k = len(pairs)
    i = np.array([p[0] for p in pairs], dtype=np.int64)
    j = np.array([p[1] for p in pairs], dtype=np.int64)
    levels = np.array(draw(st.lists(level, min_size=k, max_size=k)), dtype=np.int8)
    weaker = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k)))
    budget = np.array(draw(st.lists(st.floats(0.0, 2.0), min_size=n, max_size=n)))
    return i, j, levels, weaker, budget


@settings(max_examples=300, deadline=None)
@given(networks())
def test_capacity_pass_is_the_capacity_rule(net):
    i, j, level, weaker, budget = net
    works, room, spare = capacity.allocate(i, j, level, weaker, budget)
    ref_works, ref_room, ref_spare = reference_allocation(i, j, level, weaker, budget)
    np.testing.assert_array_equal(works, ref_works)
    np.testing.assert_array_equal(room, ref_room)
    np.testing.assert_allclose(spare, ref_spare, atol=1e-12)
    assert (spare >= -1e-12).all()


@pytest.mark.parametrize("hub_ties", [capacity.INSERTION_SORT_MAX, capacity.INSERTION_SORT_MAX + 1, 300])
def test_capacity_pass_ranks_a_hub_with_many_ties(hub_ties):
    """A hub's ties are ranked by insertion sort up to ``INSERTION_SORT_MAX`` and by merge
    sort above it; equal priorities (a few distinct levels and trusts) keep the rule's order."""
    rng = np.random.default_rng(hub_ties)
    n = hub_ties + 1
    i = np.zeros(hub_ties, dtype=np.int64)  # organisation 0 is the hub, every tie's first partner
    j = np.arange(1, n, dtype=np.int64)
    order = rng.permutation(hub_ties)
    i, j = np.where(order % 2 == 0, i, j), np.where(order % 2 == 0, j, i)  # the hub on both sides
    level = rng.integers(0, 5, hub_ties).astype(np.int8)
    weaker = rng.choice([0.2, 0.5, 0.5004, 0.9], hub_ties)
    budget = np.full(n, 3.0)
    budget[0] = 0.5 * COST[level].sum()  # half of what the hub's working ties cost
    works, room, spare = capacity.allocate(i, j, level, weaker, budget)
    ref_works, ref_room, ref_spare = reference_allocation(i, j, level, weaker, budget)
    assert 0 < works.sum() < (level >= 1).sum()  # the hub's budget cuts through its ranking
    np.testing.assert_array_equal(works, ref_works)
    np.testing.assert_array_equal(room, ref_room)
    np.testing.assert_allclose(spare, ref_spare, atol=1e-12)


def test_pair_index_for_large_communities_uses_wide_integers():
    rel = RelationshipTable(50_000)
    assert rel.i.dtype == np.int32 and rel._sorted_keys.dtype == np.int64
    rows = rel.add(np.array([49_999, 5, 5]), np.array([3, 49_998, 49_998]), 0, np.full((2, 3), 0.2), np.zeros((2, 3)))
    assert rows.tolist() == [0, 1]
    assert rel.find(np.array([3, 49_998, 3]), np.array([49_999, 5, 5])).tolist() == [0, 1, -1]
    small = RelationshipTable(40)
    assert small.i.dtype == np.int16 and small._sorted_keys.dtype == np.int32


DIGEST = """
import hashlib, sys
import pandas as pd
import collabsim
h = hashlib.sha256()
for scenario, extra in (("default", {}), ("crisis_mutual_aid", {"backbone": True, "celebrate_successes": True,
                        "regular_meetings": True, "staff_turnover": 0.05, "shock_month": 6}),
                        ("funder_mandate", {"trust_rule": "beta", "funding_scarcity": 0.5}),
                        ("task_force", {"trust_rule": "smoothing"}),
                        ("police_community", {"trust_rule": "two_layer_damped"})):
    r = collabsim.run_model(scenario, seed=3, n_organisations=14, months=18, **extra)
    h.update(pd.util.hash_pandas_object(r.metrics).values.tobytes())
    h.update(pd.util.hash_pandas_object(r.relationships).values.tobytes())
print(h.hexdigest())
"""


@pytest.mark.slow
def test_compiled_and_interpreted_runs_are_bit_identical():
    def digest(disable: str) -> str:
        env = dict(os.environ, NUMBA_DISABLE_JIT=disable)
        out = subprocess.run([sys.executable, "-c", DIGEST], env=env, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    compiled = digest("0")
    assert len(compiled) == 64
    assert digest("1") == compiled


@st.composite
def ladders(draw):
    k = draw(st.integers(1, 25))
    lvl = np.array(draw(st.lists(level, min_size=k, max_size=k)), dtype=np.int8)
    trust2 = np.array(draw(st.lists(unit, min_size=2 * k, max_size=2 * k))).reshape(2, k)
    months = np.array(draw(st.lists(st.integers(0, 12), min_size=k, max_size=k)), dtype=np.int16)
    purpose = np.array(draw(st.lists(st.integers(1, 4), min_size=k, max_size=k)), dtype=np.int8)
    flags = np.array(draw(st.lists(st.booleans(), min_size=6 * k, max_size=6 * k))).reshape(6, k)
    u = np.array(draw(st.lists(unit, min_size=k, max_size=k)))
    return lvl, trust2, months, purpose, flags, u, draw(st.integers(0, 8))


@settings(max_examples=300, deadline=None)
@given(ladders())
def test_escalation_pass_is_the_escalation_rule(state):
    from collabsim import levels

    lvl, trust2, months, purpose, flags, u, min_months = state
    params = {**DEFAULTS, "min_months_per_level": min_months}
    lad = structure.ladder(params)
    k = lvl.size
    mismatch, climb_room, success, worked, culprit_is_i, broken = flags
    # the rule, read plainly from the vectorised functions, in the schedule's order
    level = lvl.astype(np.int64).copy()
    changed = np.zeros(k, dtype=bool)
    weaker = trust2.min(axis=0)
    br = np.flatnonzero(broken)
    victim = np.where(culprit_is_i[br], 1, 0)
    ends = br[u[: br.size] < levels.breakdown_chance(level[br], trust2[victim, br])]
    level[ends] = 0
    changed[ends] = True
    down = np.flatnonzero(levels.falls_back(level, weaker) & ~changed)
    level[down] -= 1
    changed[down] = True
    needed = np.array([structure.months_needed(params, int(lv), bool(mm)) for lv, mm in zip(level, mismatch)])
    assert (levels.months_needed(lad, mismatch, level) == needed).all()
    up = np.flatnonzero(levels.can_climb(level, weaker, months, needed, climb_room, success & worked, purpose) & ~changed)
    level[up] += 1
    # the compiled pass
    got = lvl.copy()
    flat = trust2.reshape(-1).copy()
    event = np.zeros(k, dtype=np.int8)
    counts = levels.escalate_pass(
        br, u[: br.size].copy(), got, flat, k, months.copy(), months.copy(), mismatch, purpose, lad, DEFAULTS["fallback_margin"],
        climb_room, success, worked,
        culprit_is_i, np.zeros(k, dtype=bool), np.zeros(k, dtype=bool), np.full(k, -1, dtype=np.int16),
        np.full(k, -1, dtype=np.int16), 5, event,
    )
    np.testing.assert_array_equal(got, level)
    assert counts[:3] == (ends.size, down.size, up.size)
    assert (event == levels.CLIMB).sum() == up.size


@pytest.mark.parametrize("scenario", ["default", "police_community", "collective_impact"])
def test_monthly_counts_are_plain_reductions(scenario):
    import networkx as nx

    import collabsim
    from collabsim.levels import TRUST_NEEDED
    from collabsim.metrics import MULTISECTOR_MIN_SECTORS

    DURABLE_MONTHS = DEFAULTS["durable_months"]

    m = collabsim.CollaborationModel(scenario, seed=7, months=96, backbone=True)
    m.run()
    rel, sector, got = m.rel, m.orgs.sector, m.metrics
    for name, count in zip(collabsim.LEVEL_NAMES, np.bincount(rel.level, minlength=5)):
        assert got[f"pairs_{name}"] == count
    collab = rel.level == 4
    assert got["durable_collaborations"] == (collab & (rel.months_at_level >= DURABLE_MONTHS)).sum()
    assert got["nominal_collaborations"] == (collab & (rel.trust.min(axis=0) < TRUST_NEEDED[4])).sum()
    harmed = m.harmed_sectors[sector[rel.i], sector[rel.j]]
    assert got["harmed_pairs_working"] == (harmed & (rel.level >= 1)).sum()
    assert got["harmed_pairs_cooperating"] == (harmed & (rel.level >= 3)).sum()
    same = sector[rel.i] == sector[rel.j]
    assert got["same_sector_pairs_cooperating"] == ((rel.level >= 3) & same).sum()
    assert got["cross_sector_pairs_cooperating"] == ((rel.level >= 3) & ~same).sum()
    graph = nx.Graph(list(zip(rel.i[collab].tolist(), rel.j[collab].tolist())))
    spans = [len({int(sector[o]) for o in part}) for part in nx.connected_components(graph)]
    assert got["multisector_clusters"] == sum(s >= MULTISECTOR_MIN_SECTORS for s in spans)
    # the engine sums in row order (the same compiled and interpreted); numpy sums pairwise
    assert got["mean_trust"] == pytest.approx(rel.trust.mean(), rel=1e-12, abs=0)
    assert got["trust_sd"] == pytest.approx(rel.trust.std(), rel=1e-12, abs=0)
    assert got["mean_damage"] == pytest.approx(rel.damage.mean(), rel=1e-12, abs=1e-15)
    assert got["mean_capacity"] == pytest.approx(m.orgs.budget.mean(), rel=1e-12, abs=0)
