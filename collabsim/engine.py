"""The compiled engine: a whole month, and a whole run, as one compiled call (ODD 2.8, 3).

``run_months`` is the schedule of ODD section 3, written out once (one pass of its loop is
a month): backbone staff, capacity, meeting, joint work and meetings, turnover, escalation,
funders, hearing, end of month, then the month's metrics. Each sub-step calls the rules'
scalar forms where they live (``trust``, ``outcomes``, ``levels.escalate_pass``,
``capacity._allocate``, ``kernels``, ``referral``, ``meetings``, ``crisis``, ``backbone``),
so each rule is written once. The sweep path runs a whole run in one call, and
``CollaborationModel.step`` is ``run_months`` for one month, so the two cannot disagree.

Every random number is drawn where it is used, from a stream keyed by the run's seed,
the mechanism, the month and the organisation or pair it decides (``streams``), so
paired runs share their draws (common random numbers). Keys are wrapped in
``np.uint64`` (a no-op compiled) so that any of these functions can also run as Python
over the compiled rules (its ``py_func``): tests and experiments watch a call that way.

The state is a handful of arrays, grouped in tuples the model builds (``Engine``):

* ``S`` (int64): size (pairs), month, first collaboration month, organisations, seed,
  trust rule, capacity (rows);
* ``C`` (float64): the cumulative counters, in ``metrics.CUMULATIVE`` order;
* ``P`` (float64): the run's scalar parameters (``P_NAMES``; ``None`` is -1, booleans
  0/1); interventions write into it;
* ``K``: the ladder, the outcome weights, the trust rule's parameters, the purpose
  shares, the harmed sector pairs and the capacity step costs;
* ``O``: the organisations' arrays; ``R``: the relationship table's stores (whole
  capacity, flat directed stores, the pair index); ``M``: what happened this month per
  pair; ``Fd``: the funders' rules (one row each, ``F_NAMES``), grants, held partnerships
  and grants awarded.
"""

from __future__ import annotations

import math

import numpy as np

from . import streams
from ._jit import borrowed, hot, jit
from .capacity import _allocate
from .crisis import intensity_one
from .kernels import CHOICE_SKIP, first_contact_one, first_contacts, hear, joint_work, learn, pair_facts, repair_one, staff_leave, age_pairs
from .levels import AWARE, COLLABORATION, NETWORKING, TOP, escalate_pass, BREAKDOWN, FALLBACK, CLIMB
from .meetings import good_meeting_one, meeting_signal_one
from .metrics import pair_statistics
from .relationships import NEVER, build_adjacency, merge_index, plan_additions, write_new_pairs
from .structure import COST, MONTHS, MONTHS_MISMATCH, NEED, STAKE
from .trust import beta_evidence_one

P_NAMES = (
    "shock_month", "shock_size", "crisis_duration", "crisis_capacity_hit", "crisis_outreach", "crisis_disruption",
    "crisis_shared_support", "crisis_shared_value", "regular_meetings", "meeting_cost", "meeting_support",
    "meeting_quality_base", "meeting_skill_weight", "meeting_trust_weight", "meeting_facilitation", "meeting_signal",
    "meeting_poor_signal", "backbone", "backbone_capacity", "introduction_chance", "introduction_trust",
    "backbone_repair_boost", "contact_rate", "referral_weight", "history_of_harm", "initial_trust", "chance_contact",
    "style_mismatch_penalty", "honest_failure_severity", "celebrate_successes", "celebration_boost", "celebration_reach",
    "capacity_from_collaboration", "staff_turnover", "turnover_trust_loss", "collaborative_skill", "skill_concentration",
    "fallback_margin", "durable_months", "rivalry_signal", "rivalry_fade",
)
"""The parameters ``P`` holds, in order (the constants below index it)."""
(
    SHOCK_MONTH, SHOCK_SIZE, CRISIS_DURATION, CRISIS_CAPACITY_HIT, CRISIS_OUTREACH, CRISIS_DISRUPTION,
    CRISIS_SHARED_SUPPORT, CRISIS_SHARED_VALUE, REGULAR_MEETINGS, MEETING_COST, MEETING_SUPPORT,
    MEETING_QUALITY_BASE, MEETING_SKILL_WEIGHT, MEETING_TRUST_WEIGHT, MEETING_FACILITATION, MEETING_SIGNAL,
    MEETING_POOR_SIGNAL, BACKBONE, BACKBONE_CAPACITY, INTRODUCTION_CHANCE, INTRODUCTION_TRUST,
    BACKBONE_REPAIR_BOOST, CONTACT_RATE, REFERRAL_WEIGHT, HISTORY_OF_HARM, INITIAL_TRUST, CHANCE_CONTACT,
    STYLE_MISMATCH_PENALTY, HONEST_FAILURE_SEVERITY, CELEBRATE_SUCCESSES, CELEBRATION_BOOST, CELEBRATION_REACH,
    CAPACITY_FROM_COLLABORATION, STAFF_TURNOVER, TURNOVER_TRUST_LOSS, COLLABORATIVE_SKILL, SKILL_CONCENTRATION,
    FALLBACK_MARGIN, DURABLE_MONTHS, RIVALRY_SIGNAL, RIVALRY_FADE,
) = range(len(P_NAMES))

F_NAMES = (
    "funder_pressure", "funder_required_level", "funder_deadline_months", "funder_review_months",
    "funding_end_month", "funding_scarcity", "grant_interval_months", "grant_size", "mandate_start",
)
"""One funder's rules, a row of ``Fd[0]`` (``funding_end_month`` None is -1)."""
PRESSURE, REQUIRED_LEVEL, DEADLINE_MONTHS, REVIEW_MONTHS, END_MONTH, SCARCITY, INTERVAL, GRANT_SIZE, MANDATE_START = range(len(F_NAMES))

SIZE, MONTH, FIRST_COLLAB, N_ORGS, SEED, RULE, CAP = range(7)
"""Entries of ``S``."""

(
    C_SUCCESSES, C_JOINT_WORK_MONTHS, C_FALLBACKS, C_PREMATURE, C_FORCED, C_BREAKDOWNS, C_FORMED, C_FAILURES,
    C_BROKEN, C_IMPACT, C_GRANTS, C_RIVALRIES,
) = range(12)
"""Entries of ``C`` (``metrics.CUMULATIVE`` order)."""

