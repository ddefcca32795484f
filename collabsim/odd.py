"""Generate the tables of ``docs/ODD.md`` from the code, so the document cannot drift.

``docs/ODD.md`` holds hand-written prose and three generated sections, each between
marker comments::

    <!-- BEGIN GENERATED: parameters -->  ...  <!-- END GENERATED: parameters -->
    <!-- BEGIN GENERATED: ladder -->      ...  <!-- END GENERATED: ladder -->
    <!-- BEGIN GENERATED: constants -->   ...  <!-- END GENERATED: constants -->

``parameters`` is the registry (``collabsim.parameters.PARAMETERS``); ``ladder`` is the
relationship ladder at the registry's defaults (``collabsim.structure``); ``constants``
are the few fixed numbers left in the code (definitions, not behaviour), each with the
docstring written under it in its module. Run ``python -m collabsim.odd`` after changing any of
them; ``tests/test_docs.py`` fails until the document matches.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
from pathlib import Path
from typing import Any, Callable

from . import levels, structure
from .parameters import DEFAULTS, PARAMETERS
from .relationships import LEVEL_NAMES

DEFAULT_PATH = "docs/ODD.md"

# (module, constant, meaning used when the module gives the constant no docstring)
CONSTANTS: tuple[tuple[str, str, str], ...] = (
    ("metrics", "MULTISECTOR_MIN_SECTORS", ""),
)
"""Fixed numbers of the rules listed in the ``constants`` section, in display order."""


# --------------------------------------------------------------------------- formatting
def _cell(text: Any) -> str:
    """A Markdown table cell: pipes escaped, no line breaks."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _number(x: Any) -> str:
    """A number as short as it can be without losing its value (1.0 -> 1, 0.70 -> 0.7)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if hasattr(x, "item"):  # numpy scalar
        x = x.item()
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _value(x: Any) -> str:
    """A parameter default as a user would type it."""
    if x is None:
        return "None"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return f"`{x}`"
    return _number(x)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- tables
def parameter_table_markdown() -> str:
    """The parameter registry as a Markdown table: name, meaning, unit, range, default, source."""
    rows = []
    for p in PARAMETERS.values():
        d = p.describe()
        rows.append([f"`{d['name']}`", d["meaning"], d["unit"], d["range"], _value(d["default"]), d["source"]])
    return _table(["name", "meaning", "unit", "range", "default", "source"], rows)


def ladder_table_markdown() -> str:
    """The relationship ladder at the registry's defaults (``structure.ladder``): one row per level."""
    lad = structure.ladder(DEFAULTS)
    margin = DEFAULTS["fallback_margin"]
    rows = []
    for k, name in enumerate(LEVEL_NAMES):
        need = float(lad[structure.NEED, k])
        floor = "-" if k == levels.AWARE else _number(round(need - margin, 12))
        months = "-" if k in (levels.AWARE, levels.TOP) else f"{_number(lad[structure.MONTHS, k])} / {_number(lad[structure.MONTHS_MISMATCH, k])}"
        rows.append(
            [
                k,
                name,
                _number(need),
                floor,
                _number(lad[structure.COST, k]),
                _number(lad[structure.STAKE, k]),
                _number(lad[structure.VALUE, k]),
                _number(lad[structure.BASE, k]),
                months,
            ]
        )
    table = _table(
        [
            "level",
            "name",
            "`trust_needed_*` (to climb to it)",
            "falls back below",
            "`cost_*` (per partner per month)",
            "`stake_*` (signal size)",
            "`value_*` (impact per success)",
            "`base_success_*`",
            "months of joint work before climbing (matched / mismatched styles)",
        ],
        rows,
    )
    note = (
        f"`fallback_margin` = {_number(margin)}: a pair above aware falls back one level "
        "when its weaker trust is below `trust_needed[level] - fallback_margin` (the \"falls back below\" column). "
        f"Months before climbing: `min_months_per_level` ({DEFAULTS['min_months_per_level']}) at networking, times "
        f"`level_time_growth` ({_number(DEFAULTS['level_time_growth'])}) per level above, times `mismatch_slowdown` "
        f"({_number(DEFAULTS['mismatch_slowdown'])}) for mismatched decision styles, rounded up. Aware pairs need no trust, "
        "cost nothing and produce no value: a chance contact is not joint work. Every number here is a registry "
        "parameter (group `structure`); the table shows the defaults."
    )
    return table + "\n\n" + note


