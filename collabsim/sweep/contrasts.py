"""Paired contrasts of a sweep: what ``collabsim report`` and ``collabsim replicates`` compare.

Every point of a design runs on the same replicate seeds (common random numbers), so two
points are compared seed by seed. What is compared depends on how the points were chosen:

* ``[vary]`` (a full factorial grid): for each factor and each of its levels, the paired
  difference against the factor's reference level (the first level listed, or
  ``--reference name=value``). ``given = "averaged over ..."`` is the main effect: per seed,
  the mean over the other factors' combinations of y(level) - y(reference), so every cell
  counts once; with other factors there is also one *simple* effect per combination of them
  (``given = "funder_pressure=0.5"``). For each pair of factors, the interaction (the
  difference of paired differences) for each pair of non-reference levels.
* ``[[points]]``: each point against the reference point (point 0, or ``--reference point=N``
  or ``--reference name=value`` matching one point). Points may change several parameters at
  once, so these are differences between points, never factorial effects.
* ``[sample]`` and single-point designs: no contrasts (no factor has levels shared by points
  that differ in it alone); ``collabsim sensitivity`` is the tool for sampled designs.

Times to an event (``first_collaboration_month``: the current month + 1 while no pair has
collaborated, i.e. censored at the last month) are compared with the paired sign test for
censored data and summarised by Kaplan–Meier medians, never by means.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..stats import kaplan_meier, paired_censored_test, paired_difference
from .errors import UserError

TIME_TO_EVENT = ("first_collaboration_month",)
"""Columns holding a month of first event, "month read + 1" while censored (metric_info)."""


@dataclass
class Pair:
    """Two arms compared seed by seed: ``b - a``, with what the row of the table says."""

    metric: str
    kind: str  # "contrast" or "interaction"
    labels: dict[str, str]
    a: np.ndarray
    b: np.ndarray
    a_observed: np.ndarray | None = None  # time-to-event: False = censored
    b_observed: np.ndarray | None = None
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def censored(self) -> bool:
        return self.a_observed is not None


@dataclass
class Plan:
    """The pairs of a report, and the notes that say what was (not) compared and why."""

    pairs: list[Pair]
    notes: list[str]
    reference: dict[str, str]


def level_text(value: Any) -> str:
    """A level as the user writes it: booleans as true/false (categories, not 0/1)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


def levels_in_order(values: pd.Series) -> list[Any]:
    """Distinct levels in the order the design lists them (first appearance by point)."""
    return list(dict.fromkeys(values.tolist()))


def _matches(level: Any, text: str) -> bool:
    text = text.strip()
    if level_text(level).lower() == text.lower():
        return True
    if isinstance(level, (bool, np.bool_)) or isinstance(level, str):
        return False
    try:
        return float(text) == float(level)
    except (TypeError, ValueError):
        return False


def parse_references(texts: Sequence[str] | None, kind: str, points: pd.DataFrame) -> dict[str, str]:
    """``--reference name=value`` options as {name: value text}; UserError naming the bad one."""
    out: dict[str, str] = {}
    allowed = ["point", *points.columns] if kind == "points" else list(points.columns)
    for text in texts or []:
        name, sep, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise UserError(f"--reference {text!r}: expected NAME=VALUE, e.g. --reference {allowed[0] if allowed else 'backbone'}=false")
        if kind not in ("vary", "points"):
            raise UserError(f"--reference {text!r}: this sweep's design ({kind}) has no contrasts, so no reference to choose")
        if name not in allowed:
            raise UserError(f"--reference {text!r}: {name!r} is not varied in this sweep; varied: {', '.join(allowed)}")
        if name in out:
            raise UserError(f"--reference {text!r}: {name} is given twice")
        out[name] = value
    return out


def _pick_level(name: str, levels: list[Any], text: str) -> Any:
    for level in levels:
        if _matches(level, text):
            return level
    raise UserError(f"--reference {name}={text}: not a level of {name}; its levels: {', '.join(level_text(v) for v in levels)}")


