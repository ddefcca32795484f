"""End-to-end: the page in headless Debian Chromium, driven by Playwright.

The app runs as a ``solara run`` subprocess on 127.0.0.1 and a free port. Skipped only
when /usr/bin/chromium is missing. Saves ``docs/screenshot.png`` for the README.
"""

from __future__ import annotations

import functools
import os
import re
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
IGNORED_CONSOLE = (
    "Failed to evaluate Vue script",  # a warning from ipyvue's template loader
    "Canvas2D: Multiple readback operations",  # Chromium's hint about this test's own pixel reading (FIND_COLOUR)
)
CANVAS = ".vega-embed canvas"
CHART_PIXELS = "() => Array.from(document.querySelectorAll('.vega-embed canvas')).map(c => c.toDataURL())"
FIND_COLOUR = """([hex, box]) => {
    const c = document.querySelectorAll('.vega-embed canvas')[0];
    const ctx = c.getContext('2d');
    const w = c.width, h = Math.floor(c.height * 0.75);  // above the legends
    const data = ctx.getImageData(0, 0, w, h).data;
    const want = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
    const near = (x, y) => { const o = 4 * (y * w + x); return want.every((v, k) => Math.abs(data[o + k] - v) < 12); };
    for (let y = box; y < h - box; y++) for (let x = box; x < w - box; x++) {
        let ok = true;
        for (let dy = -box; dy <= box && ok; dy++) for (let dx = -box; dx <= box && ok; dx++) ok = near(x + dx, y + dy);
        if (ok) { const r = c.getBoundingClientRect(); return [r.left + x * r.width / c.width, r.top + y * r.height / c.height]; }
    }
    return null;
}"""


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


