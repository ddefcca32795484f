"""The README's examples, run as written: every ``python`` block in a fresh interpreter,
and every ``collabsim`` line of its command-line block through the installed command (in a
scratch directory that sees the repository's ``experiments/``). The README asks users to
activate ``.venv``; here the test's own environment is that environment."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_helpers import env

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCRIPT = Path(sys.executable).with_name("collabsim")


def blocks(language: str, text: str = README) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def cli_lines() -> list[str]:
    section = README[README.index("## Command line") :]
    section = section[: section.index("\n## ", 3)]
    (block,) = blocks("bash", section)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip().startswith("collabsim ")]


def _scratch(tmp_path: Path) -> Path:
    (tmp_path / "experiments").symlink_to(ROOT / "experiments")
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_readme_python_blocks_run(tmp_path, index):
    code = blocks("python")[index]
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, "-W", "error", str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env())
    assert done.returncode == 0, done.stderr
    if "batch_run" in code:
        assert "2 runs" in done.stdout


def test_readme_tells_how_to_activate_the_venv_and_cites_the_source_texts():
    assert "source .venv/bin/activate" in README
    assert "## Source texts" in README and "seed 00" not in README
    for k in range(5):
        row = re.search(rf"^\| T{k} \| (.+?) \| (.+?) \| (.+?) \|$", README, flags=re.M)
        assert row, f"T{k} is not in the source texts table"
        title, who, link = row.groups()
        assert title and re.search(r"\d{4}|undated", who), (title, who)
    assert "CITATION.cff" in README


@pytest.mark.slow
def test_readme_command_lines_run(tmp_path):
    lines = cli_lines()
    assert len(lines) >= 8
    cwd = _scratch(tmp_path)
    for line in lines:
        argv = shlex.split(line)
        done = subprocess.run([str(SCRIPT), *argv[1:]], capture_output=True, text=True, timeout=900, cwd=cwd, env=env())
        assert done.returncode == 0, (line, done.stderr)
    assert (cwd / "out" / "tg" / "export" / "runs_wide.csv").is_file()
    assert (cwd / "out" / "morris" / "sensitivity.csv").is_file()
    assert (cwd / "out" / "run1" / "manifest.json").is_file()
