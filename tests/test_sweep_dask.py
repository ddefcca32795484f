"""Results do not depend on what ran them: 1 local worker, 2 local workers and a real
Dask scheduler with two workers (subprocesses listening on 127.0.0.1 only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from .cli_helpers import cli, env, kill_group, table, wait_for, write_design

DASK = [str(Path(sys.executable).with_name("dask"))] if Path(sys.executable).with_name("dask").exists() else [sys.executable, "-m", "dask"]


@pytest.fixture
def dask_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1; stopped afterwards."""
    pytest.importorskip("distributed")
    scheduler_file = tmp_path / "scheduler.json"
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []
    files = []

    def launch(args: list[str], name: str) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "w")
        files.append(log)
        proc = subprocess.Popen([*DASK, *args], stdout=log, stderr=subprocess.STDOUT, env=env(), start_new_session=True, cwd=tmp_path)
        procs.append(proc)
        return proc

    try:
        launch(["scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)], "scheduler")
        assert wait_for(scheduler_file.exists, timeout=60), (logs / "scheduler.log").read_text()
        for k in range(2):
            launch(["worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--dashboard-address", "127.0.0.1:0", "--host", "127.0.0.1"], f"worker{k}")
        assert wait_for(lambda: all("Registered to" in (logs / f"worker{k}.log").read_text() for k in range(2)), timeout=90), [
            (logs / f"worker{k}.log").read_text() for k in range(2)
        ]
        import json

        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        yield address, scheduler_file
    finally:
        for proc in reversed(procs):
            kill_group(proc)
        for f in files:
            f.close()


@pytest.mark.slow
@pytest.mark.dask
def test_one_worker_two_workers_and_dask_give_identical_tables(tmp_path, dask_cluster):
    address, scheduler_file = dask_cluster
    design = write_design(tmp_path / "design.toml", months=24, replicates=3, n=15)
    tables = {}
    for name, options in {
        "one": ["--workers", "1"],
        "two": ["--workers", "2"],
        "dask": ["--scheduler", address],
    }.items():
        out = tmp_path / name
        result = cli("sweep", design, "--out", out, *options, "--quiet")
        assert result.returncode == 0, result.stderr
        tables[name] = table(out)
    assert len(tables["one"]) == 12 * 25
    pd.testing.assert_frame_equal(tables["one"], tables["two"], check_exact=True)
    pd.testing.assert_frame_equal(tables["one"], tables["dask"], check_exact=True)
    # the scheduler file works too, and resuming on Dask adds nothing to a complete sweep
    again = cli("sweep", design, "--out", tmp_path / "dask", "--scheduler-file", scheduler_file)
    assert again.returncode == 0 and "0 new" in again.stdout


@pytest.mark.dask
def test_unreachable_scheduler_is_an_error_not_a_traceback(tmp_path):
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    design = write_design(tmp_path / "design.toml", months=3, replicates=1, n=5)
    result = cli("sweep", design, "--out", tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "2", timeout=120)
    assert result.returncode == 1
    assert "could not connect to the Dask scheduler" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # nothing made for a sweep that could not run
