"""Compiled monthly passes over the pairs (numba, see ``_jit`` and ODD section 2.8).

Each pass is one loop over the pairs that calls the scalar forms of the rules, which live
with their rules: ``trust.two_layer_one`` (trust), ``outcomes.success_probability_one``
and friends (outcomes), ``referral.referred_one`` (referral trust). The passes compose
the rules and write the results into the relationship arrays in place. The one rule
defined here is first contact (``first_contact_one``), which has no module of its own.
The schedule that calls the passes, and every random draw, live in ``engine.py`` (the
whole month as one compiled call, its draws keyed by ``streams``).

Other passes live with their rule: ``capacity._allocate``, ``levels.escalate_pass``,
``funder._strongest``, ``metrics.pair_statistics``, and the pair index in ``relationships``.
"""

from __future__ import annotations

import numpy as np

from ._jit import hot, jit
from .backbone import support_one as backbone_support_one
from .levels import COLLABORATION, TOP
from .structure import NEED, RIVALRY, STAKE, VALUE
from .outcomes import broken_commitment_chance_one, signals_one, success_probability_one
from .referral import follow_referral, hearers_into, referred_one
from .streams import add64, mul64, uniform
from .trust import beta_one, smoothing_one, two_layer_damped_one, two_layer_one

RULE_CODES = {"two_layer": 0, "smoothing": 1, "beta": 2, "two_layer_damped": 3}
"""``trust_rule`` names to the codes the compiled passes take."""


def rule_parameters(params: dict) -> tuple:
    """The trust rules' parameters as the tuple ``learn`` reads (fixed for a run).

    A tuple of floats, not an array: a value the compiled passes keep in registers, where
    an array read inside the rule's branches would cost a reference count per update."""
    return tuple(
        float(params[name])
        for name in (
            "trust_gain", "trust_loss", "damage_severity", "damage_decay", "interdependence_weight", "smoothing_rate", "beta_forgetting",
        )
    )


@hot
def learn_values(rule, t, r, pos, neg, signal, d, decay_mult, p):  # pragma: no cover
    """One directed view learns from one signal with the selected rule: returns the new
    ``(trust, damage, pos, neg)`` (evidence only under the beta rule).

    One-layer rules learn only from evidence: a zero signal is no experience. Under the
    two-layer rule the model then applies the ceiling as its own step (``ceiling_one``):
    a setback that lowers the ceiling pulls trust down to it.
    """
    if rule == 0:
        t, r = two_layer_one(t, r, signal, d, p[0], p[1], p[2], p[3] * decay_mult, p[4])
        t = ceiling_one(t, r)
    elif rule == 3:
        t, r = two_layer_damped_one(t, r, signal, d, p[0], p[1], p[2], p[3] * decay_mult, p[4])
    elif signal != 0.0:
        if rule == 1:
            t = smoothing_one(t, signal, p[5])
        else:
            t, pos, neg = beta_one(pos, neg, signal, p[6])
    return t, r, pos, neg


@hot
def learn(rule, trust, damage, pos, neg, f, signal, d, decay_mult, p):  # pragma: no cover
    """``learn_values`` for the directed view ``f`` (flat index) of the stores, in place."""
    beta = rule == 2
    t, r, a, b = learn_values(rule, trust[f], damage[f], pos[f] if beta else 0.0, neg[f] if beta else 0.0, signal, d, decay_mult, p)
    trust[f] = t
    damage[f] = r
    if beta:
        pos[f] = a
        neg[f] = b


@hot
def ceiling_one(t, r):  # pragma: no cover
    """The damage ceiling as an invariant: ``T <= 1 - R`` after every update (ODD 7.4).

    The published two-layer equations stop growth at the ceiling but let a setback raise
    damage faster than it lowers trust, which can leave trust above ``1 - R``; the model
    applies the ceiling as a step of its own so that the record of damage always caps
    trust (DESIGN behaviour 7), and ``trust.two_layer`` stays the published rule.
    """
    return min(t, 1.0 - r)


