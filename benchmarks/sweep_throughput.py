"""Sweep throughput of ``collabsim sweep``: runs per second for the default run (the
default scenario at its registry values, 120 months, replicate seeds; ``--design
four-point`` varies ``trust_gain`` over 0.05..0.2 instead, heavier runs) on 1 and 2 local workers and on a local Dask cluster (2 worker processes,
1 thread each, scheduler on 127.0.0.1, no dashboard), against the bare run time.

Prints: bare seconds per run (the same runs, one after the other, in this process); runs/s
for each engine (for 2 local workers also without the one-off pool start-up: the rate a long
sweep runs at); the 1 -> 2 worker speed-up; the local pool's overhead per run as a share
of the bare run (with and without the one-off pool start-up); Dask / local time ratio.
Targets (issue 4): speed-up >= 1.8, overhead < 5%, Dask within 1.5x of the local pool;
(issue 13) >= 500 runs/s on 2 local workers.

Wall times need an idle machine. So the script also prints what one run costs in CPU time,
measured in this process on the real code: a worker's share (the task built, the batch run,
its table pickled) and the parent's (the table unpickled, completed with the parameter
columns and stored as a Parquet part), per run, for batches of 64 and 256 runs; and the
rate two otherwise idle cores would allow, 2 / (worker + parent) runs per second.

Usage: python benchmarks/sweep_throughput.py [--runs 1200] [--months 120] [--design default|four-point] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from collabsim.run import run_metrics  # noqa: E402  (what a sweep worker runs)
from collabsim.sweep.design import design_from_dict  # noqa: E402
from collabsim.sweep.engine import run_design  # noqa: E402


DESIGNS = {"default": {}, "four-point": {"trust_gain": [0.05, 0.1, 0.15, 0.2]}}
"""The default run (one point: every registry default) and the heavier four-point design."""


def make_design(runs: int, months: int, kind: str = "default"):
    vary = DESIGNS[kind]
    points = len(next(iter(vary.values()))) if vary else 1
    spec = {"scenario": "default", "months": months, "replicates": max(1, runs // points), "root_seed": 2025}
    if vary:
        spec["vary"] = vary
    return design_from_dict(spec, "<benchmark>")


def bare_seconds(design) -> float:
    start = time.perf_counter()
    for run_id in range(design.n_runs):
        _, _, seed, params = design.run_spec(run_id)
        run_metrics(design.scenario, seed=seed, months=design.months, **params)
    return (time.perf_counter() - start) / design.n_runs


def _bare_chunk(args) -> float:
    design, run_ids = args
    start = time.perf_counter()
    for run_id in run_ids:
        _, _, seed, params = design.run_spec(run_id)
        run_metrics(design.scenario, seed=seed, months=design.months, **params)
    return time.perf_counter() - start


def hardware_ceiling(design, processes: int = 2) -> float:
    """Speed-up of the bare runs split over ``processes`` plain processes (no engine, no
    storage, start-up excluded): what the machine itself allows."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ids = list(range(design.n_runs))
    ctx = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        list(pool.map(_bare_chunk, [(design, [])] * processes))  # start the workers
        start = time.perf_counter()
        list(pool.map(_bare_chunk, [(design, ids[k::processes]) for k in range(processes)]))
        parallel = time.perf_counter() - start
    return parallel


def cpu_per_run(design, root: Path, size: int) -> tuple[float, float]:
    """CPU seconds per run (best of 2 batches of ``size`` runs): the worker's part and the parent's."""
    import pickle

    from collabsim.sweep.engine import base_manifest, make_task, run_batch
    from collabsim.sweep.rows import complete_rows
    from collabsim.sweep.store import SweepStore

    worker = parent = float("inf")
    for first in (0, size):
        ids = [run_id % design.n_runs for run_id in range(first, first + size)]
        with SweepStore.open(root / f"cpu{size}-{first}", base_manifest(design, "sweep", ["benchmark"])) as store:
            start = time.thread_time()
            blob = pickle.dumps(run_batch(*make_task(design, ids)))
            worker = min(worker, time.thread_time() - start)
            start = time.thread_time()
            store.write_part(complete_rows(pickle.loads(blob), design))
            parent = min(parent, time.thread_time() - start)
    return worker / size, parent / size


