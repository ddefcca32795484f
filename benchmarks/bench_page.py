"""How fluid the page is in headless Chromium: Step latency and Play speed (prints figures).

Starts ``collabsim viz`` on a free port (127.0.0.1), opens the page in Debian's Chromium with
Playwright, and measures, for the ``default`` scenario at 40 and 200 organisations:

- Step latency: from the click on Step to the moment the page shows the next month's heading
  and both charts (network and time series) have drawn that month (median and worst of
  ``--steps`` steps). The charts (``collabsim/viz/livechart.py``) mark each finished redraw
  with the month on their element (``data-month``), set after vega's render has run;
- the same for the heading alone (the server's part: the model's month and the page's
  components redrawn and sent);
- Play speed: months shown per second during ``--play-seconds`` seconds of Play at the
  page's default speed (from the first to the last month the heading showed, in the page's
  clock; Play waits until the browser has drawn each month).

Usage: python benchmarks/bench_page.py [--steps 15] [--play-seconds 8] [--sizes 40 200]
The machine is often shared: wall-clock figures grow with the load average (printed). So the
script also prints the CPU time a Step costs the server process and the browser's processes
(``psutil``, from the Dask extra), which does not depend on what else runs; on an idle
machine a Step shows in about their sum, less what the two do at the same time.

This is a measurement, not a test: it prints figures and never fails on a slow machine.
"""

from __future__ import annotations

import argparse
import math
import os
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
CHARTS_AT = ("(m) => { const c = Array.from(document.querySelectorAll('.vega-embed'));"
             " return c.length >= 2 && c.every(e => e.dataset.month === String(m)); }")
"""True once both charts have drawn month ``m`` (the attribute is set after the redraw)."""
STEP_IN_PAGE = """(m) => new Promise((resolve, reject) => {
    const heading = () => Array.from(document.querySelectorAll('.v-card__title'))
        .some(e => e.textContent.trim() === `Month ${m}: the network`);
    const charts = () => { const c = Array.from(document.querySelectorAll('.vega-embed'));
        return c.length >= 2 && c.every(e => e.dataset.month === String(m)); };
    const button = Array.from(document.querySelectorAll('button')).find(b => b.textContent.trim() === 'Step');
    let shown = null;
    const t0 = performance.now();
    const check = () => {
        const now = performance.now();
        if (shown === null && heading()) shown = now - t0;
        if (shown !== null && charts()) { observer.disconnect(); resolve([shown, now - t0]); }
        else if (now - t0 > 30000) { observer.disconnect(); reject(new Error(`month ${m} not shown in 30 s`)); }
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                                     attributeFilter: ['data-month']});
    button.click();
})"""
"""Click Step in the page and time, in the page's clock, until the heading shows month ``m`` and
until both charts have drawn it (a MutationObserver, no polling from outside: the browser's
CPU figures count the page, not the test driver)."""
WATCH_MONTHS = """() => {
    window.__months = [];
    const read = () => {
        const t = Array.from(document.querySelectorAll('.v-card__title')).map(e => e.textContent.trim())
            .find(x => /^Month \\d+: the network$/.test(x));
        const m = t ? parseInt(t.split(' ')[1]) : null;
        const last = window.__months[window.__months.length - 1];
        if (m !== null && (!last || last[0] !== m)) window.__months.push([m, performance.now()]);
    };
    new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
"""Record, in the page, each month the network's heading shows and when (for Play's rate)."""


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
    page.wait_for_function(CHARTS_AT, arg=0, timeout=60_000)
    page.wait_for_timeout(1000)


def cpu_seconds(server_pid: int) -> tuple[float, float]:
    """CPU seconds used so far by the page's server and by Chromium's processes (NaN without psutil)."""
    try:
        import psutil
    except ImportError:
        return math.nan, math.nan

    def total(procs) -> float:
        out = 0.0
        for p in procs:
            try:
                t = p.cpu_times()
                out += t.user + t.system
            except psutil.Error:
                pass
        return out

    server = psutil.Process(server_pid)
    browser = [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()]
    return total([server, *server.children(recursive=True)]), total(browser)


def measure(page, steps: int, play_seconds: float, server_pid: int) -> dict[str, float]:
    step_button = page.get_by_role("button", name="Step", exact=True)
    times, heading = [], []
    step_button.wait_for()
    cpu0 = cpu_seconds(server_pid)
    for _ in range(steps):
        month = shown_month(page)
        page.wait_for_timeout(300)
        shown, drawn = page.evaluate(STEP_IN_PAGE, month + 1)
        heading.append(shown / 1000)
        times.append(drawn / 1000)
    cpu1 = cpu_seconds(server_pid)
    play = page.get_by_role("button", name=re.compile("▶")).first
    page.wait_for_timeout(300)
    page.evaluate(WATCH_MONTHS)
    play.click()
    time.sleep(play_seconds)
    page.get_by_role("button", name=re.compile("❚❚")).first.click()
    seen = page.evaluate("() => window.__months")
    first, last = seen[0], seen[-1]
    rate = (last[0] - first[0]) / ((last[1] - first[1]) / 1000) if len(seen) > 1 and last[1] > first[1] else math.nan
    return {"step_median_ms": 1000 * statistics.median(times), "step_worst_ms": 1000 * max(times),
            "heading_median_ms": 1000 * statistics.median(heading),
            "server_cpu_ms": 1000 * (cpu1[0] - cpu0[0]) / steps, "browser_cpu_ms": 1000 * (cpu1[1] - cpu0[1]) / steps,
            "play_months_per_s": rate}


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
            load = os.getloadavg()[0]
            print(f"python {sys.version.split()[0]}; scenario default; {a.steps} steps, {a.play_seconds:.0f} s of Play; "
                  f"load average {load:.1f} on {os.cpu_count()} cores (other work on the machine slows every figure)")
            for n in a.sizes:
                set_size(page, n)
                r = measure(page, a.steps, a.play_seconds, proc.pid)
                print(f"{n:4d} organisations: Step shows in {r['step_median_ms']:.0f} ms (median; worst {r['step_worst_ms']:.0f} ms; "
                      f"heading alone {r['heading_median_ms']:.0f} ms); Play shows {r['play_months_per_s']:.1f} months/s\n"
                      f"      CPU per Step (includes the 300 ms idle before each): server {r['server_cpu_ms']:.0f} ms, "
                      f"browser {r['browser_cpu_ms']:.0f} ms")
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