@jit
def repair_one(skill_a, skill_b, served, repair_boost):  # pragma: no cover
    """How much faster damage heals for a pair: skilled staff (004) and a backbone serving
    either partner (001) help repair. Multiplies ``damage_decay``::

        mult = (0.5 + (skill_a + skill_b) / 2) * (1 + REPAIR_BOOST * [served])   (no backbone: first factor only)
    """
    mult = 0.5 + (skill_a + skill_b) / 2.0
    if served:
        mult = mult * (1.0 + repair_boost * 1.0)
    return mult


@jit
def repair_many(rows, i, j, skill, served, repair_boost, out):  # pragma: no cover
    """``repair_one`` for the pairs ``rows``, into ``out``."""
    for k in range(rows.size):
        a, b = i[rows[k]], j[rows[k]]
        out[k] = repair_one(skill[a], skill[b], served[a] or served[b], repair_boost)


@jit
def apply_rule(rule, trust, damage, pos, neg, cap, dirs, rows, signal, level, decay_mult, p):  # pragma: no cover
    """The selected rule on the distinct directed views ``(dirs, rows)``, in place.

    ``trust``, ``damage``, ``pos`` and ``neg`` are flat (2 * cap) stores; ``decay_mult``
    has one value per view, or a single value for all.
    """
    one_mult = decay_mult.size == 1
    for k in range(rows.size):
        r = rows[k]
        learn(rule, trust, damage, pos, neg, dirs[k] * cap + r, signal[k], float(level[r]) / TOP,
              decay_mult[0] if one_mult else decay_mult[k], p)


CHOICE_SKIP, CHOICE_KEEP, CHOICE_BREAK = 1, 2, 3
"""A student's choice about one partner for the coming month (classroom mode), in
``choice[own, partner]`` (an (n, n) int8 matrix, (0, 0) when nobody plays; 0: the model
decides): leave the tie out of this month's capacity, or, if the joint work fails on
the student's side, keep the commitment (an honest failure) or break it."""


