"""Compiled monthly passes over the pairs (numba, see ``_jit``).

Each pass is one loop over the pairs that calls the scalar forms of the rules, which live
with their rules: ``trust.two_layer_one`` (trust), ``outcomes.success_probability_one``
and friends (outcomes). The passes only compose the rules and write the results into the
relationship arrays in place; they hold no rule of their own. The schedule that calls
them, and all random draws, stay in ``model.py`` (draws come from the model's numpy
generator, in the same order as before the passes were compiled).
"""

from __future__ import annotations

import numpy as np

from ._jit import jit
from .levels import TOP, TRUST_NEEDED, VALUE
from .outcomes import broken_commitment_chance_one, signals_one, success_probability_one
from .trust import beta_one, smoothing_one, two_layer_one


@jit
def apply_two_layer(trust, damage, cap, dirs, rows, signal, level, decay_mult, gain, loss, severity, decay, xi):  # pragma: no cover
    """Two-layer rule on the distinct directed views ``(dirs, rows)``, in place.

    ``trust`` and ``damage`` are the flat (2 * cap) stores; ``decay_mult`` has one value
    per view, or a single value for all.
    """
    one_mult = decay_mult.size == 1
    for k in range(rows.size):
        f = dirs[k] * cap + rows[k]
        mult = decay_mult[0] if one_mult else decay_mult[k]
        d = float(level[rows[k]]) / TOP
        trust[f], damage[f] = two_layer_one(trust[f], damage[f], signal[k], d, gain, loss, severity, decay * mult, xi)


@jit
def apply_smoothing(trust, cap, dirs, rows, signal, rate):  # pragma: no cover
    """Smoothing rule on the views with a non-zero signal, in place."""
    for k in range(rows.size):
        if signal[k] != 0.0:
            f = dirs[k] * cap + rows[k]
            trust[f] = smoothing_one(trust[f], signal[k], rate)


@jit
def apply_beta(trust, pos, neg, cap, dirs, rows, signal, forgetting):  # pragma: no cover
    """Beta rule on the views with a non-zero signal, in place."""
    for k in range(rows.size):
        if signal[k] != 0.0:
            f = dirs[k] * cap + rows[k]
            trust[f], pos[f], neg[f] = beta_one(pos[f], neg[f], signal[k], forgetting)


@jit
def joint_work(
    rows, u, i, j, level, trust, cap, alignment, mismatch, same_sector,
    reliability, skill, served, forum_member, has_backbone,
    mismatch_penalty, rivalry_per_same, shared_support, support_both, support_one, meeting_support,
    repair_boost, honest_severity, celebration, need,
    out_worked, out_success, out_broken, out_culprit_is_i, out_level,
    signal, decay_mult, value,
):  # pragma: no cover
    """One month of joint work for ``rows``: outcome, signals, repair speed and value.

    Writes the month's outcome per pair and, per pair ``k``, the signals
    ``signal[k]`` (i's view) and ``signal[rows.size + k]`` (j's view), the damage-healing
    multiplier and the community value; the caller applies the trust rule and the counts.
    ``u`` holds three uniform draws per row (success, culprit, broken).
    """
    m = rows.size
    for k in range(m):
        r = rows[k]
        a, b = i[r], j[r]
        lvl = level[r]
        weaker = min(trust[r], trust[cap + r])
        support = shared_support
        if has_backbone:
            if served[a] and served[b]:
                support = support + support_both
            elif served[a] != served[b]:
                support = support + support_one
            else:
                support = support + 0.0
        if meeting_support > 0.0:
            forum_pair = forum_member[a] and forum_member[b] and not same_sector[r]
            support = support + meeting_support * (1.0 if forum_pair else 0.0)
        rivalry = rivalry_per_same * (1.0 if same_sector[r] else 0.0)
        prob = success_probability_one(
            lvl, np.sqrt(reliability[a] * reliability[b]), (skill[a] + skill[b]) / 2.0, alignment[r], weaker,
            1.0 if mismatch[r] else 0.0, mismatch_penalty, support, rivalry,
        )
        success = u[0, k] < prob
        unrel_a, unrel_b = 1.0 - reliability[a], 1.0 - reliability[b]
        total = unrel_a + unrel_b
        share = unrel_a / total if total > 0 else 0.5
        culprit_is_i = u[1, k] < share
        culprit_rel = reliability[a] if culprit_is_i else reliability[b]
        gap = max(0.0, TRUST_NEEDED[lvl] - weaker)
        broken = (not success) and (u[2, k] < broken_commitment_chance_one(culprit_rel, gap)) and lvl >= 1
        s_ij, s_ji = signals_one(lvl, success, broken, culprit_is_i, honest_severity, celebration)
        signal[k] = s_ij
        signal[m + k] = s_ji
        mult = 0.5 + (skill[a] + skill[b]) / 2.0
        if has_backbone:
            mult = mult * (1.0 + repair_boost * (1.0 if (served[a] or served[b]) else 0.0))
        decay_mult[k] = mult
        decay_mult[m + k] = mult
        value[k] = VALUE[lvl] * (0.5 + 0.5 * alignment[r]) * need * (1.0 if success else 0.0)
        out_worked[r] = True
        out_success[r] = success
        out_broken[r] = broken
        out_culprit_is_i[r] = culprit_is_i
        out_level[r] = lvl


@jit
def pair_facts(start, stop, i, j, sector, hierarchical, harmed_sectors, same_sector, harmed, mismatch):  # pragma: no cover
    """Fixed facts of new pairs ``start:stop``: same sector, harmed sectors, style mismatch."""
    for r in range(start, stop):
        a, b = i[r], j[r]
        same_sector[r] = sector[a] == sector[b]
        harmed[r] = harmed_sectors[sector[a], sector[b]]
        mismatch[r] = hierarchical[a] != hierarchical[b]


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


__all__ = ["apply_two_layer", "apply_smoothing", "apply_beta", "joint_work", "pair_facts", "sum_by_view"]