BETA_RULE = 2

EV_BROKEN, EV_TURNOVER, EV_BREAKDOWN, EV_FALLBACK, EV_CLIMB, EV_FORCED = 1, 2, 4, 8, 16, 32
"""Bits of the month's ``events`` per pair (what the explain panel shows)."""
EVENT_KINDS = ((EV_BROKEN, "broken"), (EV_TURNOVER, "turnover"), (EV_BREAKDOWN, "breakdown"), (EV_FALLBACK, "fallback"), (EV_CLIMB, "climb"), (EV_FORCED, "forced"))

ROW_NAMES = (
    "month", "known_pairs", "mean_trust", "trust_sd", "mean_damage", "first_collaboration_month", "mean_capacity",
    "pairs_aware", "pairs_networking", "pairs_coordination", "pairs_cooperation", "pairs_collaboration",
    "durable_collaborations", "nominal_collaborations", "harmed_pairs_working", "harmed_pairs_cooperating",
    "same_sector_pairs_cooperating", "cross_sector_pairs_cooperating", "multisector_clusters",
    "successes", "joint_work_months", "fallbacks", "premature_escalations", "forced_escalations", "breakdowns",
    "collaborations_formed", "failures", "broken_commitments", "collective_impact", "grants_won", "rivalries",
)
"""The columns ``metrics_row`` writes (``metrics.METRIC_NAMES`` in another order)."""
N_COUNTS = 12


def room_needed(n: int) -> int:
    """Most pairs a month can add: one per seeker, backbone introduction and forum member."""
    return 3 * int(n) + 2


SMALL_TABLE_ROWS = 4096
"""A community whose every possible pair, plus a month's room, fits in this many rows
(up to 88 organisations) gets them all at once (``table_capacity``)."""


ROWS_PER_ORGANISATION = 20
"""A larger community's table starts with this many rows per organisation: the default
run ends with about 13 pairs per organisation, plus a month's room (3 per organisation)."""


def table_capacity(n: int) -> int:
    """Rows a new relationship table starts with: room for every possible pair and a
    month's additions when that is small (the run is then one compiled call, never
    stopping for the table to grow), else ``ROWS_PER_ORGANISATION`` per organisation; the
    table grows by a quarter when a month could overflow it. The stores are zeroed by the
    system page by page as rows are first written, so rows never used cost address space,
    not resident memory, while growing costs a copy. Capacity never changes a result."""
    n = int(n)
    every_pair = n * (n - 1) // 2 + room_needed(n)
    return every_pair if every_pair <= SMALL_TABLE_ROWS else max(64, ROWS_PER_ORGANISATION * n)


# --- the month -----------------------------------------------------------------------------
@jit
def run_months(S, C, P, K, O, R, M, Fd, months, out):  # pragma: no cover - compiled
    """Up to ``months`` months, each in the order of ODD section 3 (one pass of the loop is a
    month: backbone staff, capacity, meeting, joint work and meetings, turnover, escalation,
    funders, hearing, end of month), each month's metrics into a row of ``out``. Stops early
    (returns the months done) when the table needs more rows than it has: the caller keeps
    ``room_needed`` rows free.

    The state tuples are unpacked once per call and each step is handed only the arrays it
    reads. The steps are ``hot`` (inlined here): a compiled step still takes an atomic
    reference per array it is handed, and the tuples hold dozens of arrays, a cost that,
    paid by every step every month, was a fifth of a run. Steps that need the whole state
    (a crisis's first month, meetings, turnover, new pairs, a funder's round or review) are
    entered only in the months they act. And the state is borrowed (``_jit.borrowed``): the
    caller holds it for the call, so handing it on takes no reference counts at all."""
    S, C, P, K, O, R, M, Fd, out = borrowed((S, C, P, K, O, R, M, Fd, out))
    ladder, w, rule_p, purpose_shares, harmed_sectors, step_cost = K
    (sector, skill, reliability, hierarchical, mandate, base_capacity, grant, capacity_gain, budget, grants_won,
     forum_member, served, spare, choice) = O
    (i, j, level, months_at_level, work_at_level, purpose, rivalry, historic, successes, failures, broken, forced,
     first_contact, collab_month, work_month, same_sector, harmed, mismatch, trust, damage, base_trust, pos, neg, keys, key_rows) = R
    changed, worked, success, broken_now, culprit_is_i, out_level, events, works, climb_room, escalation = M
    F, f_grant = Fd[0], Fd[1]
    room = 3 * S[N_ORGS] + 2
    # the table's adjacency (who partners whom), for the first ``built`` rows: rows are only
    # ever appended, so it holds until a row is added (meeting and hearing both read it; most
    # months hearing builds it and next month's meeting reuses it)
    adj = build_adjacency(i[:0], j[:0], S[N_ORGS])
    built = 0
    done = 0
    while done < months:
        if S[SIZE] + room > S[CAP]:
            break
        S[MONTH] += 1
        # the month's records start clear over the table's rows; rows past them were never
        # written (rows are never removed), so they are clear and their pages untouched
        size = S[SIZE]
        changed[:size] = False
        worked[:size] = False
        success[:size] = False
        broken_now[:size] = False
        culprit_is_i[:size] = False
        out_level[:size] = 0
        events[:size] = 0
        shock = intensity_one(S[MONTH], P[SHOCK_MONTH], P[SHOCK_SIZE], P[CRISIS_DURATION])
        serve(S, P, served)
        allocated = refresh_capacity(S, P, ladder, step_cost, base_capacity, grant, capacity_gain, budget, forum_member, spare,
                                     choice, f_grant, i, j, level, trust, works, climb_room, shock)
        a, b, t, d, adj, built = meet(S, P, ladder, harmed_sectors, sector, served, forum_member, spare, i, j, trust, damage, keys, key_rows,
                                      shock, adj, built)
        if a.size:
            add_pairs(S, K, O, R, a, b, t, d)
        capacity_gain[:] = 0.0
        if S[SIZE]:
            if shock != 0.0 and S[MONTH] == P[SHOCK_MONTH]:
                disrupt(S, C, P, K, R, shock)
            work(S, C, P, ladder, w, rule_p, skill, reliability, mandate, capacity_gain, forum_member, served, choice,
                 i, j, level, rivalry, successes, failures, broken, work_at_level, mismatch, same_sector, trust, damage, pos, neg,
                 worked, success, broken_now, culprit_is_i, out_level, events, works, shock, allocated)
            if P[REGULAR_MEETINGS] != 0.0 or P[BACKBONE] != 0.0:
                meetings_month(S, P, K, O, R, M)
        if P[STAFF_TURNOVER] > 0.0:
            gone = staff_leaving(S, P)
            if gone.size:
                replace_staff(S, P, O, R, M, gone, np.uint64(streams.month_key(S[SEED], streams.SKILL, S[MONTH])), np.empty(S[SIZE], dtype=np.int64))
        escalate(S, C, ladder, P[FALLBACK_MARGIN], i, j, level, trust, months_at_level, work_at_level, mismatch, purpose, forced,
                 work_month, collab_month, changed, worked, success, broken_now, culprit_is_i, events, climb_room, escalation, allocated)
        for f in range(F.shape[0]):
            ends, grants, reviews = funder_acts(F, f, S[MONTH])
            if ends:
                end_funding(f, S, C, K, R, M, Fd)
            if grants:
                grant_round(f, S, C, P, K, O, R, Fd)
            if reviews:
                review(f, S, C, K, R, M, Fd)
        sum_grants(grant, f_grant)
        adj, built = hear_month(S, P, ladder, rule_p, i, j, level, trust, damage, pos, neg, worked, success, broken_now, culprit_is_i,
                                out_level, adj, built)
        end_of_month(S, C, P, months_at_level, rivalry, changed)
        month_row(S, C, P, ladder, sector, budget, i, j, level, months_at_level, same_sector, harmed, trust, damage, out[done])
        done += 1
    return done


