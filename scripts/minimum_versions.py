"""Print pip constraints that pin every runtime dependency to its declared lower bound.

``scripts/test.sh`` installs collabsim with these constraints once and runs the fast tests,
so each ``>=`` floor in ``pyproject.toml`` is a version that CI has actually run.
Usage: python scripts/minimum_versions.py > constraints.txt
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TRANSITIVE = ("pyparsing<3.3",)
"""Bounds on dependencies of our dependencies, of the floors' era. matplotlib before 3.11
calls pyparsing names that pyparsing 3.3 deprecates: a DeprecationWarning only, which the
tests' warnings-as-errors would turn into failures that are not collabsim's."""


def floors(requirements: list[str]) -> list[str]:
    """``name==floor`` for each requirement with a ``>=`` bound (extras dropped)."""
    pins = []
    for requirement in requirements:
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$", requirement)
        if match is None:
            raise SystemExit(f"cannot read the requirement {requirement!r}")
        name, spec = match.group(1), match.group(3)
        low = re.search(r">=\s*([0-9][0-9A-Za-z.]*)", spec)
        if low:
            pins.append(f"{name}=={low.group(1)}")
    return pins


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    print("\n".join([*floors(project["dependencies"]), *TRANSITIVE]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
