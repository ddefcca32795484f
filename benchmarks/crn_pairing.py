"""How well paired runs pair: common random numbers across two arms of a comparison.

For ``--seeds`` seeds, runs the default scenario twice per seed, once per arm (default:
backbone off / on), and prints, for the outcome at the last month: the correlation of
the paired outcomes across seeds, the standard deviation of the paired differences, and
that of unpaired differences (arm B's seeds shifted by one), i.e. how much pairing by
seed narrows the estimate of the effect. The engine's streams are keyed by mechanism,
month and organisation or pair (``collabsim.streams``) so that the arms share their draws.

Usage: python benchmarks/crn_pairing.py [--seeds 40] [--months 120] [--outcome durable_collaborations]
       [--arm backbone=false --arm backbone=true]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from collabsim.parameters import parse_assignment
from collabsim.run import run_metrics


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--outcome", default="durable_collaborations")
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--arm", action="append", help="name=value for one arm (give two)")
    args = ap.parse_args(argv)
    arms = args.arm or ["backbone=false", "backbone=true"]
    if len(arms) != 2:
        ap.error("give exactly two --arm")
    settings = [dict([parse_assignment(a)]) for a in arms]
    start = time.perf_counter()
    y = np.array(
        [[run_metrics(args.scenario, seed=s, months=args.months, **p)[args.outcome][-1] for s in range(args.seeds)] for p in settings],
        dtype=float,
    )
    paired = y[1] - y[0]
    unpaired = np.roll(y[1], 1) - y[0]
    out = {
        "outcome": args.outcome,
        "arms": arms,
        "seeds": args.seeds,
        "mean_a": round(float(y[0].mean()), 3),
        "mean_b": round(float(y[1].mean()), 3),
        "paired_correlation": round(float(np.corrcoef(y[0], y[1])[0, 1]), 3),
        "sd_paired_difference": round(float(paired.std(ddof=1)), 3),
        "sd_unpaired_difference": round(float(unpaired.std(ddof=1)), 3),
        "seconds": round(time.perf_counter() - start, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
