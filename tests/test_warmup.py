"""The first compile on every core (``collabsim.warmup``) builds exactly what a run needs.

A cold cache is compiled by this process and helper processes together, each function by
whichever process claims it first. The plan they follow must name every function and type
the run compiles (else the run compiles the rest by itself, serially): the end-to-end test
fails when the code needs something the plan lacks, and then says how to rewrite the plan.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import collabsim
from collabsim import warmup
from collabsim.model import CollaborationModel

ROOT = Path(collabsim.__file__).resolve().parent.parent

COLD_RUN = """
import json, os, sys
from numba.core import event
compiled = {"build": [], "run": []}
phase = ["build"]
class Listener(event.Listener):
    def on_start(self, ev): pass
    def on_end(self, ev):
        d = ev.data["dispatcher"]
        if d.py_func.__module__.startswith("collabsim"):
            compiled[phase[0]].append(f"{d.py_func.__module__}:{d.py_func.__name__}")
event.register("numba:compile", Listener())
from collabsim import warmup
from collabsim.model import CollaborationModel
here = warmup.ensure_compiled()
phase[0] = "run"
m = CollaborationModel("funder_mandate", seed=11, months=24)
m.run()
folder = warmup._build_folder(warmup._dispatcher(warmup.ENTRY_POINTS[-1]))
claims = {p.name[:-len(".claim")]: int(p.read_text()) for p in folder.glob("*.claim")}
print(json.dumps({"here": here, "compiled": compiled, "claims": claims, "pid": os.getpid(),
                  "done": sorted(p.name[:-len(".done")] for p in folder.glob("*.done")),
                  "rows": m.datacollector.get_model_vars_dataframe().to_numpy().tolist()}))
