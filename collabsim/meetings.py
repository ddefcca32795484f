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


def good_meeting_chance(skill_pair: np.ndarray, weaker_trust: np.ndarray, facilitated: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """Chance that a meeting goes well for a pair::

        q = base + w_skill * skill + w_trust * T_min + facilitation * [served]

    clipped to [0, 1].
    """
    q = (
        params["meeting_quality_base"]
        + params["meeting_skill_weight"] * np.asarray(skill_pair, dtype=float)
        + params["meeting_trust_weight"] * np.asarray(weaker_trust, dtype=float)
        + params["meeting_facilitation"] * np.asarray(facilitated, dtype=float)
    )
    return np.clip(q, 0.0, 1.0)


def meeting_signals(u: np.ndarray, chance_good: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """The meeting's signal for each pair: ``meeting_signal`` when it went well (draw ``u``
    below the chance), ``-meeting_poor_signal`` when it went badly."""
    return np.where(u < chance_good, params["meeting_signal"], -params["meeting_poor_signal"])


def forum_introductions(rng: np.random.Generator, members: np.ndarray, sector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each member meets one other member from another sector this month."""
    if members.size < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    partners = rng.choice(members, size=members.size)
    cross = sector[members] != sector[partners]
    return members[cross], partners[cross]
