"""The numbers quoted in docs/teaching.md: the three classroom experiments over 10 seeds.

Run: python scripts/teaching_numbers.py [--seeds 10] [--months 120]            (print the tables)
     python scripts/teaching_numbers.py --write docs/teaching.md              (update the lesson)
     python scripts/teaching_numbers.py --check docs/teaching.md              (exit 1 if stale)

Each table goes between ``<!-- numbers: eN -->`` and ``<!-- /numbers -->`` in the lesson, with
the lesson's own row names and column headings (mean over seeds, lowest and highest run in
brackets), so the lesson's tables are always what the model gives. The model's rules change
(issue 10): re-run with ``--write`` after any change; tests/test_docs.py runs ``--check``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import collabsim
from collabsim.viz.session import PAGE_DEFAULTS


def run(scenario: str, seed: int, months: int, actions: dict[int, object] | None = None, **params):
    """Run one model, applying ``actions[month](model)`` before that month's step (like the page's buttons)."""
    params = {**PAGE_DEFAULTS, **params}  # the page's settings (runs start fresh)
    m = collabsim.CollaborationModel(scenario, seed=seed, **params)
    for month in range(months):
        if actions and month in actions:
            actions[month](m)
        m.step()
    return m


def series(m, name: str) -> np.ndarray:
    return m.datacollector.get_model_vars_dataframe()[name].to_numpy()


def first_month(values: np.ndarray) -> float:
    hit = np.flatnonzero(values > 0)
    return float(hit[0]) if hit.size else float("nan")


def _num(x: float, digits: int) -> str:
    if float(x).is_integer() and digits == 0 or float(x).is_integer() and abs(x) >= 10:
        return f"{x:,.0f}"
    if float(x).is_integer():
        return f"{x:.0f}"
    return f"{x:,.{digits}f}"


def cell(values) -> str:
    """The lesson's cell: mean, then (lowest–highest run) unless every run gave the same value."""
    v = np.asarray(values, dtype=float)
    ok = v[~np.isnan(v)]
    if ok.size == 0:
        return "never"
    mean = float(ok.mean())
    digits = 0 if abs(mean) >= 10 else 1
    text = f"{mean:,.{digits}f}" if not float(round(mean, digits)).is_integer() else f"{round(mean, digits):,.0f}"
    lo, hi = float(ok.min()), float(ok.max())
    if round(lo, digits) != round(hi, digits):
        text += f" ({_num(round(lo, digits), digits)}–{_num(round(hi, digits), digits)})"
    if ok.size < v.size:
        text += f", never in {v.size - ok.size}"
    return text


def doc_table(rows: dict[str, dict[str, list]], names: dict[str, str], headings: dict[str, str]) -> str:
    """A Markdown table in the lesson's words: ``names`` maps run keys to row names, ``headings`` columns."""
    out = ["| run | " + " | ".join(headings.values()) + " |", "|---|" + "---|" * len(headings)]
    for key, name in names.items():
        out.append(f"| {name} | " + " | ".join(cell(rows[key][c]) for c in headings) + " |")
    return "\n".join(out)


def harmed_rows(m) -> np.ndarray:
    rel = m.rel
    s = m.orgs.sector
    return np.flatnonzero(m.harmed_sectors[s[rel.i], s[rel.j]])