SERVER_LOG_NOISE = ("Warning", "warning", "Traceback", "Error", "samesite", "Failed to validate hooks")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The page's server (``collabsim viz``'s command line); its console must stay quiet."""
    from collabsim.viz import cli

    missing = cli.missing_assets()
    if missing:
        pytest.fail(f"front-end files missing ({', '.join(missing)}): run `collabsim viz --fetch-assets` first")
    port = _free_port()
    env = cli.server_env("funder_mandate")
    log_path = tmp_path_factory.mktemp("server") / "console.log"
    log = open(log_path, "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(cli.solara_command("127.0.0.1", port), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT))
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
                pytest.fail(f"the app did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield Server(url, log_path)
    finally:
        _stop(proc)
        log.close()


class Server:
    def __init__(self, url: str, log_path: Path) -> None:
        self.url = url
        self.log_path = log_path

    def console(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Tab:
    """One browser tab with its console errors and failed requests."""

    def __init__(self, browser, server: "Server") -> None:
        self.page = browser.new_page(viewport={"width": 1500, "height": 1000})
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", self._page_error)
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)
        self.page.goto(server.url)
        self.wait_month(0, timeout=60_000)
        self.page.wait_for_function(f"() => document.querySelectorAll('{CANVAS}').length >= 2", timeout=60_000)

    def _console(self, msg) -> None:
        # errors, and warnings too (vega's "WARN Conflicting scale ..." meant a chart drawn other than specified)
        if msg.type in ("error", "warning") and not msg.text.startswith(IGNORED_CONSOLE):
            self.errors.append(f"{msg.type}: {msg.text}")

    def _page_error(self, exc) -> None:
        self.errors.append(str(exc))

    def _request_failed(self, request) -> None:
        self.failed.append(request.url)

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def wait_month(self, month: int, timeout: int = 30_000) -> None:
        self.page.get_by_text(f"Month {month}: the network", exact=True).wait_for(timeout=timeout)

    def month(self) -> int:
        text = self.page.get_by_text(re.compile(r"^Month \d+: the network$")).first.inner_text()
        return int(re.search(r"Month (\d+)", text).group(1))

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).first.click()

    def step(self) -> None:
        month = self.month()
        self.click("Step")
        self.wait_month(month + 1)

    def reset(self) -> None:
        """Reset, and wait until the page shows the new run (a new seed, month 0)."""
        before = self.on_screen()
        self.click("Reset")
        self.page.wait_for_function(
            "b => { const e = Array.from(document.querySelectorAll('*')).find(x => x.childElementCount === 0 && "
            "x.textContent.startsWith('On screen: scenario')); return e && e.textContent !== b && e.textContent.includes(', month 0 of'); }",
            arg=before, timeout=30_000,
        )
        self.wait_month(0)

    def wait_drawn(self, month: int) -> None:
        """Wait until every chart has drawn ``month`` (they mark it on their element once drawn)."""
        self.page.wait_for_function(
            "(m) => { const c = Array.from(document.querySelectorAll('.vega-embed'));"
            " return c.length >= 2 && c.every(e => e.dataset.month === String(m)); }",
            arg=month, timeout=30_000,
        )

    def charts(self) -> list[str]:
        """What the network and the time-series charts show now (their canvases' pixels)."""
        return self.page.evaluate(CHART_PIXELS)

    def wait_charts_change(self, before: list[str], index: int) -> None:
        self.page.wait_for_function(f"([b, k]) => ({CHART_PIXELS})()[k] !== b[k]", arg=[before, index], timeout=30_000)

    def find_colour(self, hex_colour: str, box: int = 2) -> tuple[float, float]:
        """Page coordinates of a spot of ``hex_colour`` (a box of pixels, not a legend swatch's edge) on the network."""
        spot = self.page.evaluate(FIND_COLOUR, [hex_colour, box])
        assert spot is not None, f"no {hex_colour} spot on the network"
        return spot[0], spot[1]

    def card(self, title: str) -> str:
        return self.page.get_by_text(title, exact=True).first.locator("xpath=ancestor::div[contains(@class,'v-card')][1]").inner_text()

    def on_screen(self) -> str:
        return self.page.get_by_text(re.compile("^On screen: scenario")).first.inner_text()

    def fill(self, label: str, value: str) -> None:
        box = self.page.get_by_label(label, exact=True).first
        box.fill(value)
        box.press("Enter")

    def choose(self, label: str, option: str) -> None:
        """Pick an option of a select (Vuetify's menu)."""
        self.page.get_by_label(label, exact=True).first.click(force=True)
        self.page.get_by_role("option", name=option, exact=True).last.click()

    def open_group(self, title: str) -> None:
        """Open a parameter group and wait until it is open: on a busy machine a click that lands
        while the page is still drawing the last month can be lost, so click again after a while."""
        header = self.page.locator(".v-expansion-panel-header", has_text=title).first
        for tick in range(40):  # 40 x 0.5 s; a click every 5 s until the panel says it is open
            if "v-expansion-panel-header--active" in (header.get_attribute("class") or ""):
                return
            if tick % 10 == 0:
                header.click()
            self.page.wait_for_timeout(500)
        raise AssertionError(f"the parameter group {title!r} did not open in 20 s")

    def no_traceback(self) -> None:
        assert self.page.get_by_text("Traceback", exact=False).count() == 0, self.page.inner_text("body")[:3000]
        assert self.errors == [], self.errors

    def close(self) -> None:
        self.page.close()


def test_page_steps_resets_intervenes_and_keeps_tabs_apart(server, browser):
    tab = Tab(browser, server)
    page = tab.page
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=30_000)
    assert tab.errors == [] and tab.failed == []

    # Step advances the month and the charts change
    before = tab.charts()
    tab.step()
    tab.step()
    tab.wait_charts_change(before, 0)
    tab.wait_charts_change(before, 1)

    # a slider change then Reset changes the model (here: the community's size)
    slider = page.get_by_role("slider", name="n organisations")
    assert slider.get_attribute("aria-valuenow") == "40"
    slider.focus()
    for _ in range(5):
        slider.press("ArrowLeft")
    page.get_by_text("n_organisations = 35 (applies at Reset)").wait_for(timeout=15_000)
    page.get_by_text("n_organisations 40 → 35", exact=False).first.wait_for(timeout=15_000)
    tab.reset()
    page.get_by_text("Month 0: 35 organisations", exact=False).wait_for(timeout=15_000)
    assert page.get_by_text("These are the values of the run on screen.").count() >= 1

    # an intervention shows up in the plots and the explain panel
    tab.step()
    page.wait_for_timeout(500)
    before = tab.charts()
    tab.click("Add backbone")
    page.get_by_text("You intervened: backbone added.").wait_for(timeout=10_000)
    tab.wait_charts_change(before, 1)  # the intervention's mark on the time axis
    assert page.get_by_role("button", name="Remove backbone", exact=True).count() == 1

    # the pair story follows a pair
    tab.click("Follow a busy pair")
    page.get_by_text("trusts", exact=False).first.wait_for(timeout=10_000)

    # two tabs keep separate models
    other = Tab(browser, server)
    for _ in range(3):
        other.step()
    assert "You intervened" not in other.card("What is happening")
    page.bring_to_front()
    assert tab.month() == 1
    tab.step()
    assert other.month() == 3

    for _ in range(10):  # a year in, so the screenshot shows relationships growing
        tab.step()
    page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; }); window.scrollTo(0, 0)")
    page.wait_for_timeout(1000)  # the charts redraw a moment after the month's heading
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert SCREENSHOT.stat().st_size > 10_000
    assert tab.errors == [] and tab.failed == [], (tab.errors, tab.failed)
    assert other.errors == [] and other.failed == [], (other.errors, other.failed)
    other.close()
    tab.close()


