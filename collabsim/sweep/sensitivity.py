"""``collabsim sensitivity``: global sensitivity analysis with SALib.

The design's ``[sample.ranges]`` name the parameters and their bounds and ``[sample] n``
is the base sample size. SALib draws the points (Morris: ``n`` trajectories of D + 1
points; Sobol': ``n * (D + 2)`` points, ``n`` a power of 2, first-order and total
indices), the points run through the same sweep engine and store as ``collabsim sweep``
(resumable, any number of workers or Dask), and the output of a point is a metric at the
final month averaged over the design's replicates (common random numbers). Integer
parameters are rounded to the nearest integer for the runs; the analysis uses SALib's
unrounded sample.

Writes ``DIR/sensitivity.csv`` (one row per output metric and parameter, SALib's column
names: Morris ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``; Sobol' ``S1``,
``S1_conf``, ``ST``, ``ST_conf``) and ``DIR/sensitivity.png`` (a bar chart).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..parameters import unknown_name_message
from ..metrics import METRIC_NAMES
from .design import Design, load_design, point_from_row, sample_seed
from .engine import run_design
from .errors import DesignError, SweepError, UserError
from .report import save_png
from .store import atomic_write_text, load_runs

DEFAULT_METRICS = ("mean_trust", "pairs_collaboration", "durable_collaborations")
METHODS = ("morris", "sobol")
COLUMNS = {"morris": ("mu", "mu_star", "mu_star_conf", "sigma"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}


def problem_of(design: Design) -> dict[str, Any]:
    """SALib's problem dictionary from the design's ranges."""
    names = list(design.ranges)
    return {"num_vars": len(names), "names": names, "bounds": [list(map(float, design.ranges[n])) for n in names]}


def salib_sample(design: Design, method: str, levels: int) -> np.ndarray:
    """SALib's sample for the design (deterministic: seeded from ``root_seed``)."""
    problem = problem_of(design)
    seed = sample_seed(design.root_seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, design.sample_n, num_levels=levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, design.sample_n, calc_second_order=False, seed=seed)


def sensitivity_design(path: str | os.PathLike, method: str, levels: int = 4) -> tuple[Design, np.ndarray]:
    """Load a sensitivity design and fill its points from SALib's sample."""
    if method not in METHODS:
        raise UserError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    design = load_design(path, purpose="sensitivity")
    if method == "morris":
        if not 2 <= levels <= 100 or levels % 2:
            raise UserError(f"--levels must be an even integer in [2, 100], got {levels}")
        if design.sample_n < 2:
            raise DesignError(f"{design.path}: [sample] n: Morris needs at least 2 trajectories, got {design.sample_n}")
    if method == "sobol" and design.sample_n & (design.sample_n - 1):
        raise DesignError(f"{design.path}: [sample] n: must be a power of 2 for Sobol' indices, got {design.sample_n}")
    X = salib_sample(design, method, levels)
    design.points = [point_from_row(design.varied, row) for row in X]
    design.kind = f"salib-{method}"
    design.sample_method = f"salib-{method}" + (f"-levels{levels}" if method == "morris" else "")
    return design, X


def run_sensitivity(
    design_path: str | os.PathLike,
    method: str,
    out: str | os.PathLike,
    *,
    metrics: Sequence[str] | None = None,
    levels: int = 4,
    quiet: bool = False,
    command: list[str] | None = None,
    **engine: Any,
) -> pd.DataFrame:
    """Sample, run (resumable) and analyse; write the CSV and the chart; return the table."""
    metrics = list(dict.fromkeys(metrics or DEFAULT_METRICS))
    known = [m for m in METRIC_NAMES if m != "month"]
    for name in metrics:
        if name not in known:
            raise UserError(f"--metric: {unknown_name_message(name, known, 'metric')}")
    design, X = sensitivity_design(design_path, method, levels)
    run_design(design, out, kind="sensitivity", quiet=quiet, command=command, extra={"method": method, "levels": levels if method == "morris" else None, "metrics": metrics}, **engine)

    df = load_runs(out)
    final = df[df["month"] == df.groupby("run_id")["month"].transform("max")]
    Y_all = final.groupby("point")[metrics].mean().reindex(range(len(design.points)))
    problem = problem_of(design)
    rows = []
    for metric in metrics:
        Y = Y_all[metric].to_numpy(dtype=float)
        if not np.all(np.isfinite(Y)):
            raise SweepError(f"metric {metric} is undefined (NaN) at {int((~np.isfinite(Y)).sum())} points; choose another --metric")
        rows.extend(analyse(problem, method, X, Y, metric, levels, sample_seed(design.root_seed)))
    table = pd.DataFrame(rows, columns=["metric", "parameter", *COLUMNS[method]])
    root = Path(out)
    atomic_write_text(root / "sensitivity.csv", table.to_csv(index=False))
    _chart(table, method, root / "sensitivity.png")
    return table


def analyse(problem: dict[str, Any], method: str, X: np.ndarray, Y: np.ndarray, metric: str, levels: int, seed: int) -> list[dict[str, Any]]:
    """SALib's indices for one output, one row per parameter (NaN if the output is constant)."""
    names = problem["names"]
    if np.ptp(Y) == 0 and method == "sobol":
        return [{"metric": metric, "parameter": n, **{c: np.nan for c in COLUMNS[method]}} for n in names]
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "morris":
            from SALib.analyze import morris

            result = morris.analyze(problem, X, Y, num_levels=levels, conf_level=0.95, print_to_console=False, seed=seed)
        else:
            from SALib.analyze import sobol

            result = sobol.analyze(problem, Y, calc_second_order=False, conf_level=0.95, print_to_console=False, seed=seed)
    out = []
    for k, name in enumerate(names):
        row = {"metric": metric, "parameter": name}
        for column in COLUMNS[method]:
            row[column] = float(np.ma.getdata(result[column])[k])
        out.append(row)
    return out


def _chart(table: pd.DataFrame, method: str, path: Path) -> None:
    from matplotlib.figure import Figure

    metrics = list(dict.fromkeys(table["metric"]))
    fig = Figure(figsize=(5.5, 0.6 + 0.45 * len(table["parameter"].unique()) * len(metrics) + 0.6 * len(metrics)), layout="constrained")
    axes = fig.subplots(len(metrics), 1, squeeze=False)[:, 0]
    for ax, metric in zip(axes, metrics):
        rows = table[table["metric"] == metric]
        pos = np.arange(len(rows))
        if method == "morris":
            ax.barh(pos, rows["mu_star"], xerr=rows["mu_star_conf"], color="C0", capsize=3, label="mu*")
            ax.set_xlabel("mu* (mean absolute elementary effect), 95% CI")
        else:
            ax.barh(pos - 0.2, rows["S1"], height=0.4, xerr=rows["S1_conf"], color="C0", capsize=3, label="S1")
            ax.barh(pos + 0.2, rows["ST"], height=0.4, xerr=rows["ST_conf"], color="C1", capsize=3, label="ST")
            ax.set_xlabel("Sobol' index, 95% CI")
            ax.legend(fontsize=7)
        ax.set_yticks(pos, list(rows["parameter"]))
        ax.invert_yaxis()
        ax.set_title(metric, fontsize=9)
    fig.suptitle(f"Sensitivity ({'Morris' if method == 'morris' else 'Sobol'}), final month")
    save_png(fig, path)