@jit
def joint_work(
    allocated, keys, chance_contact, i, j, level, trust, damage, pos, neg, rule, rule_p, cap, mandate, mismatch, same_sector,
    reliability, skill, served, forum_member, rivalry, ladder, w,
    mismatch_penalty, shared_support, meeting_support,
    repair_boost, honest_severity, celebration, need,
    out_worked, out_success, out_broken, out_culprit_is_i, out_level,
    successes, failures, broken_count, work_at_level, collaborated, choice,
):  # pragma: no cover
    """One month of joint work for ``rows``: outcome, both partners learn, records.

    For each pair: the chance of success, success or failure and whose failure, the two
    signals, then each partner learns with the selected trust rule (damage heals faster
    with skill and a backbone). Writes the month's outcome per pair, adds to the pair's
    counts, counts successful collaboration months per organisation (``collaborated``)
    and the community value of the pairs' month (summed in row order).
    Who works: a pair at networking or above when both partners fitted it into their
    capacity (``allocated``; pairs met this month were not allocated), an aware pair with
    chance ``chance_contact``. A month of joint work at networking or above counts toward
    the months the pair needs at its level (``work_at_level``); a month without (no
    capacity) does not. ``keys`` are the month's keys (``streams.month_key``) of the
    contact, success, culprit and broken draws: a pair's draw is keyed by the pair, so it
    is drawn only where it decides something (the same number whenever it is drawn).
    ``choice``: students' choices (``CHOICE_KEEP``, ``CHOICE_BREAK``), (0, 0) for none.
    Returns ``(pairs that worked, successes, months of joint work at level >= 1, broken
    commitments, community value)``.
    """
    n_worked = n_success = n_joint = n_broken = 0
    impact = 0.0
    k_contact, k_success, k_culprit, k_broken = keys
    for r in range(level.size):
        a, b = np.int64(i[r]), np.int64(j[r])
        if level[r] >= 1:
            if not (r < allocated.size and allocated[r]):
                continue
        elif not uniform(k_contact, a, b) < chance_contact:
            continue
        n_worked += 1
        lvl = level[r]
        weaker = min(trust[r], trust[cap + r])
        align = alignment_one(mandate, a, b)
        support = shared_support
        support = support + backbone_support_one(served[a], served[b], w)  # 0 with no backbone
        if meeting_support > 0.0:
            forum_pair = forum_member[a] and forum_member[b] and not same_sector[r]
            support = support + meeting_support * (1.0 if forum_pair else 0.0)
        prob = success_probability_one(
            lvl, np.sqrt(reliability[a] * reliability[b]), (skill[a] + skill[b]) / 2.0, align, weaker,
            1.0 if mismatch[r] else 0.0, mismatch_penalty, support, w[RIVALRY] * rivalry[r], ladder, w,
        )
        success = uniform(k_success, a, b) < prob
        unrel_a, unrel_b = 1.0 - reliability[a], 1.0 - reliability[b]
        total = unrel_a + unrel_b
        share = unrel_a / total if total > 0 else 0.5
        culprit_is_i = uniform(k_culprit, a, b) < share
        culprit_rel = reliability[a] if culprit_is_i else reliability[b]
        gap = max(0.0, ladder[NEED, lvl] - weaker)
        broken = (not success) and (uniform(k_broken, a, b) < broken_commitment_chance_one(culprit_rel, gap)) and lvl >= 1
        if choice.shape[0]:  # classroom: a student whose side failed keeps or breaks the commitment
            chosen = choice[a, b] if culprit_is_i else choice[b, a]
            if chosen == CHOICE_KEEP or chosen == CHOICE_BREAK:
                broken = (not success) and lvl >= 1 and chosen == CHOICE_BREAK
        s_ij, s_ji = signals_one(lvl, success, broken, culprit_is_i, honest_severity, celebration, ladder)
        mult = repair_one(skill[a], skill[b], served[a] or served[b], repair_boost)
        d = float(lvl) / TOP
        learn(rule, trust, damage, pos, neg, r, s_ij, d, mult, rule_p)
        learn(rule, trust, damage, pos, neg, cap + r, s_ji, d, mult, rule_p)
        impact += ladder[VALUE, lvl] * (0.5 + 0.5 * align) * need * (1.0 if success else 0.0)
        out_worked[r] = True
        out_success[r] = success
        out_broken[r] = broken
        out_culprit_is_i[r] = culprit_is_i
        out_level[r] = lvl
        if success:
            successes[r] += 1
            n_success += 1
            if lvl == COLLABORATION:
                collaborated[a] += 1
                collaborated[b] += 1
        else:
            failures[r] += 1
        if broken:
            broken_count[r] += 1
            n_broken += 1
        if lvl >= 1:
            n_joint += 1
            work_at_level[r] += 1
    return n_worked, n_success, n_joint, n_broken, impact


@hot
def first_contact_one(history, harmed_sectors, sector, initial_trust, a, b):  # pragma: no cover
    """Trust and damage at first contact: low trust, and damage where sectors share harm.

    000/001/004: a history of harm starts a pair with low trust and damage ``h``: a
    ceiling ``1 - h`` that only good experience lifts::

        h = history_of_harm (if the two sectors share harm, else 0)
        T0 = min(initial_trust * (1 - h), 1 - h)
    """
    h = history * (1.0 if harmed_sectors[sector[a], sector[b]] else 0.0)
    t0 = initial_trust * (1.0 - h)
    return min(t0, 1.0 - h), h


@jit
def first_contact_many(history, harmed_sectors, sector, initial_trust, a, b, t_out, h_out):  # pragma: no cover
    """``first_contact_one`` for many pairs."""
    for k in range(a.size):
        t_out[k], h_out[k] = first_contact_one(history, harmed_sectors, sector, initial_trust, a[k], b[k])


