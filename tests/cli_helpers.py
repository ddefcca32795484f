"""Helpers for the end-to-end tests of the ``collabsim`` command (tests/test_cli_*.py,
tests/test_sweep_*.py): run the real entry point in a subprocess, write small designs,
read a sweep's table, find the processes a test started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

COMMAND = [sys.executable, "-W", "error", "-m", "collabsim.cli"]
"""The real entry point (``collabsim`` = ``collabsim.cli:main``), warnings as errors."""

SMALL = """\
scenario = "default"
months = {months}
replicates = {replicates}
root_seed = 11
[set]
n_organisations = {n}
[vary]
trust_gain = [0.05, 0.2]
funder_pressure = [0.0, 0.5]
"""


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ)
    out["MPLBACKEND"] = "Agg"
    out.pop("PYTHONWARNINGS", None)
    out.update(extra)
    return out


def cli(*args: str, timeout: float = 300, cwd: str | Path | None = None, **extra_env: str) -> subprocess.CompletedProcess:
    """Run ``collabsim ARGS`` and return the finished process (text output captured)."""
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env(**extra_env), cwd=cwd)


def start(*args: str, **extra_env: str) -> subprocess.Popen:
    """Start ``collabsim ARGS`` in the background (its output goes to pipes)."""
    return subprocess.Popen([*COMMAND, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(**extra_env))


def write_design(path: Path, text: str | None = None, *, months: int = 24, replicates: int = 3, n: int = 15) -> Path:
    path.write_text(textwrap.dedent(text) if text is not None else SMALL.format(months=months, replicates=replicates, n=n), encoding="utf-8")
    return path


def table(out: Path) -> pd.DataFrame:
    """The sweep's table, sorted by run and month."""
    df = pd.read_parquet(out / "runs")
    return df.sort_values(["run_id", "month"]).reset_index(drop=True)


def parts(out: Path) -> list[Path]:
    runs = out / "runs"
    return sorted(runs.glob("part-*.parquet")) if runs.is_dir() else []


def tagged_pids(tag: str) -> list[int]:
    """Processes whose environment holds COLLABSIM_TEST_TAG=tag (this test's processes)."""
    needle = f"COLLABSIM_TEST_TAG={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def parent_of(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def wait_for(condition, timeout: float = 60, interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)


def kill_group(proc: subprocess.Popen) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=15)
