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
from .figures import save_figure
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
    save_figure(fig, path)


# ----------------------------------------------------------------------- screening tools
# Used by experiments/sensitivity_study.py (issue 14): Morris screening of every numeric
# registry parameter, with its own elementary effects so that they can be bootstrapped and
# split into independent screenings (SALib's analyse gives one CI per parameter only).


def ladder_groups() -> tuple[tuple[str, ...], ...]:
    """Parameter tuples that must not decrease along the tuple (``parameters.check_consistency``).

    ``base_success_*`` must not *increase* with the level, so it appears reversed (collaboration
    first): then every tuple reads "must not decrease".
    """
    from ..parameters import _ORDERED

    bases = tuple(f"base_success_{lv}" for lv in ("collaboration", "cooperation", "coordination", "networking", "aware"))
    return (*_ORDERED, bases)


def repair_ladder(params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Map a sampled point onto a valid ladder: along each ordered tuple, a value below the one
    before it is raised to it (a running maximum). Returns the point and whether it changed.

    Why a map and not a rejection: Morris and Sobol' need every sampled point evaluated. The
    map is a deterministic part of the function being analysed, so the indices stay valid;
    a factor's effect then includes the neighbours it pushes, which happens only where the
    sampled ranges of two rungs overlap (the study reports how often).
    """
    out = dict(params)
    changed = False
    for names in ladder_groups():
        present = [n for n in names if n in out]
        if len(present) < 2:
            continue
        for lower, higher in zip(present, present[1:]):
            if out[higher] < out[lower]:
                out[higher] = out[lower]
                changed = True
    return out, changed


def noise_seed(root_seed: int, *keys: float | int) -> int:
    """A run seed from ``root_seed`` and keys (a trajectory number, a dummy factor's value).

    A dummy factor's value goes into the seed, so moving the dummy changes the random streams
    and nothing else: its elementary effects are pure run-to-run noise, the honest floor
    below which a parameter's effect cannot be told from chance. (Under a seed shared along
    a trajectory, a dummy that draws nothing is zero by construction.)
    """
    words = [int(root_seed) & 0xFFFFFFFF]
    for key in keys:
        words.append(int(round(float(key) * 1e9)) & 0xFFFFFFFFFFFF if isinstance(key, float) else int(key) & 0xFFFFFFFF)
    return int(np.random.SeedSequence(words).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def elementary_effects(X: np.ndarray, Y: np.ndarray, bounds: Sequence[Sequence[float]]) -> np.ndarray:
    """Elementary effects of a Morris sample, one row per trajectory, one column per factor.

    ``X`` is SALib's sample (r trajectories of D + 1 points, one factor moved per step), ``Y``
    one output per point. Each effect is the output change per unit of the factor's range
    (as SALib's ``morris.analyze`` computes it), so effects of different factors compare.
    """
    bounds = np.asarray(bounds, dtype=float)
    D = bounds.shape[0]
    r = X.shape[0] // (D + 1)
    if r * (D + 1) != X.shape[0] or Y.shape[0] != X.shape[0]:
        raise ValueError(f"a Morris sample of {D} factors has a multiple of {D + 1} rows; got X {X.shape}, Y {Y.shape}")
    Xn = ((X - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0])).reshape(r, D + 1, D)
    Yt = Y.reshape(r, D + 1)
    dX = np.diff(Xn, axis=1)  # (r, D, D): step k moves one factor
    moved = np.abs(dX).argmax(axis=2)  # (r, D)
    step = np.take_along_axis(dX, moved[..., None], axis=2)[..., 0]
    dY = np.diff(Yt, axis=1)
    EE = np.full((r, D), np.nan)
    rows = np.repeat(np.arange(r), D)
    EE[rows, moved.ravel()] = (dY / step).ravel()
    if np.isnan(EE).any():
        raise ValueError("a trajectory does not move every factor exactly once; is X a Morris sample of these bounds?")
    return EE


def morris_indices(EE: np.ndarray) -> dict[str, np.ndarray]:
    """mu, mu* and sigma of elementary effects (rows: trajectories)."""
    return {"mu": EE.mean(axis=0), "mu_star": np.abs(EE).mean(axis=0), "sigma": EE.std(axis=0, ddof=1)}


def _ranks(values: np.ndarray) -> np.ndarray:
    """Rank 1 = largest; works along the last axis."""
    order = np.argsort(-values, axis=-1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, values.shape[-1] + 1), axis=-1)
    return ranks


def bootstrap_mu_star(EE: np.ndarray, n_boot: int = 1000, conf: float = 0.95, seed: int = 0) -> dict[str, np.ndarray]:
    """Percentile bootstrap over trajectories: CI of each factor's mu* and of its rank."""
    rng = np.random.default_rng(seed)
    r = EE.shape[0]
    A = np.abs(EE)
    boot = np.stack([A[rng.integers(0, r, r)].mean(axis=0) for _ in range(n_boot)])
    ranks = _ranks(boot)
    a = (1 - conf) / 2
    return {
        "mu_star_lower": np.quantile(boot, a, axis=0), "mu_star_upper": np.quantile(boot, 1 - a, axis=0),
        "rank_lower": np.quantile(ranks, a, axis=0, method="lower"), "rank_upper": np.quantile(ranks, 1 - a, axis=0, method="higher"),
    }


def rank_agreement(a: np.ndarray, b: np.ndarray, k: int) -> dict[str, float]:
    """How two screenings' mu* agree: Spearman's rho over all factors and the share of the
    top ``k`` of one that is also in the top ``k`` of the other."""
    from scipy.stats import spearmanr

    rho = float(spearmanr(a, b).statistic) if np.ptp(a) > 0 and np.ptp(b) > 0 else float("nan")
    top_a, top_b = set(np.argsort(-a)[:k]), set(np.argsort(-b)[:k])
    return {"spearman": rho, "top_k_overlap": len(top_a & top_b) / k}


def split_stability(EE: np.ndarray, k: int, splits: int = 20, seed: int = 0) -> dict[str, float]:
    """Rank stability shown by independent screenings: the trajectories are split at random into
    two disjoint halves (two independent screenings of r/2 trajectories each), ``splits``
    times; the agreement of the halves' mu* (median and lowest over the splits) is a lower
    bound for the stability of the screening that uses all r trajectories."""
    rng = np.random.default_rng(seed)
    r = EE.shape[0]
    A = np.abs(EE)
    rhos, overlaps = [], []
    for _ in range(splits):
        perm = rng.permutation(r)
        one, two = perm[: r // 2], perm[r // 2: 2 * (r // 2)]
        agree = rank_agreement(A[one].mean(axis=0), A[two].mean(axis=0), k)
        rhos.append(agree["spearman"])
        overlaps.append(agree["top_k_overlap"])
    finite = np.asarray(rhos, dtype=float)
    finite = finite[np.isfinite(finite)]  # a half with no spread has no rank correlation
    return {
        "trajectories_per_half": r // 2, "splits": splits, "k": k,
        "spearman_median": float(np.median(finite)) if finite.size else float("nan"),
        "spearman_min": float(np.min(finite)) if finite.size else float("nan"),
        "top_k_overlap_median": float(np.median(overlaps)), "top_k_overlap_min": float(np.min(overlaps)),
    }