def test_click_an_organisation_for_its_card_and_a_second_for_the_pair_story(server, browser):
    from collabsim.viz.network import SECTOR_COLOURS

    tab = Tab(browser, server)
    page = tab.page
    for _ in range(3):
        tab.step()
    tab.wait_drawn(tab.month())
    x, y = tab.find_colour(SECTOR_COLOURS["community_group"])
    page.mouse.click(x, y)
    card = page.get_by_text(re.compile(r"^Organisation \d+$")).first
    card.wait_for(timeout=10_000)
    first = int(card.inner_text().split()[1])
    body = tab.card(f"Organisation {first}")
    assert f"Organisation {first}: community group" in body and "capacity this month" in body
    other = next(sector for sector in ("nonprofit", "business", "law_enforcement", "public_agency")
                 if page.evaluate(FIND_COLOUR, [SECTOR_COLOURS[sector], 2]) is not None)
    x, y = tab.find_colour(SECTOR_COLOURS[other])
    page.mouse.click(x, y)
    words = other.replace("_", " ")
    page.get_by_text(re.compile(rf"^Organisation {first} \(community group\) and organisation \d+ \({words}\)")).first.wait_for(timeout=10_000)
    tab.no_traceback()
    tab.close()


TEXT_SIZES = """() => {
    const small = [], cut = [];
    for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
        const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
        if (!own) continue;
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < 12) small.push(el.textContent.trim().slice(0, 40) + ' @' + size);
        if (el.closest('button') && el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent.trim());
    }
    return [small, cut];
}"""


