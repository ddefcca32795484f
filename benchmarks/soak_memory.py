"""Soak test of a long sweep's memory: does anything grow with the number of runs?

Runs one long sweep of the default scenario (``--runs``, 120 months, one point, many
replicates) in this process, which is the sweep's coordinator, and samples every
``--interval`` seconds the resident memory (RSS) of the coordinator and of every worker
process under it (local pool) or of the Dask workers (``--dask``: a LocalCluster of 2
worker processes). After the warm-up (``--warmup`` runs: imports, numba caches, first
pools) it prints, for the coordinator, for each worker process that lived long enough
and for all workers together, the growth in MB per 1,000 runs (least-squares slope of
RSS against runs stored) and the RSS at the end of the warm-up and at the end.
Target (issue 11): under 10 MB per process per 10,000 runs after warm-up.

RSS comes from psutil when installed (it comes with Dask), else from /proc.

Usage: python benchmarks/soak_memory.py [--runs 20000] [--workers 2] [--dask] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from collabsim.sweep import store as store_module  # noqa: E402
from collabsim.sweep.design import design_from_dict  # noqa: E402
from collabsim.sweep.engine import run_design  # noqa: E402

MB = 1024 * 1024


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a process, or None once it is gone."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except ImportError:
        pass
    except Exception:  # psutil.NoSuchProcess and friends
        return None
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (children, grandchildren...)."""
    try:
        import psutil

        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except ImportError:
        pass
    except Exception:
        return []
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def local_workers(me: int) -> list[int]:
    """The local pool's workers: children of the fork server, itself a child of this process.

    (Forked workers share the fork server's command line, so they are told apart by parent:
    the resource tracker and the fork server are this process's children, the workers its
    grandchildren.)"""
    out: list[int] = []
    for child in children_of(me):
        out += children_of(child)
    return out


def children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return [p for p in descendants(pid) if _parent(p) == pid]


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


