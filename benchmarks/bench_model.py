"""Speed and memory of one model run, on one core: prints a table and JSON.

For 40, 1,000 and 10,000 organisations (120 months each), through
``CollaborationModel(...).run()``: seconds per run and per month, organisation-months per
second, peak memory per organisation (Python allocations by tracemalloc, and the peak
resident memory of a fresh process, warm compile cache, less its peak before the run), and
the share of a run spent outside the compiled engine (data collection), and the sweep path
(``run.run_metrics``, what a sweep worker runs: metrics only) for the default run, in wall
and CPU milliseconds. In the same run it
times a bare numpy kernel of the two-layer trust update over the same number of
relationships and prints the ratio of a full month to that kernel. Targets (issue 13): the
default run <= 5 ms (<= 3 ms through the sweep path, ``benchmarks/sweep_throughput.py``);
10,000 organisations x 120 months <= 1 s; <= 2 KB per organisation (peak resident). The
machine's load average is printed with the figures: on a shared machine, compare runs
made in the same minute.

Peak resident memory, precisely: a fresh Python process imports collabsim and runs a
40-organisation, 12-month model (the compiled engine is loaded from numba's cache, or
compiled), then reads its peak resident set (``VmHWM`` in ``/proc/self/status``): the
baseline, which holds the interpreter, numpy, pandas, Mesa, numba and the compiled code.
It then builds and runs the measured model in one ``run()`` and reads ``VmHWM`` again. The
figure per organisation is (peak after - baseline) / organisations: everything the run
made resident at its peak, model, agents, relationship table, the engine's scratch arrays
and the freed memory the allocator keeps, but not the libraries or the compiled code.

Times are the best of ``--repeats`` runs of the same seed (the median is printed too),
after a first run that loads the compiled engine from numba's cache (or compiles it, the
first time on a machine); that first run is printed apart.

Usage: python benchmarks/bench_model.py [--sizes 40 1000 10000] [--months 120] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import collabsim  # noqa: E402
from collabsim import trust  # noqa: E402
from collabsim.model import CollaborationModel  # noqa: E402


class TimedModel(CollaborationModel):
    """The real model, with the time spent outside the compiled engine measured (model
    set-up aside: building the metrics table and the data collector's columns)."""

    collect_seconds = 0.0

    def run(self, months=None):
        start = time.perf_counter()
        self.engine_seconds = 0.0
        super().run(months)
        self.collect_seconds += time.perf_counter() - start - self.engine_seconds
        return self

    def run_rows(self, months):
        start = time.perf_counter()
        rows = super().run_rows(months)
        self.engine_seconds += time.perf_counter() - start
        return rows


RSS_CODE = """
import sys
from collabsim.model import CollaborationModel

def peak():  # VmHWM: this process's peak resident memory (ru_maxrss can carry the parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

CollaborationModel(seed=0, months=12).run()  # warm: compiled code loaded from the cache
before = peak()
n, months = int(sys.argv[1]), int(sys.argv[2])
m = CollaborationModel(seed=0, n_organisations=n, months=months).run()
print(before, peak(), m.rel.size)
"""


def peak_rss(n: int, months: int) -> tuple[int, int]:
    """Peak resident memory of a fresh process (bytes) before and after one run of n organisations."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", RSS_CODE, str(n), str(months)], capture_output=True, text=True, check=True)
    before, after, _ = (int(x) for x in out.stdout.split())
    return before, after


def bare_kernel_seconds(k: int, repeats: int = 20) -> float:
    """One two-layer update of both directions of k relationships, plain numpy."""
    rng = np.random.default_rng(0)
    t, r = rng.random((2, k)), rng.random((2, k)) * 0.3
    s, d = rng.uniform(-1, 1, (2, k)), rng.random(k)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        trust.two_layer(t, r, s, d)
        best = min(best, time.perf_counter() - start)
    return best


def sweep_path_ms(seeds: int = 200, passes: int = 3) -> dict:
    """The default run through the sweep path (``run.run_metrics``), seeds 0 .. ``seeds`` - 1,
    each run ``passes`` times (in passes over all seeds), wall and CPU (this thread)
    milliseconds: the best run; the median of the first pass (every run timed once, as a
    sweep meets them); and the typical run, the median over seeds of each seed's fastest
    pass. Runs differ by seed (a run with more pairs takes longer), so the typical run is a
    median over seeds; taking each seed's fastest pass leaves out what other processes on a
    shared machine add to a single timing, which moved the first pass's median by 15% between
    two runs of this script a minute apart."""
    from collabsim.run import run_metrics

    wall, cpu = np.full((passes, seeds), np.inf), np.full((passes, seeds), np.inf)
    for p in range(passes):
        for seed in range(seeds):
            w, c = time.perf_counter(), time.thread_time()
            run_metrics(seed=seed)
            cpu[p, seed] = time.thread_time() - c
            wall[p, seed] = time.perf_counter() - w

    def ms(x: float) -> float:
        return round(1e3 * float(x), 2)

    return {
        "sweep_path_best_ms": ms(wall.min()), "sweep_path_median_ms": ms(np.median(wall[0])),
        "sweep_path_typical_ms": ms(np.median(wall.min(axis=0))),
        "sweep_path_best_cpu_ms": ms(cpu.min()), "sweep_path_median_cpu_ms": ms(np.median(cpu[0])),
        "sweep_path_typical_cpu_ms": ms(np.median(cpu.min(axis=0))),
    }


def measure(n: int, months: int, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):  # the same run each time: the best is the code's speed, not a light seed
        start = time.perf_counter()
        m = TimedModel(seed=0, n_organisations=n, months=months)
        m.run()
        total = time.perf_counter() - start
        runs.append((total, m.collect_seconds, m.rel.size))
    totals = np.array([r[0] for r in runs])
    best = int(np.argmin(totals))
    total, collect, pairs = runs[best]
    tracemalloc.start()
    m = CollaborationModel(seed=0, n_organisations=n, months=months)
    m.run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kernel = bare_kernel_seconds(pairs)
    rss_before, rss_after = peak_rss(n, months)
    per_month = total / max(months, 1)
    return {
        "run_seconds_median": round(float(np.median(totals)), 4),
        "organisations": n,
        "months": months,
        "run_seconds": round(total, 4),
        "seconds_per_month": round(per_month, 6),
        "organisation_months_per_second": round(n * months / total),
        "pairs_at_end": int(pairs),
        "peak_python_bytes_per_organisation": round(peak / n),
        "peak_rss_bytes_per_organisation": round((rss_after - rss_before) / n),
        "peak_rss_mb": round(rss_after / 2**20, 1),
        "data_collection_share": round(collect / total, 3),
        "bare_trust_kernel_seconds": round(kernel, 6),
        "month_over_kernel": round(per_month / kernel, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 1000, 10000])
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    start = time.perf_counter()
    CollaborationModel(seed=0, months=12).run()  # loads (or, on a new machine, compiles) the passes
    first_run = time.perf_counter() - start
    sweep = sweep_path_ms()
    rows = [measure(n, args.months, args.repeats if n <= 1000 else min(args.repeats, 3)) for n in args.sizes]
    cols = list(rows[0])
    print(" | ".join(cols))
    for row in rows:
        print(" | ".join(str(row[c]) for c in cols))
    print(f"sweep path (run_metrics), default run, 200 seeds x 3 passes: typical run {sweep['sweep_path_typical_ms']} ms "
          f"(median over seeds of each seed's fastest pass; target <= 3 ms), first pass's median {sweep['sweep_path_median_ms']} ms, "
          f"best {sweep['sweep_path_best_ms']} ms wall; CPU: typical {sweep['sweep_path_typical_cpu_ms']}, "
          f"first pass's median {sweep['sweep_path_median_cpu_ms']}, best {sweep['sweep_path_best_cpu_ms']} ms")
    print(f"first run in this process (loading or compiling the compiled passes): {first_run:.2f} s")
    print(f"load average: {os.getloadavg()}")
    print(json.dumps({"load_average": os.getloadavg(), "python": sys.version.split()[0], "collabsim": collabsim.__version__, "first_run_seconds": round(first_run, 3), "sweep_path": sweep, "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