@jit
def first_contacts(
    history, harmed_sectors, sector, initial_trust, referral_weight, introduction_trust,
    offsets, partner, adj_rows, i, trust, damage, cap, sorted_keys, sorted_rows, n,
    seekers, u_referral, strangers, partners, introduced, vouched, members, met,
):  # pragma: no cover
    """The month's new contacts and their starting trust, in order: referrals followed,
    strangers, backbone introductions (vouched: more trust), forum introductions.

    Returns ``(a, b, trust, damage)`` with directed (2, m) trust and damage: row 0 is
    a's view of b. Referred trust and distrust pass along the referrer
    (``referral.referred_one``).
    """
    m_max = seekers.size + strangers.size + introduced.size + members.size
    a = np.empty(m_max, dtype=np.int64)
    b = np.empty(m_max, dtype=np.int64)
    t = np.empty((2, m_max))
    d = np.empty((2, m_max))
    m = 0
    for k in range(seekers.size):
        s = seekers[k]
        r, c = follow_referral(offsets, partner, adj_rows, i, trust, cap, s, u_referral[0, k], u_referral[1, k], u_referral[2, k])
        if r < 0:
            continue
        t0, h = first_contact_one(history, harmed_sectors, sector, initial_trust, s, c)
        a[m], b[m] = s, c
        t[0, m], d[0, m] = referred_one(sorted_keys, sorted_rows, n, i, trust, damage, cap, s, r, c, t0, h, referral_weight)
        t[1, m], d[1, m] = referred_one(sorted_keys, sorted_rows, n, i, trust, damage, cap, c, r, s, t0, h, referral_weight)
        m += 1
    for group in range(3):
        xs = strangers if group == 0 else (introduced if group == 1 else members)
        ys = partners if group == 0 else (vouched if group == 1 else met)
        for k in range(xs.size):
            t0, h = first_contact_one(history, harmed_sectors, sector, initial_trust, xs[k], ys[k])
            if group == 1:
                t0 = min(t0 + introduction_trust, 1.0 - h)
            a[m], b[m] = xs[k], ys[k]
            t[0, m] = t[1, m] = t0
            d[0, m] = d[1, m] = h
            m += 1
    # contiguous, as the Python path's are: ``write_new_pairs`` is compiled for one layout
    return a[:m], b[:m], np.ascontiguousarray(t[:, :m]), np.ascontiguousarray(d[:, :m])


@hot
def alignment_one(mandate, a, b):  # pragma: no cover
    """Alignment of two organisations: the cosine of their unit mandates in the three-goal
    space, in [0, 1] (000: "match mandates"). Summed as (x0 y0 + x2 y2) + x1 y1, the order
    numpy's einsum used for the published results, so they stay bit-identical.
    """
    return (mandate[a, 0] * mandate[b, 0] + mandate[a, 2] * mandate[b, 2]) + mandate[a, 1] * mandate[b, 1]


@jit
def splitmix_uniform(seed, a, b):  # pragma: no cover
    """A uniform number in [0, 1) fixed by the run's seed and the pair (SplitMix64).

    A pair's purpose is drawn from this, not from the model's stream, so it does not
    depend on when or how the pair met: two arms of a paired comparison give the same
    pair the same purpose (common random numbers).
    """
    key = add64(add64(mul64(np.uint64(a), np.uint64(1_000_003)), np.uint64(b)), np.uint64(1))
    z = add64(np.uint64(seed), mul64(np.uint64(0x9E3779B97F4A7C15), key))
    z = mul64(z ^ (z >> np.uint64(30)), np.uint64(0xBF58476D1CE4E5B9))
    z = mul64(z ^ (z >> np.uint64(27)), np.uint64(0x94D049BB133111EB))
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def purpose_one(u, shares):  # pragma: no cover
    """The level a pair's purpose needs (004: each level suits a purpose): networking, and
    each deeper level for the share ``shares[L]`` of pairs (non-increasing in L)::

        purpose = 1 + #{L in coordination..collaboration : u < share[L]}
    """
    level = 1
    for k in range(2, TOP + 1):
        if u < shares[k]:
            level = k
    return level


@jit
def pair_facts(start, stop, i, j, sector, hierarchical, harmed_sectors, purpose_seed, purpose_shares, same_sector, harmed, mismatch, purpose):  # pragma: no cover
    """Fixed facts of new pairs ``start:stop``: same sector, harmed sectors, style
    mismatch, and the level the pair's purpose needs."""
    for r in range(start, stop):
        a, b = i[r], j[r]
        same_sector[r] = sector[a] == sector[b]
        harmed[r] = harmed_sectors[sector[a], sector[b]]
        mismatch[r] = hierarchical[a] != hierarchical[b]
        purpose[r] = purpose_one(splitmix_uniform(purpose_seed, a, b), purpose_shares)