def timed_sweep(design, root: Path, name: str, **engine) -> float:
    out = root / name
    start = time.perf_counter()
    stats = run_design(design, out, quiet=True, command=["benchmark", name], **engine)
    elapsed = time.perf_counter() - start
    assert stats["new"] == design.n_runs, stats
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1200)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--design", choices=sorted(DESIGNS), default="default", help="the default run (the target's) or four trust_gain points")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    design = make_design(args.runs, args.months, args.design)
    n = design.n_runs
    results: dict[str, float] = {"runs": n, "months": args.months, "design": args.design, "cores": len(os.sched_getaffinity(0))}
    with tempfile.TemporaryDirectory(prefix="collabsim-bench-") as tmp:
        root = Path(tmp)
        bare = bare_seconds(design)
        results["bare_seconds_per_run"] = bare
        for size in (64, 256):
            worker, parent = cpu_per_run(design, root, size)
            results[f"cpu_worker_ms_per_run_batch{size}"] = 1e3 * worker
            results[f"cpu_parent_ms_per_run_batch{size}"] = 1e3 * parent
            results[f"cpu_ceiling_runs_per_s_batch{size}"] = 2 / (worker + parent)
        results["bare_2_processes_seconds"] = hardware_ceiling(design)
        results["hardware_speedup_ceiling"] = bare * n / results["bare_2_processes_seconds"]
        # one-off start-up of a pool (fork server, imports, first task): a 1-run sweep of 0 months
        tiny = design_from_dict({"scenario": "default", "months": 0, "replicates": 1}, "<startup>")
        results["pool_startup_seconds"] = timed_sweep(tiny, root, "startup", workers=1)
        for workers in (1, 2):
            t = timed_sweep(design, root, f"local{workers}", workers=workers)
            results[f"local{workers}_seconds"] = t
            results[f"local{workers}_runs_per_s"] = n / t
            results[f"local{workers}_runs_per_s_after_startup"] = n / max(t - results["pool_startup_seconds"], 1e-9)
        if not args.no_dask:
            from distributed import LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1") as cluster:
                t = timed_sweep(design, root, "dask", scheduler=cluster.scheduler_address)
            results["dask_seconds"] = t
            results["dask_runs_per_s"] = n / t
    results["speedup_1_to_2"] = results["local1_seconds"] / results["local2_seconds"]
    per_run_1 = results["local1_seconds"] / n
    results["local_overhead_per_run_share"] = (per_run_1 - bare) / bare
    results["local_overhead_per_run_share_without_startup"] = (per_run_1 - results["pool_startup_seconds"] / n - bare) / bare
    if "dask_seconds" in results:
        results["dask_over_local2_time_ratio"] = results["dask_seconds"] / results["local2_seconds"]

    what = "the default run" if args.design == "default" else "trust_gain at 0.05, 0.1, 0.15, 0.2"
    print(f"sweep throughput: default scenario, {what}, {args.months} months, {n} runs, {results['cores']} cores")
    print(f"  bare run (same runs, in-process)  {bare * 1000:8.1f} ms/run   {1 / bare:6.2f} runs/s")
    for size in (64, 256):
        print(f"  CPU per run, batches of {size:3d}      worker {results[f'cpu_worker_ms_per_run_batch{size}']:.2f} ms + parent "
              f"{results[f'cpu_parent_ms_per_run_batch{size}']:.2f} ms -> {results[f'cpu_ceiling_runs_per_s_batch{size}']:.0f} runs/s on 2 idle cores")
    print(f"  pool start-up (one-off)           {results['pool_startup_seconds']:8.2f} s")
    print(f"  local, 1 worker                   {results['local1_runs_per_s']:8.2f} runs/s  ({results['local1_seconds']:.1f} s)")
    print(f"  local, 2 workers                  {results['local2_runs_per_s']:8.2f} runs/s  ({results['local2_seconds']:.1f} s; target >= 500 for the default run)")
    print(f"  local, 2 workers, after start-up  {results['local2_runs_per_s_after_startup']:8.2f} runs/s  (the rate of a long sweep: the one-off pool start-up taken out)")
    if "dask_seconds" in results:
        print(f"  Dask LocalCluster, 2 x 1 thread   {results['dask_runs_per_s']:8.2f} runs/s  ({results['dask_seconds']:.1f} s)")
    print(f"  speed-up 1 -> 2 workers           {results['speedup_1_to_2']:8.2f} x   (target >= 1.8)")
    print(f"  machine's ceiling (bare runs in 2 plain processes, no engine) {results['hardware_speedup_ceiling']:.2f} x")
    print(f"  local overhead per run            {100 * results['local_overhead_per_run_share']:8.1f} %   (target < 5%; {100 * results['local_overhead_per_run_share_without_startup']:.1f}% without the one-off start-up)")
    if "dask_seconds" in results:
        print(f"  Dask / local (2 workers) time     {results['dask_over_local2_time_ratio']:8.2f} x   (target <= 1.5)")
    results["load_average"] = os.getloadavg()
    print(f"  load average {results['load_average']} (wall times need an idle machine; the CPU figures much less)")
    print(json.dumps(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
