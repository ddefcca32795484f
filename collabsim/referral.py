"""Meeting new partners and hearing about others: trust and distrust pass along ties.

004: networking is the starting point; new ties come through people you already know.
Gulati & Gargiulo (1999): organisations find new partners through their existing ones,
and the referrer's trust passes along. Burt & Knez (1995): third parties pass on distrust
too, so a broken commitment is heard about beyond the pair. 000 ("spread the word") and
004 ("celebrate every success"): celebrated successes are seen by third parties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._jit import hot, jit
from .relationships import find_row

if TYPE_CHECKING:  # pragma: no cover
    from .relationships import RelationshipTable

# How much a celebrated success counts (``celebration_boost``, ``celebration_reach``) and
# the share of searches that go through a referral (``referral_weight``) are registry
# parameters.


@hot
def follow_referral(offsets, partner, rows, i, trust, cap, s, u_referrer, u_newcomer, u_follow):  # pragma: no cover - compiled
    """One seeker's friend-of-a-friend introduction: ``(referrer, newcomer)``, or ``(-1, -1)``.

    The seeker picks a partner uniformly as referrer, who picks one of its partners
    uniformly; the seeker follows the referral with a chance equal to its trust in the
    referrer (``kernels.first_contacts`` runs it for the month's seekers).
    """
    deg = offsets[s + 1] - offsets[s]
    if deg == 0:
        return np.int64(-1), np.int64(-1)
    e = offsets[s] + np.int64(np.floor(u_referrer * deg))
    referrer, row_sr = np.int64(partner[e]), rows[e]
    deg_r = offsets[referrer + 1] - offsets[referrer]
    if deg_r == 0:
        return np.int64(-1), np.int64(-1)
    newcomer = np.int64(partner[offsets[referrer] + np.int64(np.floor(u_newcomer * deg_r))])
    view = 0 if i[row_sr] == s else 1
    if newcomer != s and u_follow < trust[view * cap + row_sr]:
        return referrer, newcomer
    return np.int64(-1), np.int64(-1)


def referred_trust(
    rel: "RelationshipTable",
    seeker: np.ndarray,
    referrer: np.ndarray,
    newcomer: np.ndarray,
    base_trust: np.ndarray,
    base_damage: np.ndarray,
    weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Seeker's first-contact trust and damage toward the newcomer, passed along the referrer.

    Trust mixes the base with the chain ``T(s->r) * T(r->n)``; the referrer's record of
    damage with the newcomer passes on in proportion to the seeker's trust in the referrer::

        T0 = (1 - w) * base + w * T(s->r) * T(r->n)
        R0 = max(base_R, w * T(s->r) * R(r->n)),  T0 <= 1 - R0
    """
    seeker, referrer, newcomer = (np.asarray(x, dtype=np.int64) for x in (seeker, referrer, newcomer))
    base_trust = np.broadcast_to(np.asarray(base_trust, dtype=float), seeker.shape)
    base_damage = np.broadcast_to(np.asarray(base_damage, dtype=float), seeker.shape)
    t = np.empty(seeker.size)
    d = np.empty(seeker.size)
    for k in range(seeker.size):
        t[k], d[k] = referred_one(
            *rel.index, rel.n, rel.i, rel.flat("trust"), rel.flat("damage"), rel.capacity,
            seeker[k], referrer[k], newcomer[k], base_trust[k], base_damage[k], float(weight),
        )
    return t, d


@hot
def referred_one(sorted_keys, sorted_rows, n, i, trust, damage, cap, s, r, c, base_trust, base_damage, w):  # pragma: no cover - compiled
    """``referred_trust`` for one seeker ``s``, referrer ``r`` and newcomer ``c``."""
    row_sr = find_row(sorted_keys, sorted_rows, n, s, r)
    row_rn = find_row(sorted_keys, sorted_rows, n, r, c)
    t_sr = trust[(0 if i[row_sr] == s else 1) * cap + row_sr]
    f_rn = (0 if i[row_rn] == r else 1) * cap + row_rn
    t0 = (1.0 - w) * base_trust + w * t_sr * trust[f_rn]
    d0 = max(base_damage, w * t_sr * damage[f_rn])
    return min(t0, 1.0 - d0), d0


def hearers(rel: "RelationshipTable", teller: np.ndarray, subject: np.ndarray, event_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Third parties who hear from ``teller`` about ``subject`` and know the subject too.

    Returns ``(listener_rows, listener_dir, teller_trust, event_index)``: the row and
    direction of each listener's view of the subject, the listener's trust in the
    teller, and which event it heard (in event order, then the teller's partners in
    adjacency order).
    """
    offsets, partner, rows = rel.adjacency()
    teller, subject, event_rows = (np.asarray(x, dtype=np.int64) for x in (teller, subject, event_rows))
    total = int((offsets[teller + 1] - offsets[teller]).sum()) if teller.size else 0
    out_rows = np.empty(total, dtype=np.int64)
    out_dirs = np.empty(total, dtype=np.int64)
    out_trust = np.empty(total)
    out_event = np.empty(total, dtype=np.int64)
    m = hearers_into(
        offsets, partner, rows, rel.i, rel.flat("trust"), rel.capacity, rel.n,
        teller, subject, event_rows, out_rows, out_dirs, out_trust, out_event,
    )
    return out_rows[:m], out_dirs[:m], out_trust[:m], out_event[:m]


@jit
def hearers_into(offsets, partner, rows, i, trust, cap, n, teller, subject, event_rows, out_rows, out_dirs, out_trust, out_event):  # pragma: no cover - compiled
    """``hearers`` into preallocated arrays (room for every partner of every teller); returns how many.

    Whether a listener knows the subject is read from the subject's own partners, marked
    once per event (``row_with``: the row of each organisation's pair with the subject),
    not searched for in the pair index once per listener: a search costs tens of
    nanoseconds, a mark one store. The adjacency covers every row of the table."""
    row_with = np.full(n, -1, dtype=np.int64)
    m = 0
    for ev in range(teller.size):
        t, subj = teller[ev], subject[ev]
        for e in range(offsets[subj], offsets[subj + 1]):
            row_with[partner[e]] = rows[e]
        for e in range(offsets[t], offsets[t + 1]):
            listener, row_lt = partner[e], rows[e]
            if listener == subj or row_lt == event_rows[ev]:
                continue
            row_ls = row_with[listener]
            if row_ls < 0:
                continue
            out_rows[m] = row_ls
            out_dirs[m] = 0 if i[row_ls] == listener else 1
            out_trust[m] = trust[(0 if i[row_lt] == listener else 1) * cap + row_lt]
            out_event[m] = ev
            m += 1
        for e in range(offsets[subj], offsets[subj + 1]):
            row_with[partner[e]] = -1
    return m
