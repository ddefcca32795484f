"""An observed community read from a folder: who the organisations are and how they relate.

Issue 10 ("a community with a past"): a run can start from a real community instead of
one drawn at random, so its onsets are those of the community, not of the model's start.
A community folder holds two comma-separated files (format: ``docs/community.md``):

- ``organisations.csv``: ``id``, ``sector`` and, optionally, ``collaborative_skill``,
  ``reliability``, ``capacity`` and ``decision_style``;
- ``relationships.csv``: ``a``, ``b`` (organisation ids), ``level`` 0-4, ``trust`` and,
  optionally, ``trust_ba``, ``damage`` and ``damage_ba``.

Trust may be on the unit scale or on a 1-4 survey scale such as the PARTNER tool's; the
scale is decided per file (``decide_trust_scale``) and values are stored on the unit
scale. Files are read strictly: a user's file is data the model will treat as fact, so
every doubtful cell is refused with a message naming the file, the row (numbered as a
spreadsheet numbers it: the header is row 1), the column, the value and what is allowed,
rather than silently guessed. This module only reads and writes; how the model starts
from a ``Community`` is the model's rule (``docs/ODD.md``).
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .parameters import PARAMETERS, ParameterError
from .relationships import LEVEL_NAMES
from .scenarios import SECTORS

ORGANISATIONS_FILE = "organisations.csv"
RELATIONSHIPS_FILE = "relationships.csv"

MAX_ORGANISATIONS = int(PARAMETERS["n_organisations"].high)
"""The model's own limit on community size (registry parameter ``n_organisations``)."""

ORGANISATION_COLUMNS = ("id", "sector")
ATTRIBUTE_COLUMNS = ("collaborative_skill", "reliability", "capacity", "decision_style")
RELATIONSHIP_COLUMNS = ("a", "b", "level", "trust")
RELATIONSHIP_OPTIONAL = ("trust_ba", "damage", "damage_ba")
DECISION_STYLES = ("hierarchical", "consensual")
TRUST_SCALES = ("unit", "survey_1_4")


class CommunityError(ParameterError):
    """A community folder or file the model refuses: names file, row, column, value and what is allowed."""


@dataclass(frozen=True)
class _Range:
    """Allowed numeric values of a column, written as error messages show them."""

    low: float
    high: float
    low_open: bool = False

    def __contains__(self, x: float) -> bool:
        return (self.low < x if self.low_open else self.low <= x) and x <= self.high

    def __str__(self) -> str:
        return f"a number in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"


UNIT = _Range(0.0, 1.0)
# Per-organisation attribute -> allowed values, and the key it has in Community.attributes.
_ATTRIBUTE_RANGES = {"collaborative_skill": UNIT, "reliability": UNIT, "capacity": _Range(0.0, 10.0, low_open=True)}
ATTRIBUTE_KEYS = ("collaborative_skill", "reliability", "capacity", "hierarchical")
"""Keys of ``Community.attributes``; ``hierarchical`` (bool) comes from ``decision_style``."""


