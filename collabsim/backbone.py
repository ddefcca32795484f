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
from ._jit import hot, jit
if TYPE_CHECKING:  # pragma: no cover
    from .model import CollaborationModel

from .structure import SUPPORT_BOTH, SUPPORT_ONE

# The backbone's numbers are registry parameters (group ``structure``):
# ``backbone_support_both``, ``backbone_support_one``, ``backbone_repair_boost``,
# ``introduction_trust`` and ``introduction_chance``.


class Backbone(mesa.Agent):
    """A backbone organisation with finite staff capacity.

    Whom the staff serve each month, and their introductions, meetings and support, run
    in the compiled engine (``engine.serve`` and friends); ``served`` is the engine's
    array, read in place.
    """

    def __init__(self, model: "CollaborationModel", capacity: int) -> None:
        super().__init__(model)
        self.capacity = int(capacity)
        self.active = True
        self.served = model._served

    def remove(self) -> None:
        self.served[:] = False
        super().remove()


@hot
def support_one(served_a, served_b, w):  # pragma: no cover - compiled
    """Communication bonus to a pair's chance of success: shared measurement and meetings
    reach both partners (``backbone_support_both``) or one (``backbone_support_one``).
    Damage also heals ``backbone_repair_boost`` faster when either is served
    (``kernels.repair_one``)."""
    if served_a and served_b:
        return w[SUPPORT_BOTH]
    if served_a != served_b:
        return w[SUPPORT_ONE]
    return 0.0
