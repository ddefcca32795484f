"""First compile on a fresh machine: the first model run with an empty numba cache.

Runs ``CollaborationModel(seed=0, months=12).run()`` in a fresh process whose numba
cache is an empty temporary folder (``NUMBA_CACHE_DIR``), then the same in a second fresh
process over the cache the first one wrote. The first process compiles with helper
processes, one per spare core (``collabsim.warmup``); ``--helpers 0`` measures the serial
compile, for comparison. Prints, for each, wall seconds and the CPU seconds of the process
and its helpers (user + system, imports included), and the machine's load average.
Target (issue 13): the first compile <= 30 s; cached afterwards.

Usage: python benchmarks/first_compile.py [--repeats 1] [--helpers N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CODE = """
import os, time
start = time.perf_counter()
from collabsim.model import CollaborationModel
CollaborationModel(seed=0, months=12).run()
wall = time.perf_counter() - start
t = os.times()
print(wall, t.user + t.system + t.children_user + t.children_system)
"""


def one(cache: str, helpers: int | None) -> tuple[float, float]:
    """(wall, CPU) seconds of a fresh process's first run over the numba cache ``cache``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    if helpers is not None:
        env["COLLABSIM_COMPILE_HELPERS"] = str(helpers)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, check=True)
    total = time.perf_counter() - start
    _, cpu = (float(x) for x in out.stdout.split())
    return total, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=1, help="fresh caches to compile into (the fastest is kept)")
    ap.add_argument("--helpers", type=int, default=None,
                    help="helper processes for the first compile (default: one per spare core, at most 3; 0: serial)")
    args = ap.parse_args(argv)
    if args.helpers is not None and args.helpers < 0:
        ap.error(f"--helpers {args.helpers}: give 0 or more helper processes")
    from collabsim.warmup import helpers_wanted

    if args.helpers is not None:
        os.environ["COLLABSIM_COMPILE_HELPERS"] = str(args.helpers)
    helpers = helpers_wanted()
    results = {"load_average_before": os.getloadavg()}
    best = None
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="collabsim-numba-") as cache:
            first = one(cache, args.helpers)
            cached = one(cache, args.helpers)
        if best is None or first[0] < best[0][0]:
            best = (first, cached)
    (wall, cpu), (wall_cached, cpu_cached) = best
    results.update(helpers=helpers, first_wall_seconds=round(wall, 1), first_cpu_seconds=round(cpu, 1), cached_wall_seconds=round(wall_cached, 2),
                   cached_cpu_seconds=round(cpu_cached, 2), load_average_after=os.getloadavg())
    print(f"first run, empty numba cache:  {wall:6.1f} s wall  {cpu:6.1f} s CPU   (target <= 30 s; {helpers} helper processes)")
    print(f"next run, cache warm:          {wall_cached:6.2f} s wall  {cpu_cached:6.2f} s CPU")
    print(f"load average before / after: {results['load_average_before']} / {results['load_average_after']}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
