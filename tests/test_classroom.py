"""Classroom mode (issue 15): the room's rules (code, names, tokens, seats, choices), and
students' choices feeding the compiled month itself (``engine.unchosen``,
``kernels.joint_work``) rather than a second model."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import collabsim
from collabsim import _jit, engine
from collabsim.kernels import CHOICE_BREAK, CHOICE_KEEP, CHOICE_SKIP

pytest.importorskip("solara")  # the room's model is the page's (the viz extra)

from collabsim.classroom import room as room_mod  # noqa: E402
from collabsim.classroom.room import Room, RoomError, intervene  # noqa: E402
from collabsim.viz.session import Settings, VizModel  # noqa: E402

SMALL = dict(n_organisations=20, months=36)


def _room(**kw) -> Room:
    model = VizModel(Settings(scenario="default", seed=4, overrides=dict(n_organisations=kw.pop("n", 20), start="history")))
    return Room(model, code="ACDE", **kw)


def _seat_with_partners(room: Room, name: str = "Ana"):
    """Seat students until one plays an organisation with working partners (most have some)."""
    for k in range(room.capacity):
        s = room.join("ACDE", name if k == 0 else f"{name} {k}")
        if room.partners(s.org):
            return s
    raise AssertionError("no organisation of the community has a working partner")


def _pairs(model: collabsim.CollaborationModel) -> pd.DataFrame:
    """The relationship table by pair (rows are numbered in order of first contact)."""
    return model.relationships().set_index(["i", "j"]).sort_index()


# --- the room's rules ---------------------------------------------------------------------------


def test_join_gives_one_organisation_and_a_secret_token_per_student():
    room = _room()
    a, b = room.join("ACDE", "Ana"), room.join(" acde ", "Bo")
    assert a.org != b.org and 0 <= a.org < room.model.n and 0 <= b.org < room.model.n
    assert a.token != b.token and len(a.token) >= 20
    assert room.student(a.token) is a
    # students of different sectors first, so a few meet across sectors
    assert room.model.orgs.sector[a.org] != room.model.orgs.sector[b.org]


def test_a_wrong_or_missing_code_is_refused_clearly():
    room = _room()
    with pytest.raises(RoomError, match="'ZZZZ' is not this room's code") as exc:
        room.join("zzzz", "Ana")
    assert exc.value.status == 403
    with pytest.raises(RoomError, match="type the room code"):
        room.join("", "Ana")
    with pytest.raises(RoomError, match="type your name"):
        room.join("ACDE", "   ")
    with pytest.raises(RoomError, match="letters, digits"):
        room.join("ACDE", "<script>")
    assert room.students == {}


def test_rejoin_with_the_same_name_keeps_the_organisation_and_retires_the_old_token():
    room = _room()
    first = room.join("ACDE", "Ana Lima")
    old_token, org = first.token, first.org
    room.leave(old_token)
    assert not first.present
    again = room.join("ACDE", "  ana   LIMA ")
    assert again.org == org and again.present
    assert again.token != old_token
    with pytest.raises(RoomError, match="join again") as exc:
        room.student(old_token)
    assert exc.value.status == 401


def test_the_room_is_full_at_its_capacity_and_never_past_the_organisations():
    room = _room(n=6, max_students=30)
    assert room.capacity == 6
    orgs = {room.join("ACDE", f"student {k}").org for k in range(6)}
    assert orgs == set(range(6))
    with pytest.raises(RoomError, match="the room is full: 6 students") as exc:
        room.join("ACDE", "one too many")
    assert exc.value.status == 409
    assert room.join("ACDE", "student 3").org in orgs  # a rejoin still gets in


def test_a_token_acts_only_for_its_own_organisation():
    room = _room()
    ana, bo = room.join("ACDE", "Ana"), room.join("ACDE", "Bo")
    with pytest.raises(RoomError, match=f"you play organisation {ana.org}; you cannot act for organisation {bo.org}") as exc:
        room.choose(ana.token, bo.org, skip=[])
    assert exc.value.status == 403
    with pytest.raises(RoomError, match="no longer valid"):
        room.choose("forged-token", bo.org)


def test_choices_must_name_the_students_own_partners_and_known_answers():
    room = _room()
    ana = _seat_with_partners(room)
    partners = room.partners(ana.org)
    stranger = next(o for o in range(room.model.n) if o not in partners and o != ana.org)
    with pytest.raises(RoomError, match=f"organisation {stranger} is not one of your working partners"):
        room.choose(ana.token, ana.org, skip=[stranger])
    assert room.pressure() == []  # the default scenario: no mandate, no crisis yet
    with pytest.raises(RoomError, match="no pressure this month"):
        room.choose(ana.token, ana.org, commitments={partners[0]: "keep"})
    intervene(room, "mandate", {"pressure": 0.6, "deadline": 12})
    assert any("the funder requires" in line for line in room.pressure())
    with pytest.raises(RoomError, match="'keep' or 'break'"):
        room.choose(ana.token, ana.org, commitments={partners[0]: "maybe"})
    s = room.choose(ana.token, ana.org, skip=[partners[0]], commitments={str(p): "keep" for p in partners[1:]})
    assert s.skip == {partners[0]} and s.chosen_round == room.round


def test_a_round_applies_the_choices_once_then_the_model_decides_again():
    room = _room()
    ana = _seat_with_partners(room)
    p = room.partners(ana.org)[0]
    room.choose(ana.token, ana.org, skip=[p])
    seen = []
    step = room.model.step

    def watch() -> None:
        seen.append(int(room.model.choices[ana.org, p]))
        step()

    room.model.step = watch
    room.advance()
    room.advance()
    assert seen == [CHOICE_SKIP, 0]  # the second round: no new choice, the model plays
    assert not room.model.choices.any()


def test_an_absent_student_is_played_by_the_model(monkeypatch):
    room = _room()
    ana = room.join("ACDE", "Ana")
    room.choose(ana.token, ana.org, skip=room.partners(ana.org)[:1])
    monkeypatch.setattr(room_mod.time, "monotonic", lambda: ana.last_seen + room_mod.ABSENT_SECONDS + 1)
    seen = []
    step = room.model.step
    room.model.step = lambda: (seen.append(room.model.choices.copy()), step())
    room.advance()
    assert not seen[0].any()
    assert room.teacher_view()["students"][0]["present"] is False


def test_advance_refuses_bad_round_lengths_and_a_finished_run():
    room = _room()
    with pytest.raises(RoomError, match="a round.s months must be from 1 to 12, got 0"):
        room.advance(0)
    room.model.params["months"] = 2
    room.advance(2)
    with pytest.raises(RoomError, match="the run is over"):
        room.advance()


def test_teacher_interventions_are_the_pages_and_reach_the_debrief():
    room = _room()
    ana = _seat_with_partners(room)
    victim = room.partners(ana.org)[0]
    text = intervene(room, "broken_commitment", {"victim": victim, "culprit": ana.org})
    assert text == f"Organisation {ana.org} broke a commitment to {victim}."
    assert room.model.rel.broken.sum() >= 1
    room.advance()
    view = room.teacher_view()
    b = view["breaks"][0]
    assert (b["culprit"], b["victim"], b["who"], b["culprit_name"]) == (ana.org, victim, "teacher", ana.name)
    assert b["repair_months"] is None or b["repair_months"] >= 0
    assert "backbone" in intervene(room, "backbone_on", {}).lower()
    assert room.model.params["backbone"] is True
    with pytest.raises(RoomError, match="unknown intervention 'flood'"):
        intervene(room, "flood", {})
    with pytest.raises(collabsim.ParameterError, match="between 0 and 19"):
        intervene(room, "replace_staff", {"org": 99})


def test_repair_is_measured_until_trust_is_back_or_censored():
    room = _room()
    for _ in range(3):
        room.advance()
    r = 0
    rel = room.model.rel
    before = float(rel.trust[0, r])
    b = room_mod.Break(1, int(rel.j[r]), int(rel.i[r]), "model", before, r)
    hist = room.model.trust_history
    expected = next((m - 1 for m in range(1, len(hist)) if hist[m][0, r] >= before - 1e-9), None)
    assert room.repair_months(b) == expected
    b_high = room_mod.Break(1, int(rel.j[r]), int(rel.i[r]), "model", 2.0, r)  # never reached
    assert room.repair_months(b_high) is None


# --- the engine: students' choices go through the model's own rules -----------------------------


def test_an_empty_choice_matrix_changes_nothing_bit_for_bit():
    plain = collabsim.CollaborationModel("funder_mandate", seed=9, **SMALL)
    chooser = collabsim.CollaborationModel("funder_mandate", seed=9, **SMALL)
    chooser.allow_choices()  # the classroom's matrix, all zeros: nobody chose
    for _ in range(SMALL["months"]):
        plain.step()
        chooser.step()
    if not _jit.DISABLED:
        assert engine.run_months.signatures, "the compiled month ran"
    pd.testing.assert_frame_equal(plain.datacollector.get_model_vars_dataframe(), chooser.datacollector.get_model_vars_dataframe(), check_exact=True)
    pd.testing.assert_frame_equal(plain.relationships(), chooser.relationships(), check_exact=True)


def _student_with_partners(model: collabsim.CollaborationModel) -> int:
    rel = model.rel
    working = rel.level >= 1
    counts = np.bincount(np.concatenate([rel.i[working], rel.j[working]]), minlength=model.n)
    return int(np.argmax(counts))


def test_a_skipped_partner_does_not_work_and_the_capacity_stays_spare():
    base = collabsim.CollaborationModel("default", seed=2, **SMALL)
    for _ in range(3):
        base.step()
    twin = collabsim.CollaborationModel("default", seed=2, **SMALL)
    for _ in range(3):
        twin.step()
    o = _student_with_partners(base)
    rel = base.rel
    rows = np.flatnonzero(((rel.i == o) | (rel.j == o)) & (rel.level >= 1))
    partners = [int(rel.j[r] if rel.i[r] == o else rel.i[r]) for r in rows]
    choices = twin.allow_choices()
    choices[o, partners] = CHOICE_SKIP
    base.step()
    twin.step()
    worked_base = base._month_arrays["worked"][rows]
    worked_twin = twin._month_arrays["worked"][rows]
    assert worked_base.any(), "without the choice the student's organisation worked with some partner"
    assert not worked_twin.any()
    assert twin.orgs.spare[o] > base.orgs.spare[o]  # the skipped ties' cost stayed with the organisation
    # a pair touching neither the student nor a skipped partner had exactly the same month
    a, b = _pairs(base), _pairs(twin)
    involved = {o, *partners}
    keep = [k for k in a.index if k[0] not in involved and k[1] not in involved]
    assert len(keep) > 10
    pd.testing.assert_frame_equal(a.loc[keep], b.loc[keep], check_exact=True)


def _play(choice: int, months: int = 30) -> tuple[collabsim.CollaborationModel, int, list[tuple[bool, bool, bool]]]:
    """A run in which the organisation with most partners answers ``choice`` for every
    partner every month; the failures on its side, with whether they were broken."""
    model = collabsim.CollaborationModel("crisis_mutual_aid", seed=6, n_organisations=24, months=months)
    o = _student_with_partners(model)
    choices = model.allow_choices()
    failures = []
    for _ in range(months):
        choices[o, :] = choice
        choices[o, o] = 0
        model.step()
        rel, M = model.rel, model._month_arrays
        for r in np.flatnonzero(((rel.i == o) | (rel.j == o))[: rel.size]):
            mine = (rel.i[r] == o) == bool(M["culprit_is_i"][r])
            if M["worked"][r] and not M["success"][r] and M["level"][r] >= 1 and mine:
                failures.append((True, bool(M["broken"][r]), True))
    return model, o, failures


def test_keep_or_break_decides_the_commitment_where_the_engine_decides_it():
    _, _, kept = _play(CHOICE_KEEP)
    _, _, broke = _play(CHOICE_BREAK)
    _, _, free = _play(0)
    assert len(kept) >= 3 and len(broke) >= 3, "the student's side failed often enough to test the choice"
    assert not any(b for _, b, _ in kept)
    assert all(b for _, b, _ in broke)
    assert any(not b for _, b, _ in free), "left to the model, some failures on its side are honest ones"


def test_breaking_commitments_costs_the_student_its_partners_trust():
    kept_model, o, _ = _play(CHOICE_KEEP)
    broke_model, o2, _ = _play(CHOICE_BREAK)
    assert o == o2

    def trust_in(model: collabsim.CollaborationModel) -> float:
        rel = model.rel
        rows = np.flatnonzero((rel.i == o) | (rel.j == o))
        return float(np.where(rel.i[rows] == o, rel.trust[1, rows], rel.trust[0, rows]).mean())

    assert broke_model.counters["broken_commitments"] > kept_model.counters["broken_commitments"]
    assert trust_in(broke_model) < trust_in(kept_model)


# --- the command ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nope"], "scenario"),
        (["--set", "trust_gain=7"], "trust_gain"),
        (["--set", "no_such=1"], "no_such"),
        (["--set", "n_organisations=5000"], "n_organisations must be from 2 to 1000 in a classroom"),
        (["--seed", "x"], "seed"),
        (["--months-per-round", "13"], "--months-per-round must be from 1 to 12, got 13"),
        (["--max-students", "31"], "--max-students must be from 1 to 30, got 31"),
        (["--code", "OOOO"], "--code must be 4 characters"),
        (["--port", "0"], "--port must be in [1, 65535], got 0"),
    ],
)
def test_bad_classroom_options_get_one_clear_error(args, message):
    from tests.cli_helpers import cli

    out = cli("classroom", *args, timeout=120)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.startswith("collabsim: error: ")


def test_the_command_prints_both_addresses_and_the_network_advice():
    import json
    import re
    import socket
    import urllib.request

    from tests.cli_helpers import start

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start("classroom", "--seed", "3", "--code", "ACDE", "--port", str(port), "--set", "n_organisations=12")
    try:
        lines = [proc.stdout.readline() for _ in range(4)]
        text = "".join(lines)
        assert "seed 3, 12 organisations, up to 12 students" in text
        teacher = re.search(r"teacher's page:\s+(http://127\.0\.0\.1:\d+/teacher\?key=\S+)", text).group(1)
        assert re.search(rf"students' page:\s+http://127\.0\.0\.1:{port}/join\s+room code ACDE", text)
        assert "--host 0.0.0.0" in text and "trusted network" in text
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(teacher.replace("/teacher?", "/api/teacher?"), timeout=2) as r:  # noqa: S310 (local test server)
                    view = json.load(r)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
                time.sleep(0.3)
        assert view["code"] == "ACDE" and view["seed"] == 3 and len(view["nodes"]) == 12
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        proc.stdout.close()
        proc.stderr.close()


# --- rounds under threads, the timer, and what a student's page is told ----------------------------


def test_pages_polling_while_rounds_advance_never_see_a_half_month():
    import threading

    room = _room()
    students = [room.join("ACDE", f"s{k}") for k in range(8)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def poll(token: str) -> None:
        try:
            while not stop.is_set():
                view = room.student_view(token)
                assert all(0.0 <= p["trust"] <= 1.0 for p in view["partners"])
                t = room.teacher_view()
                assert len(t["nodes"]) == room.model.n
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=poll, args=(s.token,)) for s in students]
    for t in threads:
        t.start()
    try:
        for _ in range(12):
            room.advance()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors[0]
    assert room.model.month == 12 and len(room.history) == 13


def test_the_timer_advances_rounds_until_paused():
    from collabsim.classroom.server import RoundTimer

    room = _room()
    timer = RoundTimer(room)
    timer.start(0.05)
    deadline = time.monotonic() + 30
    while room.round < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    timer.stop()
    assert room.round >= 3 and room.timer_seconds == 0.0
    stopped_at = room.round
    time.sleep(0.2)
    assert room.round == stopped_at


def test_a_students_page_is_told_what_their_month_did():
    room = _room()
    ana = _seat_with_partners(room)
    p = room.partners(ana.org)[0]
    room.choose(ana.token, ana.org, skip=[p])
    room.advance()
    news = room.student_view(ana.token)["news"]
    assert f"month 1: you left organisation {p} out" in news
    worked = room.model._month_arrays["worked"]
    rel = room.model.rel
    mine = np.flatnonzero(((rel.i == ana.org) | (rel.j == ana.org)) & worked[: rel.size])
    assert len([line for line in news if "joint work" in line or "commitment" in line or "first exchange" in line]) == mine.size


# --- the HTTP API (the real server, in a thread) ---------------------------------------------------


def test_the_api_refuses_clearly_and_lets_only_the_teacher_run_rounds():
    import urllib.error
    import urllib.request

    pytest.importorskip("uvicorn")
    from tests.classroom_helpers import call, serving

    room = _room()
    with serving(room) as base:
        status, answer = call(f"{base}/api/join", {"code": "ZZZZ", "name": "Ana"})
        assert (status, answer) == (403, {"error": "the room code 'ZZZZ' is not this room's code: check the code on your teacher's screen"})
        assert call(f"{base}/api/join", raw=b"not json")[0] == 400
        assert call(f"{base}/api/join", [1, 2])[1] == {"error": "the request must be a JSON object"}
        status, ana = call(f"{base}/api/join", {"code": "acde", "name": "Ana"})
        assert status == 200 and ana["org"] == room.students["ana"].org
        status, answer = call(f"{base}/api/student")
        assert status == 401 and "join again" in answer["error"]
        status, view = call(f"{base}/api/student", headers={"X-Student-Token": ana["token"]})
        assert status == 200 and view["org"] == ana["org"] and view["month"] == 0
        # a student cannot run the class; the teacher can
        for headers in ({}, {"X-Student-Token": ana["token"]}, {"X-Teacher-Key": "guess"}):
            status, answer = call(f"{base}/api/control", {"action": "advance"}, headers)
            assert status == 403 and "teacher's page" in answer["error"]
        teacher = {"X-Teacher-Key": room.teacher_key}
        assert call(f"{base}/api/control", {"action": "advance"}, teacher) == (200, {"ok": True, "month": 1})
        assert call(f"{base}/api/control", {"action": "advance", "months": 3}, teacher) == (200, {"ok": True, "month": 4})
        status, answer = call(f"{base}/api/control", {"action": "timer", "seconds": 2}, teacher)
        assert status == 400 and answer["error"] == "the timer is 5 to 600 seconds per round (0 stops it), got 2"
        intervene(room, "broken_commitment", {"victim": room.partners(ana["org"])[0] if room.partners(ana["org"]) else (ana["org"] + 1) % 20, "culprit": ana["org"]})
        room.advance()
        import io

        with urllib.request.urlopen(f"{base}/api/debrief.csv?key={room.teacher_key}") as r:  # noqa: S310 (local test server)
            debrief = pd.read_csv(io.StringIO(r.read().decode()))
        months = debrief[debrief["kind"] == "student_month"]
        assert list(months["student"].unique()) == ["Ana"] and months["month"].max() == room.model.month
        broke = debrief[debrief["kind"] == "broken_commitment"]
        assert (broke["decided_by"] == "teacher").sum() == 1 and (broke[broke["decided_by"] == "teacher"]["org"] == ana["org"]).all()
        assert call(f"{base}/api/debrief.csv?key=guess")[0] == 403
        status, answer = call(f"{base}/api/control", {"action": "dance"}, teacher)
        assert status == 400 and "unknown action 'dance'" in answer["error"]
        status, answer = call(f"{base}/api/control", {"action": "intervene", "kind": "mandate", "values": {"pressure": 3}}, teacher)
        assert status == 400 and "funder_pressure" in answer["error"]
        with urllib.request.urlopen(f"{base}/join") as r:  # noqa: S310 (local test server)
            assert r.status == 200 and b'id="code"' in r.read()
        try:
            urllib.request.urlopen(f"{base}/teacher?key=guess")  # noqa: S310
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
            exc.close()
        else:
            raise AssertionError("the teacher's page opened without the teacher's key")


def test_help_lists_the_command_and_its_options():
    from tests.cli_helpers import cli

    top = cli("--help", timeout=120)
    assert top.returncode == 0 and "classroom" in top.stdout
    done = cli("classroom", "--help", timeout=120)
    assert done.returncode == 0
    for option in ("--scenario", "--seed", "--set", "--months-per-round", "--max-students", "--host", "--port"):
        assert option in done.stdout, option


def test_the_lesson_plan_names_what_the_pages_show():
    """docs/teaching.md's classroom game and the two pages change together: every control
    and heading the plan names is on the page that shows it."""
    from importlib import resources
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "teaching.md").read_text(encoding="utf-8")
    game = doc[doc.index("# A classroom game"):]
    static = resources.files("collabsim.classroom").joinpath("static")
    teacher = static.joinpath("teacher.html").read_text(encoding="utf-8")
    student = static.joinpath("student.html").read_text(encoding="utf-8")
    for words in ("Room code: ", "Advance one round", "Pause", "Add a backbone", "Remove the backbone", "replace the staff",
                  "breaks a commitment to", "funder mandate"):
        assert words.lower() in game.lower() and words in teacher, words
    for words in ("keep", "break", "Leave the class", "Room code", "Your name"):
        assert words.lower() in game.lower() and words in student, words
    for option in ("--host 0.0.0.0", "--seed", "--set", "--months-per-round", "--max-students"):
        assert option in game, option


def test_the_same_seed_and_the_same_choices_give_the_same_run():
    def play() -> pd.DataFrame:
        room = _room()
        ana = _seat_with_partners(room)
        intervene(room, "mandate", {"pressure": 0.6, "deadline": 12})
        for _ in range(8):
            partners = room.partners(ana.org)
            room.choose(ana.token, ana.org, skip=partners[:1], commitments={p: "break" for p in partners[1:]})
            room.advance()
        return room.model.relationships()

    pd.testing.assert_frame_equal(play(), play(), check_exact=True)


def test_a_reloaded_page_keeps_its_choices_a_closed_one_does_not():
    room = _room()
    ana = _seat_with_partners(room)
    p = room.partners(ana.org)[0]
    room.choose(ana.token, ana.org, skip=[p])
    room.leave(ana.token)  # the page is unloaded...
    room.student_view(ana.token)  # ...and loaded again: it asks for news
    room.advance()
    assert ana.played[-1] == f"left out {p}"
    room.choose(ana.token, ana.org, skip=[p])
    room.leave(ana.token)  # closed for good
    room.advance()
    assert ana.played[-1] == "played by the model"


def test_a_partner_left_out_frees_capacity_for_the_next_partners_in_line():
    """The choice acts before the allocation (7.1), not after it: a tie that did not fit
    can fit once the student leaves out the partners that did (capacity made scarce)."""

    def at_month(months: int) -> collabsim.CollaborationModel:
        m = collabsim.CollaborationModel("default", seed=1, n_organisations=30, months=24, capacity=0.3)
        for _ in range(months):
            m.step()
        return m

    base = at_month(6)
    level, size = base.rel.level.copy(), base.rel.size  # the ties the month allocates
    base.step()
    rel, works = base.rel, base._month_arrays["works"]
    tried = gained = 0
    for o in range(base.n):
        mine = np.flatnonzero(((rel.i[:size] == o) | (rel.j[:size] == o)) & (level >= 1))
        fitted, unfit = mine[works[mine]], mine[~works[mine]]
        if not (fitted.size and unfit.size):
            continue
        tried += 1
        twin = at_month(6)
        choices = twin.allow_choices()
        for r in fitted:
            choices[o, int(rel.j[r] if rel.i[r] == o else rel.i[r])] = CHOICE_SKIP
        twin.step()
        assert not twin._month_arrays["works"][fitted].any()
        gained += int(twin._month_arrays["works"][unfit].any())
    assert tried >= 3 and gained >= 1, (tried, gained)
