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

if TYPE_CHECKING:  # pragma: no cover
    from .relationships import RelationshipTable

CELEBRATION_BOOST = 0.5
"""A celebrated success counts this much more for the partners themselves (004)."""

CELEBRATION_REACH = 0.5
"""Signal a third party takes from a celebrated success, per unit trust in the teller and stake."""


def random_partner(rel: "RelationshipTable", owners: np.ndarray, u: np.ndarray, working_only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A uniformly chosen partner of each owner: ``(partner, row)``; -1 where it has none."""
    offsets, partner, rows = rel.adjacency()
    start = offsets[owners]
    deg = offsets[owners + 1] - start
    pick = start + np.floor(u * deg).astype(np.int64)
    has = deg > 0
    pick = np.where(has, pick, 0)
    if partner.size == 0:
        return np.full(owners.size, -1), np.full(owners.size, -1)
    p = np.where(has, partner[pick], -1)
    r = np.where(has, rows[pick], -1)
    return p, r


def referrals(
    rel: "RelationshipTable",
    rng: np.random.Generator,
    seekers: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Friend-of-a-friend introductions: seeker -> a partner (referrer) -> one of theirs.

    A seeker follows a referral with a chance equal to its trust in the referrer.
    Returns ``(seeker, referrer, newcomer)`` for the referrals followed.
    """
    if seekers.size == 0 or rel.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    u = rng.random((3, seekers.size))
    referrer, row_sr = random_partner(rel, seekers, u[0])
    ok = referrer >= 0
    seekers, referrer, row_sr, u = seekers[ok], referrer[ok], row_sr[ok], u[:, ok]
    newcomer, _ = random_partner(rel, referrer, u[1])
    trust_in_referrer = rel.get("trust", rel.directed_view(row_sr, seekers), row_sr)
    follow = (newcomer >= 0) & (newcomer != seekers) & (u[2] < trust_in_referrer)
    return seekers[follow], referrer[follow], newcomer[follow]


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
    row_sr = rel.find(seeker, referrer)
    row_rn = rel.find(referrer, newcomer)
    t_sr = rel.get("trust", rel.directed_view(row_sr, seeker), row_sr)
    d_rn = rel.directed_view(row_rn, referrer)
    t_rn = rel.get("trust", d_rn, row_rn)
    r_rn = rel.get("damage", d_rn, row_rn)
    trust = (1.0 - weight) * base_trust + weight * t_sr * t_rn
    damage = np.maximum(base_damage, weight * t_sr * r_rn)
    return np.minimum(trust, 1.0 - damage), damage


def hearers(rel: "RelationshipTable", teller: np.ndarray, subject: np.ndarray, event_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Third parties who hear from ``teller`` about ``subject`` and know the subject too.

    Returns ``(listener_rows, listener_dir, teller_trust, event_index)``: the row and
    direction of each listener's view of the subject, the listener's trust in the
    teller, and which event it heard.
    """
    offsets, partner, rows = rel.adjacency()
    deg = offsets[teller + 1] - offsets[teller]
    if deg.sum() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    event = np.repeat(np.arange(teller.size), deg)
    starts = np.repeat(offsets[teller], deg)
    within = np.arange(event.size) - np.repeat(np.cumsum(deg) - deg, deg)
    listener = partner[starts + within]
    row_lt = rows[starts + within]
    subj = subject[event]
    keep = (listener != subj) & (row_lt != event_rows[event])
    listener, row_lt, event, subj = listener[keep], row_lt[keep], event[keep], subj[keep]
    row_ls = rel.find(listener, subj)
    known = row_ls >= 0
    listener, row_lt, event, row_ls = listener[known], row_lt[known], event[known], row_ls[known]
    trust_in_teller = rel.get("trust", rel.directed_view(row_lt, listener), row_lt)
    return row_ls, rel.directed_view(row_ls, listener), trust_in_teller, event