@dataclass(frozen=True, eq=False)
class Community:
    """An observed community: organisations in file order (model index 0..n-1) and their ties.

    Arrays are copies made read-only, so a model that starts from a community must copy
    what it changes and the loaded community stays as the files said.

    Attributes:
        path: the folder as given.
        ids: organisation ids in file order; position = model index.
        sector: int8 index into ``collabsim.scenarios.SECTORS``.
        attributes: the optional organisation columns present in the file, by
            ``ATTRIBUTE_KEYS`` name: float64 arrays, and ``hierarchical`` (bool) for
            ``decision_style``. A column left out of the file is absent here (the model
            draws it as for any community).
        a, b: int64 model indices of each relationship's organisations, ``a != b``.
        level: int8 level 0..4 (``LEVEL_NAMES``: aware ... collaboration).
        trust_ab, trust_ba: float64 in [0, 1], a's trust in b and b's trust in a.
        damage_ab, damage_ba: float64 in [0, 1], a's record of harm from b and b's from a.
        trust_scale: ``"unit"`` or ``"survey_1_4"``, the scale the file used.
    """

    path: str
    ids: tuple[str, ...]
    sector: np.ndarray
    attributes: dict[str, np.ndarray]
    a: np.ndarray
    b: np.ndarray
    level: np.ndarray
    trust_ab: np.ndarray
    trust_ba: np.ndarray
    damage_ab: np.ndarray
    damage_ba: np.ndarray
    trust_scale: str = field(default="unit")

    def __post_init__(self) -> None:
        _check_consistent(self)

    @property
    def n(self) -> int:
        """Number of organisations."""
        return len(self.ids)

    @property
    def n_relationships(self) -> int:
        """Number of relationships (unordered pairs)."""
        return int(self.a.size)

    def to_frames(self):
        """Return (organisations, relationships) as pandas DataFrames in the file format (unit scale)."""
        import pandas as pd

        org_header, org_rows = _organisation_rows(self)
        rel_header, rel_rows = _relationship_rows(self)
        organisations = pd.DataFrame(org_rows, columns=org_header)
        relationships = pd.DataFrame(rel_rows, columns=rel_header)
        relationships["level"] = relationships["level"].astype("int64")
        return organisations, relationships

    def summary(self) -> str:
        """A few lines a user can check a folder against."""
        sectors = Counter(SECTORS[s] for s in self.sector)
        levels = Counter(int(x) for x in self.level)
        lines = [
            f"{self.path}: {self.n} organisations, {self.n_relationships} relationships, trust scale {self.trust_scale}",
            "  sectors: " + ", ".join(f"{name} {sectors[name]}" for name in SECTORS if sectors[name]),
            "  levels: " + ", ".join(f"{k} {LEVEL_NAMES[k]} {levels[k]}" for k in range(len(LEVEL_NAMES))),
            "  attributes given: " + (", ".join(self.attributes) or "none (the model draws them)"),
            f"  pairs with damage: {int(np.count_nonzero((self.damage_ab > 0) | (self.damage_ba > 0)))}",
        ]
        return "\n".join(lines)


def _frozen(values, dtype, low: int | None = None, high: int | None = None) -> np.ndarray:
    """A read-only copy as ``dtype``; integer arrays must hold integers in [low, high) before narrowing."""
    if np.dtype(dtype).kind == "i":
        raw = np.asarray(values)
        if raw.size and raw.dtype.kind not in "iu":
            raise ValueError(f"Community: expected integers, got {raw.dtype}")
        raw = raw.astype(np.int64)
        if low is not None and np.any((raw < low) | (raw >= high)):
            raise ValueError(f"Community: values outside {low}..{high - 1}")
        values = raw
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


def _check_consistent(c: Community) -> None:
    """Coerce a Community's arrays to their documented types and refuse an inconsistent one.

    ``load_community`` only builds consistent communities; this guards the other road in,
    a Community built from a model's state to be saved.
    """
    set_ = object.__setattr__
    set_(c, "path", str(c.path))
    set_(c, "ids", tuple(str(i) for i in c.ids))
    n = len(c.ids)
    if len(set(c.ids)) != n:
        raise ValueError("Community: organisation ids must be unique")
    try:
        set_(c, "sector", _frozen(c.sector, np.int8, 0, len(SECTORS)))
    except ValueError as exc:
        raise ValueError(f"{exc} in sector (indices into SECTORS)") from None
    attributes = {}
    for key, values in dict(c.attributes).items():
        if key not in ATTRIBUTE_KEYS:
            raise ValueError(f"Community: unknown attribute {key!r}; known: {', '.join(ATTRIBUTE_KEYS)}")
        attributes[key] = _frozen(values, bool if key == "hierarchical" else np.float64)
    set_(c, "attributes", attributes)
    for name, dtype, high in (("a", np.int64, n), ("b", np.int64, n), ("level", np.int8, len(LEVEL_NAMES))):
        try:
            set_(c, name, _frozen(getattr(c, name), dtype, 0, high))
        except ValueError as exc:
            raise ValueError(f"{exc} in {name}") from None
    for name in ("trust_ab", "trust_ba", "damage_ab", "damage_ba"):
        set_(c, name, _frozen(getattr(c, name), np.float64))
    m = c.a.size
    problems = []
    if c.sector.shape != (n,):
        problems.append(f"sector must be {n} indices into SECTORS")
    problems += [f"attribute {k!r} must have {n} values" for k, v in attributes.items() if v.shape != (n,)]
    for key, allowed in _ATTRIBUTE_RANGES.items():
        if key in attributes and not all(x in allowed for x in attributes[key]):
            problems.append(f"attribute {key!r} must be {allowed}")
    arrays = ("a", "b", "level", "trust_ab", "trust_ba", "damage_ab", "damage_ba")
    problems += [f"{name} must have {m} values" for name in arrays if getattr(c, name).shape != (m,)]
    if not problems:
        if np.any(c.a == c.b):
            problems.append("a and b must be distinct")
        elif np.unique(np.minimum(c.a, c.b) * n + np.maximum(c.a, c.b)).size != m:
            problems.append("each pair may appear once")
        for name in arrays[3:]:
            values = getattr(c, name)
            if not np.all((values >= 0.0) & (values <= 1.0)):
                problems.append(f"{name} must be in [0, 1]")
    if c.trust_scale not in TRUST_SCALES:
        problems.append(f"trust_scale must be one of {', '.join(TRUST_SCALES)}")
    if problems:
        raise ValueError("Community: " + "; ".join(problems))