class Sampler(threading.Thread):
    """Samples (time, runs stored, {pid: rss}) every ``interval`` seconds."""

    def __init__(self, counter: list[int], interval: float, worker_pids) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.counter, self.interval, self.worker_pids = counter, interval, worker_pids
        self.samples: list[tuple[float, int, int, dict[int, int]]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        start = time.perf_counter()
        while not self.stop.is_set():
            workers = {}
            for pid in self.worker_pids():
                rss = rss_bytes(pid)
                if rss:  # None once gone; 0 for a zombie
                    workers[pid] = rss
            self.samples.append((time.perf_counter() - start, self.counter[0], rss_bytes(me) or 0, workers))
            self.stop.wait(self.interval)


def slope_per_1000(points: list[tuple[int, int]]) -> float | None:
    """Least-squares slope of RSS (bytes) against runs, in MB per 1,000 runs."""
    if len(points) < 3 or points[-1][0] - points[0][0] < 500:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return sxy / sxx * 1000 / MB


def analyse(samples, warmup: int, total: int) -> dict:
    """Growth between the end of the warm-up and the last run stored (not after: a pool
    shutting down frees memory, which would hide growth)."""
    after = [s for s in samples if warmup <= s[1] < total]
    coord = [(runs, rss) for _, runs, rss, _ in after]
    per_worker: dict[int, list[tuple[int, int]]] = {}
    total = []
    for _, runs, _, workers in after:
        for pid, rss in workers.items():
            per_worker.setdefault(pid, []).append((runs, rss))
        if workers:
            total.append((runs, sum(workers.values())))
    workers_out = {}
    for pid, pts in per_worker.items():
        workers_out[pid] = {
            "runs_seen": pts[-1][0] - pts[0][0],
            "rss_first_mb": pts[0][1] / MB,
            "rss_last_mb": pts[-1][1] / MB,
            "rss_max_mb": max(r for _, r in pts) / MB,
            "growth_mb_per_1000_runs": slope_per_1000(pts),
        }
    peak_worker = [max(w.values()) for _, _, _, w in after if w]
    half = len(peak_worker) // 2
    return {
        "samples_after_warmup": len(after),
        "runs_after_warmup": (after[-1][1] - after[0][1]) if after else 0,
        "coordinator": {
            "rss_first_mb": coord[0][1] / MB if coord else None,
            "rss_last_mb": coord[-1][1] / MB if coord else None,
            "rss_max_mb": max(r for _, r in coord) / MB if coord else None,
            "growth_mb_per_1000_runs": slope_per_1000(coord),
        },
        "workers_total": {
            "rss_first_mb": total[0][1] / MB if total else None,
            "rss_last_mb": total[-1][1] / MB if total else None,
            "growth_mb_per_1000_runs": slope_per_1000(total),
        },
        "largest_worker_mb_first_half": max(peak_worker[:half]) / MB if half else None,
        "largest_worker_mb_second_half": max(peak_worker[half:]) / MB if half else None,
        "worker_processes_seen": len(per_worker),
        "workers": workers_out,
    }


def fmt(x: float | None, unit: str = "") -> str:
    return "   n/a" if x is None else f"{x:7.2f}{unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2000, help="runs before growth is measured (default 2000)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--dask", action="store_true", help="run on a local Dask cluster instead of the local pool")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    design = design_from_dict({"scenario": "default", "months": args.months, "replicates": args.runs, "root_seed": 11}, "<soak>")
    counter = [0]
    # count runs as the store records them (what the progress bar shows)
    original = store_module.SweepStore.write_part

    def counting_write_part(self, table):
        new = original(self, table)
        counter[0] += new
        return new

    store_module.SweepStore.write_part = counting_write_part  # type: ignore[method-assign]
    engine: dict = {"workers": args.workers}
    cluster = None
    if args.dask:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1")
        engine = {"scheduler": cluster.scheduler_address}

        def worker_pids():
            return [w.process.pid for w in list(cluster.workers.values()) if getattr(w, "process", None) is not None and w.process.pid]
    else:

        def worker_pids():
            return local_workers(os.getpid())

    sampler = Sampler(counter, args.interval, worker_pids)
    sampler.start()
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="collabsim-soak-") as tmp:
            stats = run_design(design, Path(tmp) / "soak", quiet=True, command=["soak_memory"], **engine)
    finally:
        sampler.stop.set()
        sampler.join()
        if cluster is not None:
            cluster.close()
    elapsed = time.perf_counter() - start
    result = analyse(sampler.samples, args.warmup, design.n_runs)
    result.update({"runs": stats["new"], "seconds": elapsed, "engine": "dask" if args.dask else "local", "worker_count": args.workers, "python": sys.version.split()[0]})
    try:
        import mesa

        result["mesa"] = mesa.__version__
    except Exception:  # pragma: no cover
        pass

    print(f"soak: {stats['new']} runs of the default scenario ({args.months} months) on {args.workers} {'Dask' if args.dask else 'local'} workers in {elapsed:.0f} s;"
          f" Python {result['python']}, Mesa {result.get('mesa', '?')}; growth measured after {args.warmup} runs ({result['runs_after_warmup']} runs, {result['samples_after_warmup']} samples)")
    c = result["coordinator"]
    print(f"  coordinator         RSS {fmt(c['rss_first_mb'])} -> {fmt(c['rss_last_mb'])} MB (max {fmt(c['rss_max_mb'])})   growth {fmt(c['growth_mb_per_1000_runs'])} MB / 1,000 runs")
    t = result["workers_total"]
    print(f"  all workers (sum)   RSS {fmt(t['rss_first_mb'])} -> {fmt(t['rss_last_mb'])} MB   growth {fmt(t['growth_mb_per_1000_runs'])} MB / 1,000 runs")
    print(f"  largest worker      first half {fmt(result['largest_worker_mb_first_half'])} MB, second half {fmt(result['largest_worker_mb_second_half'])} MB;"
          f" {result['worker_processes_seen']} worker processes seen")
    for pid, w in sorted(result["workers"].items(), key=lambda kv: -kv[1]["runs_seen"])[:8]:
        print(f"  worker {pid:<8}     RSS {fmt(w['rss_first_mb'])} -> {fmt(w['rss_last_mb'])} MB   growth {fmt(w['growth_mb_per_1000_runs'])} MB / 1,000 runs   (lived {w['runs_seen']} runs)")
    worst = [g for g in [c["growth_mb_per_1000_runs"]] + [w["growth_mb_per_1000_runs"] for w in result["workers"].values()] if g is not None]
    if worst:
        print(f"  worst per-process growth: {max(worst) * 10:.1f} MB per 10,000 runs (target < 10)")
    print(json.dumps({k: v for k, v in result.items() if k != "workers"}))
    if args.json:
        result["samples"] = [(round(t, 2), runs, rss, workers) for t, runs, rss, workers in sampler.samples]
        args.json.write_text(json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
