"""Classroom mode end to end in headless Debian Chromium (Playwright): a teacher and three
students in one browser (each in their own context, as on their own devices).

The server is the one ``collabsim classroom`` serves (``server.build_app`` under uvicorn),
run in a thread of the test so the test can read the shared model's relationship table.
Skipped only when /usr/bin/chromium is missing.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not found (install Debian's chromium package to run the browser tests)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

from collabsim.classroom.room import Room  # noqa: E402
from collabsim.viz.session import Settings, VizModel  # noqa: E402
from tests.classroom_helpers import serving  # noqa: E402

ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def classroom():
    model = VizModel(Settings(scenario="default", seed=5, overrides=dict(n_organisations=24, start="history")))
    room = Room(model, code="ACDE")
    with serving(room) as base:
        yield room, base


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


PAGE_ERRORS: list[str] = []


def _page(browser):
    page = browser.new_context().new_page()
    page.set_default_timeout(TIMEOUT)
    page.on("pageerror", lambda exc: PAGE_ERRORS.append(str(exc)))
    return page


def _join(browser, base: str, code: str, name: str, enter: bool = False):
    page = _page(browser)
    page.goto(f"{base}/join")
    page.fill("#code", code)
    page.fill("#name", name)
    if enter:
        page.press("#name", "Enter")
    else:
        page.click("#join")
    return page


def _partner_boxes(page) -> list[int]:
    return [int(v) for v in page.eval_on_selector_all("input.work", "els => els.map(e => e.value)")]


def test_a_teacher_and_three_students_play_two_rounds(classroom, browser):
    room, base = classroom
    expect = sync_api.expect
    teacher = _page(browser)
    teacher.goto(f"{base}/teacher?key={room.teacher_key}")
    expect(teacher.locator("#code")).to_have_text("Room code: ACDE")
    expect(teacher.locator("#join-url")).to_have_text(f"{base}/join")

    # a wrong code is refused, in words, and seats nobody
    wrong = _join(browser, base, "ZZZZ", "Ana")
    expect(wrong.locator("#join-error")).to_contain_text("'ZZZZ' is not this room's code")
    assert room.students == {}
    # the teacher's page needs the teacher's key
    assert teacher.request.get(f"{base}/api/teacher?key=nope").status == 403

    students = {}
    for name in ("Ana", "Bo", "Cy"):
        page = _join(browser, base, "acde", name, enter=name == "Cy")
        expect(page.locator("#who")).to_contain_text(f"{name}: organisation ")
        students[name] = page
    expect(teacher.locator("#students")).to_contain_text("Cy")
    orgs = {name: room.students[name.casefold()].org for name in students}
    assert len(set(orgs.values())) == 3
    for name, page in students.items():
        expect(page.locator("#who")).to_contain_text(f"organisation {orgs[name]} ")

    # two rounds: each student leaves out their first partner, sends, the teacher advances
    skipped: dict[str, int] = {}
    for rnd in range(2):
        for name, page in students.items():
            expect(page.locator("#when")).to_contain_text(f"round {rnd}")
            boxes = _partner_boxes(page)
            if boxes:
                page.uncheck(f"input.work[value='{boxes[0]}']")
                skipped[name] = boxes[0]
            page.click("#send")
            expect(page.locator("#send-status")).to_have_text(f"Your choices for round {rnd} are in.")
        expect(teacher.locator("#students")).not_to_contain_text("not yet")
        rows_before = {name: int(room.model.rel.find(np.array([orgs[name]]), np.array([p]))[0]) for name, p in skipped.items()}
        work_before = {name: int(room.model.rel.work_at_level[r]) for name, r in rows_before.items()}
        teacher.click("#advance")
        expect(teacher.locator("#status")).to_contain_text(f"month {rnd + 1} of")
        assert skipped, "some student had a partner to leave out"
        # the choices reached the compiled month: the left-out pairs did not work
        for name, r in rows_before.items():
            assert not room.model._month_arrays["worked"][r], f"{name}'s left-out partner still worked"
            assert room.model.rel.level[r] == 0 or room.model.rel.work_at_level[r] == work_before[name] or room.model.changed[r]
            expect(teacher.locator("#students")).to_contain_text(f"left out {skipped[name]}")
            expect(students[name].locator("#news")).to_contain_text(f"you left organisation {skipped[name]} out")
    assert room.model.month == 2
    assert teacher.locator("#debrief svg.spark").count() == 3  # each student's partners' trust over time

    # one student's token cannot act for another student's organisation
    answer = students["Bo"].evaluate(
        "async (org) => { try { await api('/api/choose', {json: {org: org, skip: []}, headers: {'X-Student-Token': token}}); return 'accepted'; }"
        " catch (e) { return e.status + ' ' + e.message; } }",
        orgs["Ana"],
    )
    assert answer == f"403 you play organisation {orgs['Bo']}; you cannot act for organisation {orgs['Ana']}"

    # a student who leaves is played by the model until they rejoin with the same name
    students["Cy"].click("#leave")
    expect(teacher.locator("#students")).to_contain_text("away: the model plays")
    teacher.click("#advance")
    expect(teacher.locator("#status")).to_contain_text("month 3 of")
    assert room.students["cy"].played[-1] == "played by the model"
    back = _join(browser, base, "ACDE", "cy")
    expect(back.locator("#who")).to_contain_text(f"organisation {orgs['Cy']} ")

    # the teacher intervenes with the page's own interventions; the debrief shows the break
    teacher.fill("#culprit", str(orgs["Ana"]))
    teacher.fill("#victim", str(skipped.get("Ana", (orgs["Ana"] + 1) % room.model.n)))
    teacher.click("#broken")
    expect(teacher.locator("#control-message")).to_contain_text(f"Organisation {orgs['Ana']} broke a commitment")
    expect(teacher.locator("#breaks")).to_contain_text("(Ana)")
    expect(teacher.locator("#breaks")).to_contain_text("teacher")
    expect(teacher.locator("#network line.broken").first).to_be_attached()  # where, on the network
    teacher.fill("#staff-org", "999")
    teacher.click("#staff")
    expect(teacher.locator("#control-error")).to_contain_text("between 0 and 23")
    assert teacher.locator("#network circle").count() == room.model.n
    assert PAGE_ERRORS == []
