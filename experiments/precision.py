"""How many replicates each question runs, chosen from the precision of the difference it rests on.

Why: an answer is a paired difference between two arms (common random numbers), so the
replicate count must make that difference's confidence interval as narrow as the answer
needs. (The study used to judge it by one arm's running mean settling within 5%, which says
nothing about a difference's precision.) For each question a small pilot sweep runs only the
key contrast; ``collabsim.stats.replicates_for_halfwidth`` turns the SD of its per-seed
differences into the count that reaches the target CI half-width; the question's sweep then
runs that many (never fewer than the design file's ``replicates``, never more than ``cap``).
Target, pilot and chosen count go into the question's manifest and into
``results/replicates/precision.csv``.

A pilot of a dozen seeds can understate the spread. So the choice has a second stage
(``second_stage``): the full sweep's own per-seed differences give the count again, and where
it is larger (and the cap allows) the sweep is run again with that many seeds, recorded as
``stage2`` in the manifest. Where the cap binds, the manifest says so.

The pilot's seeds are the first replicate seeds of the question's own design (replicate r's
seed does not depend on the replicate count), so the pilot is re-used, not wasted, by the
full sweep; the chosen count is an expected precision (the full run re-estimates the SD).

Questions 6-8 rest on several contrasts each, some of them main effects averaged over other
factors or interactions of four arms, so their pilot is the whole design at a few seeds and
their targets are ``study_tools.Target``s; they go through the same two stages and the same
count rules here (``two_stage``, ``first_count``, ``rerun_count``), their own pilot and
re-count coming from ``study_tools``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Target:
    """The key contrast of a question and the CI half-width it must reach."""

    factor: str  # the varied parameter of the contrast
    reference: Any  # level a (the difference is b - a)
    level: Any  # level b
    fixed: dict[str, Any]  # the other varied parameters, held at these values
    metric: str  # a column of the sweep's monthly table
    read: str  # "final" (value at ``month``) or "first" (first month the metric is above 0)
    month: int  # the month the answer is read
    halfwidth: float  # target 95% CI half-width of the paired difference, in the metric's unit
    unit: str
    why: str
    pilot: int = 12
    cap: int = 200
    extra_set: dict[str, Any] = field(default_factory=dict)


TARGETS: dict[str, Target] = {
    "q1_time": Target("min_months_per_level", 4, 8, {"trust_gain": 0.1, "trust_loss": 0.3}, "collaborations_formed", "first", 120,
                      0.5, "months", "months to the community's first collaboration, required patience 8 vs 4 months", pilot=12, cap=200),
    "q2_funder": Target("funder_pressure", 0.0, 0.5, {"funder_deadline_months": 12, "backbone": False}, "breakdowns", "final", 96,
                        2.0, "breakdowns", "extra breakdowns under pressure 0.5 (deadline 12): a half-width of 2 gives about 80% power "
                        "for an effect of 3 at the 5% level", pilot=16, cap=200),
    "q3_history": Target("regular_meetings", False, True, {"history_of_harm": 0.6}, "harmed_pairs_cooperating", "final", 120,
                         1.0, "pairs", "pairs across the harmed divide at cooperation or above, meetings vs none at harm 0.6", pilot=12, cap=150),
    "q4_backbone_skills": Target("backbone", False, True, {"collaborative_skill": 0.5, "n_organisations": 40}, "durable_collaborations", "final", 120,
                                 1.0, "pairs", "durable collaborations a backbone adds (skill 0.5, 40 organisations)", pilot=12, cap=200),
    "q5_competition": Target("funding_scarcity", 0.0, 0.5, {}, "cross_sector_pairs_cooperating", "final", 120,
                             1.5, "pairs", "cross-sector pairs at cooperation or above, scarcity 0.5 vs none", pilot=12, cap=150),
}


FIRST_RULE = "chosen = min(max(needed, floor), cap); needed = replicates_for_halfwidth(pilot per-seed differences, target half-width)"
SECOND_RULE = "needed again from the full sweep's per-seed differences; run again with min(needed, cap) seeds when more than stage 1"


def first_count(needed: int, floor: int, cap: int) -> int:
    """Stage 1: the count the pilot asks for, at least ``floor`` and at most ``cap``."""
    return int(min(max(needed, floor), cap))


def rerun_count(needed: int, chosen: int, cap: int) -> int:
    """Stage 2: the count to run again with (0: stage 1 was enough, or already at the cap)."""
    return int(min(needed, cap)) if needed > chosen and chosen < cap else 0


def two_stage(name: str, design: dict, raw: Path, run: Callable[[dict, Path], None], stage1: Callable[[], tuple[int, dict]],
              stage2: Callable[[Path, int], dict]) -> tuple[Path, dict, dict]:
    """Both stages of a question's replicate choice; returns (the sweep folder the answer reads,
    the design it ran, the record for the manifest).

    ``stage1()`` runs the pilot and returns (count, record); the sweep runs with that count into
    ``raw/name``; ``stage2(folder, count)`` counts again from that sweep's own per-seed
    differences (a dict with ``rerun_with`` and ``cap_binds``); when it asks for more, the sweep
    runs again with ``rerun_with`` seeds into ``raw/name_stage2``. ``run(design, folder)`` runs a sweep.
    """
    chosen, record = stage1()
    design = {**design, "replicates": chosen}
    raw_dir = raw / name
    run(design, raw_dir)
    record["stage2"] = stage2(raw_dir, chosen)
    if record["stage2"]["rerun_with"]:
        design["replicates"] = record["replicates_chosen"] = record["stage2"]["rerun_with"]
        raw_dir = raw / f"{name}_stage2"
        run(design, raw_dir)
    record["cap_binds"] = record["cap_binds"] or record["stage2"]["cap_binds"]
    return raw_dir, design, record


def per_seed(df: pd.DataFrame, metric: str, read: str, month: int) -> pd.Series:
    """One value per run (indexed by replicate): the metric at ``month``, or the first month it
    is above zero (a run that never gets there counts as ``month`` + 1: for the pilot's SD only)."""
    if read == "final":
        return df[df.month == month].set_index("replicate")[metric].sort_index()
    hit = df[(df[metric] > 0) & (df.month <= month)].groupby("replicate")["month"].min()
    reps = np.sort(df.replicate.unique())
    return hit.reindex(reps).fillna(month + 1)


def pilot_design(name: str, design: dict, target: Target, replicates: int) -> dict:
    """The question's design cut to the key contrast: two points, ``replicates`` seeds."""
    small = {k: v for k, v in design.items() if k not in ("vary", "set")}
    small["replicates"] = replicates
    small["months"] = max(target.month, 1)
    small["set"] = {**design.get("set", {}), **target.fixed, **target.extra_set}
    small["vary"] = {target.factor: [target.reference, target.level]}
    return small


def choose(name: str, design: dict, raw: Path, run_sweep, quick: bool) -> tuple[int, dict]:
    """Run the pilot of question ``name`` and return (replicates for the full sweep, record).

    ``run_sweep(design_dict, toml_path, out_dir)`` runs a design (run_all's sweep call).
    """
    from collabsim.stats import paired_difference, replicates_for_halfwidth

    target = TARGETS[name]
    floor = int(design["replicates"])
    pilot_n = 4 if quick else target.pilot
    cap = 8 if quick else target.cap
    pd_design = pilot_design(name, design, target, pilot_n)
    out = raw / f"pilot_{name}"
    run_sweep(pd_design, raw / f"pilot_{name}.toml", out)
    df = pd.read_parquet(out / "runs", columns=["replicate", "month", target.factor, target.metric])
    a = per_seed(df[df[target.factor] == target.reference], target.metric, target.read, target.month)
    b = per_seed(df[df[target.factor] == target.level], target.metric, target.read, target.month)
    diffs = (b - a).to_numpy(dtype=float)
    effect = paired_difference(a.to_numpy(dtype=float), b.to_numpy(dtype=float))
    needed = replicates_for_halfwidth(diffs, target.halfwidth)
    chosen = first_count(needed, floor, cap)
    record = {
        "target": {k: v for k, v in asdict(target).items() if k not in ("pilot", "cap")},
        "pilot_replicates": pilot_n,
        "pilot_diff": effect.diff,
        "pilot_sd_diff": effect.sd_diff,
        "pilot_corr": effect.corr,
        "replicates_needed": needed,
        "replicates_floor": floor,
        "replicates_cap": cap,
        "replicates_chosen": chosen,
        "cap_binds": needed > cap,
        "rule": FIRST_RULE.replace("floor", "the design file's replicates"),
    }
    return chosen, record


def contrast_arms(df: pd.DataFrame, target: Target) -> tuple[np.ndarray, np.ndarray]:
    """Per-seed values of the key contrast's two arms in a sweep's table (paired by replicate);
    the other varied factors held at ``target.fixed`` where the table varies them."""
    for key, value in target.fixed.items():
        if key in df.columns:
            df = df[np.isclose(df[key].astype(float), float(value))] if not isinstance(value, bool) else df[df[key] == value]
    a = per_seed(df[df[target.factor] == target.reference], target.metric, target.read, target.month)
    b = per_seed(df[df[target.factor] == target.level], target.metric, target.read, target.month)
    both = a.index.intersection(b.index)
    return a.loc[both].to_numpy(dtype=float), b.loc[both].to_numpy(dtype=float)


def second_stage(name: str, raw_dir: Path, chosen: int, quick: bool) -> dict:
    """The count again, from the full sweep's per-seed differences: ``needed`` and the count to
    run (``rerun``: 0 when the first stage was enough or the cap was already reached)."""
    from collabsim.stats import paired_difference, replicates_for_halfwidth

    target = TARGETS[name]
    cap = 8 if quick else target.cap
    columns = sorted({"replicate", "month", target.factor, target.metric, *target.fixed})
    import pyarrow.dataset as ds

    present = set(ds.dataset(raw_dir / "runs", format="parquet").schema.names)
    df = pd.read_parquet(raw_dir / "runs", columns=[c for c in columns if c in present])
    a, b = contrast_arms(df, target)
    effect = paired_difference(a, b)
    needed = replicates_for_halfwidth(b - a, target.halfwidth)
    return {"stage1_replicates": chosen, "stage1_sd_diff": effect.sd_diff, "stage1_halfwidth": effect.halfwidth,
            "replicates_needed": needed, "rerun_with": rerun_count(needed, chosen, cap), "cap_binds": needed > cap,
            "rule": SECOND_RULE}


def achieved_halfwidths(a: np.ndarray, b: np.ndarray, steps: list[int]) -> list[float]:
    """95% CI half-width of the paired difference using only the first k seeds, for each k."""
    from collabsim.stats import paired_difference

    out = []
    for k in steps:
        out.append(paired_difference(a[:k], b[:k]).halfwidth if k >= 2 else math.nan)
    return out
