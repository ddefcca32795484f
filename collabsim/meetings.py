"""Regular meetings: a standing forum where the scenario's forum sectors meet every month (000).

000: "more than a year of work with women volunteers and local police to re-set this
relationship through regular interface" meetings. A meeting costs capacity, introduces
attendees to each other and gives every attending pair a low-stakes experience. Whether
it goes well depends on the staff's collaborative skill (004: learn how to listen), on
the trust the pair already has, and on facilitation by a backbone's staff (001). A good
meeting is a small positive signal: under the two-layer rule it lifts trust and heals
damage, so the ceiling a history of harm left rises one good meeting at a time. A poor
meeting is a small setback: it heals nothing and adds a little damage. Meetings help
only where they go well more often than badly; that is a result, not an assumption.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ._jit import elementwise, jit


@jit
def good_meeting_one(skill_pair, weaker_trust, facilitated, base, skill_weight, trust_weight, facilitation):  # pragma: no cover - compiled
    """Chance that a meeting goes well for a pair::

        q = base + w_skill * skill + w_trust * T_min + facilitation * [served]

    clipped to [0, 1].
    """
    q = base + skill_weight * skill_pair + trust_weight * weaker_trust + facilitation * (1.0 if facilitated else 0.0)
    return min(max(q, 0.0), 1.0)


@jit
def meeting_signal_one(u, chance_good, good_signal, poor_signal):  # pragma: no cover - compiled
    """The meeting's signal: ``meeting_signal`` when it went well (draw ``u`` below the
    chance), ``-meeting_poor_signal`` when it went badly."""
    return good_signal if u < chance_good else -poor_signal


@jit
def _good_meeting_each(x, out):  # pragma: no cover - compiled
    for k in range(x.shape[1]):
        out[0, k] = good_meeting_one(x[0, k], x[1, k], x[2, k] != 0.0, x[3, k], x[4, k], x[5, k], x[6, k])


@jit
def _meeting_signal_each(x, out):  # pragma: no cover - compiled
    for k in range(x.shape[1]):
        out[0, k] = meeting_signal_one(x[0, k], x[1, k], x[2, k], x[3, k])


_good_meeting = elementwise(_good_meeting_each, 1)
_meeting_signal = elementwise(_meeting_signal_each, 1)


def good_meeting_chance(skill_pair: np.ndarray, weaker_trust: np.ndarray, facilitated: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """``good_meeting_one`` for arrays (the engine calls the scalar form)."""
    return _good_meeting(
        skill_pair, weaker_trust, facilitated, params["meeting_quality_base"], params["meeting_skill_weight"],
        params["meeting_trust_weight"], params["meeting_facilitation"],
    )


def meeting_signals(u: np.ndarray, chance_good: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """``meeting_signal_one`` for arrays."""
    return _meeting_signal(u, chance_good, params["meeting_signal"], params["meeting_poor_signal"])
