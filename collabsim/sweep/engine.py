"""Running a design: a local pool of worker processes (default) or a Dask cluster.

Runs are grouped into batches of consecutive run ids (large batches first, smaller ones
towards the end so that workers finish together); each finished batch is stored as one
Parquet part by the parent process. A run's result depends only on the design (scenario,
months, parameters, seed), never on the worker that ran it, so 1 worker, N workers and
Dask give bit-identical tables.

Memory does not grow with the length of a sweep: the parent builds a batch's task only
when it submits it, keeps a bounded window of batches in flight (``IN_FLIGHT_PER_WORKER``
per worker) and drops each table once it is stored; local pools are replaced by fresh
ones every ``recycle_after`` batches per worker, a safety net for leaks in extensions.

Local workers are started by a fork server (``multiprocessing`` "forkserver" context) and
die with the parent: on Linux they ask the kernel for ``SIGKILL`` when their parent dies
(``prctl(PR_SET_PDEATHSIG)``), and everywhere a watcher thread exits when the parent is
gone. A worker that dies breaks the pool; the engine starts a new pool and redoes the
batches that were in flight and not stored.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..parameters import PARAMETERS
from ..run import run_metrics
from .design import Design
from .errors import RunFailed, SweepError, UserError
from .preflight import check_workers
from .rows import complete_rows, typed_column
from .store import FORMAT, FORMAT_VERSION, SweepStore, echo, code_hash, git_commit, missing_runs, model_code, versions

MAX_BATCH = 256
"""Upper bound on runs per task: a batch is stored as one Parquet part, whose cost in the
parent (columns typed, converted and written) is mostly per part, not per run; 256
default runs are about a second of a worker's time, what a crash can cost to redo."""

MAX_POOL_RESTARTS = 5
"""A sweep gives up after this many broken pools (workers dying again and again)."""

IN_FLIGHT_PER_WORKER = 2
"""Tasks submitted at a time per worker: one running and one waiting, so no worker idles
between batches while the coordinator holds only a few tasks and results."""

RECYCLE_AFTER = 100
"""Batches a local worker runs before its pool is replaced by a fresh one (0: never)."""

WATCH_SECONDS = 5.0
"""How often the coordinator, while waiting on its workers, checks that none has died unseen.
The executor normally notices a dead worker and fails its futures; in rare races (a worker
killed as it takes a task) it does not, and the wait would never end."""

SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$")

Task = tuple[str, int, list[str], list[tuple[int, int, int, int, dict[str, Any]]]]


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- the work
def run_batch(scenario: str, months: int, varied: list[str], runs: list[tuple[int, int, int, int, dict[str, Any]]]) -> pd.DataFrame:
    """Run a batch of runs and return their rows: keys, varied parameters, every metric.

    Runs in a worker (local or Dask). Raises RunFailed naming the run that failed.
    """
    columns: dict[str, list[np.ndarray]] = {}
    for run_id, point, rep, seed, params in runs:
        try:
            metrics = run_metrics(scenario, seed=seed, months=months, **params)
        except Exception as exc:  # the message travels back to the parent
            raise RunFailed(f"run {run_id} (point {point}, replicate {rep}, seed {seed}) failed: {type(exc).__name__}: {exc}") from None
        n = len(metrics["month"])
        row = {
            "run_id": np.full(n, run_id, dtype=np.int64),
            "point": np.full(n, point, dtype=np.int64),
            "replicate": np.full(n, rep, dtype=np.int64),
            "seed": np.full(n, seed, dtype=np.int64),
        }
        for name in varied:
            row[name] = np.full(n, params[name], dtype=object)
        row.update(metrics)
        for name, values in row.items():
            columns.setdefault(name, []).append(values)
    data = {name: np.concatenate(parts) for name, parts in columns.items()}
    for name in varied:
        data[name] = _typed(name, data[name])
    return pd.DataFrame(data)