# --- 2 backbone --------------------------------------------------------------------------------
@hot
def serve(S, P, served):  # pragma: no cover - compiled
    """Whom the backbone's staff serve this month (7.9), into ``served`` (``O[11]``): everyone,
    or the ``backbone_capacity`` organisations with the lowest draws of the month (nested
    across capacities)."""
    n = served.size
    served[:] = False
    if P[BACKBONE] == 0.0 or n == 0:
        return
    capacity = int(P[BACKBONE_CAPACITY])
    if n <= capacity:
        served[:] = True
        return
    key = np.uint64(streams.month_key(S[SEED], streams.SERVE, S[MONTH]))
    # each draw is a whole number of 2**-53: sorting those whole numbers gives the draws'
    # order (ties too), with the integer sort the pair index compiles anyway (one sort
    # compiled instead of two)
    u = np.empty(n, dtype=np.int64)
    for o in range(n):
        u[o] = np.int64(streams.uniform(key, o, 0) * 9007199254740992.0)
    order = np.argsort(u, kind="mergesort")
    for q in range(capacity):
        served[order[q]] = True


# --- 3 capacity --------------------------------------------------------------------------------
@hot
def refresh_capacity(S, P, ladder, step_cost, base_capacity, grant, capacity_gain, budget, forum_member, spare, choice, f_grant,
                     i, j, level, trust, works, climb_room, shock):  # pragma: no cover - compiled
    """Budgets (base, every funder's grant, capacity built, crisis), the forum's cost, and
    the allocation to ties by priority (7.1). Returns how many rows were allocated."""
    hit = P[CRISIS_CAPACITY_HIT] * shock
    sum_grants(grant, f_grant)
    for o in range(budget.size):
        budget[o] = base_capacity[o] * (1.0 - hit) + grant[o] + capacity_gain[o]
        if P[REGULAR_MEETINGS] != 0.0:
            spare[o] = max(0.0, budget[o] - P[MEETING_COST] * (1.0 if forum_member[o] else 0.0))
        else:
            spare[o] = budget[o]
    size = S[SIZE]
    if size:
        seen = unchosen(choice, i[:size], j[:size], level[:size])
        _allocate(i[:size], j[:size], seen, trust, S[CAP], spare, works[:size], climb_room[:size], ladder[COST], step_cost)
    return size


@jit
def unchosen(choice, i, j, level):  # pragma: no cover - compiled
    """The levels the allocation sees: a tie a student chose to leave out this month
    (``CHOICE_SKIP``, classroom mode, ``O[13]``) counts as aware, so it costs nothing and
    does not work; ``level`` itself when nobody plays (``choice`` is (0, 0))."""
    if choice.shape[0] == 0:
        return level
    out = level.copy()
    for r in range(level.size):
        if choice[i[r], j[r]] == CHOICE_SKIP or choice[j[r], i[r]] == CHOICE_SKIP:
            out[r] = AWARE
    return out


@hot
def sum_grants(grant, f_grant):  # pragma: no cover - compiled
    """Each organisation's grants (``O[6]``): the sum over funders of what each currently
    gives (``Fd[1]``)."""
    grant[:] = 0.0
    for f in range(f_grant.shape[0]):
        for o in range(grant.size):
            grant[o] += f_grant[f, o]


