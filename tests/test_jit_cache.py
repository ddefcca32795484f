"""The compiled-code cache never runs a stale rule.

numba checks a cached function against its own source file only, yet a compiled pass carries
the code of the rules it calls from other files. ``collabsim._jit`` stamps every cached
function with the source of the whole package; these tests show the stamp is in use and that
an edit in another file reaches a cached caller."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numba
import pytest

import collabsim
from collabsim import _jit

PACKAGE = Path(collabsim.__file__).resolve().parent

PROBE = """
import numpy as np
from collabsim.kernels import learn_values
p = np.array([0.1, 0.3, 0.5, 0.05, 0.5, 0.1, 0.9])
print(repr(float(learn_values(0, 0.5, 0.0, 0.0, 0.0, 1.0, 0.5, 1.0, p)[0])))
"""


def test_every_compiled_function_of_the_package_carries_the_package_stamp():
    import importlib

    checked = 0
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem == "__main__":  # runs the command line
            continue
        module = importlib.import_module(f"collabsim.{path.stem}")
        for obj in vars(module).values():
            if isinstance(obj, numba.core.registry.CPUDispatcher) and obj.__module__ == module.__name__ and obj._cache is not None:
                locator = obj._cache._impl._locator
                assert type(locator) in _jit.LOCATORS, (obj, type(locator))
                assert locator.get_source_stamp()[1] == _jit.SOURCE_STAMP
                checked += 1
    assert checked >= 30


def test_the_stamp_changes_with_any_top_level_module(tmp_path):
    copy = tmp_path / "collabsim"
    copy.mkdir()
    for path in PACKAGE.glob("*.py"):
        shutil.copy(path, copy / path.name)
    before = _jit.source_stamp(copy)
    assert before == _jit.SOURCE_STAMP
    (copy / "trust.py").write_text((copy / "trust.py").read_text() + "\n# an edit\n")
    assert _jit.source_stamp(copy) != before


@pytest.mark.slow
def test_an_edit_in_another_file_reaches_a_cached_caller(tmp_path):
    """``kernels.learn_values`` inlines ``trust.two_layer_one``: run it (compiled and cached),
    edit only trust.py, run again. Without the package stamp the second run loads the cached
    copy and prints the old number."""
    root = tmp_path / "src"
    shutil.copytree(PACKAGE, root / "collabsim", ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def probe() -> float:
        done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
        assert done.returncode == 0, done.stderr
        return float(done.stdout.strip())

    first = probe()
    assert list((root / "collabsim" / "__pycache__").glob("kernels.learn_values-*.nbi")), "the caller was not cached"
    assert probe() == first  # loaded from the cache: same number
    trust = root / "collabsim" / "trust.py"
    rule = "g = gain * max(s, 0.0) * max(0.0, (1.0 - r) - t)"
    assert rule in trust.read_text()
    trust.write_text(trust.read_text().replace(rule, "g = 0.0 * gain"))
    assert probe() < first  # the edited rule ran: no gain
