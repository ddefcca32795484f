"""The backbone organisation (001: Collective Impact) and its finite staff.

A backbone's dedicated staff hold regular joint meetings, keep shared measurement,
broker introductions across sectors and help repair trust after setbacks (000: regular
interface meetings rebuilt police-community trust). Staff can serve only
``backbone_capacity`` organisations a month: with more partners than that, each is
served less often, which is the bottleneck 001 warns about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from ._jit import jit
if TYPE_CHECKING:  # pragma: no cover
    from .model import CollaborationModel

SUPPORT_BOTH = 0.06
"""Higher chance of success when both partners were served this month (shared measurement, communication)."""

SUPPORT_ONE = 0.03
"""... and when one of them was."""

REPAIR_BOOST = 1.0
"""Damage heals this much faster (relative) for a pair with a served partner (help repair trust)."""

INTRODUCTION_TRUST = 0.10
"""Extra first-contact trust when the backbone vouches for an introduction."""

INTRODUCTION_CHANCE = 0.5
"""Chance that a served organisation is introduced to another served organisation this month."""


class Backbone(mesa.Agent):
    """A backbone organisation with finite staff capacity."""

    def __init__(self, model: "CollaborationModel", capacity: int) -> None:
        super().__init__(model)
        self.capacity = int(capacity)
        self.active = True
        self.served = np.zeros(model.n, dtype=bool)

    def step(self) -> None:
        """Choose whom the staff serve this month: everyone, or ``capacity`` at random."""
        n = self.model.n
        self.served[:] = False
        if not self.active or n == 0:
            return
        if n <= self.capacity:
            self.served[:] = True
        else:
            self.served[self.model.rng.choice(n, self.capacity, replace=False)] = True

    def introductions(self) -> tuple[np.ndarray, np.ndarray]:
        """Pairs of served organisations the staff introduce to each other this month."""
        rng = self.model.rng
        served = np.flatnonzero(self.served)
        if served.size < 2:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        chosen = served[rng.random(served.size) < INTRODUCTION_CHANCE]
        partners = rng.choice(served, size=chosen.size)
        return chosen, partners


@jit
def support_one(served_a, served_b):  # pragma: no cover - compiled
    """Communication bonus to a pair's chance of success: shared measurement and meetings
    reach both partners (``SUPPORT_BOTH``) or one (``SUPPORT_ONE``). Damage also heals
    ``REPAIR_BOOST`` faster when either is served (``kernels.repair_one``)."""
    if served_a and served_b:
        return SUPPORT_BOTH
    if served_a != served_b:
        return SUPPORT_ONE
    return 0.0