def _tte(values: np.ndarray, month: int) -> tuple[np.ndarray, np.ndarray]:
    """(time, observed) of a time-to-event column read at ``month`` (censored at ``month``)."""
    observed = values <= month
    return np.where(observed, values, month).astype(float), observed


def _complete(wide: pd.DataFrame, cols: list[int]) -> pd.DataFrame:
    """Seeds with every needed point stored (a partly run sweep pairs what it has)."""
    return wide[cols].dropna()


def _pair(metric: str, kind: str, labels: dict[str, str], wide: pd.DataFrame, a_cols: list[int], b_cols: list[int], month: int) -> Pair | None:
    """Arms a and b as the per-seed mean over their points (one point each for a simple contrast)."""
    both = _complete(wide, sorted(set(a_cols) | set(b_cols)))
    if len(both) < 2:
        return None
    a = both[a_cols].to_numpy(float).mean(axis=1)
    b = both[b_cols].to_numpy(float).mean(axis=1)
    if metric in TIME_TO_EVENT:
        (ta, da), (tb, db) = _tte(a, month), _tte(b, month)
        return Pair(metric, kind, labels, ta, tb, da, db, extra={"horizon": float(month)})
    return Pair(metric, kind, labels, a, b)


def plan_pairs(final: pd.DataFrame, kind: str, varied: list[str], metrics: Sequence[str], references: Sequence[str] | None = None) -> Plan:
    """The pairs to compare at the last month, for a sweep of design ``kind``."""
    month = int(final["month"].max())
    points = final.groupby("point", sort=True)[varied].first() if varied else pd.DataFrame(index=sorted(final["point"].unique()))
    chosen = parse_references(references, kind, points)
    notes: list[str] = []
    if kind == "vary" and varied:
        pairs, reference = _factorial_pairs(final, points, varied, metrics, chosen, month, notes)
    elif kind == "points" and len(points) > 1:
        pairs, reference = _point_pairs(final, points, metrics, chosen, month, notes)
    else:
        what = "a single design point has nothing to compare" if kind in ("single", "vary", "points") else (
            f"the points of a {kind} design differ in every factor at once: use 'collabsim sensitivity' for them")
        return Plan([], [f"No contrasts: {what}."], {})
    if any(m in TIME_TO_EVENT for m in metrics):
        notes.append(
            "Times to an event (" + ", ".join(m for m in metrics if m in TIME_TO_EVENT) + ") are censored at the last month: "
            "they are compared by the paired sign test (which arm's event came first, seed by seed; ties and seeds censored in both arms "
            "are uninformative) and summarised by Kaplan-Meier medians, not means"
            + ("; only their effects with the other factors held are estimated (no averages over other factors, no interactions: "
               "an average of censored times has no meaning)." if kind == "vary" and len(varied) > 1 else ".")
        )
    return Plan(pairs, notes, reference)


def reference_levels(points: pd.DataFrame, varied: list[str], chosen: dict[str, str]) -> dict[str, Any]:
    """Each factor's reference level: the one ``--reference`` names, else the first listed."""
    levels = {f: levels_in_order(points[f]) for f in varied}
    return {f: (_pick_level(f, levels[f], chosen[f]) if f in chosen else levels[f][0]) for f in varied}


