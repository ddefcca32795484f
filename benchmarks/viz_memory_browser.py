"""Server-side memory of the real page in headless Chromium: one tab plays up to 1,200
months, then presses Reset 20 times.

Starts the page's server (``solara run``, as ``collabsim viz`` does) on 127.0.0.1, opens
one tab in Debian's Chromium through Playwright, moves the months slider to its maximum
(1,200), presses Reset and Play, and samples the resident memory (RSS) of the server
process every second until the tab shows month 1,200 (or ``--play-seconds`` pass); then it
presses Reset ``--resets`` times (stepping a few months after each) and records the
server's RSS after each. Prints RSS over the play and after each Reset, and the growth per
Reset over the second half. Needs the front-end files (``collabsim viz --fetch-assets``).

Usage: python benchmarks/viz_memory_browser.py [--resets 20] [--play-seconds 1200]
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MB = 1024 * 1024


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/statm") as f:
            import os

            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB
    except OSError:
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resets", type=int, default=20)
    parser.add_argument("--steps-per-reset", type=int, default=3)
    parser.add_argument("--play-seconds", type=float, default=1200, help="stop playing after this long even before month 1,200")
    parser.add_argument("--json")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from collabsim.viz import cli

    missing = cli.missing_assets()
    if missing:
        print(f"front-end files missing ({', '.join(missing)}): run `collabsim viz --fetch-assets` first", file=sys.stderr)
        return 1
    port = free_port()
    proc = subprocess.Popen(cli.solara_command("127.0.0.1", port), env=cli.server_env("default"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    start = time.perf_counter()

    def sample() -> None:
        while not stop.is_set():
            r = rss_mb(proc.pid)
            if r is not None:
                samples.append((time.perf_counter() - start, r))
            stop.wait(1.0)

    result: dict = {}
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local server)
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                print("the page's server did not start", file=sys.stderr)
                return 1
            time.sleep(0.5)
        threading.Thread(target=sample, daemon=True).start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(url)

            def month() -> int:
                text = page.get_by_text(re.compile(r"^Month \d+: the network$")).first.inner_text(timeout=60_000)
                return int(text.split()[1].rstrip(":"))

            def button(name: str) -> None:
                page.get_by_role("button", name=name, exact=True).first.click()

            page.get_by_text("Month 0: the network", exact=True).wait_for(timeout=120_000)
            loaded = rss_mb(proc.pid)
            slider = page.get_by_role("slider", name="months")
            slider.focus()
            slider.press("End")
            page.get_by_text("months = 1200 (applies at Reset)").wait_for(timeout=30_000)
            button("Reset")
            page.get_by_text("Month 0: the network", exact=True).wait_for(timeout=60_000)
            play_start = time.perf_counter() - start
            before_play = rss_mb(proc.pid)
            button("Play")
            trace = []
            while True:
                time.sleep(10)
                m = month()
                trace.append((m, rss_mb(proc.pid)))
                print(f"  month {m:5d}  server RSS {trace[-1][1]:7.1f} MB", flush=True)
                if m >= 1200 or time.perf_counter() - start - play_start > args.play_seconds:
                    break
            if m < 1200:
                button("Pause")
            played = month()
            after_play = rss_mb(proc.pid)
            resets = []
            for _ in range(args.resets):
                button("Reset")
                page.get_by_text("Month 0: the network", exact=True).wait_for(timeout=60_000)
                for k in range(1, args.steps_per_reset + 1):
                    button("Step")
                    page.get_by_text(f"Month {k}: the network", exact=True).wait_for(timeout=60_000)
                time.sleep(1)
                resets.append(rss_mb(proc.pid))
                print(f"  after Reset {len(resets):2d}  server RSS {resets[-1]:7.1f} MB", flush=True)
            browser.close()
        half = len(resets) // 2
        result = {
            "rss_after_load_mb": loaded, "rss_before_play_mb": before_play, "months_played": played, "rss_after_play_mb": after_play,
            "play_trace": trace, "rss_after_each_reset_mb": resets,
            "growth_mb_per_reset_second_half": (resets[-1] - resets[half]) / max(1, len(resets) - 1 - half) if len(resets) > 1 else None,
            "seconds": time.perf_counter() - start, "python": sys.version.split()[0],
        }
    finally:
        stop.set()
        proc.kill()  # the benchmark's own server: nothing to save
        proc.wait()
    import mesa

    result["mesa"] = mesa.__version__
    print(f"page server memory (headless Chromium, one tab): Python {result['python']}, Mesa {result['mesa']}")
    print(f"  page loaded {result['rss_after_load_mb']:.1f} MB; before Play {result['rss_before_play_mb']:.1f} MB;"
          f" after {result['months_played']} months {result['rss_after_play_mb']:.1f} MB")
    print("  after each Reset: " + ", ".join(f"{r:.0f}" for r in result["rss_after_each_reset_mb"]) + " MB")
    if result["growth_mb_per_reset_second_half"] is not None:
        print(f"  growth per Reset (second half) {result['growth_mb_per_reset_second_half']:.2f} MB")
    print(json.dumps({k: v for k, v in result.items() if k not in ("play_trace",)}))
    if args.json:
        result["samples"] = samples
        Path(args.json).write_text(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
