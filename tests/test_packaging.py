"""The package as others consume it: one version everywhere, a valid CITATION.cff, a Keep a
Changelog file, a valid pyproject (classifiers included), only dependencies that are used,
and a wheel that carries ``py.typed``."""

from __future__ import annotations

import ast
import datetime as dt
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

import collabsim

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CFF_SCHEMA = ROOT / "tests" / "data" / "cff-schema-1.2.0.json"  # Citation File Format 1.2.0's own schema

IMPORT_NAMES = {"SALib": "SALib", "pyyaml": "yaml", "dask[distributed]": "distributed", "mesa[rec]": "mesa"}
"""Distribution name -> module name where they differ."""

PINS = {"ipyvue", "ipyvuetify"}
"""Not imported by collabsim: upper bounds on Solara's own dependencies (version 3 breaks the page)."""


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\s]", requirement, maxsplit=1)[0]


def test_one_version_everywhere():
    version = collabsim.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert importlib.metadata.version("collabsim") == version  # what pip installed, from _version.py
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "collabsim._version.__version__"}
    # nothing else in the package writes the version down
    literal = re.compile(rf"['\"]{re.escape(version)}['\"]")
    written = [p.name for p in (ROOT / "collabsim").rglob("*.py") if literal.search(p.read_text(encoding="utf-8"))]
    assert written == ["_version.py"]


def test_citation_cff_is_valid_and_current():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(cff), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert str(cff["version"]) == collabsim.__version__
    assert cff["license"] == PYPROJECT["project"]["license"]
    released = _changelog_releases()[collabsim.__version__]
    assert str(cff["date-released"]) == released


def test_cff_schema_check_can_fail():
    """The schema check above refuses a broken file (a missing title, a bad date)."""
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    broken = dict(cff, **{"date-released": "1st December"})
    del broken["title"]
    messages = " ".join(e.message for e in validator.iter_errors(broken))
    assert "'title' is a required property" in messages and "1st December" in messages


SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def _changelog_releases() -> dict[str, str]:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, flags=re.M))


def test_changelog_follows_keep_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Changelog"
    assert "keepachangelog.com" in text
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[0] == "## [Unreleased]"
    releases = _changelog_releases()
    assert len(releases) == len(headings) - 1, "every release heading is '## [X.Y.Z] - YYYY-MM-DD'"
    assert collabsim.__version__ in releases
    versions = [tuple(map(int, v.split("."))) for v in releases]
    assert versions == sorted(versions, reverse=True), "newest release first"
    dates = [dt.date.fromisoformat(d) for d in releases.values()]
    assert dates == sorted(dates, reverse=True)
    for line in lines:
        if line.startswith("### "):
            assert line[4:] in SECTIONS, line


def test_pyproject_is_valid_with_real_classifiers():
    from validate_pyproject import api

    api.Validator()(PYPROJECT)  # raises on an unknown classifier or a bad field
    classifiers = PYPROJECT["project"]["classifiers"]
    assert "Typing :: Typed" in classifiers
    minor = f"Programming Language :: Python :: {sys.version_info.major}.{sys.version_info.minor}"
    assert minor in classifiers  # the Python these tests run on is declared


def _imported_modules() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "collabsim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
    return {name.split(".")[0] for name in found} | found


def test_every_dependency_is_used():
    imported = _imported_modules()
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = _name(requirement)
        assert IMPORT_NAMES.get(name, name) in imported, f"{requirement} is declared but collabsim never imports it"
    for extra in ("dask", "viz"):
        for requirement in PYPROJECT["project"]["optional-dependencies"][extra]:
            name = IMPORT_NAMES.get(_name(requirement), _name(requirement))
            if name in PINS:
                continue
            if name == "altair":  # imported by mesa.visualization, which the page imports
                assert "mesa.visualization" in imported
                continue
            assert name in imported, f"extra {extra}: {requirement} is declared but never imported"


@pytest.mark.slow
def test_wheel_carries_py_typed_and_metadata(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("collabsim-*.whl")
    assert wheel.name.startswith(f"collabsim-{collabsim.__version__}-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "collabsim/py.typed" in names
        metadata = zf.read(f"collabsim-{collabsim.__version__}.dist-info/METADATA").decode()
    assert f"Version: {collabsim.__version__}" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "Requires-Dist: networkx>=3.0" in metadata
    assert not any(n.startswith("tests/") for n in names)