@jit
def sum_by_view(rows, dirs, signal):  # pragma: no cover
    """Add up the signals of each distinct directed view, in the order they came.

    Returns ``(rows, dirs, total)`` sorted by view, each total clipped to [-1, 1].
    """
    m = rows.size
    keys = np.empty(m, dtype=np.int64)
    for k in range(m):
        keys[k] = rows[k] * 2 + dirs[k]
    order = np.argsort(keys, kind="mergesort")
    out_rows = np.empty(m, dtype=np.int64)
    out_dirs = np.empty(m, dtype=np.int64)
    total = np.zeros(m)
    u = -1
    for q in range(m):
        k = order[q]
        if q == 0 or keys[k] != keys[order[q - 1]]:
            u += 1
            out_rows[u] = keys[k] // 2
            out_dirs[u] = keys[k] % 2
        total[u] += signal[k]
    u += 1
    for q in range(u):
        total[q] = min(max(total[q], -1.0), 1.0)
    return out_rows[:u], out_dirs[:u], total[:u]


@jit
def hear(
    rule, trust, damage, pos, neg, cap, level, i, offsets, partner, adj_rows, n,
    teller, subject, event_rows, event_level, reach, rule_p, ladder,
):  # pragma: no cover
    """Third parties hear from ``teller`` about ``subject`` and learn, in place.

    Each listener who knows the subject takes the signal ``reach * T(listener -> teller) *
    stake`` of the event's level; everything one view hears in the month is added up,
    clipped to [-1, 1] and learnt once with the selected rule (``referral.hearers``
    finds the listeners; ``n``, the number of organisations, sizes its marks). Returns how
    many views learnt.
    """
    total = 0
    for ev in range(teller.size):
        total += offsets[teller[ev] + 1] - offsets[teller[ev]]
    rows = np.empty(total, dtype=np.int64)
    dirs = np.empty(total, dtype=np.int64)
    t_teller = np.empty(total)
    event = np.empty(total, dtype=np.int64)
    m = hearers_into(offsets, partner, adj_rows, i, trust, cap, n, teller, subject, event_rows, rows, dirs, t_teller, event)
    signal = np.empty(m)
    for k in range(m):
        signal[k] = reach * t_teller[k] * ladder[STAKE, event_level[event[k]]]
    views, view_dirs, summed = sum_by_view(rows[:m], dirs[:m], signal)
    apply_rule(rule, trust, damage, pos, neg, cap, view_dirs, views, summed, level, np.ones(1), rule_p)
    return views.size


@jit
def staff_leave(gone, i, j, trust, base_trust, cap, keep, touched):  # pragma: no cover
    """Trust above first contact partly leaves with departing staff (Zaheer et al. 1998).

    For every pair with a partner in ``gone``, both views: ``T' = B + keep * (T - B)``
    where trust ``T`` is above its first-contact value ``B``. Writes the pairs touched
    into ``touched`` and returns how many.
    """
    m = 0
    for r in range(i.size):
        if gone[i[r]] or gone[j[r]]:
            for f in (r, cap + r):
                if trust[f] > base_trust[f]:
                    trust[f] = base_trust[f] + keep * (trust[f] - base_trust[f])
            touched[m] = r
            m += 1
    return m


@jit
def age_pairs(months_at_level, changed):  # pragma: no cover
    """End of month: one more calendar month at its level for every pair that did not
    change level (durability; climbing counts months of joint work instead)."""
    for r in range(months_at_level.size):
        if not changed[r]:
            months_at_level[r] += 1


__all__ = ["RULE_CODES", "ceiling_one", "purpose_one", "splitmix_uniform", "rule_parameters", "learn_values", "learn", "apply_rule", "joint_work", "alignment_one", "pair_facts", "sum_by_view", "first_contact_one", "first_contact_many", "first_contacts", "hear", "staff_leave", "age_pairs"]
