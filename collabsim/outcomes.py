"""The outcome rule: does a month of joint work succeed, and if not, whose failure is it?

Success is a chance that rises with both partners' reliability and collaborative skill,
with aligned mandates (000 "match mandates") and communication support (001 backbone,
000 interface meetings), and falls with the level's difficulty, with mismatched
decision styles (002), with rivalry over scarce funds (002 "turf wars") and with how far
trust is below what the level needs (004: "only when trust is strong can it bear the
weight of bigger and riskier projects"). A failure is an honest failure or a broken
commitment (Schweitzer, Hershey & Bradlow 2006); the second is likelier from an
unreliable partner and from one asked to commit beyond its trust.
"""

from __future__ import annotations

import numpy as np

from ._jit import hot, jit

from . import structure
from .structure import ALIGN_W, BASE, GAP_W, NEED, P_MAX, P_MIN, REL_W, SKILL_W, STAKE

_LADDER, _WEIGHTS = structure.defaults()


# --- the rules, for one pair (compiled; ``kernels.joint_work`` calls them) ---------------


@hot
def success_probability_one(level, reliability_pair, skill_pair, alignment, weaker_trust, mismatch, mismatch_penalty, support, rivalry, ladder, w):  # pragma: no cover
    """Chance that this month's joint work succeeds.

    ``reliability_pair`` and ``skill_pair`` are the pair's geometric and arithmetic
    means; ``alignment`` is the cosine of the two mandates, in [0, 1]; ``support`` is
    the communication bonus of a backbone, a forum or a shared crisis; ``rivalry`` the
    penalty between organisations that lost a grant round to each other; ``mismatch`` is
    1.0 or 0.0. The weights are registry parameters (``structure.weights``)::

        p = base[L] + w_rel (rel - 0.85) + w_skill (skill - 0.5) + w_align (align - 0.5)
            - penalty * mismatch + support - rivalry - w_gap max(0, need[L] - T_min)

    clipped to [success_chance_min, success_chance_max]. The centres 0.85 and 0.5 are the
    registry means of reliability and skill: average partners succeed at ``base[L]``.
    """
    gap = max(0.0, ladder[NEED, level] - weaker_trust)
    p = (
        ladder[BASE, level]
        + w[REL_W] * (reliability_pair - 0.85)
        + w[SKILL_W] * (skill_pair - 0.5)
        + w[ALIGN_W] * (alignment - 0.5)
        - mismatch_penalty * mismatch
        + support
        - rivalry
        - w[GAP_W] * gap
    )
    return min(max(p, w[P_MIN]), w[P_MAX])


@jit
def broken_commitment_chance_one(culprit_reliability, trust_gap):  # pragma: no cover
    """Chance that a failure is a broken commitment rather than an honest failure: the
    culprit's unreliability plus how far the work asked beyond the pair's trust."""
    return min(max(1.0 - culprit_reliability + trust_gap, 0.0), 1.0)


@hot
def signals_one(level, success, broken, culprit_is_i, honest_failure_severity, celebration, ladder):  # pragma: no cover
    """Outcome signals as each side sees them: ``(i's view of j, j's view of i)``.

    A success is worth the level's stake to both (more if celebrated, 000/004); an honest
    failure costs both a fraction of it; a broken commitment costs the victim the full
    stake and leaves the culprit's view of the victim unchanged.
    """
    stake = ladder[STAKE, level]
    if success:
        base = min(1.0, stake * (1.0 + celebration))
    elif broken:
        base = 0.0
    else:
        base = -honest_failure_severity * stake
    s_ij = -stake if (broken and not culprit_is_i) else base
    s_ji = -stake if (broken and culprit_is_i) else base
    return s_ij, s_ji


# --- vectorised forms, derived from the rules above (one definition each) ----------------


@jit
def _success_many(level, rel, skill, align, weaker, mismatch, penalty, support, rivalry, ladder, w, out):  # pragma: no cover
    for k in range(out.size):
        out[k] = success_probability_one(level[k], rel[k], skill[k], align[k], weaker[k], mismatch[k], penalty[k], support[k], rivalry[k], ladder, w)


@jit
def _broken_many(culprit_reliability, gap, out):  # pragma: no cover
    for k in range(out.size):
        out[k] = broken_commitment_chance_one(culprit_reliability[k], gap[k])


@jit
def _signals_many(level, success, broken, culprit_is_i, severity, celebration, ladder, s_ij, s_ji):  # pragma: no cover
    for k in range(s_ij.size):
        s_ij[k], s_ji[k] = signals_one(level[k], success[k], broken[k], culprit_is_i[k], severity[k], celebration[k], ladder)


def _flat(*arrays, dtypes):
    shaped = np.broadcast_arrays(*(np.asarray(a, dtype=d) for a, d in zip(arrays, dtypes)))
    return shaped[0].shape, [np.array(a, copy=True).ravel() for a in shaped]


def success_probability(
    level: np.ndarray,
    reliability_pair: np.ndarray,
    skill_pair: np.ndarray,
    alignment: np.ndarray,
    weaker_trust: np.ndarray,
    *,
    style_mismatch: np.ndarray | bool = False,
    style_mismatch_penalty: float = 0.10,
    support: np.ndarray | float = 0.0,
    rivalry: np.ndarray | float = 0.0,
    ladder: np.ndarray = _LADDER,
    weights: np.ndarray = _WEIGHTS,
) -> np.ndarray:
    """``success_probability_one`` over arrays (broadcast)."""
    shape, flat = _flat(
        level, reliability_pair, skill_pair, alignment, weaker_trust, style_mismatch, style_mismatch_penalty, support, rivalry,
        dtypes=(np.int64,) + (float,) * 8,
    )
    out = np.empty(flat[0].size)
    _success_many(*flat, np.asarray(ladder, dtype=float), np.asarray(weights, dtype=float), out)
    return out.reshape(shape)


def broken_commitment_chance(culprit_reliability: np.ndarray, trust_gap: np.ndarray) -> np.ndarray:
    """``broken_commitment_chance_one`` over arrays (broadcast)."""
    shape, flat = _flat(culprit_reliability, trust_gap, dtypes=(float, float))
    out = np.empty(flat[0].size)
    _broken_many(*flat, out)
    return out.reshape(shape)


def signals(
    level: np.ndarray,
    success: np.ndarray,
    broken: np.ndarray,
    culprit_is_i: np.ndarray,
    *,
    honest_failure_severity: float,
    celebration: float = 0.0,
    ladder: np.ndarray = _LADDER,
) -> tuple[np.ndarray, np.ndarray]:
    """``signals_one`` over arrays (broadcast): ``(i's view of j, j's view of i)``."""
    shape, flat = _flat(
        level, success, broken, culprit_is_i, honest_failure_severity, celebration,
        dtypes=(np.int64, np.bool_, np.bool_, np.bool_, float, float),
    )
    s_ij, s_ji = np.empty(flat[0].size), np.empty(flat[0].size)
    _signals_many(*flat, np.asarray(ladder, dtype=float), s_ij, s_ji)
    return s_ij.reshape(shape), s_ji.reshape(shape)