def experiment_funder(seeds, months) -> str:
    runs = {
        "patient (default, no mandate)": dict(scenario="default"),
        "mandate: pressure 0.6, deadline 24, money ends 60 (funder_mandate)": dict(scenario="funder_mandate"),
        "mandate: pressure 0.6, deadline 48, money ends 60": dict(scenario="funder_mandate", funder_deadline_months=48),
        "mandate: pressure 0.9, deadline 12, money ends 60": dict(scenario="funder_mandate", funder_pressure=0.9, funder_deadline_months=12),
        "mandate as funder_mandate, but the money never ends": dict(scenario="funder_mandate", funding_end_month=None),
        "no mandate, but the money ends at 60": dict(scenario="default", funding_end_month=60),
        "button at month 12: pressure 0.6, 24 months, money never ends": dict(
            scenario="default", actions={12: lambda m: m.start_mandate(0.6, 24, 4)}
        ),
    }
    rows = {}
    for name, spec in runs.items():
        spec = dict(spec)
        sc = spec.pop("scenario")
        actions = spec.pop("actions", None)
        cols: dict[str, list] = {k: [] for k in (
            "collaborating pairs at 24", "nominal collaborations at 24", "collaborating pairs at 60", f"collaborating pairs at {months}",
            f"durable at {months}", "premature escalations", f"breakdowns by {months}", "months to first collaboration",
        )}
        for seed in seeds:
            m = run(sc, seed, months, actions, **spec)
            c = series(m, "pairs_collaboration")
            b = series(m, "breakdowns")
            cols["collaborating pairs at 24"].append(c[24])
            cols["nominal collaborations at 24"].append(series(m, "nominal_collaborations")[24])
            cols["collaborating pairs at 60"].append(c[60])
            cols[f"collaborating pairs at {months}"].append(c[months])
            cols[f"durable at {months}"].append(series(m, "durable_collaborations")[months])
            cols["premature escalations"].append(series(m, "premature_escalations")[months])
            cols[f"breakdowns by {months}"].append(b[months])
            first = m.summary()["months_to_first_collaboration"]
            cols["months to first collaboration"].append(np.nan if first is None else first)
        rows[name] = cols
    return rows


def experiment_history(seeds, months) -> str:
    runs = {
        "police_community with history_of_harm = 0": dict(scenario="police_community", history_of_harm=0.0),
        "police_community (history 0.6, no forum)": dict(scenario="police_community"),
        "police_community_meetings (history 0.6, monthly forum)": dict(scenario="police_community_meetings"),
    }
    rows = {}
    for name, spec in runs.items():
        spec = dict(spec)
        sc = spec.pop("scenario")
        cols: dict[str, list] = {k: [] for k in (
            "first month a harmed pair works", "harmed pairs working at 12", "harmed pairs working at 24",
            "harmed pairs working at 60", f"harmed pairs working at {months}", f"harmed pairs cooperating+ at {months}",
            "damage in harmed pairs at 24", f"damage in harmed pairs at {months}",
        )}
        for seed in seeds:
            damage_at: dict[int, float] = {}

            def note_damage(mm, month=24):
                rows_h = harmed_rows(mm)
                damage_at[month] = float(mm.rel.damage[:, rows_h].mean()) if rows_h.size else np.nan

            m = run(sc, seed, months, {24: note_damage}, **spec)
            w = series(m, "harmed_pairs_working")
            cols["first month a harmed pair works"].append(first_month(w))
            cols["harmed pairs working at 12"].append(w[12])
            cols["harmed pairs working at 24"].append(w[24])
            cols["harmed pairs working at 60"].append(w[60])
            cols[f"harmed pairs working at {months}"].append(w[months])
            cols[f"harmed pairs cooperating+ at {months}"].append(series(m, "harmed_pairs_cooperating")[months])
            cols["damage in harmed pairs at 24"].append(damage_at.get(24, np.nan))
            hr = harmed_rows(m)
            cols[f"damage in harmed pairs at {months}"].append(float(m.rel.damage[:, hr].mean()) if hr.size else np.nan)
        rows[name] = cols
    # harmed_pairs_working is 0 by definition when history_of_harm = 0: count the same sector pairs by hand
    base = rows["police_community with history_of_harm = 0"]
    for k in list(base):
        base[k] = []
    for seed in seeds:
        m = collabsim.CollaborationModel("police_community", seed=seed, history_of_harm=0.0, **PAGE_DEFAULTS)
        working = [0]
        for _ in range(months):
            m.step()
            hr = harmed_rows(m)
            working.append(int((m.rel.level[hr] >= 1).sum()))
            if m.month == 24:
                d24 = float(m.rel.damage[:, hr].mean())
        w = np.array(working)
        hr = harmed_rows(m)
        base["first month a harmed pair works"].append(first_month(w))
        base["harmed pairs working at 12"].append(w[12])
        base["harmed pairs working at 24"].append(w[24])
        base["harmed pairs working at 60"].append(w[60])
        base[f"harmed pairs working at {months}"].append(w[months])
        base[f"harmed pairs cooperating+ at {months}"].append(int((m.rel.level[hr] >= 3).sum()))
        base["damage in harmed pairs at 24"].append(d24)
        base[f"damage in harmed pairs at {months}"].append(float(m.rel.damage[:, hr].mean()))
    return rows


