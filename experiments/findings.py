"""Render every ``results/<folder>/FINDINGS.md`` from its template ``experiments/findings/<folder>.md``.

Why: a number typed into prose drifts from its table the next time the study is re-run
(issue 14 found four such drifts). Here every number in a FINDINGS.md is read from a
table in ``results/`` through an explicit placeholder, so a re-run refreshes the text and
``--check`` (and ``tests/test_findings.py``) fails when a committed FINDINGS.md no longer
matches its tables.

Placeholder syntax (one per pair of double braces; whitespace around parts is ignored)::

    {{ SOURCE | SELECTOR | FIELD | FORMAT }}

* ``SOURCE``: a file under ``results/``, e.g. ``q2_funder/pressure_deadline_backbone.csv``
  or ``q1_time/summary.json``.
* ``SELECTOR`` (CSV only): ``col=value, col=value`` picks rows; numbers compare as numbers
  (``1`` equals ``1.0``), ``True``/``False`` as booleans, anything else as text. ``*``
  selects every row. For JSON write ``-``.
* ``FIELD``: a CSV column, which then needs exactly one selected row; or an aggregate over
  the selected rows, ``NAME(column, ...)`` with ``NAME`` one of ``AGGREGATES`` below; or,
  for JSON, a dotted path (``months_first_contact_to_collaboration.median``, list items
  by index: ``points.0.trust_gain``).
* ``FORMAT``: a Python format spec (``.1f``, ``,.0f``, ``.0%``, ``d``, ``s``); optional.

Usage::

    python experiments/findings.py            # write every FINDINGS.md
    python experiments/findings.py --check    # exit 1 if any FINDINGS.md differs from its template
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "experiments" / "findings"
RESULTS = ROOT / "results"

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
# a selector's parts are split at a comma followed by "name=" (values may contain commas)
SELECTOR_SPLIT = re.compile(r",\s*(?=[A-Za-z_]\w*\s*=)")
AGGREGATE = re.compile(r"^([a-z_]+)\((.*)\)$")


class FindingsError(ValueError):
    """A template that cannot be filled: names the template, line, placeholder and the fix."""


# --------------------------------------------------------------------------- aggregates
def _numbers(rows: list[dict], column: str) -> list[float]:
    return [float(r[column]) for r in rows]


def agg_count(rows: list[dict]) -> int:
    """Number of selected rows."""
    return len(rows)


def agg_count_true(rows: list[dict], column: str) -> int:
    """Selected rows whose boolean column is True (e.g. cells where harm outweighs help)."""
    return sum(_parse_bool(r[column]) is True for r in rows)


def agg_count_above(rows: list[dict], column: str, threshold: str = "0") -> int:
    """Selected rows whose column is above a threshold (e.g. a CI's lower end above zero)."""
    return sum(v > float(threshold) for v in _numbers(rows, column))


def agg_count_below(rows: list[dict], column: str, other: str) -> int:
    """Selected rows where ``column`` is below ``other`` (e.g. replicates used below those needed)."""
    return sum(float(r[column]) < float(r[other]) for r in rows)


def agg_min(rows: list[dict], column: str) -> float:
    return min(_numbers(rows, column))


def agg_max(rows: list[dict], column: str) -> float:
    return max(_numbers(rows, column))


def agg_median(rows: list[dict], column: str) -> float:
    return statistics.median(_numbers(rows, column))


def agg_mean(rows: list[dict], column: str) -> float:
    return statistics.fmean(_numbers(rows, column))


def agg_top(rows: list[dict], column: str, key: str, rank: str = "1") -> str:
    """The ``key`` of the row with the rank-th largest ``column`` (e.g. the parameter with the
    largest Morris mu*), so a ranking named in prose follows the table."""
    ordered = sorted(rows, key=lambda r: float(r[column]), reverse=True)
    k = int(rank)
    if not 1 <= k <= len(ordered):
        raise KeyError(f"rank {k} asked of {len(ordered)} selected rows")
    return ordered[k - 1][key]


def agg_bottom(rows: list[dict], column: str, key: str, rank: str = "1") -> str:
    """The ``key`` of the row with the rank-th smallest ``column`` (e.g. the scarcity at
    which same-sector partnerships are fewest)."""
    ordered = sorted(rows, key=lambda r: float(r[column]))
    k = int(rank)
    if not 1 <= k <= len(ordered):
        raise KeyError(f"rank {k} asked of {len(ordered)} selected rows")
    return ordered[k - 1][key]


def agg_rank(rows: list[dict], column: str, key: str, value: str) -> int:
    """Rank (1 = largest ``column``) of the row whose ``key`` equals ``value``."""
    ordered = [r[key] for r in sorted(rows, key=lambda r: float(r[column]), reverse=True)]
    if value not in ordered:
        raise KeyError(f"no selected row has {key}={value}")
    return ordered.index(value) + 1


def _paired_cells(rows: list[dict], column: str, factor: str, keys: tuple[str, ...]) -> list[dict[bool, float]]:
    """``column`` with the boolean ``factor`` True and False, per combination of ``keys``."""
    cells: dict[tuple, dict[bool, float]] = {}
    for r in rows:
        flag = _parse_bool(r[factor])
        if flag is None:
            raise KeyError(f"column {factor!r} is not boolean (value {r[factor]!r})")
        cells.setdefault(tuple(r[k] for k in keys), {})[flag] = float(r[column])
    return [c for c in cells.values() if len(c) == 2]


def agg_count_lower_when_true(rows: list[dict], column: str, factor: str, *keys: str) -> int:
    """Cells (one per combination of ``keys``) where ``column`` is lower with the boolean
    ``factor`` True than with it False, e.g. where the spread across runs is lower with a
    backbone than without at the same skill and size."""
    return sum(c[True] < c[False] for c in _paired_cells(rows, column, factor, keys))


def agg_count_higher_when_true(rows: list[dict], column: str, factor: str, *keys: str) -> int:
    """Cells where ``column`` is higher with the boolean ``factor`` True than with it False."""
    return sum(c[True] > c[False] for c in _paired_cells(rows, column, factor, keys))


AGGREGATES: dict[str, Callable[..., Any]] = {
    "count_lower_when_true": agg_count_lower_when_true,
    "count_higher_when_true": agg_count_higher_when_true,
    "count": agg_count,
    "count_true": agg_count_true,
    "count_above": agg_count_above,
    "count_below": agg_count_below,
    "min": agg_min,
    "max": agg_max,
    "median": agg_median,
    "mean": agg_mean,
    "top": agg_top,
    "bottom": agg_bottom,
    "rank": agg_rank,
}


# --------------------------------------------------------------------------- values
def _parse_bool(text: str) -> bool | None:
    return {"true": True, "false": False}.get(str(text).strip().lower())


def _same(cell: str, wanted: str) -> bool:
    """Numbers as numbers, booleans as booleans, else text."""
    b1, b2 = _parse_bool(cell), _parse_bool(wanted)
    if b1 is not None or b2 is not None:
        return b1 == b2
    try:
        return math.isclose(float(cell), float(wanted), rel_tol=1e-9, abs_tol=1e-12)
    except ValueError:
        return str(cell).strip() == wanted.strip()


def _read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _select(rows: list[dict], selector: str) -> list[dict]:
    selector = selector.strip()
    if selector == "*":
        return rows
    conditions = []
    for part in SELECTOR_SPLIT.split(selector):
        if "=" not in part:
            raise KeyError(f"selector part {part!r} is not 'column=value' (or write '*' for every row)")
        col, value = (s.strip() for s in part.split("=", 1))
        if rows and col not in rows[0]:
            raise KeyError(f"selector column {col!r} is not in the table; columns: {', '.join(rows[0])}")
        conditions.append((col, value))
    picked = [r for r in rows if all(_same(r[c], v) for c, v in conditions)]
    if not picked:
        near = {c: sorted({r[c] for r in rows}) for c, _ in conditions}
        raise KeyError(f"no row matches {selector!r}; values in the table: {near}")
    return picked


def _format(value: Any, spec: str) -> str:
    spec = spec.strip()
    if isinstance(value, str):
        if spec in ("", "s"):
            return value
        value = _parse_bool(value) if _parse_bool(value) is not None else float(value)
    if spec.endswith("d") and isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"format 'd' asked for the non-integer {value}")
        value = int(value)
    try:
        return format(value, spec)
    except ValueError as exc:
        raise ValueError(f"format {spec!r} does not apply to {value!r} ({exc}); use a Python format spec such as .1f, ,.0f, .0%, d or s") from None