def _attribute_docstrings(module: Any) -> dict[str, str]:
    """Docstrings written as a string literal right under a module-level assignment."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):  # pragma: no cover - source always available in a checkout
        return {}
    docs: dict[str, str] = {}
    body = tree.body
    for node, nxt in zip(body, body[1:]):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(nxt, ast.Expr):
            if isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        docs[t.id] = " ".join(nxt.value.value.split())
    return docs


def constants_table_markdown() -> str:
    """The fixed numbers of the rules (not user parameters): module, name, value, meaning."""
    rows = []
    cache: dict[str, tuple[Any, dict[str, str]]] = {}
    for mod_name, const, fallback in CONSTANTS:
        if mod_name not in cache:
            mod = importlib.import_module(f"{__package__}.{mod_name}")
            cache[mod_name] = (mod, _attribute_docstrings(mod))
        mod, docs = cache[mod_name]
        value = getattr(mod, const)
        meaning = docs.get(const) or fallback
        if not meaning:
            raise ValueError(f"{mod_name}.{const} has no docstring and collabsim/odd.py gives it no meaning")
        rows.append([f"`{mod_name}.py`", f"`{const}`", _value(value), meaning])
    return _table(["module", "constant", "value", "meaning"], rows)


SECTIONS: dict[str, Callable[[], str]] = {
    "parameters": parameter_table_markdown,
    "ladder": ladder_table_markdown,
    "constants": constants_table_markdown,
}
"""Generated sections of docs/ODD.md by marker name."""


# --------------------------------------------------------------------------- the document
def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN GENERATED: {re.escape(name)} -->\n)(.*?)(<!-- END GENERATED: {re.escape(name)} -->)",
        re.DOTALL,
    )


def generated_block(name: str) -> str:
    """The text that belongs between the markers of section ``name``."""
    return SECTIONS[name]().rstrip("\n") + "\n"


def read_sections(text: str) -> dict[str, str | None]:
    """The current content between each pair of markers (``None`` where markers are missing)."""
    out: dict[str, str | None] = {}
    for name in SECTIONS:
        m = _pattern(name).search(text)
        out[name] = m.group(2) if m else None
    return out


def render(text: str) -> tuple[str, list[str]]:
    """``text`` with every generated section rewritten, and the names of those that changed.

    Raises:
        ValueError: if a section's markers are missing.
    """
    changed: list[str] = []
    for name in SECTIONS:
        pat = _pattern(name)
        m = pat.search(text)
        if m is None:
            raise ValueError(
                f"docs/ODD.md has no markers for the {name!r} section: add "
                f"'<!-- BEGIN GENERATED: {name} -->' and '<!-- END GENERATED: {name} -->' on lines of their own"
            )
        new = generated_block(name)
        if m.group(2) != new:
            changed.append(name)
            text = text[: m.start(2)] + new + text[m.end(2) :]
    return text, changed


def _resolve(path: str | Path) -> Path:
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    repo = Path(__file__).resolve().parent.parent / p
    return repo if repo.exists() else p


def update_odd(path: str | Path = DEFAULT_PATH) -> bool:
    """Rewrite the generated sections of the ODD document in place.

    A relative ``path`` is looked up from the working directory, then from the checkout
    that holds this package. Returns True if the file changed.
    """
    target = _resolve(path)
    text = target.read_text(encoding="utf-8")
    new, changed = render(text)
    if changed:
        target.write_text(new, encoding="utf-8")
    update_odd.last_changed = changed  # type: ignore[attr-defined]
    return bool(changed)


def main(argv: list[str] | None = None) -> int:
    """``python -m collabsim.odd [--check] [PATH]``: rewrite (or only check) the generated tables."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    path = _resolve(args[0] if args else DEFAULT_PATH)
    try:
        text = path.read_text(encoding="utf-8")
        new, changed = render(text)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not changed:
        print(f"{path}: generated sections are up to date ({', '.join(SECTIONS)})")
        return 0
    if check:
        print(f"{path}: out of date: {', '.join(changed)} (run python -m collabsim.odd)")
        return 1
    path.write_text(new, encoding="utf-8")
    print(f"{path}: rewrote {', '.join(changed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
