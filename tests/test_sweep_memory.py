"""Nothing grows with the number of runs: a finished model is garbage on every supported
Mesa, the sweep coordinator holds only a bounded window of tasks, and recycling the local
workers changes no result (issue 11). The soak figures live in benchmarks/soak_memory.py."""

from __future__ import annotations

import gc
import weakref

import pandas as pd
import pytest

import collabsim.run
from collabsim import _mesa_compat
from collabsim._mesa_compat import KEEPS_MODELS_ALIVE, release_model
from collabsim.model import CollaborationModel
from collabsim.sweep import engine
from collabsim.sweep.design import design_from_dict
from collabsim.sweep.engine import IN_FLIGHT_PER_WORKER, make_task, plan_batches, run_design, run_local

MONTHS = 6


def alive(refs: list[weakref.ref]) -> int:
    gc.collect()
    return sum(ref() is not None for ref in refs)


@pytest.fixture
def tracked(monkeypatch):
    """Weak references to every model that ``collabsim.run`` builds."""
    refs: list[weakref.ref] = []

    def tracking(cls):
        class Tracked(cls):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                refs.append(weakref.ref(self))

        return Tracked

    monkeypatch.setattr(collabsim.run, "CollaborationModel", tracking(CollaborationModel))
    monkeypatch.setattr(collabsim.run, "_UnobservedModel", tracking(collabsim.run._UnobservedModel))  # run_metrics
    return refs


def test_the_leak_detection_matches_the_installed_mesa():
    """Without ``release_model``, Mesa < 3.5 keeps every model; collabsim knows which Mesa it has."""
    refs = []
    for seed in range(4):
        model = CollaborationModel("default", seed=seed, months=MONTHS).run()
        refs.append(weakref.ref(model))
        del model
    assert alive(refs) == (4 if KEEPS_MODELS_ALIVE else 0)
    for ref in refs:  # tidy up what this test leaked on Mesa 3.3
        if ref() is not None:
            release_model(ref())
    assert alive(refs) == 0


def test_models_built_by_the_run_functions_and_a_sweep_batch_are_collected(tracked):
    for seed in range(3):
        result = collabsim.run.run_model("default", seed=seed, months=MONTHS)
        assert len(result.metrics) == MONTHS + 1
        metrics = collabsim.run.run_metrics("default", seed=seed, months=MONTHS)
        assert len(metrics["month"]) == MONTHS + 1
    table = engine.run_batch("default", MONTHS, [], [(k, 0, k, 100 + k, {}) for k in range(3)])
    assert sorted(table["run_id"].unique()) == [0, 1, 2]
    assert len(tracked) == 9
    assert alive(tracked) == 0


def test_a_failed_run_releases_its_model_too(tracked, monkeypatch):
    def boom(self, months, out=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(CollaborationModel, "run_rows", boom)  # what run_metrics runs
    for seed in range(2):
        with pytest.raises(RuntimeError):
            collabsim.run.run_metrics("default", seed=seed, months=MONTHS)
    assert len(tracked) == 2 and alive(tracked) == 0


def test_release_is_a_no_op_where_mesa_keeps_no_models(monkeypatch):
    monkeypatch.setattr(_mesa_compat.mesa.Agent, "_ids", weakref.WeakKeyDictionary(), raising=False)
    assert _mesa_compat._id_registry() is None
    release_model(object())  # nothing to release, nothing raised


def test_reset_in_a_browser_tab_frees_the_previous_model():
    pytest.importorskip("solara")
    from collabsim.viz.session import Settings, VizModel

    settings = Settings(scenario="default")
    refs = []
    model = VizModel(settings)
    for _ in range(5):
        model.step()
        refs.append(weakref.ref(model))
        model = VizModel(settings)  # what Mesa's Reset does: a new model from the tab's settings
    assert model.month == 0
    assert alive(refs) == 0
    assert alive([weakref.ref(model)]) == 1


def small_design(replicates: int = 6):
    return design_from_dict(
        {"scenario": "default", "months": 12, "replicates": replicates, "root_seed": 3, "set": {"n_organisations": 12}, "vary": {"trust_gain": [0.05, 0.2]}},
        "<test>",
    )


class WindowCounter:
    """One-run tasks of ``small_design`` built on demand; counts how many were built but not yet stored."""

    def __init__(self) -> None:
        self.design = small_design()
        self.made = self.stored = self.most = 0

    def tasks(self):
        for b in plan_batches(list(range(self.design.n_runs)), 1, batch_size=1):
            self.made += 1
            yield b[0], make_task(self.design, b)

    def on_done(self, key, table) -> None:
        self.most = max(self.most, self.made - self.stored)
        self.stored += 1


def test_the_local_pool_holds_a_bounded_window_of_tasks():
    counter = WindowCounter()
    pools = run_local(counter.tasks(), 2, counter.on_done, recycle_after=0)
    assert counter.stored == 12 and pools == 1
    assert 1 <= counter.most <= IN_FLIGHT_PER_WORKER * 2


def test_recycled_workers_give_the_same_table(tmp_path):
    design = small_design()
    plain = run_design(design, tmp_path / "plain", workers=1, quiet=True, recycle_after=0, command=["test"])
    recycled = run_design(design, tmp_path / "recycled", workers=2, batch_size=1, quiet=True, recycle_after=2, command=["test"])
    assert plain["pools"] == 1
    assert recycled["pools"] == 3  # 12 batches, 2 workers x 2 batches per pool
    a = pd.read_parquet(tmp_path / "plain" / "runs").sort_values(["run_id", "month"]).reset_index(drop=True)
    b = pd.read_parquet(tmp_path / "recycled" / "runs").sort_values(["run_id", "month"]).reset_index(drop=True)
    assert a["run_id"].nunique() == 12
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_negative_recycle_after_is_a_user_error(tmp_path):
    from collabsim.sweep.errors import UserError

    with pytest.raises(UserError, match="--recycle-after"):
        run_design(small_design(), tmp_path / "x", recycle_after=-1, quiet=True)


@pytest.mark.dask
def test_dask_holds_a_bounded_window_of_tasks():
    distributed = pytest.importorskip("distributed")
    counter = WindowCounter()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster, set_as_default=False) as client:
            window = engine._dask_window(client)
            engine.run_dask(counter.tasks(), client, counter.on_done)
    assert window == 4  # at least 4, else 2 per worker thread
    assert counter.stored == 12
    assert 1 <= counter.most <= window


def test_the_run_functions_free_their_models_without_the_cycle_collector(tracked):
    """A sweep worker's dead models go by reference counting, not at Python's next full collection."""
    gc.collect()
    gc.disable()
    try:
        collabsim.run.run_model("default", seed=1, months=MONTHS)
        collabsim.run.run_metrics("default", seed=2, months=MONTHS)
        engine.run_batch("default", MONTHS, [], [(0, 0, 0, 3, {})])
        assert len(tracked) == 3
        assert sum(ref() is not None for ref in tracked) == 0
    finally:
        gc.enable()
