"""The sweep store loses nothing: resume after kill -9, a dead worker's runs redone, no
orphaned workers, a lock against concurrent sweeps, and foreign, damaged or different
directories refused without being touched."""

from __future__ import annotations

import json
import os
import random
import signal
import time
import uuid

import pandas as pd
import pytest

from collabsim.cli import main

from .cli_helpers import cli, parent_of, parts, start, stop, table, tagged_pids, wait_for, write_design

MONTHS, REPLICATES, N = 120, 12, 60  # big enough that a sweep is still running when it is killed
TOTAL = 4 * REPLICATES


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    return write_design(tmp_path_factory.mktemp("design") / "design.toml", months=MONTHS, replicates=REPLICATES, n=N)


@pytest.fixture(scope="module")
def reference(design, tmp_path_factory):
    """The uninterrupted sweep on one worker."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    result = cli("sweep", design, "--out", out, "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    df = table(out)
    assert df["run_id"].nunique() == TOTAL
    return df


def assert_same(df: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert not df.duplicated(["run_id", "month"]).any()
    pd.testing.assert_frame_equal(df, reference, check_exact=True)


@pytest.mark.slow
def test_resume_after_kill_9_gives_the_uninterrupted_table_and_leaves_no_workers(design, reference, tmp_path):
    out = tmp_path / "sweep"
    rng = random.Random(4)
    for attempt in range(2):
        tag = uuid.uuid4().hex
        before = len(parts(out))
        proc = start("sweep", design, "--out", out, "--workers", "2", "--batch-size", "2", "--quiet", COLLABSIM_TEST_TAG=tag)
        assert wait_for(lambda: len(parts(out)) >= before + 2 or proc.poll() is not None, timeout=120)
        time.sleep(rng.uniform(0, 0.15))  # any moment: while a part may be being written
        assert proc.poll() is None, "the sweep ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert wait_for(lambda: not tagged_pids(tag), timeout=10), f"orphaned workers: {tagged_pids(tag)}"
        stored = table(out)
        assert 0 < stored["run_id"].nunique() < TOTAL
        assert not stored.duplicated(["run_id", "month"]).any()
    result = cli("sweep", design, "--out", out, "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert "already stored" in result.stdout
    assert_same(table(out), reference)
    assert not list((out / "runs").glob(".tmp-*"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 3 and manifest["completed"]
    # once complete, the same command does nothing and changes nothing
    names = [p.name for p in parts(out)]
    again = cli("sweep", design, "--out", out, "--quiet")
    assert again.returncode == 0 and [p.name for p in parts(out)] == names


@pytest.mark.slow
def test_a_dead_worker_is_replaced_and_its_runs_redone(design, reference, tmp_path):
    out = tmp_path / "sweep"
    tag = uuid.uuid4().hex
    proc = start("sweep", design, "--out", out, "--workers", "2", "--batch-size", "2", "--quiet", COLLABSIM_TEST_TAG=tag)

    def workers() -> list[int]:
        # the pool's workers are grandchildren (the fork server is their parent)
        return [pid for pid in tagged_pids(tag) if pid != proc.pid and parent_of(pid) != proc.pid and parent_of(parent_of(pid)) == proc.pid]

    try:
        assert wait_for(lambda: (workers() and parts(out)) or proc.poll() is not None, timeout=120)
        assert proc.poll() is None
        os.kill(workers()[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=180)
    finally:
        stop(proc)
    assert proc.returncode == 0, err
    assert "worker process died" in err
    assert_same(table(out), reference)


@pytest.mark.slow
def test_a_second_sweep_on_the_same_dir_is_refused(tmp_path):
    long_design = write_design(tmp_path / "long.toml", months=120, replicates=40, n=80)  # many seconds on one worker
    out = tmp_path / "sweep"
    first = start("sweep", long_design, "--out", out, "--workers", "1", "--batch-size", "2", "--quiet")
    try:
        assert wait_for(lambda: len(parts(out)) >= 1 or first.poll() is not None, timeout=120)
        assert first.poll() is None
        second = cli("sweep", long_design, "--out", out, "--workers", "1")
        assert first.poll() is None, "the first sweep ended before the second could try"
        assert second.returncode == 1
        assert "another collabsim process" in second.stderr and str(first.pid) in second.stderr
        assert "Traceback" not in second.stderr
        _, err = first.communicate(timeout=300)
    finally:
        stop(first)
    assert first.returncode == 0, err
    assert table(out)["run_id"].nunique() == 4 * 40


def test_different_foreign_or_damaged_dirs_are_refused(tmp_path, capsys):
    design = write_design(tmp_path / "a.toml", months=6, replicates=1, n=8)
    other = write_design(tmp_path / "b.toml", months=7, replicates=1, n=8)
    out = tmp_path / "sweep"
    assert cli("sweep", design, "--out", out, "--workers", "1", "--quiet").returncode == 0
    names = [p.name for p in parts(out)]
    manifest = (out / "manifest.json").read_text()

    refused = cli("sweep", other, "--out", out, "--workers", "1")
    assert refused.returncode == 2 and "different design" in refused.stderr and "--force-new" in refused.stderr
    assert [p.name for p in parts(out)] == names and (out / "manifest.json").read_text() == manifest

    forced = cli("sweep", other, "--out", out, "--workers", "1", "--force-new", "--quiet")
    assert forced.returncode == 0, forced.stderr
    assert table(out)["month"].max() == 7
    assert json.loads((out / "manifest.json").read_text())["design"]["months"] == 7

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["sweep", str(design), "--out", str(foreign), "--workers", "1", "--force-new"]) == 2
    assert "not a collabsim sweep directory" in capsys.readouterr().err
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]

    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "manifest.json").write_text("{not json")
    assert main(["sweep", str(design), "--out", str(damaged), "--workers", "1"]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert (damaged / "manifest.json").read_text() == "{not json"

    alien = tmp_path / "alien"
    alien.mkdir()
    (alien / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    assert main(["report", str(alien)]) == 2
    assert "not a collabsim sweep directory" in capsys.readouterr().err

    broken = tmp_path / "sweep2"
    assert main(["sweep", str(design), "--out", str(broken), "--workers", "1", "--quiet"]) == 0
    (broken / "runs" / "part-000000099-000000099.parquet").write_bytes(b"garbage")
    assert main(["sweep", str(design), "--out", str(broken), "--workers", "1"]) == 2
    assert "not a readable collabsim part" in capsys.readouterr().err


def test_resume_with_changed_model_code_is_refused(tmp_path, capsys):
    """Runs of two versions of the model must never mix in one table."""
    design = write_design(tmp_path / "a.toml", months=4, replicates=1, n=6)
    out = tmp_path / "sweep"
    assert main(["sweep", str(design), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert len(manifest["model_code"]) == 64
    names = [p.name for p in parts(out)]
    manifest["model_code"] = "0" * 64  # as if the sweep had been made by another version of the model
    manifest_path.write_text(json.dumps(manifest))
    assert main(["sweep", str(design), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "different model code" in err and "--force-new" in err
    assert [p.name for p in parts(out)] == names
    assert main(["sweep", str(design), "--out", str(out), "--workers", "1", "--force-new", "--quiet"]) == 0
    assert json.loads(manifest_path.read_text())["model_code"] != "0" * 64


def test_the_coordinator_sees_a_dead_worker_itself():
    """The watch behind ``WATCH_SECONDS``: a pool with a killed worker is seen as broken even
    if the executor has not (yet) failed its futures."""
    from concurrent.futures import ProcessPoolExecutor

    from collabsim.sweep import engine

    pool = ProcessPoolExecutor(max_workers=2, mp_context=engine._context())
    try:
        assert list(pool.map(abs, [-1, -2])) == [1, 2]  # the workers exist
        assert not engine._a_worker_died(pool)
        victim = next(iter(pool._processes.values()))
        os.kill(victim.pid, signal.SIGKILL)
        assert wait_for(lambda: engine._a_worker_died(pool) or not pool._processes, timeout=30)
    finally:
        engine._kill_pool(pool)
