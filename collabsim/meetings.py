"""Regular meetings: a standing forum where sectors meet every month (000).

000: "more than a year of work with women volunteers and local police to re-set this
relationship through regular interface" meetings. A meeting costs capacity, introduces
attendees to each other and gives every attending pair a low-stakes experience: a good
meeting is a small positive signal, a poor one is neutral (nothing is promised, so
nothing is broken). Under the two-layer rule a month without setback heals damage, so
the ceiling a history of harm left rises one good meeting at a time.
"""

from __future__ import annotations

import numpy as np

MEETING_SIGNAL = 0.2
"""Signal of a good meeting (the stake of an aware-level contact)."""

MEETING_COST = 0.05
"""Capacity a forum member spends on the meeting each month."""

MEETING_SUPPORT = 0.03
"""Higher chance of success for joint work between members who meet in the forum (communication)."""


def good_meeting_chance(skill_pair: np.ndarray) -> np.ndarray:
    """A meeting goes well more often with skilled communicators (004: learn how to listen)."""
    return np.clip(0.5 + 0.4 * skill_pair, 0.0, 1.0)


def meeting_signals(rng: np.random.Generator, skill_pair: np.ndarray) -> np.ndarray:
    """Positive signal for good meetings, zero for the rest."""
    good = rng.random(skill_pair.size) < good_meeting_chance(skill_pair)
    return np.where(good, MEETING_SIGNAL, 0.0)


def forum_introductions(rng: np.random.Generator, members: np.ndarray, sector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each member meets one other member from another sector this month."""
    if members.size < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    partners = rng.choice(members, size=members.size)
    cross = sector[members] != sector[partners]
    return members[cross], partners[cross]