def experiment_backbone(seeds, months) -> str:
    runs = {
        "collective_impact without the backbone (backbone = false)": dict(scenario="collective_impact", backbone=False),
        "collective_impact (backbone, 20 organisations a month)": dict(scenario="collective_impact"),
        "collective_impact, backbone_capacity = 5": dict(scenario="collective_impact", backbone_capacity=5),
        "collective_impact, backbone removed at month 60": dict(
            scenario="collective_impact", actions={60: lambda m: m.set_backbone(False)}
        ),
    }
    rows = {}
    for name, spec in runs.items():
        spec = dict(spec)
        sc = spec.pop("scenario")
        actions = spec.pop("actions", None)
        cols: dict[str, list] = {k: [] for k in (
            "months to first collaboration", "collaborating pairs at 36", "collaborating pairs at 60", f"collaborating pairs at {months}",
            "durable at 60", f"durable at {months}", f"multisector clusters at {months}", f"breakdowns by {months}",
            f"collective impact by {months}",
        )}
        for seed in seeds:
            m = run(sc, seed, months, actions, **spec)
            c = series(m, "pairs_collaboration")
            first = m.summary()["months_to_first_collaboration"]
            cols["months to first collaboration"].append(np.nan if first is None else first)
            cols["collaborating pairs at 36"].append(c[36])
            cols["collaborating pairs at 60"].append(c[60])
            cols[f"collaborating pairs at {months}"].append(c[months])
            d = series(m, "durable_collaborations")
            cols["durable at 60"].append(d[60])
            cols[f"durable at {months}"].append(d[months])
            cols[f"multisector clusters at {months}"].append(series(m, "multisector_clusters")[months])
            cols[f"breakdowns by {months}"].append(series(m, "breakdowns")[months])
            cols[f"collective impact by {months}"].append(series(m, "collective_impact")[months])
        rows[name] = cols
    return rows


DOC_ROWS: dict[str, dict[str, str]] = {
    "e1": {
        "patient (default, no mandate)": "`default`: patient, no mandate",
        "mandate: pressure 0.6, deadline 24, money ends 60 (funder_mandate)": "`funder_mandate`: pressure 0.6, deadline 24, money ends at 60",
        "mandate as funder_mandate, but the money never ends": "the same mandate, but the money never ends",
        "no mandate, but the money ends at 60": "no mandate, but the money ends at 60",
        "mandate: pressure 0.6, deadline 48, money ends 60": "`funder_mandate` with deadline 48",
        "mandate: pressure 0.9, deadline 12, money ends 60": "`funder_mandate` with pressure 0.9, deadline 12",
        "button at month 12: pressure 0.6, 24 months, money never ends": "button at month 12: pressure 0.6, deadline 24 (money never ends)",
    },
    "e2": {
        "police_community with history_of_harm = 0": "`police_community` with `history_of_harm` = 0",
        "police_community (history 0.6, no forum)": "`police_community` (history 0.6, no forum)",
        "police_community_meetings (history 0.6, monthly forum)": "`police_community_meetings` (history 0.6, monthly forum)",
    },
    "e3": {
        "collective_impact without the backbone (backbone = false)": "no backbone",
        "collective_impact (backbone, 20 organisations a month)": "backbone serving 20 a month",
        "collective_impact, backbone_capacity = 5": "backbone serving 5 a month",
        "collective_impact, backbone removed at month 60": "backbone removed at month 60",
    },
}
"""Row names in docs/teaching.md for each run the script makes."""