# --- 4 meet ------------------------------------------------------------------------------------
@hot
def meet(S, P, ladder, harmed_sectors, sector, served, forum_member, spare, i, j, trust, damage, keys, key_rows, shock, adj, built):  # pragma: no cover - compiled
    """New contacts (7.2): referrals, strangers, backbone introductions, the forum. Returns
    the first contacts ``(a, b)`` with their directed trust and damage (``add_pairs``), and
    the adjacency of the first ``built`` rows (``adjacency``: referrals read it)."""
    n = S[N_ORGS]
    if n < 2:
        a, b, t, d = _no_contacts()
        return a, b, t, d, adj, built
    seed, month, size = S[SEED], S[MONTH], S[SIZE]
    k_seek = np.uint64(streams.month_key(seed, streams.SEEK, month))
    k_via = np.uint64(streams.month_key(seed, streams.VIA_REFERRAL, month))
    k_referrer = np.uint64(streams.month_key(seed, streams.REFERRER, month))
    k_newcomer = np.uint64(streams.month_key(seed, streams.NEWCOMER, month))
    k_follow = np.uint64(streams.month_key(seed, streams.FOLLOW, month))
    k_stranger = np.uint64(streams.month_key(seed, streams.STRANGER, month))
    rate = min(1.0, P[CONTACT_RATE] * (1.0 + P[CRISIS_OUTREACH] * shock))
    seekers = np.empty(n, dtype=np.int64)
    u_referral = np.empty((3, n))
    strangers = np.empty(n, dtype=np.int64)
    partners = np.empty(n, dtype=np.int64)
    n_seek = n_strange = 0
    for o in range(n):
        if spare[o] >= ladder[COST, 1] and streams.uniform(k_seek, o, 0) < rate:
            # referral_weight is also the share of searches that go through a partner (Gulati & Gargiulo 1999)
            if streams.uniform(k_via, o, 0) < P[REFERRAL_WEIGHT]:
                if size > 0:
                    seekers[n_seek] = o
                    u_referral[0, n_seek] = streams.uniform(k_referrer, o, 0)
                    u_referral[1, n_seek] = streams.uniform(k_newcomer, o, 0)
                    u_referral[2, n_seek] = streams.uniform(k_follow, o, 0)
                    n_seek += 1
            else:
                strangers[n_strange] = o
                partners[n_strange] = (o + 1 + np.int64(math.floor(streams.uniform(k_stranger, o, 0) * (n - 1)))) % n
                n_strange += 1
    introduced, vouched = _pick_partners(served, P[BACKBONE] != 0.0, np.uint64(streams.month_key(seed, streams.INTRODUCE, month)),
                                         np.uint64(streams.month_key(seed, streams.INTRODUCED_TO, month)), P[INTRODUCTION_CHANCE], sector, False)
    members, met = _pick_partners(forum_member, P[REGULAR_MEETINGS] != 0.0, k_seek,
                                  np.uint64(streams.month_key(seed, streams.FORUM_PARTNER, month)), 1.0, sector, True)
    if n_seek + n_strange + introduced.size + members.size == 0:
        a, b, t, d = _no_contacts()
        return a, b, t, d, adj, built
    if n_seek:  # only referrals read who partners whom
        adj, built = adjacency(i, j, size, n, adj, built)
    a, b, t, d = first_contacts(
        P[HISTORY_OF_HARM], harmed_sectors, sector, P[INITIAL_TRUST], P[REFERRAL_WEIGHT], P[INTRODUCTION_TRUST],
        adj[0], adj[1], adj[2], i, trust, damage, S[CAP], keys[:size], key_rows[:size], n,
        seekers[:n_seek], u_referral[:, :n_seek], strangers[:n_strange], partners[:n_strange], introduced, vouched, members, met,
    )
    return a, b, t, d, adj, built


@hot
def adjacency(i, j, size, n, adj, built):  # pragma: no cover - compiled
    """The adjacency of the table's first ``size`` rows (``relationships.build_adjacency``)
    and ``size``: ``adj`` itself when it was built for as many rows (rows are only ever
    appended, never changed or removed, so it still holds), else built anew."""
    if built == size:
        return adj, built
    return build_adjacency(i[:size], j[:size], n), size


@hot
def _no_contacts():  # pragma: no cover - compiled
    """``meet``'s answer in a month without first contacts (``first_contacts``'s types)."""
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty((2, 0)), np.empty((2, 0))


@jit
def _pick_partners(pool, on, key_choose, key_partner, chance, sector, cross_only):  # pragma: no cover - compiled
    """Members of ``pool`` who meet another member this month (with chance ``chance``), and
    whom (uniform over the pool, keyed by the member; across sectors only if asked)."""
    n = pool.size
    members = np.empty(n, dtype=np.int64)
    m = 0
    if on:
        for o in range(n):
            if pool[o]:
                members[m] = o
                m += 1
    a = np.empty(m if m >= 2 else 0, dtype=np.int64)
    b = np.empty(m if m >= 2 else 0, dtype=np.int64)
    k = 0
    if m < 2:
        return a, b
    for q in range(m):
        o = members[q]
        if chance < 1.0 and not streams.uniform(key_choose, o, 1) < chance:
            continue
        other = members[np.int64(math.floor(streams.uniform(key_partner, o, 0) * m))]
        if cross_only and sector[o] == sector[other]:
            continue
        a[k], b[k] = o, other
        k += 1
    return a[:k], b[:k]


@jit
def add_pairs(S, K, O, R, a, b, t, d):  # pragma: no cover - compiled
    """First contacts ``(a, b)`` with directed trust and damage ``t``, ``d`` (row 0: a's view):
    new rows, the pair index, the pairs' fixed facts and purpose (and beta evidence)."""
    return add_kept_pairs(S, K, O, R, a, b, t, d, np.empty(a.size, dtype=np.bool_))


@jit
def add_kept_pairs(S, K, O, R, a, b, t, d, keep):  # pragma: no cover - compiled
    """``add_pairs``, saying which candidates were added (``keep``: not a self-pair, not
    known, the first of duplicates): the q-th kept one is row ``size + q``."""
    (i, j, level, months_at_level, work_at_level, purpose, rivalry, historic, successes, failures, broken, forced,
     first_contact, collab_month, work_month, same_sector, harmed, mismatch, trust, damage, base_trust, pos, neg, keys, key_rows) = R
    size, cap, n = S[SIZE], S[CAP], S[N_ORGS]
    added = plan_additions(keys[:size], key_rows[:size], n, a, b, keep)
    if added == 0:
        return 0
    new_keys = np.empty(added, dtype=np.int64)
    write_new_pairs(keep, a, b, t, d, size, cap, n, S[MONTH], i, j, trust, base_trust, damage, first_contact, collab_month, work_month, new_keys)
    merge_index(keys, key_rows, size, new_keys, size)
    pair_facts(size, size + added, i, j, O[0], O[3], K[4], np.uint64(S[SEED]), K[3], same_sector, harmed, mismatch, purpose)
    if S[RULE] == BETA_RULE:
        for r in range(size, size + added):
            for f in (r, cap + r):
                pos[f], neg[f] = beta_evidence_one(trust[f])
    S[SIZE] = size + added
    return added


