"""Server-side memory of one browser tab: play 1,200 months, then press Reset 20 times.

Drives what the page's server does for a tab, in this process, with the page's own
objects: the tab's ``Settings``, ``VizModel`` built the way Mesa's Reset builds it, and
the network and time-series images and the explanation drawn after every month (what the
page redraws as it plays). Samples this process's resident memory (RSS) and counts the
tab's models that are still alive (weak references). Prints RSS during the long play,
after each Reset, and the growth per Reset over the last ``--resets`` Resets.

What to expect: while one model plays, its history (trust and level of every pair each
month, for the explain panel) grows with the months played, up to the 1,200-month cap;
after a Reset the previous model and its history must be freed, so RSS after each Reset
stays flat and only the current model is alive.

Usage: python benchmarks/viz_memory.py [--months 1200] [--resets 20] [--months-per-reset 24]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import weakref

os.environ.setdefault("MPLBACKEND", "Agg")

from collabsim.viz.explain import explain_month, state_lines  # noqa: E402
from collabsim.viz.network import network_png  # noqa: E402
from collabsim.viz.session import Settings, VizModel  # noqa: E402
from collabsim.viz.timeseries import timeseries_png  # noqa: E402

MB = 1024 * 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def play(model: VizModel, months: int, draw_every: int) -> None:
    for m in range(months):
        model.step()
        if (m + 1) % draw_every == 0 or m + 1 == months:
            network_png(model)
            timeseries_png(model)
            explain_month(model)
            state_lines(model)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--months", type=int, default=1200, help="months of the long play (default 1200, the cap)")
    parser.add_argument("--resets", type=int, default=20)
    parser.add_argument("--months-per-reset", type=int, default=24, help="months played after each Reset (default 24)")
    parser.add_argument("--draw-every", type=int, default=1, help="draw the images every K months (default 1, as the page)")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--json")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    settings = Settings(scenario=args.scenario)
    settings.set_value("months", args.months)
    refs: list[weakref.ref] = []
    model = VizModel(settings)
    refs.append(weakref.ref(model))
    gc.collect()
    at_start = rss_mb()
    trace = [(0, at_start)]
    chunk = max(1, args.months // 10)
    for done in range(0, args.months, chunk):
        play(model, min(chunk, args.months - done), args.draw_every)
        gc.collect()
        trace.append((model.month, rss_mb()))
    after_play = trace[-1][1]
    resets = []
    for _ in range(args.resets):
        model = VizModel(**{"settings": settings})  # Mesa's Reset: VizModel(**model_params)
        refs.append(weakref.ref(model))
        play(model, args.months_per_reset, args.draw_every)
        gc.collect()
        resets.append(rss_mb())
    gc.collect()
    alive = sum(r() is not None for r in refs)
    half = len(resets) // 2
    per_reset = (resets[-1] - resets[half]) / max(1, len(resets) - 1 - half) if len(resets) > 1 else None
    result = {
        "months": args.months, "resets": args.resets, "months_per_reset": args.months_per_reset, "draw_every": args.draw_every,
        "rss_start_mb": at_start, "rss_after_play_mb": after_play, "play_trace": trace, "rss_after_each_reset_mb": resets,
        "growth_mb_per_reset_second_half": per_reset, "models_built": len(refs), "models_alive_at_end": alive,
        "seconds": time.perf_counter() - start, "python": sys.version.split()[0],
    }
    import mesa

    result["mesa"] = mesa.__version__
    print(f"viz tab memory: Python {result['python']}, Mesa {result['mesa']}, scenario {args.scenario}, images drawn every {args.draw_every} month(s)")
    print(f"  new tab                       RSS {at_start:7.1f} MB")
    print("  playing: " + ", ".join(f"month {m}: {r:.0f}" for m, r in trace) + " MB")
    print(f"  after {args.months} months             RSS {after_play:7.1f} MB  (+{after_play - at_start:.1f} MB: first images drawn, then the model's history)")
    print("  after each Reset (+" + str(args.months_per_reset) + " months): " + ", ".join(f"{r:.0f}" for r in resets) + " MB")
    if per_reset is not None:
        print(f"  growth per Reset (second half) {per_reset:7.2f} MB")
    print(f"  models built {len(refs)}, alive at the end {alive} (expected 1)")
    print(json.dumps({k: v for k, v in result.items() if k not in ("play_trace", "rss_after_each_reset_mb")}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
