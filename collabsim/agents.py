"""Mesa agents: organisations, funders and the backbone.

Organisation attributes live in numpy arrays owned by the model (so a month is array
operations); an ``Organisation`` agent is the named handle a user, the browser page or
an intervention holds on to. Funder and Backbone agents carry their own small state and
each apply one rule, found in ``funder.py`` and ``backbone.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .scenarios import SECTORS

if TYPE_CHECKING:  # pragma: no cover
    from .model import CollaborationModel


class Organisation(mesa.Agent):
    """One organisation of the community (004: community groups, nonprofits, agencies...).

    Attributes are read from the model's arrays at ``index``; see ``OrganisationArrays``.
    """

    def __init__(self, model: "CollaborationModel", index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def sector(self) -> str:
        return SECTORS[int(self.model.orgs.sector[self.index])]

    @property
    def capacity(self) -> float:
        return float(self.model.orgs.budget[self.index])

    @property
    def collaborative_skill(self) -> float:
        return float(self.model.orgs.skill[self.index])

    @property
    def reliability(self) -> float:
        return float(self.model.orgs.reliability[self.index])

    @property
    def decision_style(self) -> str:
        return "hierarchical" if self.model.orgs.hierarchical[self.index] else "consensual"

    @property
    def mandate(self) -> np.ndarray:
        return self.model.orgs.mandate[self.index].copy()

    def __repr__(self) -> str:
        return f"Organisation({self.index}, {self.sector})"


class OrganisationArrays:
    """Per-organisation attributes as arrays, drawn from the model's generator.

    Ranges: ``skill`` and ``reliability`` in [0, 1] (Beta distributions around the
    registry means); ``mandate`` unit vectors in a three-goal space, scattered around
    the sector's centre; ``budget`` capacity units per month, refreshed monthly.
    """

    def __init__(self, rng: np.random.Generator, sector: np.ndarray, params: dict) -> None:
        from .scenarios import HIERARCHICAL_SHARE, MANDATE_CENTRES

        n = sector.size
        self.n = n
        self.sector = sector.astype(np.int8)
        names = [SECTORS[s] for s in sector]
        self.skill = draw_skill(rng, params["collaborative_skill"], n, params["skill_concentration"])
        self.reliability = _beta_around(rng, params["reliability"], params["reliability_concentration"], n)
        share = np.array([HIERARCHICAL_SHARE[s] for s in names])
        self.hierarchical = rng.random(n) < share
        centres = np.array([MANDATE_CENTRES[s] for s in names]).reshape(n, 3)
        mandate = np.clip(centres + rng.normal(0.0, params["mandate_scatter"], size=(n, 3)), 0.01, None)
        self.mandate = mandate / np.linalg.norm(mandate, axis=1, keepdims=True)
        self.base_capacity = np.full(n, float(params["capacity"]))
        self.grant = np.zeros(n)
        self.capacity_gain = np.zeros(n)
        self.budget = self.base_capacity.copy()
        self.grants_won = np.zeros(n, dtype=np.int32)


def _beta_around(rng: np.random.Generator, mean: float, concentration: float, n: int) -> np.ndarray:
    """Beta draws with the given mean; degenerate means give constants."""
    if mean <= 0.0 or mean >= 1.0:
        return np.full(n, float(mean))
    return rng.beta(mean * concentration, (1.0 - mean) * concentration, size=n)


def draw_skill(rng: np.random.Generator, mean: float, n: int, concentration: float = 8.0) -> np.ndarray:
    """Collaborative skill of newly hired boundary spanners (002: chosen for skill)."""
    return _beta_around(rng, mean, concentration, n)