# --- reading ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
ROW_NOTE = "header is row 1"


@dataclass
class _Table:
    """One CSV file: its normalised header and its non-blank data rows with spreadsheet row numbers."""

    path: Path
    header_row: int
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]

    def error(self, row: int, column: str, value: str, problem: str, allowed: str) -> CommunityError:
        return CommunityError(f"{self.path}, row {row} ({ROW_NOTE}), column {column!r}: {value!r} {problem}; allowed: {allowed}")


def _read_table(path: Path, required: Sequence[str], optional: Sequence[str]) -> _Table:
    """Read one file: UTF-8 with or without BOM, header names trimmed and lower-cased, cells trimmed."""
    allowed_columns = f"{', '.join(required)} (required), {', '.join(optional)} (optional)"
    if not path.is_file():
        raise CommunityError(f"{path}: file not found; a community folder holds {ORGANISATIONS_FILE} and {RELATIONSHIPS_FILE}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            records = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise CommunityError(f"{path}: not UTF-8 text (bad byte at position {exc.start}); save it as 'CSV UTF-8'") from None
    except (OSError, csv.Error) as exc:
        raise CommunityError(f"{path}: cannot be read as a CSV file ({exc})") from None
    header_at = next((k for k, record in enumerate(records) if any(cell.strip() for cell in record)), None)
    if header_at is None:
        raise CommunityError(f"{path}: the file is empty; expected a header row with columns {allowed_columns}")
    header = [cell.strip().lower() for cell in records[header_at]]
    data = [(k + 1, [cell.strip() for cell in record]) for k, record in enumerate(records) if k > header_at]
    data = [(row, cells) for row, cells in data if any(cells)]
    header_row = header_at + 1
    if len(header) == 1 and re.search(r"[;\t|]", header[0]):
        raise CommunityError(
            f"{path}, row {header_row} (the header): one column {header[0]!r}; the file seems to use another "
            f"separator than a comma; allowed: comma-separated values (save as CSV) with columns {allowed_columns}"
        )
    known = (*required, *optional)
    missing = [name for name in required if name not in header]
    also_missing = f"; missing column(s) {', '.join(missing)}" if missing else ""
    for k, name in enumerate(header):
        if name == "":
            if any(k < len(cells) and cells[k] for _, cells in data):
                raise CommunityError(f"{path}, row {header_row} (the header), column {k + 1}: the column has values but no name; allowed: {allowed_columns}")
        elif name not in known:
            close = difflib.get_close_matches(name, [other for other in known if other not in header], n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise CommunityError(f"{path}, row {header_row} (the header): unknown column {name!r}{hint}{also_missing}; allowed: {allowed_columns}")
        elif header.index(name) != k:
            raise CommunityError(f"{path}, row {header_row} (the header): column {name!r} appears twice; allowed: each of {allowed_columns} once")
    if missing:
        raise CommunityError(f"{path}, row {header_row} (the header): missing column(s) {', '.join(missing)}; allowed: {allowed_columns}")
    rows = []
    for row, cells in data:
        extra = [cell for cell in cells[len(header):] if cell]
        if extra:
            raise CommunityError(
                f"{path}, row {row} ({ROW_NOTE}): {len(cells)} cells but the header names {len(header)} columns "
                f"(extra value {extra[0]!r}); allowed: one value per named column"
            )
        rows.append((row, {name: (cells[k] if k < len(cells) else "") for k, name in enumerate(header) if name}))
    return _Table(path, header_row, [name for name in header if name], rows)


def _number(table: _Table, row: int, column: str, text: str, allowed: _Range | str) -> float:
    """Parse a finite decimal number (point as decimal mark) and check it against ``allowed``."""
    if text == "":
        raise table.error(row, column, text, "is blank but a value is required", str(allowed))
    if not _NUMBER.fullmatch(text):
        hint = " (use a point as the decimal mark)" if re.fullmatch(r"[+-]?\d+,\d+", text) else ""
        raise table.error(row, column, text, f"is not a number{hint}", str(allowed))
    value = float(text)
    if not math.isfinite(value):
        raise table.error(row, column, text, "is not a finite number", str(allowed))
    if isinstance(allowed, _Range) and value not in allowed:
        raise table.error(row, column, text, "is out of range", str(allowed))
    return value


def _choice(table: _Table, row: int, column: str, text: str, choices: Sequence[str]) -> int:
    """Index of the name ``text`` among ``choices`` (see ``_name_key``); refuse with the nearest suggestion."""
    key = _name_key(text)
    if key in choices:
        return choices.index(key)
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6) if key else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    problem = "is blank but a value is required" if text == "" else f"is not allowed{hint}"
    raise table.error(row, column, text, problem, "one of " + ", ".join(choices))


def _name_key(text: str) -> str:
    """Sector and style names: case, spaces and hyphens do not matter ('Law enforcement')."""
    return re.sub(r"[\s-]+", "_", text.strip().lower())


def _read_organisations(folder: Path) -> tuple[tuple[str, ...], np.ndarray, dict[str, np.ndarray]]:
    table = _read_table(folder / ORGANISATIONS_FILE, ORGANISATION_COLUMNS, ATTRIBUTE_COLUMNS)
    if not table.rows:
        raise CommunityError(f"{table.path}: no organisations (only a header); allowed: 1 to {MAX_ORGANISATIONS:,} data rows")
    if len(table.rows) > MAX_ORGANISATIONS:
        raise CommunityError(
            f"{table.path}: {len(table.rows):,} organisations; allowed: at most {MAX_ORGANISATIONS:,} "
            "(the model's limit, parameter n_organisations)"
        )
    ids: list[str] = []
    first_row: dict[str, int] = {}
    sectors = []
    present = [name for name in ATTRIBUTE_COLUMNS if name in table.columns]
    values: dict[str, list] = {name: [] for name in present}
    for row, cells in table.rows:
        org = cells["id"]
        if org == "":
            raise table.error(row, "id", org, "is blank but every organisation needs an id", "any text not used by another row")
        if org in first_row:
            raise table.error(row, "id", org, f"is already the id of row {first_row[org]}", "each id once")
        first_row[org] = row
        ids.append(org)
        sectors.append(_choice(table, row, "sector", cells["sector"], SECTORS))
        for name in present:
            text = cells[name]
            if text == "":
                raise table.error(
                    row, name, text,
                    "is blank; a column given must be filled for every organisation (leave the whole column out to let the model draw it)",
                    str(_ATTRIBUTE_RANGES.get(name, "one of " + ", ".join(DECISION_STYLES))),
                )
            if name == "decision_style":
                values[name].append(_choice(table, row, name, text, DECISION_STYLES) == 0)
            else:
                values[name].append(_number(table, row, name, text, _ATTRIBUTE_RANGES[name]))
    attributes = {("hierarchical" if name == "decision_style" else name): np.asarray(v) for name, v in values.items()}
    return tuple(ids), np.asarray(sectors, dtype=np.int8), {k: attributes[k] for k in ATTRIBUTE_KEYS if k in attributes}


def decide_trust_scale(values: Sequence[float]) -> str | None:
    """The file's trust scale: ``unit`` if every value is in [0, 1], else ``survey_1_4`` if every value is in [1, 4].

    Returns None when neither holds (the caller names the offending rows). A file whose
    values are all in [0, 1] is read as unit even if it came from a survey whose answers
    were all 1: the two cannot be told apart, so docs/community.md warns about it.
    """
    if all(0.0 <= x <= 1.0 for x in values):
        return "unit"
    if all(1.0 <= x <= 4.0 for x in values):
        return "survey_1_4"
    return None


def survey_to_unit(x: np.ndarray) -> np.ndarray:
    """Map the 1-4 survey scale (PARTNER tool: 1 not at all ... 4 a great deal) onto [0, 1] linearly."""
    return (np.asarray(x, dtype=np.float64) - 1.0) / 3.0


def _scale_error(table: _Table, cells: list[tuple[int, str, str, float]]) -> CommunityError:
    allowed = "every trust value in [0, 1] (unit scale), or every one in [1, 4] (1-4 survey scale such as PARTNER's)"
    outside = next((cell for cell in cells if not 0.0 <= cell[3] <= 4.0), None)
    if outside is not None:
        row, column, text, _ = outside
        return table.error(row, column, text, "is on neither trust scale", allowed)
    low = next(cell for cell in cells if cell[3] < 1.0)
    high = next(cell for cell in cells if cell[3] > 1.0)
    row, column, text, _ = max(low, high)
    other = min(low, high)
    return table.error(
        row, column, text,
        f"mixes scales with row {other[0]}, column {other[1]!r}, value {other[2]!r} (one is below 1, the other above 1)",
        allowed,
    )


def _nearest_id(org: str, ids: Sequence[str]) -> str:
    """Suggest the id meant: ids are case-sensitive, so a case-only difference is suggested first."""
    if not org:
        return ""
    same_but_case = [other for other in ids if other.lower() == org.lower()]
    close = same_but_case or difflib.get_close_matches(org, ids, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _level(table: _Table, row: int, text: str) -> int:
    """A level written as an integer (``2`` or ``2.0``) or by name (``coordination``, any case)."""
    key = text.lower()
    if _NUMBER.fullmatch(key) and float(key).is_integer():
        key = str(int(float(key)))
    elif key in LEVEL_NAMES:
        key = str(LEVEL_NAMES.index(key))
    if key in {str(k) for k in range(len(LEVEL_NAMES))}:
        return int(key)
    problem = "is blank but a value is required" if text == "" else "is not a level"
    levels = ", ".join(f"{k} ({name})" for k, name in enumerate(LEVEL_NAMES))
    raise table.error(row, "level", text, problem, f"an integer {levels}, or the level's name")


def _read_relationships(folder: Path, ids: tuple[str, ...]):
    table = _read_table(folder / RELATIONSHIPS_FILE, RELATIONSHIP_COLUMNS, RELATIONSHIP_OPTIONAL)
    if "damage_ba" in table.columns and "damage" not in table.columns:
        raise CommunityError(f"{table.path}, row {table.header_row} (the header): column 'damage_ba' without 'damage'; allowed: damage alone, or damage and damage_ba")
    index = {org: k for k, org in enumerate(ids)}
    seen: dict[tuple[int, int], int] = {}
    a, b, level, damage_ab, damage_ba = [], [], [], [], []
    trust_cells: list[tuple[int, str, str, float]] = []  # (row, column, text, value) of every trust value given
    trust_ab, trust_ba = [], []
    for row, cells in table.rows:
        ends = []
        for column in ("a", "b"):
            org = cells[column]
            if org not in index:
                hint = _nearest_id(org, ids)
                problem = "is blank but a value is required" if org == "" else f"is not an id in {ORGANISATIONS_FILE}{hint}"
                raise table.error(row, column, org, problem, f"an id from the 'id' column of {ORGANISATIONS_FILE}")
            ends.append(index[org])
        if ends[0] == ends[1]:
            raise table.error(row, "b", cells["b"], "is the same organisation as column 'a'", "an id other than a's")
        pair = (min(ends), max(ends))
        if pair in seen:
            raise table.error(
                row, "b", cells["b"],
                f"makes the pair ({cells['a']!r}, {cells['b']!r}) already given in row {seen[pair]} (a,b and b,a are the same pair)",
                "each pair once; put b's view of a in trust_ba and damage_ba",
            )
        seen[pair] = row
        level.append(_level(table, row, cells["level"]))
        a.append(ends[0])
        b.append(ends[1])
        trust = _number(table, row, "trust", cells["trust"], "a number on one scale for the whole file: [0, 1] or 1-4")
        trust_cells.append((row, "trust", cells["trust"], trust))
        trust_ab.append(trust)
        back = cells.get("trust_ba", "")
        if back == "":
            trust_ba.append(trust)
        else:
            value = _number(table, row, "trust_ba", back, "a number on the same scale as 'trust', or blank for the same value")
            trust_cells.append((row, "trust_ba", back, value))
            trust_ba.append(value)
        harm = cells.get("damage", "")
        damage = 0.0 if harm == "" else _number(table, row, "damage", harm, UNIT)
        harm_back = cells.get("damage_ba", "")
        damage_ab.append(damage)
        damage_ba.append(damage if harm_back == "" else _number(table, row, "damage_ba", harm_back, UNIT))
    scale = decide_trust_scale([cell[3] for cell in trust_cells])
    if scale is None:
        raise _scale_error(table, trust_cells)
    trust_ab_arr, trust_ba_arr = np.asarray(trust_ab, dtype=np.float64), np.asarray(trust_ba, dtype=np.float64)
    if scale == "survey_1_4":
        trust_ab_arr, trust_ba_arr = survey_to_unit(trust_ab_arr), survey_to_unit(trust_ba_arr)
    return a, b, level, trust_ab_arr, trust_ba_arr, damage_ab, damage_ba, scale


def load_community(path: str | os.PathLike) -> Community:
    """Read and check a community folder; raise CommunityError naming the first problem found."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise CommunityError(f"{folder}: no such folder; allowed: a folder holding {ORGANISATIONS_FILE} and {RELATIONSHIPS_FILE}")
    if not folder.is_dir():
        raise CommunityError(f"{folder}: not a folder; allowed: a folder holding {ORGANISATIONS_FILE} and {RELATIONSHIPS_FILE}")
    ids, sector, attributes = _read_organisations(folder)
    a, b, level, trust_ab, trust_ba, damage_ab, damage_ba, scale = _read_relationships(folder, ids)
    return Community(
        path=os.fspath(path), ids=ids, sector=sector, attributes=attributes,
        a=np.asarray(a, dtype=np.int64), b=np.asarray(b, dtype=np.int64), level=np.asarray(level, dtype=np.int8),
        trust_ab=trust_ab, trust_ba=trust_ba,
        damage_ab=np.asarray(damage_ab, dtype=np.float64), damage_ba=np.asarray(damage_ba, dtype=np.float64),
        trust_scale=scale,
    )


# --- writing ---------------------------------------------------------------------------------


def _organisation_rows(c: Community) -> tuple[list[str], list[list]]:
    header = ["id", "sector", *(name for name in ATTRIBUTE_COLUMNS if ("hierarchical" if name == "decision_style" else name) in c.attributes)]
    rows = []
    for k, org in enumerate(c.ids):
        row = [org, SECTORS[c.sector[k]]]
        for name in header[2:]:
            if name == "decision_style":
                row.append(DECISION_STYLES[0] if c.attributes["hierarchical"][k] else DECISION_STYLES[1])
            else:
                row.append(float(c.attributes[name][k]))
        rows.append(row)
    return header, rows


def _relationship_rows(c: Community) -> tuple[list[str], list[list]]:
    header = [*RELATIONSHIP_COLUMNS, *RELATIONSHIP_OPTIONAL]
    rows = [
        [c.ids[c.a[r]], c.ids[c.b[r]], int(c.level[r]), float(c.trust_ab[r]), float(c.trust_ba[r]), float(c.damage_ab[r]), float(c.damage_ba[r])]
        for r in range(c.a.size)
    ]
    return header, rows


def save_community(community: Community, path: str | os.PathLike) -> Path:
    """Write the two files of ``community`` into folder ``path`` (created if needed; the two files are replaced).

    Trust is written on the unit scale and every optional relationship column is written,
    so ``load_community`` reads back exactly the same arrays (floats are written in
    Python's shortest round-trip form).
    """
    folder = Path(path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in ((ORGANISATIONS_FILE, _organisation_rows(community)), (RELATIONSHIPS_FILE, _relationship_rows(community))):
        with (folder / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m collabsim.community DIR``: check a community folder and print what was read."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m collabsim.community DIR  (checks DIR/organisations.csv and DIR/relationships.csv)", file=sys.stderr)
        return 2
    try:
        community = load_community(args[0])
    except CommunityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(community.summary())
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through subprocess
    raise SystemExit(main())