def _factorial_pairs(final: pd.DataFrame, points: pd.DataFrame, varied: list[str], metrics: Sequence[str], chosen: dict[str, str], month: int, notes: list[str]) -> tuple[list[Pair], dict[str, str]]:
    levels = {f: levels_in_order(points[f]) for f in varied}
    ref = reference_levels(points, varied, chosen)
    where = {tuple(row): int(p) for p, row in points[varied].iterrows()}
    pairs: list[Pair] = []
    missing: set[str] = set()
    for metric in metrics:
        wide = final.pivot(index="replicate", columns="point", values=metric)
        tte = metric in TIME_TO_EVENT
        for f in varied:
            others = [o for o in varied if o != f]
            combos = list(itertools.product(*(levels[o] for o in others)))
            for level in [v for v in levels[f] if v != ref[f]]:
                stored = [(c, (_cell(where, varied, {f: ref[f], **dict(zip(others, c))}), _cell(where, varied, {f: level, **dict(zip(others, c))}))) for c in combos]
                kept = [(c, ab) for c, ab in stored if None not in ab]  # a partly run sweep: compare what is stored
                if len(kept) < len(stored):
                    missing.add(f)
                cells = [ab for _, ab in kept]
                base = {"factor": f, "level": level_text(level), "reference": level_text(ref[f])}
                if cells and (not tte or not others) and len(kept) == len(stored):
                    given = f"averaged over {', '.join(others)}" if others else ""
                    pair = _pair(metric, "contrast", {**base, "given": given}, wide, [a for a, _ in cells], [b for _, b in cells], month)
                    pairs += [pair] if pair else []
                if others:
                    for combo, (a, b) in kept:
                        given = ", ".join(f"{o}={level_text(v)}" for o, v in zip(others, combo))
                        pair = _pair(metric, "contrast", {**base, "given": given}, wide, [a], [b], month)
                        pairs += [pair] if pair else []
        if tte:
            continue
        for fa, fb in itertools.combinations(varied, 2):
            rest = [o for o in varied if o not in (fa, fb)]
            combos = list(itertools.product(*(levels[o] for o in rest)))
            for la in [v for v in levels[fa] if v != ref[fa]]:
                for lb in [v for v in levels[fb] if v != ref[fb]]:
                    cols = {}
                    for key, va, vb in (("00", ref[fa], ref[fb]), ("01", ref[fa], lb), ("10", la, ref[fb]), ("11", la, lb)):
                        cols[key] = [_cell(where, varied, {fa: va, fb: vb, **dict(zip(rest, c))}) for c in combos]
                    if any(None in group for group in cols.values()):
                        missing.update((fa, fb))
                        continue
                    labels = {"factor_a": fa, "level_a": level_text(la), "reference_a": level_text(ref[fa]),
                              "factor_b": fb, "level_b": level_text(lb), "reference_b": level_text(ref[fb]),
                              "given": f"averaged over {', '.join(rest)}" if rest else ""}
                    pair = _interaction_pair(metric, labels, wide, cols)
                    pairs += [pair] if pair else []
    notes.append("Reference levels: " + ", ".join(f"{f}={level_text(v)}" for f, v in ref.items()) + " (change with --reference NAME=VALUE).")
    if missing:
        notes.append(f"Some design points have no stored runs yet: main effects and interactions of {', '.join(sorted(missing))} "
                     "are left out; only the comparisons whose points are all stored are shown.")
    return pairs, {f: level_text(v) for f, v in ref.items()}


def _cell(where: dict[tuple, int], varied: list[str], values: dict[str, Any]) -> int | None:
    """The point with these values, None if it has no stored run."""
    return where.get(tuple(values[f] for f in varied))


def _interaction_pair(metric: str, labels: dict[str, str], wide: pd.DataFrame, cols: dict[str, list[int]]) -> Pair | None:
    """(y01 - y00) as arm a and (y11 - y10) as arm b, each averaged over the other factors."""
    every = sorted({c for group in cols.values() for c in group})
    both = _complete(wide, every)
    if len(both) < 2:
        return None
    y = {key: both[group].to_numpy(float).mean(axis=1) for key, group in cols.items()}
    return Pair(metric, "interaction", labels, y["01"] - y["00"], y["11"] - y["10"])


