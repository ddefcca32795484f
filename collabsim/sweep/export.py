"""``collabsim export``: a sweep's runs as one CSV or Parquet file, long or wide.

* long: one row per run and stored month (what BehaviorSpace's table output gives);
* wide: one row per run, each metric at each stored month as ``METRIC_mMONTH`` (with
  ``--collect final`` just the final values).

Both carry the keys, the scenario and every parameter as columns, so a row can be read,
plotted or reproduced without the manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..metrics import METRIC_NAMES
from .errors import UserError
from .store import KEY_COLUMNS, atomic_write_text, load_runs, read_manifest

FORMATS = ("csv", "parquet")
SHAPES = ("long", "wide")


def run_columns(df: pd.DataFrame) -> list[str]:
    """Columns that are constant within a run: keys, scenario, parameters."""
    metrics = set(METRIC_NAMES)
    return [c for c in df.columns if c not in metrics]


def to_wide(df: pd.DataFrame) -> pd.DataFrame:
    """One row per run: the run's columns, then ``METRIC_mMONTH`` for every metric and month."""
    per_run = run_columns(df)
    metrics = [c for c in df.columns if c in set(METRIC_NAMES) and c != "month"]
    runs = df.drop_duplicates("run_id")[per_run].set_index("run_id")
    values = df.pivot(index="run_id", columns="month", values=metrics)
    values.columns = [f"{metric}_m{int(month)}" for metric, month in values.columns]
    return runs.join(values).reset_index()


def export(root: str | Path, fmt: str, shape: str, out: str | Path | None = None) -> tuple[Path, int, bool]:
    """Write the runs of sweep ``root``; return the file, its number of rows, and whether the sweep is complete."""
    root = Path(root)
    if fmt not in FORMATS:
        raise UserError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if shape not in SHAPES:
        raise UserError(f"--shape {shape!r}: expected one of {', '.join(SHAPES)}")
    manifest = read_manifest(root)
    df = load_runs(root)
    if df.empty:
        raise UserError(f"{root}: no stored runs to export yet (run the sweep first)")
    if "scenario" not in df.columns:
        raise UserError(f"{root}: stored by an older collabsim without the scenario and parameter columns; run the sweep again into a new directory to export it")
    table = to_wide(df) if shape == "wide" else df[[*KEY_COLUMNS, *(c for c in df.columns if c not in KEY_COLUMNS)]]
    path = Path(out) if out is not None else root / "export" / f"runs_{shape}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        atomic_write_text(path, table.to_csv(index=False))
    else:
        _write_parquet(table, path)
    return path, len(table), "completed" in manifest


def _write_parquet(table: pd.DataFrame, path: Path) -> Any:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        table.to_parquet(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