@jit
def start_with_history(S, P, K, O, R, a, b, u_level, u_trust, u_months, cdf):  # pragma: no cover - compiled
    """The community at month 0 with a history (ODD 5): the ties ``(a, b)`` drawn as at a
    fresh start, each at a level drawn from ``cdf`` (the cumulative shares of
    ``history_level_ratio ** L``) with ``u_level``, lowered until the ceiling a history of
    harm leaves (``1 - R``) holds it, then capped by the pair's purpose; each direction's
    trust uniform (``u_trust``) between the level's need and the next level's, below the
    ceiling; a share ``u_months`` of the months of joint work the level needs already done.
    One compiled pass instead of some fifty small numpy calls (0.2 -> 0.1 ms of a default
    run's 0.8 ms set-up). Returns the pairs added."""
    ladder, harmed_sectors, sector = K[0], K[4], O[0]
    level, months_at_level, work_at_level, purpose, historic, work_month, mismatch = R[2], R[3], R[4], R[5], R[7], R[14], R[17]
    need = ladder[NEED]
    k = a.size
    t = np.empty((2, k))
    d = np.empty((2, k))
    drawn = np.empty(k, dtype=np.int64)
    for q in range(k):
        t0, h = first_contact_one(P[HISTORY_OF_HARM], harmed_sectors, sector, P[INITIAL_TRUST], a[q], b[q])
        lvl = 0
        while lvl < cdf.size and cdf[lvl] <= u_level[q]:  # numpy's searchsorted(..., side="right")
            lvl += 1
        lvl = min(lvl, TOP)
        ceiling = 1.0 - h
        while need[lvl] > ceiling:  # the deepest level the ceiling lets the pair hold
            lvl -= 1
        low = min(t0, ceiling) if lvl == AWARE else need[lvl]
        high = max(min(need[min(lvl + 1, TOP)] if lvl < TOP else 1.0, ceiling), low)
        for side in range(2):
            t[side, q] = low + u_trust[side, q] * (high - low)
            d[side, q] = h
        drawn[q] = lvl
    keep = np.empty(k, dtype=np.bool_)
    r = S[SIZE]
    added = add_kept_pairs(S, K, O, R, a, b, t, d, keep)
    for q in range(k):
        if not keep[q]:
            continue
        lvl = min(drawn[q], np.int64(purpose[r]))
        level[r] = lvl
        historic[r] = True
        work_month[r] = 0 if lvl >= NETWORKING else NEVER
        needed = ladder[MONTHS_MISMATCH, lvl] if mismatch[r] else ladder[MONTHS, lvl]
        if lvl == TOP:
            needed = P[DURABLE_MONTHS]
        done = np.int64(math.floor(u_months[q] * needed))
        work_at_level[r] = done
        months_at_level[r] = done
        r += 1
    return added


# --- 5 work ------------------------------------------------------------------------------------
@jit  # not inlined: a call with more than 30 arguments is a *args call to Python's compiler
def work(S, C, P, ladder, w, rule_p, skill, reliability, mandate, capacity_gain, forum_member, served, choice,
         i, j, level, rivalry, successes, failures, broken, work_at_level, mismatch, same_sector, trust, damage, pos, neg,
         worked, success, broken_now, culprit_is_i, out_level, events, works, shock, allocated):  # pragma: no cover - compiled
    """A month of joint work (7.3) by the pairs the allocation funded (``works``); a
    crisis's disruption (7.12) comes before it and meetings (7.5) after it."""
    k = S[SIZE]
    seed, month, cap, rule = S[SEED], S[MONTH], S[CAP], S[RULE]
    k_contact = np.uint64(streams.month_key(seed, streams.CONTACT, month))
    k_success = np.uint64(streams.month_key(seed, streams.SUCCESS, month))
    k_culprit = np.uint64(streams.month_key(seed, streams.CULPRIT, month))
    k_broken = np.uint64(streams.month_key(seed, streams.BROKEN, month))
    collaborated = np.zeros(served.size, dtype=np.int64)
    meeting_support = P[MEETING_SUPPORT] if P[REGULAR_MEETINGS] != 0.0 else 0.0
    celebration = P[CELEBRATION_BOOST] if P[CELEBRATE_SUCCESSES] != 0.0 else 0.0
    n_worked, n_success, n_joint, n_broken, impact = joint_work(
        works[:allocated], (k_contact, k_success, k_culprit, k_broken), P[CHANCE_CONTACT], i[:k], j[:k], level[:k], trust, damage, pos, neg,
        rule, rule_p, cap, mandate, mismatch, same_sector,
        reliability, skill, served, forum_member, rivalry, ladder, w,
        P[STYLE_MISMATCH_PENALTY], P[CRISIS_SHARED_SUPPORT] * shock,
        meeting_support, P[BACKBONE_REPAIR_BOOST], P[HONEST_FAILURE_SEVERITY], celebration,
        1.0 + P[CRISIS_SHARED_VALUE] * shock,
        worked, success, broken_now, culprit_is_i, out_level,
        successes, failures, broken, work_at_level, collaborated, choice,
    )
    if n_worked:
        C[C_SUCCESSES] += n_success
        C[C_JOINT_WORK_MONTHS] += n_joint
        C[C_FAILURES] += n_worked - n_success
        C[C_BROKEN] += n_broken
        C[C_IMPACT] += impact
        for o in range(capacity_gain.size):
            capacity_gain[o] = P[CAPACITY_FROM_COLLABORATION] * collaborated[o]
        for r in range(k):
            if broken_now[r]:
                events[r] |= EV_BROKEN


@jit
def disrupt(S, C, P, K, R, shock):  # pragma: no cover - compiled
    """First month of a crisis: some working pairs' joint work fails honestly (7.12)."""
    ladder, rule_p = K[0], K[2]
    i, j, level, failures, trust, damage, pos, neg = R[0], R[1], R[2], R[9], R[18], R[19], R[21], R[22]
    key = np.uint64(streams.month_key(S[SEED], streams.DISRUPT, S[MONTH]))
    cap, rule = S[CAP], S[RULE]
    hits = 0
    for r in range(S[SIZE]):
        if level[r] >= 1 and streams.uniform(key, np.int64(i[r]), np.int64(j[r])) < P[CRISIS_DISRUPTION] * shock:
            s = -P[HONEST_FAILURE_SEVERITY] * ladder[STAKE, level[r]]
            d = float(level[r]) / TOP
            learn(rule, trust, damage, pos, neg, r, s, d, 1.0, rule_p)
            learn(rule, trust, damage, pos, neg, cap + r, s, d, 1.0, rule_p)
            failures[r] += 1
            hits += 1
    C[C_FAILURES] += hits