def test_text_is_readable_when_projected_and_every_control_is_keyboard_reachable(server, browser):
    tab = Tab(browser, server)
    page = tab.page
    tab.step()
    tab.click("Follow a busy pair")
    page.get_by_text("trusts", exact=False).first.wait_for(timeout=10_000)
    small, cut = page.evaluate(TEXT_SIZES)
    assert small == [], small  # at least 12 px everywhere (the charts' text is set to 12 px too)
    assert cut == [], cut  # no button label cut off
    # Tab through the page: the run controls, the choosers, the pair story and the interventions are reachable
    page.locator("body").click(position={"x": 5, "y": 5})
    reached = set()
    for _ in range(160):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(FOCUSED))
    for name in ("Reset", "▶ Play", "Step", "Scenario", "Seed (empty: a new random run)", "Play speed (months per second)",
                 "Pause at month", "Organisation (its card)", "and organisation (the pair's story)", "Show pair",
                 "Follow a busy pair", "Follow a harmed pair", "Add backbone", "Start funder mandate", "Break commitment",
                 "Replace staff", "n organisations"):
        assert name in reached, (name, sorted(reached)[:80])
    tab.no_traceback()
    tab.close()


FOCUSED = """() => {
    const a = document.activeElement;
    const box = a.closest('.v-input');
    const label = box && box.querySelector('label') ? box.querySelector('label').innerText.trim() : '';
    return (a.getAttribute('aria-label') || label || a.innerText || '').trim();
}"""
"""What has the keyboard's focus: a control's aria-label or its field's label, or a button's text."""


