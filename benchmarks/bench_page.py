"""How fluid the page is in headless Chromium: Step latency and Play speed (prints figures).

Starts ``collabsim viz`` on a free port (127.0.0.1), opens the page in Debian's Chromium with
Playwright, and measures, for the ``default`` scenario at 40 and 200 organisations:

- Step latency: from the click on Step to the moment the page shows the next month's heading
  and both charts (network and time series, Vega canvases) have been redrawn (median and
  worst of ``--steps`` steps);
- Play speed: months shown per second over ``--play-seconds`` seconds of Play at the
  page's default speed.

Usage: python benchmarks/bench_page.py [--steps 15] [--play-seconds 8] [--sizes 40 200]
This is a measurement, not a test: it prints figures and never fails on a slow machine.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MONTH_RE = re.compile(r"Month (\d+): the network")
CHARTS = "() => Array.from(document.querySelectorAll('.vega-embed canvas')).map(c => c.toDataURL())"
BOTH_CHANGED = f"(b) => {{ const now = ({CHARTS})(); return now.length >= 2 && now[0] !== b[0] && now[1] !== b[1]; }}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    from collabsim.viz import cli

    proc = subprocess.Popen(cli.solara_command("127.0.0.1", port), env=cli.server_env("default"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):  # noqa: S310 (local)
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the page did not start")


def shown_month(page) -> int:
    text = page.locator("text=/Month \\d+: the network/").first.inner_text()
    return int(MONTH_RE.search(text).group(1))


def set_size(page, n: int) -> None:
    """Set the community's size with the slider's keyboard, then Reset."""
    slider = page.get_by_role("slider", name=re.compile("n organisations"))
    slider.focus()
    now = int(slider.get_attribute("aria-valuenow"))
    key = "ArrowRight" if n > now else "ArrowLeft"
    for _ in range(abs(n - now)):
        slider.press(key)
    if n != now:
        page.get_by_text(f"n_organisations = {n}", exact=False).first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_text(f"Month 0: {n} organisations", exact=False).first.wait_for(timeout=60_000)


def measure(page, steps: int, play_seconds: float) -> dict[str, float]:
    step_button = page.get_by_role("button", name="Step", exact=True)
    times = []
    for _ in range(steps):
        month = shown_month(page)
        page.wait_for_timeout(300)
        before = page.evaluate(CHARTS)
        t0 = time.perf_counter()
        step_button.click()
        page.get_by_text(f"Month {month + 1}: the network", exact=True).wait_for(timeout=30_000)
        page.wait_for_function(BOTH_CHANGED, arg=before, timeout=30_000, polling=10)
        times.append(time.perf_counter() - t0)
    play = page.get_by_role("button", name=re.compile("▶")).first
    page.wait_for_timeout(300)
    start = shown_month(page)
    play.click()
    t0 = time.perf_counter()
    time.sleep(play_seconds)
    end = shown_month(page)
    elapsed = time.perf_counter() - t0
    page.get_by_role("button", name=re.compile("❚❚")).first.click()
    return {"step_median_ms": 1000 * statistics.median(times), "step_worst_ms": 1000 * max(times),
            "play_months_per_s": (end - start) / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--play-seconds", type=float, default=8.0)
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 200])
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("Month 0: the network", exact=True).wait_for(timeout=90_000)
            print(f"python {sys.version.split()[0]}; scenario default; {a.steps} steps, {a.play_seconds:.0f} s of Play")
            for n in a.sizes:
                set_size(page, n)
                r = measure(page, a.steps, a.play_seconds)
                print(f"{n:4d} organisations: Step shows in {r['step_median_ms']:.0f} ms (median; worst {r['step_worst_ms']:.0f} ms); "
                      f"Play shows {r['play_months_per_s']:.1f} months/s")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
