"""What a sweep stores for each run: which months (``collect``), and on every row the scenario
and the full effective parameter set, so that one row alone can reproduce its run.

``collect`` follows BehaviorSpace's "measure runs at every step" or only at the end, and
Mesa's collection period: ``"every"`` stores months 0..months, ``"final"`` only the last
month, an integer K months 0, K, 2K, ... and always the last. Runs are computed in full
either way; only the stored rows change.

The parameter columns hold every value the model ran with: registry defaults, then the
scenario's presets, then the design's ``[set]``, then the point's values, and ``months``
(``seed`` is a key column). ``CollaborationModel(row.scenario, seed=row.seed, **params)``
repeats the run (``tests/test_sweep_rows.py`` checks it against ``model.params``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..parameters import PARAMETERS
from .errors import DesignError

if TYPE_CHECKING:  # pragma: no cover
    from .design import Design

COLLECT_WORDS = ("every", "final")
SCENARIO_COLUMN = "scenario"


def parse_collect(value: Any, where: str = "--collect") -> str | int:
    """``"every"``, ``"final"`` or a whole number of months K >= 1; DesignError otherwise."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in COLLECT_WORDS:
            return text
        if text.isdigit():
            value = int(text)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise DesignError(f"{where}: expected every, final or a whole number of months K >= 1 (store months 0, K, 2K, ... and the last), got {value!r}")


def collected_months(months: int, collect: str | int) -> np.ndarray:
    """The months stored for a run of ``months`` months."""
    if collect == "every":
        return np.arange(months + 1)
    if collect == "final":
        return np.array([months])
    return np.union1d(np.arange(0, months + 1, int(collect)), [months])


def effective_parameters(design: "Design", point: int) -> dict[str, Any]:
    """Every parameter value the runs of ``point`` use, except the seed."""
    params = {**design.base_values(), **design.points[point], "months": design.months}
    params.pop("seed", None)
    return params


def typed_column(name: str, values: Any) -> Any:
    """A parameter's column with a type that does not depend on its values."""
    values = np.asarray(values, dtype=object)
    kind = PARAMETERS[name].kind
    dtype = {"float": "Float64", "int": "Int64", "bool": "boolean", "choice": "string"}[kind]
    if kind == "float" and not any(v is None for v in values):
        return values.astype(np.float64)
    if kind == "int" and not any(v is None for v in values):
        return values.astype(np.int64)
    if kind == "bool":
        return values.astype(bool)
    return pd.array(list(values), dtype=dtype)


def complete_rows(table: pd.DataFrame, design: "Design") -> pd.DataFrame:
    """Keep the collected months and add the scenario and every parameter as columns."""
    collect = getattr(design, "collect", "every")
    if collect != "every":
        table = table[table["month"].isin(collected_months(design.months, collect))]
    table = table.reset_index(drop=True)
    points, where = np.unique(table["point"].to_numpy(), return_inverse=True)
    per_point = [effective_parameters(design, int(p)) for p in points]
    # each column typed once per point, then spread over the rows (``take``): the same
    # column as typing every row's value, without a Python object per row and parameter
    extra: dict[str, Any] = {SCENARIO_COLUMN: pd.array([design.scenario], dtype="string").take(np.zeros(len(table), dtype=np.intp))}
    for name in PARAMETERS:
        if name == "seed" or name in table.columns:
            continue
        extra[name] = typed_column(name, [params[name] for params in per_point]).take(where)
    keys = [c for c in ("run_id", "point", "replicate", "seed") if c in table.columns]
    rest = [c for c in table.columns if c not in keys]
    return pd.concat([table[keys], pd.DataFrame(extra), table[rest]], axis=1)
