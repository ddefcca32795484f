"""End-to-end: the page in headless Debian Chromium, driven by Playwright.

The app runs as a ``solara run`` subprocess on 127.0.0.1 and a free port. Skipped only
when /usr/bin/chromium is missing. Saves ``docs/screenshot.png`` for the README.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not found (install Debian's chromium package to run the browser tests)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "screenshot.png"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IGNORED_CONSOLE = ("Failed to evaluate Vue script",)  # a warning from ipyvue's template loader


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a server started by a test: terminate, then kill if it does not exit."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture(scope="module")
def server():
    from collabsim.viz import cli

    missing = cli.missing_assets()
    if missing:
        pytest.fail(f"front-end files missing ({', '.join(missing)}): run `collabsim viz --fetch-assets` first")
    port = _free_port()
    env = cli.server_env("funder_mandate")
    proc = subprocess.Popen(
        cli.solara_command("127.0.0.1", port), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(ROOT)
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local test server)
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"the app did not start:\n{out[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Tab:
    """One browser tab with its console errors and failed requests."""

    def __init__(self, browser, url: str) -> None:
        self.page = browser.new_page(viewport={"width": 1500, "height": 1000})
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", self._page_error)
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        self.page.goto(url)
        self.wait_month(0, timeout=60_000)

    def _console(self, msg) -> None:
        if msg.type == "error" and not msg.text.startswith(IGNORED_CONSOLE):
            self.errors.append(msg.text)

    def _page_error(self, exc) -> None:
        self.errors.append(str(exc))

    def _request_failed(self, request) -> None:
        self.failed.append(request.url)

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def wait_month(self, month: int, timeout: int = 30_000) -> None:
        self.page.get_by_text(f"Month {month}: the network", exact=True).wait_for(timeout=timeout)

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).first.click()

    def step(self) -> None:
        self.click("Step")

    def image(self, index: int) -> str:
        return self.page.locator(".v-card img").nth(index).get_attribute("src") or ""

    def explain(self) -> str:
        return self.page.get_by_text("What is happening").locator("xpath=ancestor::div[contains(@class,'v-card')][1]").inner_text()

    def fill(self, label: str, value: str) -> None:
        box = self.page.get_by_label(label, exact=True).first
        box.fill(value)
        box.press("Enter")

    def close(self) -> None:
        self.page.close()


def test_page_steps_resets_intervenes_and_keeps_tabs_apart(server, browser):
    tab = Tab(browser, server)
    page = tab.page
    # loads with no console errors and no failed requests
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=30_000)
    assert tab.errors == [] and tab.failed == []

    # Step advances the month and the plots change
    net0, series0 = tab.image(0), tab.image(1)
    tab.step()
    tab.wait_month(1)
    tab.step()
    tab.wait_month(2)
    page.wait_for_function("([a, b]) => document.querySelectorAll('.v-card img')[1].src !== b", arg=[net0, series0])
    assert tab.image(0) != net0 and tab.image(1) != series0

    # a slider change then Reset changes the model (here: the community's size)
    slider = page.get_by_role("slider", name="n organisations")
    assert slider.get_attribute("aria-valuenow") == "40"
    slider.focus()
    for _ in range(5):
        slider.press("ArrowLeft")
    page.get_by_text("n_organisations = 35 (applies at Reset)").wait_for(timeout=15_000)
    tab.click("Reset")
    tab.wait_month(0)
    page.get_by_text("Month 0: 35 organisations", exact=False).wait_for(timeout=15_000)

    # an intervention shows up in the plots and the explain panel
    tab.step()
    tab.wait_month(1)
    series_before = tab.image(1)
    tab.click("Add backbone")
    page.get_by_text("You intervened: backbone added.").wait_for(timeout=10_000)
    page.wait_for_function("b => document.querySelectorAll('.v-card img')[1].src !== b", arg=series_before)
    assert page.get_by_role("button", name="Remove backbone", exact=True).count() == 1

    # the pair story follows a pair
    tab.click("Follow a busy pair")
    page.get_by_text("trusts", exact=False).first.wait_for(timeout=10_000)

    # two tabs keep separate models
    other = Tab(browser, server)
    other.step()
    other.wait_month(1)
    other.step()
    other.wait_month(2)
    other.step()
    other.wait_month(3)
    assert "You intervened" not in other.explain()
    page.bring_to_front()
    tab.wait_month(1)
    assert page.get_by_text("Month 3: the network", exact=True).count() == 0
    tab.step()
    tab.wait_month(2)
    other.wait_month(3)

    for month in range(3, 13):  # a year in, so the screenshot shows relationships growing
        tab.step()
        tab.wait_month(month)
    page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; }); window.scrollTo(0, 0)")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert SCREENSHOT.stat().st_size > 10_000
    assert tab.errors == [] and tab.failed == [], (tab.errors, tab.failed)
    assert other.errors == [] and other.failed == [], (other.errors, other.failed)
    other.close()
    tab.close()


def test_viz_command_prints_the_address(tmp_path):
    from collabsim.viz import cli

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from collabsim.viz.cli import main; raise SystemExit(main(['--port', '{port}']))"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(tmp_path),
    )
    try:
        line = proc.stdout.readline().decode()
        assert f"http://127.0.0.1:{port}/" in line
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("collabsim viz did not serve the page")
        assert cli.missing_assets() == []
    finally:
        _stop(proc)
