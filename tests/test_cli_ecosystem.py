"""The command as a package user meets it: ``python -m collabsim``, the console script,
``--version``, and the one-line error when an extra is not installed (a fresh interpreter
in which the extra's modules cannot be imported, as after a plain ``pip install collabsim``)."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import mesa
import numba
import numpy
import pytest

import collabsim
from tests.cli_helpers import env, write_design

SCRIPT = Path(sys.executable).with_name("collabsim")


LISTED = (("collabsim", collabsim), ("Mesa", mesa), ("numpy", numpy), ("numba", numba))


@pytest.mark.parametrize("command", [[sys.executable, "-m", "collabsim"], [str(SCRIPT)]], ids=["python -m collabsim", "console script"])
def test_version_lists_every_package_a_result_depends_on(command):
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=120, env=env())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(LISTED) + 1
    for line, (label, module) in zip(lines, LISTED):
        assert line == f"{label} {module.__version__}"
    assert lines[-1].startswith(f"Python {platform.python_version()} (")


def test_python_m_collabsim_runs_commands_like_the_script():
    a = subprocess.run([sys.executable, "-W", "error", "-m", "collabsim", "params", "--format", "json"], capture_output=True, text=True, timeout=120, env=env())
    b = subprocess.run([str(SCRIPT), "params", "--format", "json"], capture_output=True, text=True, timeout=120, env=env())
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout and '"name": "trust_gain"' in a.stdout
    bad = subprocess.run([sys.executable, "-m", "collabsim"], capture_output=True, text=True, timeout=120, env=env())
    assert bad.returncode == 2 and "usage: collabsim" in bad.stderr


BLOCKER = """\
# Test helper: modules named in COLLABSIM_TEST_BLOCK cannot be imported (as if not installed).
import importlib.abc, os, sys

_BLOCKED = {name for name in os.environ.get("COLLABSIM_TEST_BLOCK", "").split(",") if name}


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _Blocker())
"""


def _without(tmp_path: Path, blocked: str, *args: str) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(BLOCKER, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "collabsim", *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env=env(PYTHONPATH=str(site), COLLABSIM_TEST_BLOCK=blocked),
    )


def _assert_one_line(done: subprocess.CompletedProcess, extra: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"'{extra}' extra" in lines[0] and f"pip install 'collabsim[{extra}]'" in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["viz"], ["viz", "--port", "8799"], ["viz", "--fetch-assets"]])
def test_viz_without_the_viz_extra_says_so_in_one_line(tmp_path, args):
    done = _without(tmp_path, "solara", *args)
    _assert_one_line(done, "viz")
    assert "solara" in done.stderr


def test_viz_help_needs_no_extra(tmp_path):
    done = _without(tmp_path, "solara", "viz", "--help")
    assert done.returncode == 0 and "usage: collabsim viz" in done.stdout


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_dask_cluster_without_the_dask_extra_says_so_in_one_line(tmp_path, command):
    if command == "sweep":
        design = write_design(tmp_path / "d.toml", months=2, replicates=1, n=5)
        extra = []
    else:
        design = tmp_path / "s.toml"
        design.write_text(textwrap.dedent(
            """
            scenario = "default"
            months = 2
            replicates = 1
            root_seed = 1
            [set]
            n_organisations = 5
            [sample]
            n = 2
            [sample.ranges]
            trust_gain = [0.05, 0.2]
            trust_loss = [0.1, 0.5]
            """
        ), encoding="utf-8")
        extra = ["--method", "morris"]
    out = tmp_path / "out"
    done = _without(tmp_path, "distributed,dask", command, str(design), *extra, "--out", str(out), "--scheduler", "tcp://127.0.0.1:9")
    _assert_one_line(done, "dask")
    assert not out.exists()  # nothing written


def test_commands_without_extras_still_work(tmp_path):
    """Blocking the extras blocks only what needs them: a run still works."""
    done = _without(tmp_path, "solara,distributed,dask,ipyvuetify,ipyvue", "run", "--months", "3", "--set", "n_organisations=5", "--seed", "1", "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "metrics.csv").is_file()