def _tab_to(page, label: str, presses: int = 160) -> None:
    """Press Tab until the focus is on the field labelled ``label``."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED) == label:
            return
    raise AssertionError(f"Tab never reached {label!r}")


def _choose_by_keyboard(page, label: str, index: int) -> None:
    """Open the select that has the focus with Enter and take its ``index``-th entry with the arrow keys."""
    assert page.evaluate(FOCUSED) == label
    page.keyboard.press("Enter")
    page.locator(".menuable__content__active").first.wait_for(timeout=10_000)
    for _ in range(index + 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")


def test_keyboard_alone_opens_an_organisations_card_and_a_pairs_story(server, browser):
    """What a click on the network does, with the keyboard only: Tab, Enter, arrows, Enter."""
    tab = Tab(browser, server)
    page = tab.page
    page.locator("body").press("Tab")  # the focus enters the page (no pointer is used from here on)
    for _ in range(3):
        page.keyboard.press("Shift+Tab")  # back to the page's start
    for _ in range(2):
        _tab_to(page, "Step")
        month = tab.month()
        page.keyboard.press("Enter")
        tab.wait_month(month + 1)
    _tab_to(page, "Organisation (its card)")
    first = 3
    _choose_by_keyboard(page, "Organisation (its card)", first)
    body = tab.card(f"Organisation {first}")
    assert f"Organisation {first}: " in body and "capacity this month" in body and "trusts it" in body
    page.keyboard.press("Tab")
    second = 7
    _choose_by_keyboard(page, "and organisation (the pair's story)", second)
    page.get_by_text(re.compile(rf"^Organisation {first} \(.+\) and organisation {second} \(")).first.wait_for(timeout=10_000)
    tab.no_traceback()
    tab.close()


def _seed_on_screen(tab: Tab) -> int:
    return int(re.search(r"seed (\d+)", tab.on_screen()).group(1))


def test_empty_seed_draws_a_new_run_and_shows_which(server, browser):
    tab = Tab(browser, server)
    assert tab.page.get_by_label("Seed (empty: a new random run)").first.input_value() == ""
    first = _seed_on_screen(tab)
    tab.reset()
    second = _seed_on_screen(tab)
    assert first != second
    for _ in range(4):
        tab.step()
    tab.page.get_by_text(re.compile(r"^Month 4\. Collaborating pairs")).first.wait_for(timeout=30_000)  # the card follows the network
    numbers = tab.card("Numbers to record")
    # typing the seed shown repeats that run exactly
    tab.fill("Seed (empty: a new random run)", str(second))
    tab.page.get_by_text(f"Seed {second}: Reset repeats that run.").wait_for(timeout=10_000)
    tab.reset()
    assert _seed_on_screen(tab) == second
    for _ in range(4):
        tab.step()
    tab.page.get_by_text(re.compile(r"^Month 4\. Collaborating pairs")).first.wait_for(timeout=30_000)
    assert tab.card("Numbers to record") == numbers
    tab.no_traceback()
    tab.close()


def test_scenario_then_slider_reaches_the_model_and_the_panel_shows_the_running_values(server, browser):
    tab = Tab(browser, server)
    page = tab.page
    tab.choose("Scenario", "police_community")
    page.get_by_text("Scenario police_community chosen", exact=False).first.wait_for(timeout=10_000)
    page.get_by_text("scenario funder_mandate → police_community", exact=False).first.wait_for(timeout=10_000)
    tab.open_group("Trust")
    harm = page.get_by_role("slider", name="history of harm")
    assert float(harm.get_attribute("aria-valuenow")) == pytest.approx(0.6)  # the new scenario's value is shown at once
    harm.focus()
    harm.press("Home")
    page.get_by_text("history_of_harm = 0.0 (applies at Reset)").wait_for(timeout=10_000)
    tab.reset()
    assert "scenario police_community" in tab.on_screen()
    assert page.get_by_text("These are the values of the run on screen.").count() >= 1
    # the run has no history of harm: no damage between the harmed sectors
    assert "mean damage in harmed pairs 0.00" in tab.card("Numbers to record")
    assert float(page.get_by_role("slider", name="history of harm").get_attribute("aria-valuenow")) == 0.0
    tab.no_traceback()
    tab.close()


def test_play_at_top_speed_can_be_paused_and_stops_where_asked(server, browser):
    tab = Tab(browser, server)
    page = tab.page
    tab.choose("Play speed (months per second)", "10")
    tab.click("▶ Play")
    page.get_by_role("button", name="❚❚ Pause", exact=True).wait_for(timeout=10_000)
    time.sleep(1.5)
    tab.click("❚❚ Pause")
    page.get_by_role("button", name="▶ Play", exact=True).wait_for(timeout=10_000)
    time.sleep(0.5)
    paused = tab.month()
    assert 0 < paused < 120
    time.sleep(1.5)
    assert tab.month() == paused  # it really paused
    # Play to a month and stop there, as the lesson asks ("Play to month 24")
    tab.fill("Pause at month", str(paused + 3))
    tab.click("▶ Play")
    tab.wait_month(paused + 3, timeout=30_000)
    page.get_by_role("button", name="▶ Play", exact=True).wait_for(timeout=10_000)
    time.sleep(1.0)
    assert tab.month() == paused + 3
    # a chosen pair belongs to its run: Reset drops it
    tab.click("Follow a busy pair")
    page.get_by_text("trusts", exact=False).first.wait_for(timeout=10_000)
    tab.reset()
    assert "Choose two organisations" in tab.card("A pair's story")
    tab.no_traceback()
    tab.close()


def _all_controls():
    from collabsim.viz.controls import GROUP_TITLES, control_specs

    return GROUP_TITLES, control_specs()


def _set_control(tab: Tab, spec, end: str) -> None:
    """Set one generated control to an extreme ("min", "max") or, for text fields, bad input ("bad")."""
    page = tab.page
    if spec.widget.startswith("slider"):
        slider = page.get_by_role("slider", name=spec.label, exact=True)
        slider.focus()
        slider.press("Home" if end == "min" else "End")
    elif spec.widget == "switch":
        box = page.get_by_role("switch", name=spec.label, exact=True)
        if (box.get_attribute("aria-checked") == "true") != (end == "max"):
            box.click(force=True)
    elif spec.widget == "select":
        tab.choose(spec.label, spec.choices[0 if end == "min" else -1])
    else:
        tab.fill(spec.label, {"min": "none", "max": "0", "bad": "lots"}[end])
    time.sleep(0.15)


def _run_a_little(tab: Tab) -> None:
    tab.click("Reset")
    time.sleep(1.0)
    for _ in range(2):
        if tab.page.get_by_role("button", name="Step", exact=True).is_enabled():
            tab.click("Step")
            time.sleep(0.6)
    tab.click("Follow a busy pair")
    time.sleep(0.5)
    tab.page.get_by_text(re.compile(r"^Month \d+: the network$")).first.wait_for(timeout=60_000)
    tab.no_traceback()


def test_every_control_at_its_extremes_never_shows_a_traceback(server, browser):
    titles, specs = _all_controls()
    tab = Tab(browser, server)
    for title in titles.values():
        tab.open_group(title)
    for end, months in (("min", 0), ("max", 1200)):
        for spec in specs:
            _set_control(tab, spec, end)
        _run_a_little(tab)
        assert f"of {months}." in tab.on_screen()  # the extremes reached the model that runs
        assert tab.page.get_by_text("These are the values of the run on screen.").count() >= 1
    tab.close()


def test_random_control_settings_never_show_a_traceback(server, browser):
    """Hypothesis draws a few sets of controls and extremes (text fields also get bad input)."""
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    titles, specs = _all_controls()
    tab = Tab(browser, server)
    for title in titles.values():
        tab.open_group(title)

    @hypothesis.settings(max_examples=5, deadline=None, derandomize=True, database=None)
    @hypothesis.given(st.lists(st.tuples(st.sampled_from(specs), st.sampled_from(["min", "max", "bad"])), min_size=1, max_size=6))
    def check(moves):
        for spec, end in moves:
            _set_control(tab, spec, end if spec.widget == "text" or end != "bad" else "max")
        _run_a_little(tab)

    check()
    tab.close()


# --- the lesson plan, step by step -------------------------------------------------------

NUMBER_PATTERNS = {
    "pairs_collaboration": r"Collaborating pairs: (\d+),",
    "durable_collaborations": r"durable \(12\+ months at collaboration\): (\d+)",
    "nominal_collaborations": r"nominal \(trust below what collaboration needs\): (\d+)",
    "premature_escalations": r"Premature escalations so far: (\d+)\.",
    "breakdowns": r"Breakdowns so far: (\d+)\.",
    "multisector_clusters": r"spanning 3\+ sectors\): (\d+)\.",
    "collective_impact": r"Collective impact so far: ([\d,]+)\.",
}


def _page_numbers(tab: Tab) -> dict[str, str]:
    month = tab.month()  # the card follows the network heading: read it once it shows the same month
    tab.page.get_by_text(re.compile(rf"^Month {month}\. Collaborating pairs")).first.wait_for(timeout=30_000)
    text = tab.card("Numbers to record")
    out = {key: re.search(pattern, text).group(1) for key, pattern in NUMBER_PATTERNS.items()}
    first = re.search(r"First collaboration: month (\d+)\.", text)
    out["first"] = first.group(1) if first else "none"
    harmed = re.search(r"\): (\d+) work together, (\d+) at cooperation or above; mean damage in harmed pairs ([\d.]+)\.", text)
    if harmed:
        out["harmed"] = harmed.groups()
    out["text"] = text
    return out


def _flip_switch(page, name: str, shown: str) -> None:
    """Click a switch and wait for the page to say so; a click that lands while the page is
    still busy drawing the last month is lost, so click once more if nothing shows."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    switch = page.get_by_role("switch", name=name, exact=True)
    switch.wait_for(timeout=30_000)  # the group's content is drawn a moment after it opens
    switch.click(force=True)
    try:
        page.get_by_text(shown).wait_for(timeout=10_000)
    except PlaywrightTimeout:
        page.get_by_role("switch", name=name, exact=True).click(force=True)
        page.get_by_text(shown).wait_for(timeout=20_000)