@jit
def meetings_month(S, P, K, O, R, M):  # pragma: no cover - compiled
    """Forum and backbone meetings (7.5): good ones heal, poor ones are a small setback."""
    rule_p = K[2]
    sector, skill, forum_member, served = O[0], O[1], O[10], O[11]
    i, j, level, trust, damage, pos, neg = R[0], R[1], R[2], R[18], R[19], R[21], R[22]
    worked, success = M[1], M[2]
    key = np.uint64(streams.month_key(S[SEED], streams.MEETING, S[MONTH]))
    cap, rule = S[CAP], S[RULE]
    forum, backbone = P[REGULAR_MEETINGS] != 0.0, P[BACKBONE] != 0.0
    for r in range(S[SIZE]):
        a, b = i[r], j[r]
        attend = forum and forum_member[a] and forum_member[b] and sector[a] != sector[b]
        attend = attend or (backbone and served[a] and served[b] and level[r] <= NETWORKING)
        if not attend:
            continue
        chance = good_meeting_one(
            (skill[a] + skill[b]) / 2.0, min(trust[r], trust[cap + r]), served[a] or served[b],
            P[MEETING_QUALITY_BASE], P[MEETING_SKILL_WEIGHT], P[MEETING_TRUST_WEIGHT], P[MEETING_FACILITATION],
        )
        s = meeting_signal_one(streams.uniform(key, np.int64(a), np.int64(b)), chance, P[MEETING_SIGNAL], P[MEETING_POOR_SIGNAL])
        mult = repair_one(skill[a], skill[b], served[a] or served[b], P[BACKBONE_REPAIR_BOOST])
        d = float(level[r]) / TOP
        learn(rule, trust, damage, pos, neg, r, s, d, mult, rule_p)
        learn(rule, trust, damage, pos, neg, cap + r, s, d, mult, rule_p)
        # a good meeting is a positive experience an aware pair can start networking on
        if s > 0 and level[r] == AWARE:
            worked[r] = True
            success[r] = True


# --- 6 turnover --------------------------------------------------------------------------------
@hot
def staff_leaving(S, P):  # pragma: no cover - compiled
    """Staff turnover (7.6): each organisation loses its boundary spanner with chance
    ``staff_turnover``. Returns who (a mask), or an empty mask when nobody leaves."""
    n = S[N_ORGS]
    key = np.uint64(streams.month_key(S[SEED], streams.TURNOVER, S[MONTH]))
    gone = np.zeros(n, dtype=np.bool_)
    any_gone = False
    for o in range(n):
        if streams.uniform(key, o, 0) < P[STAFF_TURNOVER]:
            gone[o] = True
            any_gone = True
    return gone if any_gone else gone[:0]


@jit
def replace_staff(S, P, O, R, M, gone, skill_key, touched):  # pragma: no cover - compiled
    """New boundary spanners at ``gone``: a new skill (drawn with ``skill_key``), and trust
    above first contact partly leaves with the old staff (``kernels.staff_leave``); the
    pairs touched go into ``touched`` (room for the whole table), how many is returned."""
    skill = O[1]
    for o in range(gone.size):
        if gone[o]:
            skill[o] = streams.beta_around_one(skill_key, o, P[COLLABORATIVE_SKILL], P[SKILL_CONCENTRATION])
    size, cap = S[SIZE], S[CAP]
    trust, base_trust, pos, neg = R[18], R[20], R[21], R[22]
    m = staff_leave(gone, R[0][:size], R[1][:size], trust, base_trust, cap, 1.0 - P[TURNOVER_TRUST_LOSS], touched)
    events = M[6]
    for q in range(m):
        r = touched[q]
        if S[RULE] == BETA_RULE:
            # the newcomer has not seen the old evidence: restart it at the trust that remains
            for f in (r, cap + r):
                pos[f], neg[f] = beta_evidence_one(trust[f])
        events[r] |= EV_TURNOVER
    return m


# --- 7 escalate --------------------------------------------------------------------------------
@hot
def escalate(S, C, ladder, margin, i, j, level, trust, months_at_level, work_at_level, mismatch, purpose, forced,
             work_month, collab_month, changed, worked, success, broken_now, culprit_is_i, events, climb_room,
             escalation, allocated):  # pragma: no cover - compiled
    """Break down, fall back or climb (7.7, ``levels.escalate_pass``)."""
    size = S[SIZE]
    if size == 0:
        return
    key = np.uint64(streams.month_key(S[SEED], streams.BREAKDOWN, S[MONTH]))
    m = 0
    for r in range(size):
        if broken_now[r] and not changed[r]:
            m += 1
    rows = np.empty(m, dtype=np.int64)  # the month's broken commitments, not the whole table
    u = np.empty(m)
    m = 0
    for r in range(size):
        if broken_now[r] and not changed[r]:
            rows[m] = r
            u[m] = streams.uniform(key, np.int64(i[r]), np.int64(j[r]))
            m += 1
    escalation[:size] = 0
    ended, fell, climbed, formed = escalate_pass(
        rows[:m], u[:m], level[:size], trust, S[CAP], months_at_level[:size], work_at_level[:size], mismatch[:size], purpose[:size],
        ladder, margin, climb_room[:allocated], success[:size], worked[:size], culprit_is_i[:size],
        changed[:size], forced[:size], work_month[:size], collab_month[:size], S[MONTH], escalation[:size],
    )
    C[C_BREAKDOWNS] += ended
    C[C_FALLBACKS] += fell
    if formed:
        C[C_FORMED] += formed
        if S[FIRST_COLLAB] < 0:
            S[FIRST_COLLAB] = S[MONTH]
    for r in range(size):
        code = escalation[r]
        if code == BREAKDOWN:
            events[r] |= EV_BREAKDOWN
        elif code == FALLBACK:
            events[r] |= EV_FALLBACK
        elif code == CLIMB:
            events[r] |= EV_CLIMB


@jit
def break_down(S, C, R, M, r):  # pragma: no cover - compiled
    """End relationship ``r``: back to aware, trust and damage remembered."""
    R[2][r] = AWARE
    R[3][r] = 0
    R[4][r] = 0
    R[11][r] = False
    M[0][r] = True
    M[6][r] |= EV_BREAKDOWN
    C[C_BREAKDOWNS] += 1


