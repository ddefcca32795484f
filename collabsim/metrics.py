"""What is measured each month: one compiled pass of counts and numpy means over the pairs.

``compute_metrics`` runs once per month and the DataCollector's model reporters read its
result, so each reduction is done once, never per agent (per-agent reporters cost 1-2 us
per agent per month). Cumulative counts (``premature_escalations``, ``breakdowns``,
``collective_impact`` ...) are totals since month 0.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

import mesa
import numpy as np

from ._jit import jit
from .levels import COLLABORATION
from .relationships import LEVEL_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .model import CollaborationModel

# A collaboration is durable once it has lasted ``durable_months`` (a registry parameter)
# months at that level.

MULTISECTOR_MIN_SECTORS = 3
"""A multisector collaboration spans at least this many sectors (004)."""

CUMULATIVE = (
    "successes",
    "joint_work_months",
    "fallbacks",
    "premature_escalations",
    "forced_escalations",
    "breakdowns",
    "collaborations_formed",
    "failures",
    "broken_commitments",
    "collective_impact",
    "grants_won",
    "rivalries",
)

METRIC_NAMES: tuple[str, ...] = (
    "month",
    "known_pairs",
    *(f"pairs_{name}" for name in LEVEL_NAMES),
    "mean_trust",
    "trust_sd",
    "mean_damage",
    "first_collaboration_month",
    "durable_collaborations",
    "nominal_collaborations",
    "multisector_clusters",
    "harmed_pairs_working",
    "harmed_pairs_cooperating",
    "same_sector_pairs_cooperating",
    "cross_sector_pairs_cooperating",
    "mean_capacity",
    *CUMULATIVE,
)
"""Columns of the monthly table, in order."""


@jit
def pair_statistics(level, months_at_level, trust, damage, cap, harmed, same_sector, i, j, sector, n, durable_months, collaboration_need,
                    counts, moments):  # pragma: no cover - compiled
    """The month's statistics over the pairs, into ``counts`` and ``moments``: two passes over
    the first views (the second views' sums each in a loop of their own, to keep the order).

    ``counts`` gets: pairs per level (5), durable collaborations, nominal collaborations,
    harmed pairs working, harmed pairs cooperating, same-sector and cross-sector pairs
    cooperating, and multisector clusters: connected clusters of collaborating pairs
    (union-find) that span ``MULTISECTOR_MIN_SECTORS`` sectors or more. ``moments`` gets the
    mean and standard deviation of trust over both views of every pair and the mean damage
    (NaN without pairs).

    Each sum is a chain of dependent additions in row order, first views then second views
    (bit-identical results whatever the machine); such a chain waits on the adder, so the
    counting shares its loops and runs beside it instead of after it.
    """
    size = level.size
    counts[:] = 0
    parent = np.arange(n)
    total = dmg = 0.0
    for r in range(size):
        total += trust[r]
        dmg += damage[r]
        lvl = level[r]
        counts[lvl] += 1
        if lvl == COLLABORATION:
            if months_at_level[r] >= durable_months:
                counts[5] += 1
            if min(trust[r], trust[cap + r]) < collaboration_need:
                counts[6] += 1
            a, b = i[r], j[r]
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            while parent[b] != b:
                parent[b] = parent[parent[b]]
                b = parent[b]
            if a != b:
                parent[max(a, b)] = min(a, b)
        if harmed[r]:
            if lvl >= 1:
                counts[7] += 1
            if lvl >= 3:
                counts[8] += 1
        if lvl >= 3:
            if same_sector[r]:
                counts[9] += 1
            else:
                counts[10] += 1
    for r in range(size):
        total += trust[cap + r]
        dmg += damage[cap + r]
    mean = total / (2 * size) if size else np.nan
    # sectors present in each cluster, as bits of its root
    bits = np.zeros(n, dtype=np.int64)
    dev = 0.0
    for r in range(size):
        dev += (trust[r] - mean) * (trust[r] - mean)
        if level[r] == COLLABORATION:
            for o in (i[r], j[r]):
                root = o
                while parent[root] != root:
                    root = parent[root]
                bits[root] |= np.int64(1) << sector[o]
    for r in range(size):
        dev += (trust[cap + r] - mean) * (trust[cap + r] - mean)
    moments[0] = mean
    moments[1] = math.sqrt(dev / (2 * size)) if size else np.nan
    moments[2] = dmg / (2 * size) if size else np.nan
    for o in range(n):
        b = bits[o]
        spanned = 0
        while b:
            spanned += b & 1
            b >>= 1
        if spanned >= MULTISECTOR_MIN_SECTORS:
            counts[11] += 1


COUNT_NAMES = (
    *(f"pairs_{name}" for name in LEVEL_NAMES),
    "durable_collaborations",
    "nominal_collaborations",
    "harmed_pairs_working",
    "harmed_pairs_cooperating",
    "same_sector_pairs_cooperating",
    "cross_sector_pairs_cooperating",
    "multisector_clusters",
)
"""What ``pair_statistics`` writes into ``counts``, in order."""


def compute_metrics(model: "CollaborationModel") -> dict[str, float]:
    """All monthly metrics at once, as the engine computes them (``engine.metrics_row``)."""
    from .model import _metrics_dict

    return _metrics_dict(model.metrics_row())


def read_metric(model: "CollaborationModel", name: str) -> float:
    """Model reporter: one metric of the month, computed once by ``compute_metrics``."""
    return model.metrics[name]


def model_reporters() -> dict[str, partial]:
    """DataCollector model reporters, one per metric (picklable partials, no lambdas)."""
    return {name: partial(read_metric, name=name) for name in METRIC_NAMES}


class MonthlyCollector(mesa.DataCollector):
    """Mesa's DataCollector, reading the month's metrics dict in one pass.

    The model reporters stay registered (one per metric, so Mesa's tables, the browser
    page and ``get_model_vars_dataframe`` see them as usual), but ``collect`` appends
    each value straight from ``model.metrics``: every value is a plain int or float, so
    Mesa's per-reporter call and ``deepcopy`` (a tenth of a small month) buy nothing.
    With any other reporter (a user's own), Mesa's own ``collect`` runs instead.
    """

    def collect(self, model: "CollaborationModel") -> None:
        metrics = model.metrics
        if self.agent_reporters or getattr(self, "agenttype_reporters", None) or self.model_reporters.keys() != metrics.keys():
            super().collect(model)
            return
        steps = getattr(self, "_collection_steps", None)
        if steps is not None:  # Mesa 3.5 keeps the time of each row; its batch_run reads it
            steps.append(model.time)
        for name, values in self.model_vars.items():
            values.append(metrics[name])

    def collect_rows(self, model: "CollaborationModel", columns: dict[str, np.ndarray]) -> None:
        """Many months at once (``CollaborationModel.run``): ``columns`` holds one array per
        metric; the result is what ``collect`` after each month would have recorded."""
        if self.agent_reporters or getattr(self, "agenttype_reporters", None) or self.model_reporters.keys() != columns.keys():
            metrics = model.metrics
            for k in range(len(next(iter(columns.values())))):
                model.metrics = {name: col[k].item() for name, col in columns.items()}
                super().collect(model)
            model.metrics = metrics
            return
        n = len(next(iter(columns.values())))
        steps = getattr(self, "_collection_steps", None)
        if steps is not None:  # Mesa 3.5: the time of each row, as collect() would record it
            steps.extend(model.time - n + 1 + k for k in range(n))
        for name, values in self.model_vars.items():
            values.extend(columns[name].tolist())