def _model_numbers(scenario: str, seed: int, months: int, actions: dict | None = None, **params) -> dict[str, str]:
    """The same numbers from a plain CollaborationModel (not the page's code) with the page's seed."""
    import numpy as np

    import collabsim

    from collabsim.viz.session import PAGE_DEFAULTS

    m = collabsim.CollaborationModel(scenario, seed=seed, **{**PAGE_DEFAULTS, **params})  # the page starts runs fresh
    for month in range(months):
        if actions and month in actions:
            actions[month](m)
        m.step()
    met = m.metrics
    out = {key: str(int(met[key])) for key in NUMBER_PATTERNS if key != "collective_impact"}
    out["collective_impact"] = f"{met['collective_impact']:,.0f}"
    reached = m.rel.collab_month >= 0
    out["first"] = str(int(m.rel.collab_month[reached].min())) if reached.any() else "none"
    s = m.orgs.sector
    across = m.harmed_sectors[s[m.rel.i], s[m.rel.j]]
    if m.harmed_sectors.any():
        lvl = m.rel.level[across]
        out["harmed"] = (str(int((lvl >= 1).sum())), str(int((lvl >= 3).sum())), f"{m.rel.damage[:, across].mean():.2f}")
    out["model"] = m
    return out


def _same(page: dict, model: dict) -> None:
    for key, value in model.items():
        if key != "model":
            assert page[key] == value, (key, page[key], value, page["text"])


