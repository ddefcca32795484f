"""Mesa's own tools on the model: it stops itself, takes ``rng=``, runs under
``mesa.batch_run`` (in a fresh interpreter, as a user's script would) with the same
numbers as collabsim's runner, and exports its network to networkx."""

from __future__ import annotations

import json
import subprocess
import sys

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from collabsim import CollaborationModel, ParameterError
from collabsim.run import run_metrics, run_model

SMALL = {"n_organisations": 15}
MESA_35 = tuple(int(x) for x in mesa.__version__.split(".")[:2]) >= (3, 5)


def test_model_stops_itself_at_months():
    model = CollaborationModel(seed=3, months=7, **SMALL)
    assert model.running
    model.run_model()  # Mesa's loop: while model.running: model.step()
    assert model.month == 7 and model.steps == 7
    assert not model.running
    assert len(model.datacollector.model_vars["month"]) == 8  # months 0..7


def test_zero_months_is_not_running():
    assert not CollaborationModel(seed=1, months=0, **SMALL).running


def test_rng_int_is_the_seed():
    a = run_metrics(seed=5, months=12, **SMALL)
    model = CollaborationModel(rng=5, months=12, **SMALL)
    model.run()
    assert model.params["seed"] == 5
    for name, values in a.items():
        np.testing.assert_array_equal(values, model.datacollector.model_vars[name], err_msg=name)


@pytest.mark.parametrize("make", [lambda: np.random.default_rng(99), lambda: np.random.SeedSequence(99), lambda: np.random.SeedSequence(99).spawn(3)[2]])
def test_generator_or_seed_sequence_is_recorded_as_a_seed_that_repeats_the_run(make):
    model = CollaborationModel(rng=make(), months=12, **SMALL)
    seed = model.params["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**63
    model.run()
    again = CollaborationModel(seed=seed, months=12, **SMALL).run()
    pd.testing.assert_frame_equal(model.datacollector.get_model_vars_dataframe(), again.datacollector.get_model_vars_dataframe())
    # the same generator state gives the same seed; seed= takes generators too
    assert CollaborationModel(seed=make(), months=0, **SMALL).params["seed"] == seed


def test_distinct_generators_give_distinct_seeds():
    seeds = {CollaborationModel(rng=ss, months=0, **SMALL).params["seed"] for ss in np.random.SeedSequence(1).spawn(5)}
    assert len(seeds) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": 1, "rng": 2}, "not both"),
        ({"rng": "abc"}, "rng must be an integer"),
        ({"rng": 1.5}, "rng must be an integer"),
        ({"seed": -1}, "seed must be in"),
        ({"rng": True}, "rng must be an integer"),
    ],
)
def test_bad_rng_is_a_clear_error(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        CollaborationModel(months=1, **SMALL, **kwargs)


BATCH_SCRIPT = """\
import json, sys
import mesa
from mesa.batchrunner import batch_run
from collabsim import CollaborationModel

if __name__ == "__main__":
    new = tuple(int(x) for x in mesa.__version__.split(".")[:2]) >= (3, 5)
    params = {"months": 5, "n_organisations": 15, "trust_gain": [0.05, 0.2]}
    period = int(sys.argv[1])
    if new:  # Mesa 3.5 passes seeds by rng=
        rows = batch_run(CollaborationModel, params, rng=[1, 2], max_steps=30, data_collection_period=period, display_progress=False)
    else:  # Mesa 3.3 has no rng=: seeds are a parameter
        rows = batch_run(CollaborationModel, {**params, "seed": [1, 2]}, max_steps=30, data_collection_period=period, display_progress=False)
    print(json.dumps(rows))
"""


def _batch_run(tmp_path, period: int) -> pd.DataFrame:
    script = tmp_path / "batch.py"
    script.write_text(BATCH_SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, "-W", "error", str(script), str(period)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return pd.DataFrame(json.loads(done.stdout))


@pytest.mark.slow
def test_mesa_batch_run_matches_collabsims_runner(tmp_path):
    rows = _batch_run(tmp_path, period=1)
    assert len(rows) > 0
    assert rows["seed"].isin([1, 2]).all()  # Mesa 3.5 passes rng as seed= (our signature names seed)
    assert rows["month"].max() <= 5  # stopped at months=5, not max_steps=30
    # Mesa 3.5 reports every collected month 0..5; Mesa 3.3 reads its table by step index
    # and leaves out the last collected row (months 0..4)
    assert sorted(rows["month"].unique()) == list(range(6 if MESA_35 else 5))
    checked = 0
    for (seed, gain), got in rows.groupby(["seed", "trust_gain"]):
        ours = run_model(seed=int(seed), months=5, trust_gain=gain, **SMALL).metrics.set_index("month")
        for _, row in got.iterrows():
            expected = ours.loc[int(row["month"])]
            for name in ours.columns:
                assert row[name] == pytest.approx(expected[name], nan_ok=True, rel=0, abs=0), (seed, gain, row["month"], name)
            checked += 1
    assert checked == len(rows) == 4 * (6 if MESA_35 else 5)


@pytest.mark.slow
def test_mesa_batch_run_end_of_run_rows(tmp_path):
    rows = _batch_run(tmp_path, period=-1)
    assert len(rows) == 4  # 2 seeds x 2 gains, one row each
    assert set(rows["month"]) == {5 if MESA_35 else 4}


def test_to_networkx_matches_the_pair_table():
    model = CollaborationModel(seed=4, months=36, **SMALL).run()
    graph = model.to_networkx()
    pairs = model.relationships()
    assert graph.number_of_nodes() == model.n
    assert graph.number_of_edges() == len(pairs)
    assert graph.graph["month"] == 36 and graph.graph["seed"] == 4
    for row in pairs.itertuples():
        edge = graph.edges[row.i, row.j]
        assert (edge["i"], edge["j"], edge["level"]) == (row.i, row.j, row.level)
        assert edge["trust_ij"] == row.trust_ij and edge["trust_ji"] == row.trust_ji
        assert edge["damage_ij"] == row.damage_ij and edge["damage_ji"] == row.damage_ji
        assert edge["trust_min"] == min(row.trust_ij, row.trust_ji)
        assert graph.nodes[row.i]["sector"] == row.sector_i and graph.nodes[row.j]["sector"] == row.sector_j
    working = model.to_networkx(min_level=1)
    assert working.number_of_edges() == int((pairs["level"] >= 1).sum())
    assert working.number_of_edges() < graph.number_of_edges()  # aware pairs left out
    # networkx's measures work on it
    nx.density(graph)
    nx.average_clustering(graph, weight="trust_min")


def test_to_networkx_collaboration_clusters_match_the_metric():
    """The monthly metric counts clusters of collaborating pairs spanning 3+ sectors; networkx agrees."""
    for seed in range(6):
        model = CollaborationModel(seed=seed, months=60, **SMALL).run()
        collab = model.to_networkx(min_level=4)
        spanning = sum(
            1
            for part in nx.connected_components(collab)
            if len(part) > 1 and len({collab.nodes[k]["sector"] for k in part}) >= 3
        )
        assert spanning == model.metrics["multisector_clusters"]

