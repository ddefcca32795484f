"""Dask as docs/cli.md says to run it: the documented commands, run as written (ports and
paths swapped for free ones), listen on 127.0.0.1 only (checked with ``ss``) and run a
sweep; workers with other model code are refused before anything runs; a run that fails
for its own reason is not retried."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .cli_helpers import env, kill_group, wait_for, write_design

ROOT = Path(__file__).resolve().parents[1]
DASK = [str(Path(sys.executable).with_name("dask"))] if Path(sys.executable).with_name("dask").exists() else [sys.executable, "-m", "dask"]
COLLABSIM = [sys.executable, "-W", "error", "-m", "collabsim"]

pytestmark = [pytest.mark.dask, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def documented_blocks() -> list[list[str]]:
    """The shell blocks of docs/cli.md's Dask section that start a scheduler, as lines."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text[text.index("## Dask clusters") : text.index("On Slurm")]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [b.strip().splitlines() for b in blocks if "dask scheduler" in b]


class Started:
    """Processes started in their own sessions; every one is stopped at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[subprocess.Popen] = []

    def launch(self, argv: list[str], name: str, **extra_env: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env(**extra_env), start_new_session=True, cwd=self.logs)
        log.close()
        self.procs.append(proc)
        return proc

    def pids(self) -> set[int]:
        """Our processes and their children (the workers a nanny starts)."""
        groups = {p.pid for p in self.procs}
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getpgid(int(entry.name)) in groups:
                        found.add(int(entry.name))
                except (ProcessLookupError, PermissionError):
                    continue
        return found

    def stop(self) -> None:
        for proc in reversed(self.procs):
            kill_group(proc)


def listening(pids: set[int]) -> list[str]:
    """Local addresses our processes listen on (TCP), from ``ss -ltnp``."""
    out = subprocess.run(["ss", "-H", "-ltnp"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if owners & pids:
            found.append(line.split()[3])
    return found


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
@pytest.mark.parametrize("block", range(2), ids=["fixed ports", "scheduler file"])
def test_documented_dask_commands_listen_on_loopback_only_and_run_a_sweep(tmp_path, block):
    pytest.importorskip("distributed")
    lines = documented_blocks()[block]
    ports = {"8786": str(_free_port()), "8787": str(_free_port())}
    design = write_design(tmp_path / "design.toml", months=6, replicates=1, n=8)
    started = Started(tmp_path)
    try:
        sweep = None
        for k, line in enumerate(lines):
            for old, new in ports.items():
                line = line.replace(f":{old}", f":{new}").replace(f"--port {old}", f"--port {new}")
            line = line.replace("~/sched.json", str(tmp_path / "sched.json")).replace("design.toml", str(design)).replace("out/tg", str(tmp_path / "out"))
            argv = shlex.split(line.rstrip("& "))
            if argv[0] == "dask":
                started.launch([*DASK, *argv[1:]], f"{k}-{argv[1]}")
                if argv[1] == "scheduler":
                    log = tmp_path / f"{k}-scheduler.log"
                    assert wait_for(lambda: "Scheduler at" in log.read_text(), timeout=60), log.read_text()
                else:
                    log = tmp_path / f"{k}-worker.log"
                    want = int(argv[argv.index("--nworkers") + 1]) if "--nworkers" in argv else 1
                    assert wait_for(lambda: log.read_text().count("Registered to") >= want, timeout=120), log.read_text()
            else:
                assert argv[0] == "collabsim"
                sweep = [*COLLABSIM, *argv[1:]]
        addresses = listening(started.pids())
        assert len(addresses) >= 4, addresses  # scheduler (comm + web server) and at least one worker
        outside = [a for a in addresses if not (a.startswith("127.0.0.1:") or a.startswith("[::1]:"))]
        assert not outside, f"listening beyond loopback: {outside}"
        assert sweep is not None
        done = subprocess.run([*sweep, "--quiet"], capture_output=True, text=True, timeout=300, env=env())
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "out" / "manifest.json").is_file()
    finally:
        started.stop()


def test_worker_with_other_model_code_is_refused(tmp_path):
    pytest.importorskip("distributed")
    # a copy of collabsim whose model code differs by one comment, first on the worker's path
    other = tmp_path / "other"
    shutil.copytree(ROOT / "collabsim", other / "collabsim", ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "collabsim" / "model.py", "a", encoding="utf-8") as f:
        f.write("# an edit on the worker only\n")
    started = Started(tmp_path)
    sched = tmp_path / "sched.json"
    try:
        started.launch([*DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(sched)], "scheduler")
        assert wait_for(sched.exists, timeout=60)
        started.launch([*DASK, "worker", "--scheduler-file", str(sched), "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0", "--nthreads", "1"], "worker", PYTHONPATH=str(other))
        log = tmp_path / "worker.log"
        assert wait_for(lambda: "Registered to" in log.read_text(), timeout=120), log.read_text()
        design = write_design(tmp_path / "design.toml", months=3, replicates=1, n=6)
        out = tmp_path / "out"
        done = subprocess.run([*COLLABSIM, "sweep", str(design), "--out", str(out), "--scheduler-file", str(sched)], capture_output=True, text=True, timeout=300, env=env())
        assert done.returncode == 1, done.stderr
        message = done.stderr.strip()
        assert "Traceback" not in message and len(message.splitlines()) == 1
        from collabsim.sweep.store import model_code

        ours = model_code()
        theirs = re.search(r"runs collabsim \S+ with model code ([0-9a-f]{64})", message)
        assert theirs and theirs.group(1) != ours and ours in message
        assert re.search(r"Dask worker tcp://127\.0\.0\.1:\d+ ", message)
        assert not out.exists()  # nothing was run or written
    finally:
        started.stop()


def test_a_failing_run_is_not_retried():
    """A run that raises is tried once (Dask retries only tasks whose worker was lost)."""
    distributed = pytest.importorskip("distributed")
    from collabsim.sweep.engine import run_dask
    from collabsim.sweep.errors import RunFailed

    class CountStarts(distributed.WorkerPlugin):
        name = "count-starts"

        def __init__(self) -> None:
            self.starts: dict[str, int] = {}

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing":
                self.starts[str(key)] = self.starts.get(str(key), 0) + 1

    plugin = CountStarts()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:  # in-process: no sockets
        with distributed.Client(cluster, set_as_default=False) as client:
            client.register_plugin(plugin)
            bad = ("default", 2, [], [(0, 0, 0, 1, {"no_such_parameter": 1})])
            with pytest.raises(RunFailed, match="run 0 .*no_such_parameter"):
                run_dask([(0, bad)], client, lambda key, table: None)
            (worker,) = cluster.workers.values()
            starts = worker.plugins["count-starts"].starts
    assert list(starts.values()) == [1], starts