def _point_pairs(final: pd.DataFrame, points: pd.DataFrame, metrics: Sequence[str], chosen: dict[str, str], month: int, notes: list[str]) -> tuple[list[Pair], dict[str, str]]:
    ids = [int(p) for p in points.index]
    ref = _reference_point(points, chosen)
    describe = {p: f"#{p} " + ", ".join(f"{c}={level_text(v)}" for c, v in points.loc[p].items()) for p in ids}
    pairs: list[Pair] = []
    for metric in metrics:
        wide = final.pivot(index="replicate", columns="point", values=metric)
        for p in ids:
            if p == ref:
                continue
            pair = _pair(metric, "contrast", {"factor": "point", "level": describe[p], "reference": describe[ref], "given": ""}, wide, [ref], [p], month)
            pairs += [pair] if pair else []
    notes.append(
        f"A [[points]] design is reported point by point against the reference point {describe[ref]} (change with --reference point=N): "
        "a point may change several parameters at once, so these differences are not factorial effects of any one parameter, "
        "and no main effects or interactions are estimated."
    )
    return pairs, {"point": str(ref)}


def _reference_point(points: pd.DataFrame, chosen: dict[str, str]) -> int:
    ids = [int(p) for p in points.index]
    if not chosen:
        return ids[0]
    if "point" in chosen:
        text = chosen.pop("point")
        if not text.isdigit() or int(text) not in ids:
            raise UserError(f"--reference point={text}: no such point; points: {', '.join(map(str, ids))} (the 'point' column of the tables)")
        if chosen:
            raise UserError("--reference: give either point=N or NAME=VALUE pairs, not both")
        return int(text)
    match = [p for p in ids if all(_matches(points.loc[p, name], value) for name, value in chosen.items())]
    given = ", ".join(f"{k}={v}" for k, v in chosen.items())
    if len(match) != 1:
        found = "no point" if not match else f"{len(match)} points ({', '.join(map(str, match))})"
        raise UserError(f"--reference {given}: matches {found}; it must match exactly one (or use --reference point=N)")
    return match[0]


def evaluate(pair: Pair, conf: float = 0.95) -> dict[str, Any]:
    """One table row: the labels, then the paired estimate (t for values, sign test for times)."""
    row: dict[str, Any] = {"metric": pair.metric, **pair.labels}
    if pair.censored:
        assert pair.a_observed is not None and pair.b_observed is not None
        test = paired_censored_test(pair.a, pair.a_observed, pair.b, pair.b_observed, conf=conf)
        med_a = kaplan_meier(pair.a, pair.a_observed, conf=conf).median()
        med_b = kaplan_meier(pair.b, pair.b_observed, conf=conf).median()
        # every run stops at the same month, so min(T, that month) is known for every seed: its paired
        # mean difference is the difference in restricted mean time (RMST), an unbiased magnitude
        rmst = paired_difference(pair.a, pair.b, conf=conf)
        row.update(n=test.n, test="paired sign test (censored)", median_reference=str(med_a), median_level=str(med_b),
                   informative=test.n_informative, reference_first=test.a_first, level_first=test.b_first,
                   share_level_first=test.prob_b_first, share_low=test.lower, share_high=test.upper,
                   rmst_horizon=pair.extra["horizon"], rmst_diff=rmst.diff, rmst_low=rmst.lower, rmst_high=rmst.upper,
                   p=test.pvalue)
        return row
    eff = paired_difference(pair.a, pair.b, conf=conf)
    names = ("effect_at_reference_a", "effect_at_level_a") if pair.kind == "interaction" else ("mean_reference", "mean_level")
    row.update({"n": eff.n, "test": "paired t", names[0]: eff.mean_a, names[1]: eff.mean_b,
                "diff": eff.diff, "ci_low": eff.lower, "ci_high": eff.upper, "sd_diff": eff.sd_diff,
                "d_z": eff.d_z, "corr": eff.corr, "p": eff.pvalue})
    return row


def per_seed_differences(pair: Pair) -> np.ndarray:
    """b - a per seed (an interaction's per-seed difference of differences)."""
    if pair.censored:
        raise UserError(f"{pair.metric} is a censored time: a half-width of a mean difference does not apply to it")
    return pair.b - pair.a
