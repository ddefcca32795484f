"""Questions 6-8 (experiments/study_tools.py and the question modules): the pieces whose
mistakes would not show in a figure: censoring of times to an event, paired arms and
averaged main-effect arms, the month an answer settles, the replicate choice from a pilot,
and who is counted inside a multisector cluster (against the compiled model's own count).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

import study_tools as st  # noqa: E402


def frame(values: dict[tuple, np.ndarray], keys: list[str]) -> pd.DataFrame:
    """A sweep-shaped table: ``values[(key values...)]`` is an array [replicate, month] of metric ``y``."""
    rows = []
    for point, (combo, cube) in enumerate(values.items()):
        for rep, series in enumerate(cube):
            for month, y in enumerate(series):
                rows.append({"point": point, "replicate": rep, "month": month, "y": float(y), **dict(zip(keys, combo))})
    return pd.DataFrame(rows)


def test_events_are_first_months_above_threshold_and_censored_at_the_last_month() -> None:
    cube = np.array([[0, 0, 1, 2], [0, 0, 0, 0], [3, 3, 3, 3]])
    sweep = st.Sweep(None, ["arm"], frame({("a",): cube}, ["arm"]))
    times, observed = sweep.events("y", 0)
    assert times.tolist() == [2, 3, 0]
    assert observed.tolist() == [True, False, True]
    times, observed = sweep.events("y", 0, threshold=1.5)
    assert times.tolist() == [3, 3, 0] and observed.tolist() == [True, False, True]
    times, observed = sweep.events("y", 0, until=2)
    assert times.tolist() == [2, 2, 0] and observed.tolist() == [True, False, True]


def test_an_incomplete_sweep_is_refused_with_its_row_count() -> None:
    df = frame({("a",): np.zeros((2, 3)), ("b",): np.zeros((2, 3))}, ["arm"])
    with pytest.raises(ValueError, match="11 rows, expected 12"):
        st.Sweep(None, ["arm"], df.iloc[:-1])


def test_contrasts_pair_by_replicate_and_average_other_factors_seed_by_seed() -> None:
    rng = np.random.default_rng(3)
    cubes = {(f, g): rng.normal(size=(5, 2)) for f in (False, True) for g in (0.0, 1.0)}
    sweep = st.Sweep(None, ["f", "g"], frame(cubes, ["f", "g"]))
    simple = st.Contrast("f at g=0", {"f": False, "g": 0.0}, {"f": True, "g": 0.0})
    assert np.allclose(simple.diffs(sweep, "y", 1), cubes[(True, 0.0)][:, 1] - cubes[(False, 0.0)][:, 1])
    main = st.Contrast("f", {"f": False}, {"f": True})
    expected = (cubes[(True, 0.0)] + cubes[(True, 1.0)] - cubes[(False, 0.0)] - cubes[(False, 1.0)])[:, 1] / 2
    assert np.allclose(main.diffs(sweep, "y", 1), expected)
    e = main.effect(sweep, "y", 1)
    assert e.n == 5 and e.diff == pytest.approx(expected.mean())
    both = st.Contrast("f x g", {"f": False, "g": 0.0}, {"f": False, "g": 1.0}, {"f": True, "g": 0.0}, {"f": True, "g": 1.0})
    y = {k: v[:, 1] for k, v in cubes.items()}
    assert np.allclose(both.diffs(sweep, "y", 1), (y[(True, 1.0)] - y[(True, 0.0)]) - (y[(False, 1.0)] - y[(False, 0.0)]))
    with pytest.raises(KeyError, match="not varied"):
        sweep.point(h=1)


def test_the_settle_month_is_where_the_effect_enters_the_final_band_for_good() -> None:
    months = np.arange(1, 11)
    diff = np.array([0, 5, 9, 11.5, 9.5, 10.2, 10, 10.1, 9.9, 10.0])
    series = pd.DataFrame({"month": months, "diff": diff, "lower": diff - 1, "upper": diff + 1})
    assert st.settle_month(series) == 5  # month 4 (11.5) is outside 10 +- 1, month 5 on stay inside
    assert st.verdict(0.1, 2) == "positive" and st.verdict(-2, -0.1) == "negative" and st.verdict(-1, 1) == "unclear"


def test_holm_and_bh_are_applied_within_each_family() -> None:
    table = pd.DataFrame({"family": ["a", "a", "b"], "pvalue": [0.01, 0.04, 0.04]})
    out = st.adjust(table, "family")
    assert out["p_holm"].tolist() == pytest.approx([0.02, 0.04, 0.04])
    assert out["tests_in_family"].tolist() == [2, 2, 1]
    assert out["significant_holm"].tolist() == [True, True, True]


def test_replicates_come_from_the_pilot_and_the_cap_is_reported(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pilot = {(False,): rng.normal(0, 1, size=(st.PILOT_REPLICATES, 2)), (True,): rng.normal(0, 1, size=(st.PILOT_REPLICATES, 2))}
    df = frame(pilot, ["on"])

    def fake_sweep(design: dict, folder: Path) -> None:
        assert design["replicates"] == st.PILOT_REPLICATES and design["root_seed"] == 5 + st.PILOT_SEED_OFFSET
        folder.mkdir(parents=True)
        (folder / "runs").mkdir()
        df.to_parquet(folder / "runs" / "part.parquet")

    target = st.Target(st.Contrast("on", {"on": False}, {"on": True}), "y", 1, 0.5, "test")
    chosen, rec = st.plan_replicates("q", {"root_seed": 5, "replicates": 3}, ["on"], [target], 1000, fake_sweep, tmp_path, tmp_path)
    d = pilot[(True,)][:, 1] - pilot[(False,)][:, 1]
    from collabsim.stats import replicates_for_halfwidth

    assert rec["replicates_needed"] == replicates_for_halfwidth(d, 0.5) and chosen == rec["replicates_chosen"] == rec["replicates_needed"]
    assert not rec["cap_binds"] and rec["targets"][0]["sd_diff"] == pytest.approx(d.std(ddof=1))
    capped, rec = st.plan_replicates("q2", {"root_seed": 5, "replicates": 3}, ["on"], [target], 12, fake_sweep, tmp_path / "b", tmp_path)
    assert capped == 12 and rec["cap_binds"]


def test_two_stages_run_again_when_the_full_sweep_asks_for_more_and_say_when_the_cap_binds(tmp_path: Path) -> None:
    """Q6-Q8 go through precision.two_stage as Q1-Q5: the stage-2 count from the full sweep's own
    differences, a second sweep when it asks for more (never above the cap), and the cap reported."""
    import precision

    rng = np.random.default_rng(2)
    spread = {"small": 1.0, "large": 3.0}  # the pilot sees a small SD, the full sweep a large one
    target = st.Target(st.Contrast("on", {"on": False}, {"on": True}), "y", 1, 0.5, "test")
    runs: list[tuple[str, int]] = []

    def sweep(design: dict, folder: Path) -> None:
        runs.append((folder.name, design["replicates"]))
        sd = spread["small"] if folder.name.endswith("pilot") else spread["large"]
        n = design["replicates"]
        cubes = {(False,): np.zeros((n, 2)), (True,): rng.normal(1, sd, size=(n, 2))}
        folder.mkdir(parents=True)
        (folder / "runs").mkdir()
        frame(cubes, ["on"]).to_parquet(folder / "runs" / "part.parquet")

    def choose(cap: int):
        return precision.two_stage("q", {"root_seed": 1, "replicates": 3}, tmp_path / f"cap{cap}", sweep,
                                   lambda: st.plan_replicates("q", {"root_seed": 1, "replicates": 3}, ["on"], [target], cap, sweep,
                                                              tmp_path / f"cap{cap}", tmp_path),
                                   lambda folder, chosen: st.recount_replicates(folder, chosen, ["on"], [target], cap))

    raw_dir, design, rec = choose(1000)
    stage1 = rec["stage2"]["stage1_replicates"]
    assert [name for name, _ in runs] == ["q_pilot", "q", "q_stage2"] and raw_dir.name == "q_stage2"
    assert rec["stage2"]["replicates_needed"] > stage1 and design["replicates"] == rec["replicates_chosen"] == rec["stage2"]["rerun_with"]
    table = st.precision_table(st.Sweep(raw_dir, ["on"]), [target], rec)
    assert table["chosen"].item() == design["replicates"] and table["stage1_replicates"].item() == stage1
    assert table["meets_target"].item() == (table["achieved_halfwidth"].item() <= 0.5)
    runs.clear()
    raw_dir, design, rec = choose(stage1 + 5)  # the cap binds in stage 2: run to the cap, and say so
    assert design["replicates"] == stage1 + 5 and rec["cap_binds"] and rec["stage2"]["replicates_needed"] > stage1 + 5
    table = st.precision_table(st.Sweep(raw_dir, ["on"]), [target], rec)
    assert not table["meets_target"].item() and table["achieved_halfwidth"].item() > 0.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cluster_membership_matches_the_compiled_models_cluster_count(seed: int) -> None:
    import q8_multisector as q8

    from collabsim import CollaborationModel
    from collabsim.engine import ROW_NAMES
    from collabsim.levels import COLLABORATION
    from collabsim.metrics import MULTISECTOR_MIN_SECTORS

    model = CollaborationModel("default", seed=seed, months=60, backbone=True, celebrate_successes=True)
    last = model.run_rows(60)[-1]
    rel, orgs = model.rel, model.orgs
    member = q8.clusters(rel.level, rel.i, rel.j, orgs.sector)
    assert member.any(), "this setting builds multisector clusters within 60 months"
    # count the clusters the members form, independently of clusters(): components of the collaboration graph
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from((int(a), int(b)) for a, b, lv in zip(rel.i, rel.j, rel.level) if lv == COLLABORATION)
    spanning = [c for c in nx.connected_components(g) if len({int(orgs.sector[o]) for o in c}) >= MULTISECTOR_MIN_SECTORS]
    assert len(spanning) == last[ROW_NAMES.index("multisector_clusters")]
    assert set(np.flatnonzero(member)) == set().union(*spanning)

