"""``collabsim report`` writes well-formed tables and non-empty figures, and
``collabsim sensitivity`` ranks a parameter that matters above one that cannot."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest

from .cli_helpers import cli, table, write_design

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    design = write_design(root / "design.toml", months=18, replicates=3, n=12)
    out = root / "sweep"
    result = cli("sweep", design, "--out", out, "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "12 runs stored" in result.stdout
    return out


def test_sweep_store_is_one_parquet_dataset(swept):
    df = pd.read_parquet(swept / "runs")
    assert {"run_id", "point", "replicate", "seed", "trust_gain", "funder_pressure", "month", "mean_trust"} <= set(df.columns)
    assert len(df) == 12 * 19 and not df.duplicated(["run_id", "month"]).any()
    assert df.groupby("point")["seed"].apply(lambda s: tuple(sorted(set(s)))).nunique() == 1  # common random numbers
    manifest = json.loads((swept / "manifest.json").read_text())
    assert manifest["format"] == "collabsim-sweep" and manifest["runs_total"] == 12
    assert manifest["varied"] == ["trust_gain", "funder_pressure"] and manifest["completed"]
    assert {"collabsim", "mesa", "numpy", "python"} <= set(manifest["versions"])


def test_report_tables_and_figures(swept):
    result = cli("report", swept, "--quiet")
    assert result.returncode == 0, result.stderr
    report = swept / "report"
    by_month = pd.read_csv(report / "by_month.csv")
    assert {"point", "trust_gain", "funder_pressure", "month", "metric", "n", "mean", "sd", "ci_low", "ci_high"} <= set(by_month.columns)
    rows = by_month[(by_month["metric"] == "mean_trust") & (by_month["month"] == 18)]
    assert len(rows) == 4 and (rows["n"] == 3).all()
    assert (rows["ci_low"] <= rows["mean"]).all() and (rows["mean"] <= rows["ci_high"]).all()
    # the interval is mean +- t(0.975, 2) * sd / sqrt(3), from the stored runs
    df = table(swept)
    final = df[(df["month"] == 18) & (df["point"] == 0)]["mean_trust"]
    first = rows[rows["point"] == 0].iloc[0]
    assert first["mean"] == pytest.approx(final.mean())
    assert first["ci_high"] - first["mean"] == pytest.approx(4.302652729911275 * final.std() / np.sqrt(3))
    final_csv = pd.read_csv(report / "final.csv")
    assert (final_csv["month"] == 18).all()
    effects = pd.read_csv(report / "effects.csv")
    assert set(effects["parameter"]) == {"trust_gain", "funder_pressure"}
    assert {"a", "b", "a_value", "b_value", "mean", "ci_low", "ci_high"} <= set(pd.read_csv(report / "effects_2d.csv").columns)
    figures = ["timeseries_mean_trust.png", "effect_trust_gain.png", "effect_funder_pressure.png", "interaction_trust_gain_x_funder_pressure.png", "heatmap_trust_gain_x_funder_pressure.png"]
    for name in figures:
        data = (report / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 5000, name
    pngs = sorted(report.glob("*.png"))
    assert {p.name for p in pngs} >= set(figures)
    for png in pngs:  # every figure also as vector, and the SVG is well-formed with drawn content
        svg = ElementTree.parse(png.with_suffix(".svg")).getroot()
        assert svg.tag == "{http://www.w3.org/2000/svg}svg", png.name
        assert len(list(svg.iter("{http://www.w3.org/2000/svg}path"))) > 10, png.name
    bad = cli("report", swept, "--metrics", "mean_trus")
    assert bad.returncode == 2 and "did you mean 'mean_trust'" in bad.stderr
    assert cli("report", swept.parent / "nothing").returncode == 2


@pytest.mark.slow
def test_morris_ranks_trust_gain_above_backbone_capacity_without_a_backbone(tmp_path):
    design = write_design(
        tmp_path / "sa.toml",
        """\
        scenario = "default"
        months = 30
        replicates = 2
        root_seed = 5
        [set]
        n_organisations = 15
        backbone = false
        [sample]
        n = 4
        [sample.ranges]
        trust_gain = [0.02, 0.3]
        backbone_capacity = [1, 40]
        """,
    )
    out = tmp_path / "sa"
    result = cli("sensitivity", design, "--method", "morris", "--out", out, "--workers", "2", "--metric", "mean_trust", "--metric", "pairs_collaboration")
    assert result.returncode == 0, result.stderr
    indices = pd.read_csv(out / "sensitivity.csv")
    assert list(indices.columns) == ["metric", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    for metric in ("mean_trust", "pairs_collaboration"):
        rows = indices[indices["metric"] == metric].set_index("parameter")
        assert rows.loc["trust_gain", "mu_star"] > rows.loc["backbone_capacity", "mu_star"]
    trust = indices[indices["metric"] == "mean_trust"].set_index("parameter")
    assert trust.loc["trust_gain", "mu_star"] > 0
    assert (out / "sensitivity.png").read_bytes().startswith(PNG)
    assert pd.read_parquet(out / "runs")["run_id"].nunique() == 4 * 3 * 2  # n (D + 1) points x replicates


def test_report_heatmap_is_each_cells_paired_difference_from_the_reference_with_holm():
    from collabsim.stats import adjust_pvalues, paired_difference
    from collabsim.sweep.report import heatmap_differences

    rng = np.random.default_rng(4)
    rows = []
    for rep in range(8):
        noise = rng.normal(0, 1)  # shared by every cell of a seed: common random numbers
        for a in (0.0, 1.0):
            for b in (False, True):
                for c in ("x", "y"):  # a third factor, averaged over seed by seed
                    rows.append({"replicate": rep, "a": a, "b": b, "c": c, "y": noise + 3 * a + rng.normal(0, 0.1) + (c == "y")})
    df = pd.DataFrame(rows)
    table = heatmap_differences(df, "a", "b", (0.0, False), "y").set_index(["a_value", "b_value"])
    cell = df.groupby(["a", "b", "replicate"])["y"].mean()
    others = [(1.0, False), (0.0, True), (1.0, True)]
    p = []
    for key in others:
        e = paired_difference(cell.loc[(0.0, False)].to_numpy(), cell.loc[key].to_numpy())
        assert table.loc[key, "diff"] == pytest.approx(e.diff) and table.loc[key, "p"] == pytest.approx(e.pvalue)
        p.append(e.pvalue)
    assert table.loc[list(others), "p_holm"].to_numpy() == pytest.approx(adjust_pvalues(p, "holm"))
    assert table.loc[(0.0, False), "reference"] and not table.loc[(0.0, False), "significant"]
    assert table.loc[(1.0, False), "significant"] and not table.loc[(0.0, True), "significant"]


def test_centred_heatmap_marks_non_significant_cells_and_keeps_text_readable():
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure

    from collabsim.sweep.figures import centred_heatmap

    ax = Figure().add_subplot()
    values = np.array([[-4.0, -0.2], [0.1, 2.0]])
    significant = np.array([[True, False], [False, True]])
    im = centred_heatmap(ax, values, significant, ["r0", "r1"], ["c0", "c1"], reference=None)
    assert im.norm.vmin == -4.0 and im.norm.vmax == 4.0 and im.norm(0.0) == 0.5  # centred on zero, symmetric
    texts = {(t.get_position()[1], t.get_position()[0]): t for t in ax.texts}
    assert [k for k, t in texts.items() if t.get_text().endswith("ns")] == [(0, 1), (1, 0)]
    assert len(ax.patches) == 2  # the two non-significant cells hatched
    for (i, j), t in texts.items():  # white text only on a dark fill, black only on a light one
        r, g, b, _ = im.cmap(im.norm(values[i, j]))
        light = 0.299 * r + 0.587 * g + 0.114 * b >= 0.5
        assert to_rgba(t.get_color()) == to_rgba("black" if light else "white"), (i, j)
    assert to_rgba(texts[(0, 0)].get_color()) == to_rgba("white")  # -4: the darkest blue