def _json_path(data: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(data, list):
            data = data[int(key)]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            keys = ", ".join(map(str, data)) if isinstance(data, dict) else type(data).__name__
            raise KeyError(f"no key {key!r} in the JSON at this level; keys: {keys}")
    return data


class Tables:
    """Reads each table once per rendering."""

    def __init__(self, results: Path = RESULTS):
        self.results = results
        self._cache: dict[str, Any] = {}

    def get(self, source: str) -> Any:
        if source not in self._cache:
            path = self.results / source
            if not path.is_file():
                raise KeyError(f"no table {source!r} under {self.results}")
            self._cache[source] = json.loads(path.read_text(encoding="utf-8")) if path.suffix == ".json" else _read_csv(path)
        return self._cache[source]

    def value(self, placeholder: str) -> str:
        parts = [p.strip() for p in placeholder.split("|")]
        if len(parts) not in (3, 4):
            raise KeyError("a placeholder has 3 or 4 parts: SOURCE | SELECTOR | FIELD | FORMAT")
        source, selector, field = parts[:3]
        spec = parts[3] if len(parts) == 4 else ""
        data = self.get(source)
        if source.endswith(".json"):
            if selector not in ("-", ""):
                raise KeyError("a JSON source takes no row selector: write '-'")
            return _format(_json_path(data, field), spec)
        rows = _select(data, selector)
        match = AGGREGATE.match(field)
        if match:
            name, args = match.group(1), [a.strip() for a in match.group(2).split(",") if a.strip()]
            if name not in AGGREGATES:
                raise KeyError(f"unknown aggregate {name!r}; allowed: {', '.join(AGGREGATES)}")
            columns = args if name.endswith("_when_true") or name == "count_below" else args[:1] + (args[1:2] if name in ("top", "bottom", "rank") else [])
            for col in columns:
                if col not in rows[0]:
                    raise KeyError(f"column {col!r} is not in the table; columns: {', '.join(rows[0])}")
            try:
                return _format(AGGREGATES[name](rows, *args), spec)
            except TypeError as exc:
                raise KeyError(f"aggregate {name}: {exc}") from None
        if field not in rows[0]:
            raise KeyError(f"column {field!r} is not in the table; columns: {', '.join(rows[0])}")
        if len(rows) != 1:
            raise KeyError(f"selector {selector!r} matches {len(rows)} rows, not one: add columns to it, or use an aggregate ({', '.join(AGGREGATES)})")
        return _format(rows[0][field], spec)


# --------------------------------------------------------------------------- literal numbers
# What a template's prose may still contain as digits: a single digit (levels 0-4,
# behaviour and measurement numbers, "one step"), a year, a seed text's id (000-004), the
# 95% of a confidence level, a numbered reference (ODD 7.9, issue 10, Eq. 7, Table 1,
# Q1), anything inside inline code (file and parameter names) or inside double quotes
# (a quotation of a source text), and a number that the same template uses as a selector
# value (a parameter setting such as trust_gain 0.1, not a result).
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
REFERENCE = re.compile(r"\b(?:ODD|section|sections|issue|issues|Eq\.|Table|behaviour|behaviours|measurement|measurements|check|step)\s+\d+(?:\.\d+)*", re.I)
ALLOWED = re.compile(r"^(?:\d|1[89]\d\d|20\d\d|00[0-4])$")


def _selector_values(text: str) -> set[str]:
    values: set[str] = set()
    for match in PLACEHOLDER.finditer(text):
        parts = [p.strip() for p in match.group(1).split("|")]
        if len(parts) >= 2 and parts[1] not in ("*", "-", ""):
            for part in SELECTOR_SPLIT.split(parts[1]):
                if "=" in part:
                    value = part.split("=", 1)[1].strip()
                    values.add(value)
                    try:
                        values.add(format(float(value), "g"))
                    except ValueError:
                        pass
    return values


def literal_numbers(text: str) -> list[str]:
    """Digit sequences in a template's prose that look like result numbers (should be placeholders)."""
    settings = _selector_values(text)
    prose = PLACEHOLDER.sub(" ", text)
    prose = re.sub(r"`[^`]*`", " ", prose)
    prose = re.sub(r'"(?:[^"\n]|\n(?!\n)){0,400}"', " ", prose)  # a quotation, within one paragraph
    prose = re.sub(r"\b95%", " ", prose)
    prose = REFERENCE.sub(" ", prose)
    found = []
    for match in NUMBER.finditer(prose):
        num = match.group(0)
        if ALLOWED.match(num) or num in settings:
            continue
        try:
            if format(float(num.replace(",", "")), "g") in settings:
                continue
        except ValueError:
            pass
        found.append(num)
    return found


# --------------------------------------------------------------------------- rendering
def header(template: Path, root: Path = ROOT) -> str:
    rel = template.relative_to(root) if template.is_relative_to(root) else template
    return (f"<!-- Generated by experiments/findings.py from {rel.as_posix()}: every number comes from a table "
            "in this folder. Edit the template and re-run the script, not this file. -->\n")


def render_text(text: str, tables: Tables, name: str = "<template>") -> str:
    """Fill every placeholder of a template's text; a bad one raises FindingsError naming it."""

    def fill(match: re.Match) -> str:
        try:
            return tables.value(match.group(1))
        except (KeyError, ValueError, IndexError) as exc:
            line = text.count("\n", 0, match.start()) + 1
            msg = exc.args[0] if exc.args else str(exc)
            raise FindingsError(f"{name}, line {line}: placeholder {{{{{match.group(1).strip()}}}}}: {msg}") from None

    return PLACEHOLDER.sub(fill, text)


def render(template: Path, results: Path = RESULTS, tables: Tables | None = None) -> str:
    tables = tables or Tables(results)
    return header(template) + render_text(template.read_text(encoding="utf-8"), tables, str(template.relative_to(ROOT) if template.is_relative_to(ROOT) else template))


def templates(folder: Path = TEMPLATES) -> list[Path]:
    return sorted(folder.glob("*.md"))


def target_of(template: Path, results: Path = RESULTS) -> Path:
    return results / template.stem / "FINDINGS.md"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a FINDINGS.md differs from its template")
    ap.add_argument("--results", type=Path, default=RESULTS, help="results folder (default results/)")
    ap.add_argument("--templates", type=Path, default=TEMPLATES, help="templates folder (default experiments/findings/)")
    args = ap.parse_args(argv)
    tables = Tables(args.results)
    stale = []
    for template in templates(args.templates):
        target = target_of(template, args.results)
        if not target.parent.is_dir():
            print(f"skip {template.name}: no folder {target.parent}", file=sys.stderr)
            if args.check:
                stale.append(target)
            continue
        try:
            text = render(template, args.results, tables)
        except FindingsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(target)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    if stale:
        print("out of date (run python experiments/findings.py): " + ", ".join(str(p) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