# --- 8 funders ---------------------------------------------------------------------------------
@hot
def funder_acts(F, f, month):  # pragma: no cover - compiled
    """What funder ``f`` does this month (7.8): its money ends, it holds a grant round,
    it reviews its mandate (``end_funding``, ``grant_round``, ``review``, in that order)."""
    end = F[f, END_MONTH]
    ends = end >= 0 and month == end
    active = end < 0 or month < end
    grants = active and month > 0 and month % np.int64(F[f, INTERVAL]) == 0
    start = F[f, MANDATE_START]
    mandate = F[f, PRESSURE] > 0 and start <= month <= start + F[f, DEADLINE_MONTHS] and active
    reviews = mandate and month > start and (month - np.int64(start)) % np.int64(F[f, REVIEW_MONTHS]) == 0
    return ends, grants, reviews


@jit
def grant_round(f, S, C, P, K, O, R, Fd):  # pragma: no cover - compiled
    """Working partnerships apply; the eligible are funded unless money is scarce; the
    losers turn against the winners of their sector they know (rivalry)."""
    F, f_grant, f_held, f_awarded = Fd
    sector, grants_won = O[0], O[9]
    i, j, level, rivalry, trust, damage, pos, neg = R[0], R[1], R[2], R[6], R[18], R[19], R[21], R[22]
    size, n, cap = S[SIZE], S[N_ORGS], S[CAP]
    f_grant[f, :] = 0.0
    f_held[f, :] = False
    key = np.uint64(streams.month_key(S[SEED], streams.FUNDER + 2 * f, S[MONTH]))
    winners = np.zeros(n, dtype=np.bool_)
    applied = np.zeros(n, dtype=np.bool_)
    n_eligible = n_funded = 0
    for r in range(size):
        if level[r] >= 1 and level[r] >= F[f, REQUIRED_LEVEL]:
            n_eligible += 1
            applied[i[r]] = applied[j[r]] = True
            if F[f, SCARCITY] <= 0 or streams.uniform(key, np.int64(i[r]), np.int64(j[r])) >= F[f, SCARCITY]:
                f_held[f, r] = True
                winners[i[r]] = winners[j[r]] = True
                n_funded += 1
    if n_eligible == 0:
        return
    for o in range(n):
        if winners[o]:
            f_grant[f, o] = F[f, GRANT_SIZE]
            grants_won[o] += 1
    f_awarded[f] += n_funded
    C[C_GRANTS] += n_funded
    if n_funded == n_eligible:
        return
    # rivalry (002): a loser of the round against each winner of its sector it knows
    stake = K[0][STAKE]
    rivals = 0
    for r in range(size):
        if sector[i[r]] != sector[j[r]]:
            continue
        i_lost = applied[i[r]] and not winners[i[r]] and winners[j[r]]
        j_lost = applied[j[r]] and not winners[j[r]] and winners[i[r]]
        if i_lost or j_lost:
            rivalry[r] = 1.0
            view = r if i_lost else cap + r  # the loser's view of the winner
            learn(S[RULE], trust, damage, pos, neg, view, -P[RIVALRY_SIGNAL] * stake[level[r]], float(level[r]) / TOP, 1.0, K[2])
            rivals += 1
    C[C_RIVALRIES] += rivals


@jit
def review(f, S, C, K, R, M, Fd):  # pragma: no cover - compiled
    """Push lagging partnerships whose own pace would miss the deadline (004)."""
    F = Fd[0]
    ladder = K[0]
    i, j, level, work_at_level, mismatch, trust = R[0], R[1], R[2], R[4], R[17], R[18]
    changed = M[0]
    size, cap, month = S[SIZE], S[CAP], S[MONTH]
    required = np.int64(F[f, REQUIRED_LEVEL])
    deadline = F[f, MANDATE_START] + F[f, DEADLINE_MONTHS]
    key = np.uint64(streams.month_key(S[SEED], streams.FUNDER + 2 * f + 1, month))
    for r in range(size):
        lvl = np.int64(level[r])
        if not (lvl >= 1 and lvl < required and not changed[r]):
            continue
        row = MONTHS_MISMATCH if mismatch[r] else MONTHS
        still = 0.0
        for L in range(lvl, required):
            still += ladder[row, L]
        pace = still - work_at_level[r]
        if not (deadline - month < max(pace, 1.0)):
            continue
        if not streams.uniform(key, np.int64(i[r]), np.int64(j[r])) < F[f, PRESSURE]:
            continue
        weaker = min(trust[r], trust[cap + r])
        premature = weaker < ladder[NEED, min(lvl + 1, TOP)] or work_at_level[r] < ladder[row, lvl]
        push(S, C, R, M, r, min(lvl + 1, TOP))
        if premature:
            C[C_PREMATURE] += 1
        C[C_FORCED] += 1
        M[6][r] |= EV_FORCED


@jit
def push(S, C, R, M, r, new_level):  # pragma: no cover - compiled
    """A funder moves pair ``r`` up to ``new_level`` (one step), with the records that go with it."""
    level, months_at_level, work_at_level, forced, collab_month, work_month = R[2], R[3], R[4], R[11], R[13], R[14]
    old = level[r]
    level[r] = new_level
    months_at_level[r] = 0
    work_at_level[r] = 0
    if new_level > old:
        forced[r] = True
    M[0][r] = True
    if new_level >= NETWORKING and work_month[r] == -1:
        work_month[r] = S[MONTH]
    if new_level == COLLABORATION and old < COLLABORATION:
        C[C_FORMED] += 1
        if collab_month[r] == -1:
            collab_month[r] = S[MONTH]
        if S[FIRST_COLLAB] < 0:
            S[FIRST_COLLAB] = S[MONTH]


@jit
def end_funding(f, S, C, K, R, M, Fd):  # pragma: no cover - compiled
    """The money ends: relationships it held (funded in its last round, or pushed by a
    funder) that trust cannot hold dissolve (004)."""
    f_grant, f_held = Fd[1], Fd[2]
    need = K[0][NEED]
    level, forced, trust = R[2], R[11], R[18]
    changed = M[0]
    cap = S[CAP]
    f_grant[f, :] = 0.0
    for r in range(S[SIZE]):
        if (f_held[f, r] or forced[r]) and level[r] >= 1 and not changed[r] and min(trust[r], trust[cap + r]) < need[level[r]]:
            break_down(S, C, R, M, r)
    f_held[f, :] = False