def _play_to(tab: Tab, month: int) -> None:
    tab.fill("Pause at month", str(month))
    tab.click("▶ Play")
    tab.wait_month(month, timeout=240_000)
    tab.page.get_by_role("button", name="▶ Play", exact=True).wait_for(timeout=30_000)


def _fresh_run(tab: Tab, scenario: str) -> int:
    """Choose a scenario, Reset, and return the seed the page drew."""
    tab.choose("Scenario", scenario)
    tab.reset()
    return _seed_on_screen(tab)


def _doc() -> str:
    return (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")


def test_the_lesson_plan_works_as_written(server, browser):
    """Follows docs/teaching.md's steps in the page and checks the page gives what the document says.

    Each step's numbers on the page are compared with a plain model run with the seed the page
    shows (never with numbers written into this test); the document must name the page's
    controls the steps use, and every column of its tables must be a number the page prints.
    """
    doc = _doc()
    for words in ("Pause at month", "Numbers to record", "Follow a busy pair", "Follow a harmed pair", "Start\n   funder mandate",
                  "Remove backbone", "seed empty", "history_of_harm", "Organisation (its card)",
                  "and organisation (the pair's story)"):
        assert words in doc, words
    tab = Tab(browser, server)
    page = tab.page
    tab.choose("Play speed (months per second)", "10")
    page.wait_for_timeout(300)
    card = tab.card("Numbers to record")
    for heading in ("collaborating pairs", "durable (12+ months)", "nominal collaborations", "premature escalations",
                    "breakdowns", "multisector clusters", "collective impact", "First collaboration"):
        assert heading in card, heading  # the lesson's columns, in the lesson's words

    # Experiment 1, step 1: default, seed empty, Reset, Play to month 60
    seed = _fresh_run(tab, "default")
    _play_to(tab, 60)
    numbers = _page_numbers(tab)
    expected = _model_numbers("default", seed, 60)
    _same(numbers, expected)
    df = expected["model"].datacollector.get_model_vars_dataframe()
    row24 = next(line for line in numbers["text"].splitlines() if line.startswith("24\t"))
    assert row24.split("\t")[1] == str(int(df["pairs_collaboration"].iloc[24]))  # collaborating pairs at month 24

    # step 2: funder_mandate to month 24; follow a busy (pushed) pair; on to 120
    seed = _fresh_run(tab, "funder_mandate")
    _play_to(tab, 24)
    _same(_page_numbers(tab), _model_numbers("funder_mandate", seed, 24))
    tab.click("Follow a busy pair")
    page.get_by_text("The funder pushed this pair", exact=False).first.wait_for(timeout=15_000)
    _play_to(tab, 120)
    _same(_page_numbers(tab), _model_numbers("funder_mandate", seed, 120))
    assert "The run is over." in tab.on_screen()

    # step 3: default to month 12, then Start funder mandate 0.6 / 24
    seed = _fresh_run(tab, "default")
    _play_to(tab, 12)
    tab.fill("pressure (0-1)", "0.6")
    tab.fill("deadline (months)", "24")
    tab.click("Start funder mandate")
    page.get_by_text("Funder mandate started: deadline at month 36.").wait_for(timeout=10_000)
    _play_to(tab, 24)
    mandate = {12: functools.partial(_start_mandate)}
    _same(_page_numbers(tab), _model_numbers("default", seed, 24, mandate))

    # Experiment 2, step 1-2: police_community to 36; a harmed pair's story says why trust stays low
    seed = _fresh_run(tab, "police_community")
    _play_to(tab, 36)
    _same(_page_numbers(tab), _model_numbers("police_community", seed, 36))
    tab.click("Follow a harmed pair")
    story = page.get_by_text("history of harm", exact=False).first
    story.wait_for(timeout=15_000)
    assert "have not met" not in tab.card("A pair's story") and "1 − damage" in tab.card("A pair's story")
    # step 3: with the forum
    seed = _fresh_run(tab, "police_community_meetings")
    _play_to(tab, 36)
    _same(_page_numbers(tab), _model_numbers("police_community_meetings", seed, 36))
    # step 4: police_community with history_of_harm 0
    tab.choose("Scenario", "police_community")
    tab.open_group("Trust")
    harm = page.get_by_role("slider", name="history of harm")
    harm.focus()
    harm.press("Home")
    page.get_by_text("history_of_harm = 0.0 (applies at Reset)").wait_for(timeout=10_000)
    tab.reset()
    seed = _seed_on_screen(tab)
    _play_to(tab, 12)
    _same(_page_numbers(tab), _model_numbers("police_community", seed, 12, history_of_harm=0.0))

    # Experiment 3, step 1: collective_impact to month 60
    seed = _fresh_run(tab, "collective_impact")
    _play_to(tab, 60)
    _same(_page_numbers(tab), _model_numbers("collective_impact", seed, 60))
    # step 2: backbone off
    tab.open_group("Interventions and people")
    _flip_switch(page, "backbone", "backbone = False (applies at Reset)")
    tab.reset()
    seed = _seed_on_screen(tab)
    _play_to(tab, 60)
    _same(_page_numbers(tab), _model_numbers("collective_impact", seed, 60, backbone=False))
    # step 3: backbone on, capacity 5
    _flip_switch(page, "backbone", "backbone = True (applies at Reset)")
    tab.fill("backbone capacity", "5")
    page.get_by_text("backbone_capacity = 5 (applies at Reset)").wait_for(timeout=10_000)
    tab.reset()
    seed = _seed_on_screen(tab)
    _play_to(tab, 60)
    _same(_page_numbers(tab), _model_numbers("collective_impact", seed, 60, backbone_capacity=5))
    # step 4: remove the backbone at month 60 and play on
    tab.click("Remove backbone")
    page.get_by_text("Backbone removed.").first.wait_for(timeout=10_000)
    _play_to(tab, 120)
    removal = {60: functools.partial(_remove_backbone)}
    _same(_page_numbers(tab), _model_numbers("collective_impact", seed, 120, removal, backbone_capacity=5))
    tab.no_traceback()
    tab.close()


def _start_mandate(model) -> None:
    model.start_mandate(pressure=0.6, deadline_months=24, required_level=4)


def _remove_backbone(model) -> None:
    model.set_backbone(False)


def test_the_server_console_stays_quiet(server):
    """Runs after the other page tests in this module: many page loads, no library warnings."""
    text = server.console()
    noisy = [line for line in text.splitlines() if any(word in line for word in SERVER_LOG_NOISE)]
    assert noisy == [], text[-3000:]


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
