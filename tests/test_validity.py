"""Issue 10: outcomes come from mechanisms, not from penalties or from how a run starts.

Each test runs the model as users run it (the compiled passes) and checks one mechanism:
competition only where a round was held, mandates that reach every required partnership
at the funder's review months, exact months of joint work at a level, a community with a
past, meetings that can fail, purpose, every structure parameter reaching the run, the
calibration of every working level's stake, and more than one funder.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import collabsim
from collabsim import structure, trust
from collabsim.parameters import DEFAULTS, PARAMETERS, ParameterError


def digest(model: collabsim.CollaborationModel) -> str:
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(model.datacollector.get_model_vars_dataframe()).values.tobytes())
    h.update(pd.util.hash_pandas_object(model.relationships()).values.tobytes())
    return h.hexdigest()


def run(scenario="default", seed=0, months=36, **params):
    m = collabsim.CollaborationModel(scenario, seed=seed, months=months, **params)
    m.run()
    return m


# --- competition -------------------------------------------------------------------------
def test_no_grant_round_no_rivalry_scarcity_changes_nothing():
    """The money ends before the first round: runs are bit-identical whatever the scarcity."""
    for seed in range(3):
        digests = {digest(run("task_force", seed, 60, funding_end_month=1, funding_scarcity=s)) for s in (0.0, 0.3, 0.6, 1.0)}
        assert len(digests) == 1


def test_rivalry_only_between_losers_and_winners_of_one_sector_and_it_fades():
    m = collabsim.CollaborationModel("task_force", seed=2, funding_scarcity=0.5, funder_required_level=1, grant_interval_months=6)
    m.run(5)
    assert (m.rel.rivalry == 0).all()
    m.run(1)  # month 6: the first round
    rel = m.rel
    rivals = np.flatnonzero(rel.rivalry > 0)
    assert rivals.size > 0 and m.metrics["rivalries"] == rivals.size
    assert rel.same_sector[rivals].all()
    won = m.funder.grant > 0
    # one partner won something, the other applied with an eligible partnership and won nothing
    assert (won[rel.i[rivals]] != won[rel.j[rivals]]).all()
    level = rel.rivalry[rivals].copy()
    m.run(1)
    np.testing.assert_allclose(m.rel.rivalry[rivals], level * (1 - DEFAULTS["rivalry_fade"]))


def test_without_scarcity_rounds_make_no_rivals():
    m = run("task_force", 1, 60, funding_scarcity=0.0, funder_required_level=1)
    assert m.metrics["grants_won"] > 0 and m.metrics["rivalries"] == 0


# --- mandates ---------------------------------------------------------------------------------
def _forced_months(review: int, seed: int = 3) -> tuple[list[int], int]:
    m = collabsim.CollaborationModel(seed=seed, months=36, funder_pressure=1.0, funder_required_level=4,
                                     funder_deadline_months=30, funder_review_months=review, funding_end_month=None)
    m.record_events = True
    m.run()
    months = sorted({month for month, kind, _ in m.events if kind == "forced"})
    most = 0
    for _, kind, rows in m.events:
        if kind == "forced":
            ends = np.concatenate([m.rel.i[rows], m.rel.j[rows]])
            most = max(most, int(np.bincount(ends).max()))
    return months, most


@pytest.mark.parametrize("review", [1, 3, 5])
def test_mandate_pushes_at_review_months_and_reaches_every_required_partnership(review):
    months, most_per_org = _forced_months(review)
    assert months, "a full-pressure mandate pushed nobody"
    assert all(month % review == 0 for month in months), months
    assert most_per_org >= 2, "the mandate reached only one partnership of each organisation"


def test_mandate_and_end_of_money_each_work_alone():
    pushed = run(seed=4, months=48, funder_pressure=1.0, funder_deadline_months=24, funding_end_month=None)
    assert pushed.metrics["forced_escalations"] > 0
    assert pushed.funder.funding_active(48)
    held = collabsim.CollaborationModel(seed=4, months=48, funder_required_level=1, funding_end_month=30)
    held.run(29)
    assert held.funder.held.size > 0  # the money holds partnerships...
    held.run(1)
    assert held.funder.held.size == 0 and (held.funder.grant == 0).all()  # ...until it ends


# --- time at a level ---------------------------------------------------------------------------
@pytest.mark.parametrize("min_months", [1, 4])
def test_climbs_after_exactly_the_months_of_joint_work_the_level_needs(min_months):
    """Every climb from networking up follows at least the months of joint work the ladder
    needs at that level (idle months do not count), and the fastest take exactly that."""
    fastest: dict[int, int] = {}
    for seed in range(6):
        m = collabsim.CollaborationModel(seed=seed, months=60, start="fresh", min_months_per_level=min_months)
        worked = np.zeros(0, dtype=int)
        for _ in range(60):
            before = m.rel.level.copy()
            m.step()
            k = before.size
            worked = np.concatenate([worked, np.zeros(m.rel.size - worked.size, dtype=int)])
            out = m._outcome
            worked[:k] += (out.worked[:k] & (out.level[:k] >= 1)).astype(int)
            after = m.rel.level[:k]
            for r in np.flatnonzero(after != before):
                if after[r] > before[r] and before[r] >= 1 and not m.rel.forced[r]:
                    need = structure.months_needed(m.params, int(before[r]), bool(m.rel.mismatch[r]))
                    assert worked[r] >= need, (r, worked[r], need)
                    fastest[int(before[r])] = min(fastest.get(int(before[r]), 10**6), int(worked[r]))
                worked[r] = 0
    assert fastest[1] == min_months  # networking needs exactly min_months_per_level


def test_each_level_needs_more_time():
    needs = [structure.months_needed(DEFAULTS, level, False) for level in range(1, 4)]
    assert needs[0] == DEFAULTS["min_months_per_level"] and needs == sorted(needs) and needs[2] > needs[0]


# --- a community with a past -------------------------------------------------------------------
def test_history_start_spreads_relationships_over_the_levels_consistently():
    m = collabsim.CollaborationModel("police_community", seed=5)
    rel = m.rel
    counts = np.bincount(rel.level, minlength=5)
    assert (counts[:4] > 0).all(), counts
    assert rel.historic.all()
    weaker = rel.trust.min(axis=0)
    need = m.ladder[structure.NEED][rel.level]
    assert (weaker >= need - 1e-12).all(), "a starting level its trust does not hold"
    assert (rel.level <= rel.purpose).all()
    assert (rel.trust <= 1 - rel.damage + 1e-12).all()
    fresh = collabsim.CollaborationModel("police_community", seed=5, start="fresh")
    assert (fresh.rel.level == 0).all()


def test_with_a_history_onsets_are_not_synchronous_and_time_at_a_level_matters():
    firsts, collab = [], {0: [], 8: []}
    for seed in range(8):
        m = run(seed=seed, months=24)
        formed = m.rel.collab_month[m.rel.collab_month >= 0]
        firsts.append(int(formed.min()) if formed.size else 25)
        for k in collab:
            collab[k].append(run(seed=seed, months=36, min_months_per_level=k).metrics["pairs_collaboration"])
    assert min(firsts) < 12, firsts
    assert np.mean(collab[0]) > np.mean(collab[8])


def test_observed_community_starts_exactly_as_its_files_say(tmp_path):
    from collabsim.community import load_community

    folder = "experiments/communities/example"
    c = load_community(folder)
    m = collabsim.CollaborationModel(community=folder, seed=1)
    assert m.n == c.n and m.rel.size == c.a.size
    np.testing.assert_array_equal(m.orgs.sector, c.sector)
    rows = m.rel.find(c.a, c.b)
    assert (rows >= 0).all()
    np.testing.assert_array_equal(m.rel.level[rows], c.level)
    ab = np.where(m.rel.i[rows] == c.a, 0, 1)
    np.testing.assert_allclose(m.rel.trust[ab, rows], np.minimum(c.trust_ab, 1 - c.damage_ab))
    np.testing.assert_allclose(m.rel.damage[ab, rows], c.damage_ab)
    with pytest.raises(ParameterError, match="n_organisations"):
        collabsim.CollaborationModel(community=folder, n_organisations=c.n + 1)
    with pytest.raises(ParameterError, match="organisations.csv"):
        collabsim.CollaborationModel(community=tmp_path)


# --- meetings ---------------------------------------------------------------------------------
def test_poor_meetings_are_small_setbacks_that_heal_nothing():
    bad = dict(meeting_quality_base=0.0, meeting_skill_weight=0.0, meeting_trust_weight=0.0, meeting_facilitation=0.0)
    m = run("police_community_meetings", 1, 12, staff_turnover=0.0, **bad)
    rel = m.rel
    fm = m.forum_member
    forum = fm[rel.i] & fm[rel.j] & ~rel.same_sector & (rel.level == 0)
    assert forum.any()
    # every meeting went badly: the forum pairs that never worked only gained damage
    idle = forum & (rel.successes == 0) & (rel.failures == 0)
    assert idle.any()
    assert (rel.damage[:, idle] > 0).all()
    assert (rel.trust[:, idle] <= rel.base_trust[:, idle] + 1e-12).all()


def test_forum_members_are_the_scenarios_sectors():
    m = collabsim.CollaborationModel("police_community_meetings", seed=1)
    members = {collabsim.SECTORS[s] for s in np.unique(m.orgs.sector[m.forum_member])}
    assert members == set(m.preset.forum_sectors) == {"community_group", "law_enforcement"}


# --- purpose ---------------------------------------------------------------------------------
def test_no_collaboration_without_a_purpose_for_it_unless_pushed():
    m = collabsim.CollaborationModel(seed=2, start="fresh", purpose_collaboration=0.0)
    for _ in range(120):
        m.step()
        assert m.metrics["pairs_collaboration"] == 0
    pushed = run(seed=2, months=60, start="fresh", purpose_collaboration=0.0, funder_pressure=1.0, funding_end_month=None)
    assert pushed.metrics["forced_escalations"] > 0


def test_purpose_is_the_same_for_a_pair_in_both_arms_of_a_comparison():
    a, b = run(seed=3, months=24), run(seed=3, months=24, backbone=True)
    pa = dict(zip(zip(a.rel.i.tolist(), a.rel.j.tolist()), a.rel.purpose.tolist()))
    pb = dict(zip(zip(b.rel.i.tolist(), b.rel.j.tolist()), b.rel.purpose.tolist()))
    shared = set(pa) & set(pb)
    assert len(shared) > 20 and all(pa[k] == pb[k] for k in shared)


# --- the registry --------------------------------------------------------------------------------
SETUPS = (
    ("collective_impact", dict(backbone=True, regular_meetings=True, celebrate_successes=True, shock_month=6, staff_turnover=0.05, n_organisations=30)),
    ("task_force", dict(funding_scarcity=0.6, funder_required_level=1, grant_interval_months=3)),
    ("default", dict(funder_pressure=1.0, funder_required_level=4, funder_deadline_months=12, funding_end_month=30)),
)
"""Three communities that between them run every mechanism: backbone, forum, celebration,
crisis and turnover; scarce grant rounds and rivalry; a mandate and the end of money."""


def _candidates(p) -> list:
    """Legal values near the default first, then across the range."""
    value = DEFAULTS[p.name]
    if p.kind == "int":
        near = [value + 1, value - 1, value + 6]
    else:
        step = max(0.01, 0.2 * abs(value)) if abs(value) > 1 else 0.01
        near = [value + step, value - step, (p.low + p.high) / 2, (p.low + 3 * p.high) / 4, p.high, p.low]
    return [v for v in near if p.low <= v <= p.high and v != value]


@pytest.mark.parametrize("name", [n for n, p in PARAMETERS.items() if p.group == "structure"])
def test_every_structure_parameter_reaches_the_run(name):
    """Some legal value of each structure parameter changes a run: none is dead."""
    p = PARAMETERS[name]
    for scenario, params in SETUPS:
        base = digest(run(scenario, 4, 36, **params))
        for value in _candidates(p):
            try:
                other = run(scenario, 4, 36, **params, **{name: value})
            except ParameterError:  # this value would break the ladder's order
                continue
            if digest(other) != base:
                return
    raise AssertionError(f"{name} changed nothing in any setup")


def test_a_ladder_that_runs_backwards_is_refused():
    with pytest.raises(ParameterError, match="trust_needed_coordination .* must not exceed trust_needed_cooperation"):
        collabsim.CollaborationModel(trust_needed_coordination=0.6)
    with pytest.raises(ParameterError, match="base_success_collaboration"):
        collabsim.CollaborationModel(base_success_collaboration=0.99)


# --- calibration and funders --------------------------------------------------------------------
@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_calibration_trust_from_02_to_07_in_6_to_24_months_at_every_working_stake(level):
    t, r, months = np.array([0.2]), np.array([0.0]), 0
    stake = structure.ladder(DEFAULTS)[structure.STAKE, level]
    while t[0] < 0.7:
        t, r = trust.two_layer(t, r, stake, level / 4)
        months += 1
    assert 6 <= months <= 24, (level, stake, months)


def test_two_funders_each_with_its_own_rules():
    m = run("two_funders", 1, 48)
    local, federal = m.funders
    assert local.pressure == 0 and federal.pressure > 0 and federal.required_level == 3
    assert m.metrics["forced_escalations"] > 0  # only the second funder pushes
    assert local.grants_awarded > 0 and federal.end_month == 48 and not federal.funding_active(48)


# --- observed communities through the command line and sweep designs ----------------------------
EXAMPLE = str(Path(__file__).resolve().parents[1] / "experiments" / "communities" / "example")


def test_cli_run_starts_from_a_community_and_refuses_a_bad_one(tmp_path):
    out = subprocess.run([sys.executable, "-m", "collabsim.cli", "run", "--community", EXAMPLE, "--months", "6", "--seed", "1",
                          "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "30 organisations" in out.stdout
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "organisations.csv").write_text("id,sector\na,police\n", encoding="utf-8")
    (tmp_path / "bad" / "relationships.csv").write_text("a,b,level,trust\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "collabsim.cli", "run", "--community", str(tmp_path / "bad")],
                         capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "organisations.csv" in bad.stderr and "row 2" in bad.stderr and "sector" in bad.stderr


def test_sweep_design_key_community(tmp_path):
    from collabsim.sweep.design import DesignError, design_from_dict

    design = design_from_dict({"community": EXAMPLE, "replicates": 2, "months": 6}, str(tmp_path / "d.toml"))
    assert design.run_spec(1)[3]["community"] == EXAMPLE and len(design.to_dict()["community_sha256"]) == 64
    with pytest.raises(DesignError, match="community"):
        design_from_dict({"community": str(tmp_path)}, str(tmp_path / "d.toml"))
    with pytest.raises(DesignError, match="n_organisations"):
        design_from_dict({"community": EXAMPLE, "set": {"n_organisations": 5}}, str(tmp_path / "d.toml"))


# --- referral as a road to new partners -----------------------------------------------------------
def test_referral_weight_sets_the_share_of_searches_through_partners(monkeypatch):
    """Gulati & Gargiulo 1999: how much of the search for partners goes through trusted partners."""
    from collabsim import engine

    seen = {"referral": 0, "stranger": 0}
    original = engine.first_contacts

    def counting(*args):
        seekers, strangers = args[16], args[18]
        seen["referral"] += int(np.size(seekers))
        seen["stranger"] += int(np.size(strangers))
        return original(*args)

    # the month's schedule down to the meeting step runs as Python (the engine's own code,
    # ``py_func``) so the call into ``first_contacts`` can be watched; the rest stays compiled
    for name in ("run_months", "meet"):
        monkeypatch.setattr(engine, name, getattr(getattr(engine, name), "py_func", getattr(engine, name)))
    monkeypatch.setattr(engine, "first_contacts", counting)
    shares = []
    for weight in (0.0, 0.3, 0.9):
        seen.update(referral=0, stranger=0)
        run(seed=1, months=48, referral_weight=weight)
        shares.append(seen["referral"] / (seen["referral"] + seen["stranger"]))
    assert shares[0] == 0.0
    assert abs(shares[1] - 0.3) < 0.08 and abs(shares[2] - 0.9) < 0.08, shares


def test_the_page_starts_from_a_community(monkeypatch, tmp_path):
    pytest.importorskip("solara")  # the page needs the viz extra
    from collabsim.community import load_community
    from collabsim.viz.session import COMMUNITY_ENV, Settings, VizModel

    monkeypatch.setenv(COMMUNITY_ENV, EXAMPLE)
    m = VizModel(Settings(seed=1))
    c = load_community(EXAMPLE)
    assert m.n == c.n and m.rel.size == c.a.size and m.params["start"] == "fresh"
    m.step()
    bad = subprocess.run([sys.executable, "-m", "collabsim.cli", "viz", "--community", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "organisations.csv" in bad.stderr and "Traceback" not in bad.stderr