# --- 9 hearing, 10 end of month -----------------------------------------------------------------
@hot
def hear_month(S, P, ladder, rule_p, i, j, level, trust, damage, pos, neg,
               worked, success, broken_now, culprit_is_i, out_level, adj, built):  # pragma: no cover - compiled
    """Third parties hear (7.10): distrust of a partner who broke a commitment, celebrated
    successes. Returns the adjacency (``adjacency``) and the rows it covers."""
    size = S[SIZE]
    n_broken = n_ok = 0
    for r in range(size):
        if broken_now[r]:
            n_broken += 1
        if success[r] and worked[r] and out_level[r] >= 1:
            n_ok += 1
    if n_broken and P[REFERRAL_WEIGHT] > 0:
        teller = np.empty(n_broken, dtype=np.int64)
        subject = np.empty(n_broken, dtype=np.int64)
        rows = np.empty(n_broken, dtype=np.int64)
        lv = np.empty(n_broken, dtype=np.int64)
        q = 0
        for r in range(size):
            if broken_now[r]:
                teller[q], subject[q] = (j[r], i[r]) if culprit_is_i[r] else (i[r], j[r])
                rows[q], lv[q] = r, out_level[r]
                q += 1
        adj, built = adjacency(i, j, size, S[N_ORGS], adj, built)
        spread_to(S, ladder, rule_p, i, level, trust, damage, pos, neg, adj, teller, subject, rows, lv, -P[REFERRAL_WEIGHT])
    if P[CELEBRATE_SUCCESSES] != 0.0 and n_ok:
        teller = np.empty(2 * n_ok, dtype=np.int64)
        subject = np.empty(2 * n_ok, dtype=np.int64)
        rows = np.empty(2 * n_ok, dtype=np.int64)
        lv = np.empty(2 * n_ok, dtype=np.int64)
        q = 0
        for r in range(size):
            if success[r] and worked[r] and out_level[r] >= 1:
                teller[q], subject[q], teller[n_ok + q], subject[n_ok + q] = i[r], j[r], j[r], i[r]
                rows[q] = rows[n_ok + q] = r
                lv[q] = lv[n_ok + q] = out_level[r]
                q += 1
        adj, built = adjacency(i, j, size, S[N_ORGS], adj, built)
        spread_to(S, ladder, rule_p, i, level, trust, damage, pos, neg, adj, teller, subject, rows, lv, P[CELEBRATION_REACH])
    return adj, built


@jit
def spread(S, K, R, teller, subject, rows, lv, reach):  # pragma: no cover - compiled
    """What ``teller`` says about ``subject`` reaches the teller's partners (``kernels.hear``);
    the model's entry (its state tuples)."""
    size = S[SIZE]
    adj = build_adjacency(R[0][:size], R[1][:size], S[N_ORGS])
    return spread_to(S, K[0], K[2], R[0], R[2], R[18], R[19], R[21], R[22], adj, teller, subject, rows, lv, reach)


@jit
def spread_to(S, ladder, rule_p, i, level, trust, damage, pos, neg, adj, teller, subject, rows, lv, reach):  # pragma: no cover - compiled
    """``spread`` from the arrays it reads; ``adj``: the table's adjacency (``build_adjacency``)."""
    offsets, partner, adj_rows = adj
    return hear(
        S[RULE], trust, damage, pos, neg, S[CAP], level, i, offsets, partner, adj_rows,
        S[N_ORGS], teller, subject, rows, lv, reach, rule_p, ladder,
    )


@hot
def end_of_month(S, C, P, months_at_level, rivalry, changed):  # pragma: no cover - compiled
    """Calendar months at level age (``R[3]``, unless ``changed``, ``M[0]``); rivalry from
    lost grant rounds fades (``R[6]``)."""
    size = S[SIZE]
    age_pairs(months_at_level[:size], changed[:size])
    fade = P[RIVALRY_FADE]
    if fade > 0 and C[C_RIVALRIES] != 0:
        for r in range(size):
            rivalry[r] *= 1.0 - fade


# --- 11 observation ------------------------------------------------------------------------------
@jit
def metrics_row(S, C, P, K, O, R, row):  # pragma: no cover - compiled
    """The month's metrics (7.14) into ``row``, in ``ROW_NAMES`` order (``month_row``)."""
    month_row(S, C, P, K[0], O[0], O[8], R[0], R[1], R[2], R[3], R[15], R[16], R[18], R[19], row)


@jit
def month_row(S, C, P, ladder, sector, budget, i, j, level, months_at_level, same_sector, harmed, trust, damage, row):  # pragma: no cover - compiled
    """``metrics_row`` from the arrays it reads: ``run_months`` calls this every month, and a
    compiled call takes an atomic reference per array it is handed (the state tuples hold
    dozens). Sums run in row order."""
    size, cap, n, month = S[SIZE], S[CAP], S[N_ORGS], S[MONTH]
    row[0] = month
    row[1] = size
    counts = np.zeros(N_COUNTS, dtype=np.int64)
    moments = np.empty(3)
    pair_statistics(level[:size], months_at_level[:size], trust, damage, cap, harmed[:size], same_sector[:size], i[:size], j[:size], sector,
                    n, np.int64(P[DURABLE_MONTHS]), ladder[NEED, COLLABORATION], counts, moments)
    row[2], row[3], row[4] = moments[0], moments[1], moments[2]
    row[5] = S[FIRST_COLLAB] if S[FIRST_COLLAB] >= 0 else month + 1
    cap_total = 0.0
    for o in range(n):
        cap_total += budget[o]
    row[6] = cap_total / n if n else 0.0
    for q in range(N_COUNTS):
        row[7 + q] = counts[q]
    for q in range(C.size):
        row[7 + N_COUNTS + q] = C[q]


__all__ = ["P_NAMES", "F_NAMES", "ROW_NAMES", "EVENT_KINDS", "run_months", "metrics_row", "room_needed", "table_capacity", "replace_staff", "add_pairs", "start_with_history", "break_down", "spread"]
