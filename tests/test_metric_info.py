"""Every output column documented (meaning, unit, monthly or cumulative), the same table in
``collabsim metrics`` and docs/cli.md, cumulative columns that really are running totals,
and report axes that say "total so far" for them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from collabsim import CollaborationModel
from collabsim.metric_info import CUMULATIVE_KIND, METRICS, MONTHLY, final_label, label
from collabsim.metrics import CUMULATIVE, METRIC_NAMES
from tests.cli_helpers import cli, write_design

ROOT = Path(__file__).resolve().parents[1]


def test_every_column_is_documented_in_order():
    assert tuple(METRICS) == METRIC_NAMES
    assert {m.name for m in METRICS.values() if m.kind == CUMULATIVE_KIND} == set(CUMULATIVE)
    for m in METRICS.values():
        assert m.kind in (MONTHLY, CUMULATIVE_KIND)
        assert m.meaning and m.unit


def test_cumulative_columns_never_decrease_and_some_monthly_ones_do():
    decreased = set()
    for seed in range(4):
        model = CollaborationModel("funder_mandate", seed=seed, months=60, n_organisations=20).run()
        df = model.datacollector.get_model_vars_dataframe()
        for name in METRIC_NAMES:
            steps = np.diff(df[name].to_numpy(dtype=float))
            steps = steps[np.isfinite(steps)]
            if METRICS[name].kind == CUMULATIVE_KIND:
                assert (steps >= 0).all(), name
            elif (steps < 0).any():
                decreased.add(name)
    # the monthly kind is not a formality: these go down as well as up
    assert {"pairs_aware", "mean_trust", "pairs_networking"} <= decreased


def test_collabsim_metrics_command(tmp_path):
    done = cli("metrics", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["name"] for r in rows] == list(METRIC_NAMES)
    assert {r["name"]: r["kind"] for r in rows} == {m.name: m.kind for m in METRICS.values()}
    table = cli("metrics")
    assert table.returncode == 0 and "breakdowns" in table.stdout and "cumulative" in table.stdout
    as_csv = cli("metrics", "--format", "csv")
    assert as_csv.stdout.splitlines()[0] == "name,kind,unit,meaning"
    assert len(as_csv.stdout.splitlines()) == len(METRIC_NAMES) + 1


def test_docs_cli_md_holds_the_same_table():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- metrics table:[^\n]*-->\n(.*?)\n<!-- end of metrics table -->", text, flags=re.S)
    assert found, "docs/cli.md lost its metrics table markers"
    done = cli("metrics", "--format", "markdown")
    assert found.group(1).strip() == done.stdout.strip(), "regenerate the table: collabsim metrics --format markdown"


def test_labels():
    assert "total so far" in label("breakdowns") and "total so far" in final_label("breakdowns")
    assert "total so far" not in label("mean_trust") and "total so far" not in final_label("pairs_collaboration")


@pytest.mark.slow
def test_report_axes_say_total_so_far_for_cumulative_metrics(tmp_path, monkeypatch):
    import collabsim.sweep.report as report

    design = write_design(tmp_path / "d.toml", months=6, replicates=2, n=8)
    out = tmp_path / "sweep"
    done = cli("sweep", design, "--out", out, "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    seen: dict[str, list[str]] = {}

    def keep(fig, path):
        seen[Path(path).name] = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()] + [ax.get_title() for ax in fig.axes if ax.get_title()]
        return [Path(path)]

    monkeypatch.setattr(report, "save_figure", keep)
    report.make_report(out, metrics=["breakdowns", "mean_trust"], quiet=True)
    assert "total so far" in " ".join(seen["timeseries_breakdowns.png"])
    assert "total so far" not in " ".join(seen["timeseries_mean_trust.png"])
    effect = seen["effect_trust_gain.png"]
    assert any("breakdowns" in t and "total so far" in t for t in effect)
    assert any("mean_trust" in t and "total so far" not in t for t in effect)
    heat = " ".join(seen["heatmap_trust_gain_x_funder_pressure.png"])
    assert "breakdowns: total so far" in heat
