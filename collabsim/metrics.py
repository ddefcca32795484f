"""What is measured each month: numpy reductions over the relationship arrays.

``compute_metrics`` runs once per month and the DataCollector's model reporters read its
result, so each reduction is done once, never per agent (per-agent reporters cost 1-2 us
per agent per month). Cumulative counts (``premature_escalations``, ``breakdowns``,
``collective_impact`` ...) are totals since month 0.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import mesa
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .levels import COLLABORATION, TRUST_NEEDED
from .relationships import LEVEL_NAMES

if TYPE_CHECKING:  # pragma: no cover
    from .model import CollaborationModel

DURABLE_MONTHS = 12
"""A collaboration is durable once it has lasted this many months at that level."""

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


SMALL_GRAPH = 64
"""Below this many edges, a plain union-find beats building a sparse matrix."""


def component_labels(i: np.ndarray, j: np.ndarray, n: int) -> np.ndarray:
    """Connected-component label of every organisation in the graph of edges (i, j).

    Labels are arbitrary but equal within a component. A small graph (the usual
    community of 40) is joined by a union-find in plain Python; a large one by scipy.
    """
    if i.size >= SMALL_GRAPH:
        graph = coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
        return connected_components(graph, directed=False)[1]
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(i.tolist(), j.tolist()):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(x) for x in range(n)])


def multisector_clusters(i: np.ndarray, j: np.ndarray, sector: np.ndarray, n: int) -> int:
    """Connected clusters of collaborating pairs that span three or more sectors."""
    if i.size < 2:
        return 0
    nodes = np.unique(np.concatenate([i, j]))
    if np.unique(sector[nodes]).size < MULTISECTOR_MIN_SECTORS:
        return 0
    label = component_labels(i, j, n)
    pairs = np.unique(label[nodes] * 8 + sector[nodes])
    sectors_per_cluster = np.unique(pairs // 8, return_counts=True)[1]
    return int((sectors_per_cluster >= MULTISECTOR_MIN_SECTORS).sum())


def _clusters_cached(model: "CollaborationModel", rows: np.ndarray) -> int:
    """Multisector clusters, recomputed only when the set of collaborating pairs changes."""
    cached = getattr(model, "_cluster_cache", None)
    if cached is not None and np.array_equal(cached[0], rows):
        return cached[1]
    rel = model.rel
    value = multisector_clusters(rel.i[rows], rel.j[rows], model.orgs.sector, model.n)
    model._cluster_cache = (rows, value)
    return value


def compute_metrics(model: "CollaborationModel") -> dict[str, float]:
    """All monthly metrics at once (numpy reductions over the pair arrays)."""
    rel = model.rel
    counts = np.bincount(rel.level, minlength=len(LEVEL_NAMES)) if rel.size else np.zeros(len(LEVEL_NAMES), dtype=int)
    out: dict[str, float] = {"month": model.month, "known_pairs": int(rel.size)}
    # censored while there is none yet: the current month + 1
    first = model.first_collaboration_month
    out["first_collaboration_month"] = first if first is not None else model.month + 1
    for name, c in zip(LEVEL_NAMES, counts):
        out[f"pairs_{name}"] = int(c)
    if rel.size:
        t = rel.trust
        out["mean_trust"] = float(t.mean())
        out["trust_sd"] = float(t.std())
        out["mean_damage"] = float(rel.damage.mean())
        collab = rel.level == COLLABORATION
        out["durable_collaborations"] = int((collab & (rel.months_at_level >= DURABLE_MONTHS)).sum())
        out["nominal_collaborations"] = int((collab & (rel.min_trust() < TRUST_NEEDED[COLLABORATION])).sum())
        # pairs of the sectors the scenario marks as harmed, whatever the strength of the harm
        harmed = rel.harmed
        deep = rel.level >= 3
        out["harmed_pairs_working"] = int(np.count_nonzero(harmed & (rel.level >= 1)))
        out["harmed_pairs_cooperating"] = int(np.count_nonzero(harmed & deep))
        same = rel.same_sector
        out["same_sector_pairs_cooperating"] = int((deep & same).sum())
        out["cross_sector_pairs_cooperating"] = int((deep & ~same).sum())
        out["multisector_clusters"] = _clusters_cached(model, np.flatnonzero(collab))
    else:
        out.update(mean_trust=float("nan"), trust_sd=float("nan"), mean_damage=float("nan"))
        out.update(durable_collaborations=0, nominal_collaborations=0, multisector_clusters=0)
        out.update(harmed_pairs_working=0, harmed_pairs_cooperating=0)
        out.update(same_sector_pairs_cooperating=0, cross_sector_pairs_cooperating=0)
    out["mean_capacity"] = float(model.orgs.budget.mean()) if model.n else 0.0
    for name in CUMULATIVE:
        out[name] = model.counters[name]
    return out


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
        for name, values in self.model_vars.items():
            values.append(metrics[name])
