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

from ._jit import jit
from .levels import DIFFICULTY, STAKE, TRUST_NEEDED

RELIABILITY_WEIGHT = 0.5
SKILL_WEIGHT = 0.2
ALIGNMENT_WEIGHT = 0.15
TRUST_GAP_WEIGHT = 0.8
MIN_P, MAX_P = 0.02, 0.99


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
) -> np.ndarray:
    """Chance that this month's joint work succeeds.

    ``reliability_pair`` and ``skill_pair`` are the pair's geometric and arithmetic
    means; ``alignment`` is the cosine of the two mandates, in [0, 1]; ``support`` is
    the communication bonus of a backbone, a forum or a shared crisis; ``rivalry`` the
    penalty of competing for the same scarce money::

        p = difficulty[L] + 0.5 (rel - 0.85) + 0.2 (skill - 0.5) + 0.15 (align - 0.5)
            - penalty * mismatch + support - rivalry - 0.8 max(0, need[L] - T_min)
    """
    level = np.asarray(level)
    gap = np.maximum(0.0, TRUST_NEEDED[level] - weaker_trust)
    p = (
        DIFFICULTY[level]
        + RELIABILITY_WEIGHT * (reliability_pair - 0.85)
        + SKILL_WEIGHT * (skill_pair - 0.5)
        + ALIGNMENT_WEIGHT * (alignment - 0.5)
        - style_mismatch_penalty * np.asarray(style_mismatch, dtype=float)
        + support
        - rivalry
        - TRUST_GAP_WEIGHT * gap
    )
    return np.clip(p, MIN_P, MAX_P)


def broken_commitment_chance(culprit_reliability: np.ndarray, trust_gap: np.ndarray) -> np.ndarray:
    """Chance that a failure is a broken commitment rather than an honest failure."""
    return np.clip(1.0 - culprit_reliability + trust_gap, 0.0, 1.0)


def signals(
    level: np.ndarray,
    success: np.ndarray,
    broken: np.ndarray,
    culprit_is_i: np.ndarray,
    *,
    honest_failure_severity: float,
    celebration: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Outcome signals as each side sees them: ``(i's view of j, j's view of i)``.

    A success is worth the level's stake to both (more if celebrated, 000/004); an honest
    failure costs both a fraction of it; a broken commitment costs the victim the full
    stake and leaves the culprit's view of the victim unchanged.
    """
    stake = STAKE[np.asarray(level)]
    good = np.minimum(1.0, stake * (1.0 + celebration))
    honest = -honest_failure_severity * stake
    base = np.where(success, good, np.where(broken, 0.0, honest))
    s_ij = np.where(broken & ~culprit_is_i, -stake, base)  # j broke it: i is the victim
    s_ji = np.where(broken & culprit_is_i, -stake, base)
    return s_ij, s_ji


# --- scalar forms, called by the compiled month (``kernels.joint_work``) ------------------
# The equations above for one pair, operations in the same order (bit-identical results;
# tests/test_rules.py checks it on random inputs).


@jit
def success_probability_one(level, reliability_pair, skill_pair, alignment, weaker_trust, mismatch, mismatch_penalty, support, rivalry):  # pragma: no cover
    """``success_probability`` for one pair (``mismatch`` is 1.0 or 0.0)."""
    gap = max(0.0, TRUST_NEEDED[level] - weaker_trust)
    p = (
        DIFFICULTY[level]
        + RELIABILITY_WEIGHT * (reliability_pair - 0.85)
        + SKILL_WEIGHT * (skill_pair - 0.5)
        + ALIGNMENT_WEIGHT * (alignment - 0.5)
        - mismatch_penalty * mismatch
        + support
        - rivalry
        - TRUST_GAP_WEIGHT * gap
    )
    return min(max(p, MIN_P), MAX_P)


@jit
def broken_commitment_chance_one(culprit_reliability, trust_gap):  # pragma: no cover
    """``broken_commitment_chance`` for one failure."""
    return min(max(1.0 - culprit_reliability + trust_gap, 0.0), 1.0)


@jit
def signals_one(level, success, broken, culprit_is_i, honest_failure_severity, celebration):  # pragma: no cover
    """``signals`` for one pair: ``(i's view of j, j's view of i)``."""
    stake = STAKE[level]
    if success:
        base = min(1.0, stake * (1.0 + celebration))
    elif broken:
        base = 0.0
    else:
        base = -honest_failure_severity * stake
    s_ij = -stake if (broken and not culprit_is_i) else base
    s_ji = -stake if (broken and culprit_is_i) else base
    return s_ij, s_ji
