"""One pure run function that the command line, the sweep engine and outside tools share.

``run_model(scenario, seed, months, **parameters)`` builds a model, runs it and returns
plain tables: the same inputs give bit-identical outputs in any process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._mesa_compat import release_model
from .engine import ROW_NAMES
from .model import CollaborationModel, _columns


@dataclass
class RunResult:
    """Everything one run produces.

    Attributes:
        metrics: one row per month (month 0 is the starting state).
        relationships: the pair table at the end.
        summary: per-run results (``CollaborationModel.summary``).
        params: every parameter value the run used, seed included.
    """

    metrics: pd.DataFrame
    relationships: pd.DataFrame
    summary: dict[str, Any]
    params: dict[str, Any]


def run_model(scenario: str = "default", seed: int | None = None, months: int | None = None, **parameters: Any) -> RunResult:
    """Run one model to the end and return its tables.

    Args:
        scenario: a name from ``collabsim.SCENARIOS``.
        seed: the run's seed (``None`` draws one; it is recorded in ``params``).
        months: months to run (default: the ``months`` parameter of the scenario).
        **parameters: overrides of the scenario's parameters.
    """
    if months is not None:
        parameters["months"] = months
    model = CollaborationModel(scenario, seed=seed, **parameters)
    try:
        model.run()
        metrics = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return RunResult(metrics, model.relationships(), model.summary(), dict(model.params))
    finally:
        discard(model)


def run_metrics(scenario: str = "default", seed: int | None = None, months: int | None = None, **parameters: Any) -> dict[str, np.ndarray]:
    """Run one model and return only its monthly metrics, one array per column.

    What a sweep stores: the same values as ``run_model(...).metrics``, without the data
    collector, the pair table, the summary or a DataFrame, nor the organisations' Mesa
    agents (``_UnobservedModel``): the whole run is one call of the compiled engine.
    """
    if months is not None:
        parameters["months"] = months
    model = _UnobservedModel(scenario, seed=seed, **parameters)
    try:
        months = model.params["months"]
        rows = np.empty((months + 1, len(ROW_NAMES)))
        rows[0] = model.metrics_row()
        model.run_rows(months, rows[1:])
        return _columns(rows)
    finally:
        discard(model)


class _UnobservedModel(CollaborationModel):
    """The model as a sweep runs it: everything the engine reads, nothing only an observer reads.

    The organisations' Mesa agents (handles for users, interventions and the page) and
    the data collector with its month-0 row were a tenth of a sweep run's time, and a
    sweep reads neither: it stores the engine's metric rows. The set-up, its draws and the
    engine are the model's own, so the rows are the same bits (``tests/test_engine.py``,
    ``tests/test_model.py``). Internal to ``run_metrics``: it cannot ``step`` or ``run``."""

    def _organisation_agents(self) -> list:
        return []

    def _start_observing(self) -> None:
        pass

    def step(self) -> None:
        raise TypeError("_UnobservedModel is run_metrics' own; step a CollaborationModel")

    def run(self, months: int | None = None) -> "CollaborationModel":
        raise TypeError("_UnobservedModel is run_metrics' own; run a CollaborationModel")


def discard(model: CollaborationModel) -> None:
    """Free a finished model that nothing outside the run functions holds, now.

    ``release_model`` drops Mesa < 3.5's process-wide reference (what kept every model alive).
    What is left is cycles (each agent holds its model, Mesa's agent sets and step wrapper
    hold it too): freed only by Python's full cycle collection, which runs after tens of
    thousands of new long-lived objects. Measured over 20,000 default runs in one process,
    dead models piled up to 28 MB between collections. Emptying the model's attributes (its
    agents, agent sets, step wrapper) breaks every cycle, so reference counting frees each model as its run ends.
    """
    release_model(model)  # a finished model is garbage, even on Mesa < 3.5
    vars(model).clear()
