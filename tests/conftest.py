"""Shared fixtures: small cached runs so statistical tests share their replicates."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import collabsim


@functools.lru_cache(maxsize=None)
def _final(scenario: str, seed: int, months: int, items: tuple) -> tuple:
    model = collabsim.CollaborationModel(scenario, seed=seed, months=months, **dict(items))
    model.run()
    return model


def run_cached(scenario: str = "default", seed: int = 0, months: int = 120, **params) -> collabsim.CollaborationModel:
    """A finished model, cached by its inputs (runs are deterministic, so sharing is safe)."""
    return _final(scenario, seed, months, tuple(sorted(params.items())))


def metric_at(model, name: str, month: int | None = None) -> float:
    df = model.datacollector.get_model_vars_dataframe()
    return float(df[name].iloc[-1 if month is None else month])


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