def doc_headings(months: int) -> dict[str, dict[str, str]]:
    """Column headings in docs/teaching.md, by the script's column names (also the page's words)."""
    return {
        "e1": {
            "collaborating pairs at 24": "collaborating pairs at 24",
            "nominal collaborations at 24": "nominal collaborations at 24",
            "collaborating pairs at 60": "collaborating pairs at 60",
            f"collaborating pairs at {months}": f"collaborating pairs at {months}",
            f"durable at {months}": f"durable (12+ months) at {months}",
            "premature escalations": "premature escalations",
            f"breakdowns by {months}": f"breakdowns by {months}",
            "months to first collaboration": "months to first collaboration",
        },
        "e2": {
            "first month a harmed pair works": "first month a harmed pair works together",
            "harmed pairs working at 12": "harmed pairs working at 12",
            "harmed pairs working at 24": "… at 24",
            "harmed pairs working at 60": "… at 60",
            f"harmed pairs working at {months}": f"… at {months}",
            f"harmed pairs cooperating+ at {months}": f"harmed pairs at cooperation or above, at {months}",
            "damage in harmed pairs at 24": "mean damage in harmed pairs at 24",
            f"damage in harmed pairs at {months}": f"… at {months}",
        },
        "e3": {
            "months to first collaboration": "months to first collaboration",
            "collaborating pairs at 36": "collaborating pairs at 36",
            "collaborating pairs at 60": "… at 60",
            f"collaborating pairs at {months}": f"… at {months}",
            "durable at 60": "durable at 60",
            f"durable at {months}": f"durable at {months}",
            f"multisector clusters at {months}": f"multisector clusters at {months}",
            f"breakdowns by {months}": f"breakdowns by {months}",
            f"collective impact by {months}": f"collective impact by {months}",
        },
    }


MARKER = re.compile(r"(<!-- numbers: (e\d) -->\n)(.*?)(<!-- /numbers -->)", re.S)


def doc_blocks(seeds: list[int], months: int, commit: str) -> dict[str, str]:
    """Each marked block of the lesson: its table, then where the numbers came from."""
    rows = {"e1": experiment_funder(seeds, months), "e2": experiment_history(seeds, months), "e3": experiment_backbone(seeds, months)}
    heads = doc_headings(months)
    out = {}
    for key, r in rows.items():
        text = doc_table(r, DOC_ROWS[key], heads[key])
        if key == "e3":
            sd = {DOC_ROWS[key][name]: np.std(cols[f"durable at {months}"], ddof=1) for name, cols in r.items()}
            text += "\n\nSpread between runs (standard deviation over seeds) of durable collaborations at month " + f"{months}: " + "; ".join(
                f"{name}: {v:.1f}" for name, v in sd.items()
            ) + "."
        out[key] = text + f"\n\n*Generated by `python scripts/teaching_numbers.py --write docs/teaching.md` ({len(seeds)} seeds, {months} months" + (f", commit {commit}" if commit else "") + ").*\n"
    return out


def update_doc(text: str, blocks: dict[str, str]) -> str:
    def repl(m: re.Match) -> str:
        return m.group(1) + blocks[m.group(2)] + m.group(4)

    return MARKER.sub(repl, text)


def _strip_commit(text: str) -> str:
    return re.sub(r", commit [0-9a-f]+\)", ")", text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--write", metavar="FILE", help="replace the marked tables in FILE (docs/teaching.md)")
    ap.add_argument("--check", metavar="FILE", help="exit 1 if the marked tables in FILE are not what the model gives")
    a = ap.parse_args(argv)
    seeds = list(range(a.seeds))
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, check=False
        ).stdout.strip()
    except OSError:  # pragma: no cover
        commit = ""
    target = a.write or a.check
    if target:
        path = Path(target)
        text = path.read_text(encoding="utf-8")
        found = {m.group(2) for m in MARKER.finditer(text)}
        if found != {"e1", "e2", "e3"}:
            print(f"error: {path} must hold the markers <!-- numbers: e1 -->, e2 and e3 (each closed by <!-- /numbers -->); found {sorted(found)}", file=sys.stderr)
            return 2
        new = update_doc(text, doc_blocks(seeds, a.months, commit))
        if a.write:
            path.write_text(new, encoding="utf-8")
            print(f"updated the tables in {path}")
            return 0
        if _strip_commit(new) != _strip_commit(text):
            print(f"{path}: the lesson's tables are not what the model gives now; run\n"
                  f"    python scripts/teaching_numbers.py --write {path}", file=sys.stderr)
            return 1
        print(f"{path}: tables match the model")
        return 0
    print(f"collabsim {collabsim.__version__} at commit {commit or '?'}; seeds {seeds[0]}-{seeds[-1]}; {a.months} months; "
          "cells: mean (lowest-highest run); cumulative counts are totals since month 0\n")
    for key, block in doc_blocks(seeds, a.months, commit).items():
        print(f"### {key}\n\n{block}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