"""


@pytest.mark.slow
def test_a_cold_cache_is_built_by_several_processes_and_the_run_compiles_nothing_more(tmp_path):
    if warmup.cores() < 2:
        pytest.skip("one core: a build starts no helper")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), COLLABSIM_COMPILE_HELPERS="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", COLD_RUN], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    plan = [item["name"] for item in warmup.load_plan()]
    names = {n.replace(":", ".") for n in plan}
    assert set(out["done"]) == names  # every function of the plan was built
    assert out["compiled"]["run"] == [], (
        "the run compiled functions the build did not: the plan is out of date; "
        f"rewrite it with `python scripts/write_compile_plan.py` ({out['compiled']['run']})")
    # both processes took part, and each function was claimed once
    claimers = set(out["claims"].values())
    assert out["pid"] in claimers and len(claimers) == 2, out["claims"]
    assert sorted(out["here"]) == sorted(n for n in plan if out["claims"][n.replace(":", ".")] == out["pid"])
    # the run on the code built this way gives what the same run gives here
    m = CollaborationModel("funder_mandate", seed=11, months=24)
    m.run()
    expected = m.datacollector.get_model_vars_dataframe().to_numpy()
    np.testing.assert_array_equal(np.array(out["rows"], dtype=expected.dtype), expected)




def _small_plan():
    full = {item["name"]: item for item in warmup.load_plan()}
    return [dict(full["collabsim.streams:mix"]), dict(full["collabsim.streams:month_key"])]


def test_a_claim_left_by_a_dead_process_is_taken_over(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    (tmp_path / "collabsim.streams.mix.claim").write_text(gone.stdout.strip())
    build = warmup._Build(_small_plan(), tmp_path)
    build.run(time.monotonic() + 60)
    assert build.compiled == ["collabsim.streams:mix", "collabsim.streams:month_key"]
    assert (tmp_path / "collabsim.streams.mix.done").exists() and (tmp_path / "collabsim.streams.month_key.done").exists()


def test_a_claim_left_by_a_process_that_exited_unreaped_is_taken_over(tmp_path):
    """A helper that stops early stays a zombie until the process that started it reaps it,
    which happens only after that process's own build: its claims must count as abandoned."""
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 30
        while Path(f"/proc/{zombie.pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z":
            assert time.monotonic() < deadline, "the child did not exit"
            time.sleep(0.05)
        (tmp_path / "collabsim.streams.mix.claim").write_text(str(zombie.pid))
        build = warmup._Build(_small_plan(), tmp_path)
        start = time.monotonic()
        build.run(start + 60)
        assert build.compiled == ["collabsim.streams:mix", "collabsim.streams:month_key"]
        assert time.monotonic() - start < 30  # taken over, not waited for until the deadline
    finally:
        zombie.wait()


def test_a_stale_plan_entry_is_done_not_left_claimed(tmp_path):
    """A plan naming a function the code no longer has (renamed since the plan was written)
    must not stop the build: the entry is marked done, and what needs it is built next."""
    stale = {"name": "collabsim.streams:no_such_function", "signatures": [()], "needs": [], "seconds": 1.0, "chain": 9.0}
    plan = _small_plan()
    plan[0] = dict(plan[0], needs=[stale["name"]])
    build = warmup._Build([stale] + plan, tmp_path)
    start = time.monotonic()
    build.run(start + 60)
    assert (tmp_path / "collabsim.streams.no_such_function.done").exists()
    assert build.compiled == ["collabsim.streams:no_such_function", "collabsim.streams:mix", "collabsim.streams:month_key"]
    assert time.monotonic() - start < 30


def test_a_function_a_live_process_is_building_is_waited_for_not_built_twice(tmp_path):
    (tmp_path / "collabsim.streams.mix.claim").write_text(str(os.getppid()))  # a live process holds it
    build = warmup._Build(_small_plan(), tmp_path)
    build.run(time.monotonic() + 0.5)  # it never finishes: the build gives up at its deadline
    assert build.compiled == []  # neither mix nor month_key (which needs mix) was built here
    (tmp_path / "collabsim.streams.mix.done").touch()  # the other process finished
    build.run(time.monotonic() + 60)
    assert build.compiled == ["collabsim.streams:month_key"]


def test_the_plan_reads_back_as_numba_types_and_names_the_entry_points():
    plan = warmup.load_plan()
    names = [item["name"] for item in plan]
    assert set(warmup.ENTRY_POINTS) <= set(names) and len(names) == len(set(names))
    for k, item in enumerate(plan):  # callees before callers
        assert all(names.index(n) < k for n in item["needs"]), item["name"]
        assert item["signatures"] and all(isinstance(sig, tuple) for sig in item["signatures"])
    data = json.loads(warmup.PLAN.read_text())
    assert [warmup._type_text(t) for t in plan[0]["signatures"][0]] == data["functions"][0]["signatures"][0]


def test_a_helper_stops_when_more_processes_build_than_there_are_cores(tmp_path, monkeypatch):
    monkeypatch.setattr(warmup, "cores", lambda: 1)
    helper = warmup._Build(_small_plan(), tmp_path, helper=True)
    helper.join()
    helper.join(os.getppid())  # another live builder
    assert helper.members() == 2
    helper.run(time.monotonic() + 60)
    assert helper.compiled == [] and not list(tmp_path.glob("*.claim"))
    monkeypatch.setattr(warmup, "cores", lambda: 2)
    helper.run(time.monotonic() + 60)
    assert helper.compiled == ["collabsim.streams:mix", "collabsim.streams:month_key"]


def test_the_number_of_helpers_comes_from_the_cores_or_the_setting(monkeypatch, caplog):
    monkeypatch.setenv("COLLABSIM_COMPILE_HELPERS", "2")
    assert warmup.helpers_wanted() == 2
    monkeypatch.setenv("COLLABSIM_COMPILE_HELPERS", "0")
    assert warmup.helpers_wanted() == 0
    monkeypatch.setenv("COLLABSIM_COMPILE_HELPERS", "two")
    with caplog.at_level("WARNING", logger="collabsim"):
        assert warmup.helpers_wanted() == 0
    assert "COLLABSIM_COMPILE_HELPERS='two'" in caplog.text and "0 or more" in caplog.text
    monkeypatch.delenv("COLLABSIM_COMPILE_HELPERS")
    assert 0 <= warmup.helpers_wanted() <= 3


def test_a_warm_cache_is_not_built_again():
    CollaborationModel(seed=1, months=1).run()  # this process's cache is warm now
    plan = warmup.load_plan()
    tops = [(warmup._dispatcher(i["name"]), i["signatures"]) for i in plan if i["name"] in warmup.ENTRY_POINTS]
    assert len(tops) == 2 and all(warmup._is_cached(d, s) for d, sigs in tops for s in sigs)


def test_old_builds_are_forgotten_and_recent_ones_kept(tmp_path):
    current, recent, old = (tmp_path / f"collabsim-build-{name}" for name in ("now", "recent", "old"))
    for folder in (current, recent, old):
        folder.mkdir()
        (folder / "x.done").touch()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    warmup._forget_old_builds(current)
    assert current.exists() and recent.exists() and not old.exists()


def test_threads_of_one_process_wait_for_one_build(monkeypatch):
    import threading

    calls = []

    def slow_build():
        calls.append(threading.get_ident())
        time.sleep(0.3)
        return ["built"]

    monkeypatch.setattr(warmup, "_done", False)
    monkeypatch.setattr(warmup, "_build_if_cold", slow_build)
    results = []
    threads = [threading.Thread(target=lambda: results.append(warmup.ensure_compiled())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and sorted(results) == [[], [], [], ["built"]]
    assert warmup._done


def test_no_helper_where_the_executable_is_not_a_python(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert warmup._start_helper(tmp_path) is None
    monkeypatch.delattr(sys, "frozen")
    monkeypatch.setattr(sys, "executable", "")
    assert warmup._start_helper(tmp_path) is None