_typed = typed_column  # a varied parameter's column: its type does not depend on its values


def plan_batches(todo: list[int], workers: int, batch_size: int | None = None) -> list[list[int]]:
    """Split run ids into batches of consecutive ids (guided: large first, small last)."""
    batches: list[list[int]] = []
    i = 0
    while i < len(todo):
        remaining = len(todo) - i
        size = batch_size or max(1, min(MAX_BATCH, math.ceil(remaining / (4 * max(1, workers)))))
        chunk = todo[i : i + size]
        j = 1
        while j < len(chunk) and chunk[j] == chunk[j - 1] + 1:
            j += 1
        batches.append(chunk[:j])
        i += j
    return batches


def make_task(design: Design, run_ids: list[int]) -> Task:
    runs = []
    for run_id in run_ids:
        point, rep, seed, params = design.run_spec(run_id)
        runs.append((run_id, point, rep, seed, params))
    return (design.scenario, design.months, list(design.varied), runs)


# ---------------------------------------------------------------- local worker processes
def _die_with_parent(alive: Any) -> None:
    """Make this worker exit as soon as the sweep's main process is gone.

    ``alive`` is the read end of a pipe whose only write end the main process holds: it
    reports end-of-file when the main process exits, however it ends (even ``kill -9``).
    The worker's own parent is the fork server, which cannot be watched instead: it only
    exits once every worker has (its workers hold its "alive" pipe). On Linux the worker
    also asks for SIGKILL when the fork server dies (``prctl(PR_SET_PDEATHSIG)``).
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover
            pass

    def watch() -> None:
        try:
            while True:
                alive.recv()  # never sent anything: returns only by raising EOFError
        except BaseException:
            pass
        os._exit(1)

    threading.Thread(target=watch, name="collabsim-parent-watch", daemon=True).start()


def _worker_init(alive: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's business
    _die_with_parent(alive)
    gc.freeze()  # the modules the fork server loaded: never garbage, never scanned again


_batches_in_this_worker = 0


def run_batch_in_worker(*task: Any) -> pd.DataFrame:
    """``run_batch`` in a local worker, then collect whatever cyclic garbage the batch left.

    Each finished model is freed when its run ends (``run.discard`` breaks its cycles);
    a full collection after every batch also catches cycles made elsewhere (pandas,
    numba's dispatch), so nothing waits for Python's rare full collections while the
    worker's memory creeps up. It is cheap because what was alive at start-up and after
    the first batch (imports, numba's dispatchers, caches) is frozen out of the
    collector's scans. Collecting changes no result.
    """
    global _batches_in_this_worker
    try:
        return run_batch(*task)
    finally:
        gc.collect()
        _batches_in_this_worker += 1
        if _batches_in_this_worker == 1:
            gc.freeze()


def _context() -> Any:
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # pragma: no cover - no fork server on this platform
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload([__name__])
    return ctx


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers without waiting on them, and make sure the executor's own thread ends.

    A worker killed while it writes a result leaves half a message in the result pipe: the
    executor's manager thread then waits for the rest forever, and Python's exit joins that
    thread, so a sweep whose every run is stored would never exit. Once the workers are gone,
    closing this process's copy of the pipe's write end turns that wait into an end-of-file,
    which the executor handles as a broken pool and ends its thread."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    result_queue = getattr(pool, "_result_queue", None)  # taken now: shutdown() drops it
    for process in processes:
        try:
            process.kill()
        except (OSError, AttributeError):  # pragma: no cover
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.join(timeout=10)
        except (OSError, AttributeError, AssertionError, ValueError):  # pragma: no cover
            pass
    writer = getattr(result_queue, "_writer", None)
    if writer is not None:
        try:
            writer.close()
        except OSError:  # pragma: no cover
            pass


def _a_worker_died(pool: ProcessPoolExecutor) -> bool:
    return any(process.exitcode is not None for process in list((getattr(pool, "_processes", None) or {}).values()))


class TaskQueue:
    """The tasks not yet stored: built one at a time from the plan, plus those to redo.

    Only the tasks in flight exist at any moment (a task carries every run's parameters),
    so the coordinator's memory does not depend on the length of the sweep.
    """

    def __init__(self, tasks: Iterable[tuple[int, Task]]) -> None:
        self._fresh = iter(tasks)
        self._redo: deque[tuple[int, Task]] = deque()

    def next(self) -> tuple[int, Task] | None:
        """The next task to submit, or None when there is none left."""
        if self._redo:
            return self._redo.popleft()
        return next(self._fresh, None)

    def redo(self, item: tuple[int, Task]) -> None:
        self._redo.append(item)

    def empty(self) -> bool:
        item = self.next()
        if item is None:
            return True
        self._redo.appendleft(item)
        return False


def run_local(
    tasks: Iterable[tuple[int, Task]], workers: int, on_done: Callable[[int, pd.DataFrame], None], recycle_after: int = RECYCLE_AFTER
) -> int:
    """Run every task on local worker processes; call ``on_done`` as each ends.

    At most ``IN_FLIGHT_PER_WORKER * workers`` tasks are submitted at a time. A pool runs
    at most ``recycle_after`` batches per worker (0: no limit), then is drained, shut down
    and replaced by a fresh one: a safety net against memory that a model extension leaks
    in its worker. Returns the number of pools started.
    """
    queue = TaskQueue(tasks)
    ctx = _context()
    alive_r, alive_w = ctx.Pipe(duplex=False)  # alive_w stays in this process only
    pools = restarts = 0
    budget = recycle_after * workers if recycle_after > 0 else None
    try:
        while not queue.empty():
            pools += 1
            if _run_pool(queue, workers, ctx, alive_r, on_done, budget):
                restarts += 1
                if restarts > MAX_POOL_RESTARTS:
                    raise SweepError(f"worker processes died {restarts} times; giving up (stored runs are safe; run the same command again to resume)")
                echo("collabsim: a worker process died; redoing its runs in a new pool")
    finally:
        alive_w.close()
        alive_r.close()
    return pools


def _run_pool(queue: TaskQueue, workers: int, ctx: Any, alive: Any, on_done: Callable[[int, pd.DataFrame], None], budget: int | None) -> bool:
    """Feed one pool from ``queue`` through a window of in-flight tasks; True if it broke.

    A result is handed to ``on_done`` (which stores it) and dropped at once. When the
    pool breaks (a worker died), what finished is kept and the rest goes back on the queue.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(alive,))
    in_flight: dict[Future, tuple[int, Task]] = {}
    window = IN_FLIGHT_PER_WORKER * workers
    submitted = 0
    broken = False
    try:
        while True:
            while not broken and len(in_flight) < window and (budget is None or submitted < budget):
                item = queue.next()
                if item is None:
                    break
                try:
                    in_flight[pool.submit(run_batch_in_worker, *item[1])] = item
                except BrokenProcessPool:
                    queue.redo(item)
                    broken = True
                submitted += 1
            if not in_flight:
                break
            done, _ = wait(in_flight, timeout=WATCH_SECONDS, return_when=ALL_COMPLETED if broken else FIRST_COMPLETED)
            if not done and _a_worker_died(pool):  # the executor missed it: redo what was in flight
                for item in in_flight.values():
                    queue.redo(item)
                in_flight.clear()
                broken = True
                break
            for fut in sorted(done, key=lambda f: in_flight[f][0]):
                item = in_flight.pop(fut)
                if fut.cancelled() or isinstance(fut.exception(), BrokenProcessPool):
                    broken = True
                    queue.redo(item)
                    continue
                on_done(item[0], fut.result())  # raises RunFailed for a failed run
            del done
    except BaseException:
        _kill_pool(pool)
        raise
    # every result is stored (or its task is back on the queue): end the workers without
    # waiting on them, so a worker that dies as the pool winds down cannot hang the sweep
    _kill_pool(pool)
    return broken


# ------------------------------------------------------------------------------- Dask
def connect_dask(address: str | None, scheduler_file: str | None, connect_timeout: float = 20.0) -> Any:
    """A client of the user's Dask scheduler; a clear error if it cannot be reached."""
    from ..extras import require

    require("dask", "--scheduler (a Dask cluster)" if address else "--scheduler-file (a Dask cluster)")
    from distributed import Client

    where = address or f"the scheduler in {scheduler_file}"
    try:
        return Client(address=address, scheduler_file=scheduler_file, timeout=f"{connect_timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepError(f"could not connect to the Dask scheduler at {where}: {exc}") from None


def run_dask(tasks: Iterable[tuple[int, Task]], client: Any, on_done: Callable[[int, pd.DataFrame], None]) -> None:
    """Run every task on a Dask distributed cluster (scheduler started by the user).

    At most ``IN_FLIGHT_PER_WORKER`` tasks per worker thread are submitted at a time (at
    least 4; the count is read again as workers come and go); each result is stored,
    released on the cluster and dropped before the next task goes out. Recycling Dask
    workers is the cluster's business: start them with ``--lifetime`` and
    ``--lifetime-restart`` (see docs/cli.md).
    """
    from distributed import as_completed

    where = client.scheduler.address
    queue = TaskQueue(tasks)
    try:
        token = uuid.uuid4().hex[:8]
        keys: dict[str, int] = {}
        running = as_completed([], loop=client.loop)

        def submit_up_to(window: int) -> None:
            while running.count() < window:
                item = queue.next()
                if item is None:
                    return
                # no retries: a task that raised (RunFailed) would fail the same way again; a
                # task whose worker died is rescheduled by the scheduler itself
                # (distributed.scheduler.allowed-failures), which is the only case worth redoing
                fut = client.submit(run_batch, *item[1], key=f"collabsim-{token}-{item[0]}", pure=False, retries=0)
                keys[fut.key] = item[0]
                running.add(fut)

        submit_up_to(_dask_window(client))
        for fut in running:
            result = fut.result()
            on_done(keys.pop(fut.key), result)
            fut.release()
            del fut, result
            submit_up_to(_dask_window(client))
    except RunFailed:
        raise
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"lost the Dask scheduler at {where}: {exc} (stored runs are safe; run the same command again to resume)") from None
    except Exception as exc:
        if type(exc).__name__ == "KilledWorker":
            raise SweepError(f"Dask workers died running a batch several times ({exc}); stored runs are safe") from None
        raise


def _dask_window(client: Any) -> int:
    """How many tasks to keep submitted: ``IN_FLIGHT_PER_WORKER`` per worker thread, at least 4."""
    try:
        threads = sum(client.nthreads().values())
    except Exception:  # noqa: BLE001 - a scheduler that does not answer: keep a small window
        threads = 0
    return max(4, IN_FLIGHT_PER_WORKER * threads)


# ----------------------------------------------------------------------- the whole sweep
def effective_parameters(base: dict[str, Any], months: int) -> dict[str, Any]:
    """Every parameter a run of the design uses: registry defaults, the scenario's presets and
    ``[set]``, with the design's run length; the varied ones and the seeds are given per point
    and per replicate in ``design``."""
    return {"every_point": {**base, "months": months, "seed": "one per replicate: design.seeds"},
            "varied_per_point": "design.points (they override every_point)"}


def base_manifest(design: Design, kind: str, command: list[str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of a sweep directory (the store adds sessions and timestamps)."""
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "design_file": design.path,
        "description": design.description,
        "fingerprint": design.fingerprint(),
        "runs_total": design.n_runs,
        "points": len(design.points),
        "replicates": design.replicates,
        "varied": design.varied,
        "design": design.to_dict(),
        "versions": versions(),
        "model_code": model_code(),
        "code": code_hash(),
        "git": git_commit(),
        "effective_parameters": effective_parameters(design.base_values(), design.months),
        "collect": design.collect,
        "command": command,
        "columns": {
            "keys": ["run_id", "point", "replicate", "seed"],
            "run": ["scenario", *(name for name in PARAMETERS if name != "seed")],
            "note": "one row per run and collected month, with the scenario and every parameter the run used; sort by run_id and month",
        },
    }
    manifest.update(extra or {})
    return manifest


def run_design(
    design: Design,
    out: str | os.PathLike,
    *,
    kind: str = "sweep",
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    force_new: bool = False,
    quiet: bool = False,
    batch_size: int | None = None,
    connect_timeout: float = 20.0,
    command: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    recycle_after: int = RECYCLE_AFTER,
) -> dict[str, Any]:
    """Run the design's missing runs into ``out`` and return counts and timings."""
    if scheduler is not None and not SCHEDULER_ADDRESS.match(scheduler):
        raise UserError(f"--scheduler {scheduler!r}: expected an address such as tcp://127.0.0.1:8786")
    if workers is not None and workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    if not connect_timeout > 0:
        raise UserError(f"--connect-timeout must be positive, got {connect_timeout}")
    if batch_size is not None and batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {batch_size}")
    if recycle_after < 0:
        raise UserError(f"--recycle-after must be 0 (never) or more, got {recycle_after}")
    workers = workers or default_workers()
    manifest = base_manifest(design, kind, command or sys.argv, extra)
    start = time.perf_counter()
    # reach the scheduler before touching the output directory: nothing is made for a
    # sweep that cannot run
    client = connect_dask(scheduler, scheduler_file, connect_timeout) if (scheduler or scheduler_file) else None
    try:
        if client is not None:
            check_workers(client)  # the same collabsim and model code on every worker, or nothing runs
        return _run_into_store(design, out, manifest, force_new, workers, client, scheduler or scheduler_file, quiet, batch_size, start, recycle_after)
    finally:
        if client is not None:
            client.close()


def _run_into_store(
    design: Design, out: str | os.PathLike, manifest: dict[str, Any], force_new: bool, workers: int, client: Any,
    where_dask: str | None, quiet: bool, batch_size: int | None, start: float, recycle_after: int,
) -> dict[str, Any]:
    with SweepStore.open(out, manifest, force_new=force_new) as store:
        total = design.n_runs
        todo = missing_runs(total, store.stored)
        before = total - len(todo)
        where = f"Dask scheduler {where_dask}" if client is not None else f"{workers} local worker{'s' if workers > 1 else ''}"
        pools = 0
        if todo:
            echo(f"collabsim: {len(todo)} of {total} runs to do ({before} already stored) on {where} -> {store.root}", quiet)
            batches = plan_batches(todo, workers if client is None else max(workers, 8), batch_size)
            tasks = ((b[0], make_task(design, b)) for b in batches)  # built as they are submitted
            bar = _progress(total, before, quiet)
            try:

                def on_done(key: int, table: pd.DataFrame) -> None:
                    bar.update(store.write_part(complete_rows(table, design)))

                if client is not None:
                    run_dask(tasks, client, on_done)
                else:
                    pools = run_local(tasks, workers, on_done, recycle_after)
            finally:
                bar.close()
        missing = missing_runs(total, store.stored)
        if missing:  # pragma: no cover - every task either stores its runs or raises
            raise SweepError(f"{len(missing)} runs were not stored; run the same command again to resume")
        store.mark_complete()
    elapsed = time.perf_counter() - start
    return {"total": total, "new": len(todo), "already_stored": before, "seconds": elapsed, "workers": workers, "pools": pools}


def _progress(total: int, initial: int, quiet: bool) -> Any:
    from ..logs import progress

    return progress(total, initial, quiet)  # a bar on a terminal, a line every few seconds in a log
