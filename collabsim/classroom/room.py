"""The shared run of a classroom: who plays which organisation, their choices, the rounds.

A ``Room`` holds one ``VizModel`` (the page's model: events and trust history recorded)
and the students. A student joins with the room's code and a name and is given one
organisation and a secret token (``secrets``); every action presents the token, and a
token acts only for its own organisation. A student who rejoins with the same name gets
the same organisation (and a new token: the old tab stops acting). Each round the
students' choices are written into the model's choice matrix (``allow_choices``), read
by the compiled month itself (``engine.unchosen``: ties left out of the capacity pass;
``kernels.joint_work``: a commitment kept or broken when the work fails on the student's
side), then cleared: a student who does not choose, or has left, is played by the model.

Every method takes the room's one lock, so the web server's threads and the round timer
never see a half-finished month.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..crisis import intensity
from ..kernels import CHOICE_BREAK, CHOICE_KEEP, CHOICE_SKIP
from ..relationships import LEVEL_NAMES
from ..scenarios import SECTORS
from ..structure import COST
from ..viz.session import VizModel
from . import debrief
from .debrief import Break

CODE_ALPHABET = "ACDEFHJKLMNPRTUVWXY3479"
"""Room codes avoid letters and digits that read alike (0/O, 1/I/L, 5/S, 8/B, 2/Z, 6/G)."""
CODE_LENGTH = 4
MAX_STUDENTS = 30
NAME_MAX = 30
ABSENT_SECONDS = 20.0
"""A student whose page has not asked for news for this long is shown as away (and the model
plays them); their page asks every couple of seconds."""


class RoomError(Exception):
    """A student's or teacher's request the room refuses; the message says why, in words."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Student:
    name: str
    org: int
    token: str
    joined_month: int
    last_seen: float
    present: bool = True
    skip: set[int] = field(default_factory=set)
    commitments: dict[int, str] = field(default_factory=dict)
    chosen_round: int = -1
    played: list[str] = field(default_factory=list)  # what each round did for them, in words
    news: list[str] = field(default_factory=list)  # what happened to their organisation last round


def name_key(name: str) -> str:
    """Names match whatever their case and spacing (a rejoin types the name again)."""
    return " ".join(name.split()).casefold()


def clean_name(raw: Any) -> str:
    name = " ".join(str(raw or "").split())
    if not name:
        raise RoomError("type your name (any name your teacher will recognise)")
    if len(name) > NAME_MAX:
        raise RoomError(f"a name has at most {NAME_MAX} characters, got {len(name)}")
    if not re.fullmatch(r"[\w .'\-]+", name):
        raise RoomError("a name may use letters, digits, spaces, dots, apostrophes and hyphens only")
    return name


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def seat_order(sector: np.ndarray, seed: int) -> list[int]:
    """Organisations in the order students get them: one sector after another in turn
    (so a few students already meet across sectors), shuffled within a sector by the seed."""
    rng = np.random.default_rng([int(seed), 15])
    by_sector = [list(rng.permutation(np.flatnonzero(sector == s))) for s in np.unique(sector)]
    order: list[int] = []
    while any(by_sector):
        for group in by_sector:
            if group:
                order.append(int(group.pop(0)))
    return order


class Room:
    """One classroom's shared run.

    Args:
        model: the shared model (a ``VizModel``; the teacher's interventions go to it).
        max_students: at most this many students (and never more than organisations).
        months_per_round: months one round advances.
        code: the room code (drawn when omitted).
    """

    def __init__(self, model: VizModel, *, max_students: int = MAX_STUDENTS, months_per_round: int = 1, code: str | None = None) -> None:
        self.model = model
        self.lock = threading.RLock()
        self.code = code or new_code()
        self.teacher_key = secrets.token_urlsafe(16)
        self.capacity = min(int(max_students), model.n)
        self.months_per_round = int(months_per_round)
        self.round = 0
        self.students: dict[str, Student] = {}
        self._by_token: dict[str, Student] = {}
        self._seats = seat_order(model.orgs.sector, int(model.params["seed"]))
        self.breaks: list[Break] = []
        self.history: list[dict[str, Any]] = []  # per month: each student's organisation
        self.round_seconds: list[float] = []
        self.timer_seconds = 0.0
        self._record_month()

    # ------------------------------------------------------------------ students
    def join(self, code: Any, name: Any) -> Student:
        """Seat a student (or give a returning one the same organisation, with a new token)."""
        given = str(code or "").strip().upper()
        if given != self.code:
            raise RoomError(f"the room code {given!r} is not this room's code: check the code on your teacher's screen" if given else "type the room code shown on your teacher's screen", 403)
        name = clean_name(name)
        key = name_key(name)
        with self.lock:
            student = self.students.get(key)
            if student is not None:
                self._by_token.pop(student.token, None)
                student.token = secrets.token_urlsafe(16)
            else:
                if len(self.students) >= self.capacity:
                    raise RoomError(f"the room is full: {self.capacity} students already play (one organisation each); ask your teacher", 409)
                taken = {s.org for s in self.students.values()}
                org = next(o for o in self._seats if o not in taken)
                student = Student(name, org, secrets.token_urlsafe(16), self.model.month, time.monotonic())
                self.students[key] = student
            self._by_token[student.token] = student
            student.last_seen = time.monotonic()
            student.present = True
            return student

    def student(self, token: Any) -> Student:
        """The student a token belongs to (refused clearly when it is unknown or replaced)."""
        with self.lock:
            student = self._by_token.get(str(token or ""))
            if student is None:
                raise RoomError("this page's seat is no longer valid (you rejoined elsewhere, or the class restarted): join again with the room code and your name", 401)
            student.last_seen = time.monotonic()
            student.present = True
            return student

    def leave(self, token: Any) -> None:
        """The student closed their page: the model plays their organisation until they come back."""
        with self.lock:
            self.student(token).present = False  # its choices wait, unused, in case the page was only reloaded

    def choose(self, token: Any, org: Any, skip: Any = (), commitments: Any = None) -> Student:
        """A student's choices for the coming round: partners to leave out this month, and
        (under pressure) whether to keep or break each commitment if the work fails."""
        with self.lock:
            student = self.student(token)
            try:
                org = int(org)
            except (TypeError, ValueError):
                raise RoomError(f"organisation must be a number, got {org!r}") from None
            if org != student.org:
                raise RoomError(f"you play organisation {student.org}; you cannot act for organisation {org}", 403)
            partners = set(self.partners(student.org))
            chosen_skip: set[int] = set()
            for p in skip or ():
                p = _as_org(p)
                if p not in partners:
                    raise RoomError(f"organisation {p} is not one of your working partners ({_list(partners)})")
                chosen_skip.add(p)
            chosen_commit: dict[int, str] = {}
            if commitments and not self.pressure():
                raise RoomError("no pressure this month (no funder deadline running, no crisis): the model's rule decides commitments; choose only whom to work with")
            for p, what in dict(commitments or {}).items():
                p = _as_org(p)
                if p not in partners:
                    raise RoomError(f"organisation {p} is not one of your working partners ({_list(partners)})")
                if what not in ("keep", "break"):
                    raise RoomError(f"a commitment is 'keep' or 'break', got {what!r}")
                chosen_commit[p] = what
            student.skip, student.commitments = chosen_skip, chosen_commit
            student.chosen_round = self.round
            return student

    # ------------------------------------------------------------------ what an organisation knows
    def partners(self, org: int) -> list[int]:
        """Organisations ``org`` works with at networking or above (row order)."""
        rel = self.model.rel
        working = rel.level >= 1
        return [int(p) for p in np.concatenate([rel.j[working & (rel.i == org)], rel.i[working & (rel.j == org)]])]

    def pressure(self) -> list[str]:
        """What presses on the coming month, in words (empty: an ordinary month)."""
        m, p = self.model, self.model.params
        month = m.month + 1
        out = []
        if intensity(month, p["shock_month"], p["shock_size"], p["crisis_duration"]) > 0:
            out.append("a crisis: less capacity for everyone, and joint work fails more often")
        for f in m.funders:
            if f.mandate_active(month):
                out.append(f"the funder requires {LEVEL_NAMES[f.required_level]} by month {f.deadline} ({max(0, f.deadline - m.month)} months left)")
        return out

    def org_view(self, org: int) -> dict[str, Any]:
        """What organisation ``org`` knows: its partners and its trust in them, its capacity,
        the funder's rules, this month's pressure."""
        m, rel = self.model, self.model.rel
        fits = m._month_arrays["works"]
        rows = []
        for side, mine, theirs in ((0, rel.i, rel.j), (1, rel.j, rel.i)):
            for r in np.flatnonzero((mine == org) & (rel.level >= 1)):
                rows.append((int(r), side, int(theirs[r])))
        rows.sort(key=lambda t: -float(rel.trust[t[1], t[0]]))
        partners = [
            {
                "org": p,
                "sector": SECTORS[int(m.orgs.sector[p])],
                "level": LEVEL_NAMES[int(rel.level[r])],
                "trust": round(float(rel.trust[side, r]), 2),
                "months_at_level": int(rel.months_at_level[r]),
                "fitted_last_month": bool(r < fits.size and fits[r]),
                "broken_by_them": debrief.breaks_between(self.breaks, p, org),
                "broken_by_you": debrief.breaks_between(self.breaks, org, p),
            }
            for r, side, p in rows
        ]
        o = m.orgs
        f = m.funder
        return {
            "org": org,
            "sector": SECTORS[int(o.sector[org])],
            "month": m.month,
            "months": int(m.params["months"]),
            "capacity": round(float(o.budget[org]), 2),
            "spare": round(float(o.spare[org]), 2),
            "grant": round(float(o.grant[org]), 2),
            "costs": {LEVEL_NAMES[k]: round(float(m.ladder[COST, k]), 2) for k in range(1, len(LEVEL_NAMES))},
            "partners": partners,
            "pressure": self.pressure(),
            "funder": {
                "mandate": f.mandate_active(m.month + 1),
                "required_level": LEVEL_NAMES[f.required_level],
                "deadline_month": f.deadline,
                "pressure": round(f.pressure, 2),
                "grant_interval_months": f.interval,
                "funding_ends": f.end_month,
            },
        }

    # ------------------------------------------------------------------ rounds
    def advance(self, months: int | None = None) -> int:
        """Play one round: the present students' choices into the model's choice matrix,
        the months through the compiled engine, the choices cleared. Returns the month."""
        months = self.months_per_round if months is None else check_round_months(months, "a round's months")
        with self.lock:
            start = time.perf_counter()
            m = self.model
            if m.month >= m.params["months"]:
                raise RoomError(f"the run is over (month {m.month} of {m.params['months']}): start a new class to play again", 409)
            self._mark_absent()
            choices = m.allow_choices()
            for s in self.students.values():
                s.news = []
                s.played.append(self._choice_text(s) if s.present and s.chosen_round == self.round else "played by the model")
            for _ in range(months):
                if m.month >= m.params["months"]:
                    break
                choices[:] = 0
                for s in self.students.values():
                    if not s.present or s.chosen_round != self.round:
                        continue
                    for p in s.skip:
                        choices[s.org, p] = CHOICE_SKIP
                    for p, what in s.commitments.items():
                        if p not in s.skip:
                            choices[s.org, p] = CHOICE_KEEP if what == "keep" else CHOICE_BREAK
                before = m.rel.trust.copy()
                m.step()
                self._record_breaks(before, chosen=choices)
                self._record_news(choices)
                self._record_month()
            choices[:] = 0
            self.round += 1
            self.round_seconds.append(time.perf_counter() - start)
            return m.month

    @staticmethod
    def _choice_text(s: Student) -> str:
        parts = []
        if s.skip:
            parts.append("left out " + _list(s.skip))
        for what in ("keep", "break"):
            chosen = {p for p, w in s.commitments.items() if w == what and p not in s.skip}
            if chosen:
                parts.append(f"{what} commitments to " + _list(chosen))
        return "; ".join(parts) or "worked with every partner"

    def _mark_absent(self) -> None:
        now = time.monotonic()
        for s in self.students.values():
            if now - s.last_seen > ABSENT_SECONDS:
                s.present = False

    def _record_breaks(self, before: np.ndarray, chosen: np.ndarray) -> None:
        self.breaks += debrief.breaks_this_month(self.model, before, chosen)

    def _record_month(self) -> None:
        self.history.append(debrief.month_record(self.model, {s.name: s.org for s in self.students.values()}))

    def _record_news(self, chosen: np.ndarray) -> None:
        """What this month did to each student's relationships, in words, for their page."""
        m, rel = self.model, self.model.rel
        M = m._month_arrays
        for s in self.students.values():
            for r in np.flatnonzero((rel.i == s.org) | (rel.j == s.org)):
                p = int(rel.j[r] if rel.i[r] == s.org else rel.i[r])
                line = debrief.pair_news(M, r, p, bool(rel.i[r] == s.org), chosen[s.org, p] == CHOICE_SKIP, int(rel.level[r]))
                if line:
                    s.news.append(f"month {m.month}: {line}")

    # ------------------------------------------------------------------ the teacher's view
    def repair_months(self, b: Break) -> int | None:
        return debrief.repair_months(self.model, b)

    def owner(self, org: int) -> str | None:
        for s in self.students.values():
            if s.org == org:
                return s.name
        return None

    def teacher_view(self) -> dict[str, Any]:
        with self.lock:
            m, rel = self.model, self.model.rel
            self._mark_absent()
            working = np.flatnonzero(rel.level[: rel.size] >= 1)
            students = [
                {"name": s.name, "org": s.org, "present": s.present, "chosen": s.chosen_round == self.round,
                 "last_round": s.played[-1] if s.played else "—", "sector": SECTORS[int(m.orgs.sector[s.org])]}
                for s in self.students.values()
            ]
            breaks = []
            for b in self.breaks[-200:]:
                repair = self.repair_months(b)
                breaks.append({
                    "month": b.month, "culprit": b.culprit, "victim": b.victim,
                    "culprit_name": self.owner(b.culprit), "victim_name": self.owner(b.victim),
                    "who": b.who, "repair_months": repair,
                    "repair_text": f"{repair} months" if repair is not None else f"not yet ({m.month - b.month} months so far)",
                })
            return {
                "code": self.code,
                "month": m.month,
                "months": int(m.params["months"]),
                "round": self.round,
                "months_per_round": self.months_per_round,
                "timer_seconds": self.timer_seconds,
                "scenario": m.scenario_name,
                "seed": int(m.params["seed"]),
                "capacity": self.capacity,
                "students": students,
                "pressure": self.pressure(),
                "nodes": [
                    {"org": k, "x": round(float(m.layout[k, 0]), 4), "y": round(float(m.layout[k, 1]), 4),
                     "sector": int(m.orgs.sector[k]), "student": self.owner(k)}
                    for k in range(m.n)
                ],
                "ties": [[int(rel.i[r]), int(rel.j[r]), int(rel.level[r])] for r in working],
                "history": self.history[-240:],
                "breaks": breaks,
                "interventions": [f"month {month}: {text}" for month, text in m.interventions],
                "counts": {LEVEL_NAMES[k]: int((rel.level[: rel.size] == k).sum()) for k in range(1, len(LEVEL_NAMES))},
            }

    def debrief_rows(self) -> list[dict[str, Any]]:
        """The debrief as one table: each student's organisation month by month, then every
        broken commitment (for the teacher's download)."""
        with self.lock:
            rows: list[dict[str, Any]] = []
            for h in self.history:
                for name, st in h["students"].items():
                    rows.append({"kind": "student_month", "month": h["month"], "student": name, "org": st["org"],
                                 "working_partners": st["partners"], "best_level": LEVEL_NAMES[st["best_level"]],
                                 "partners_trust_in_them": st["trust_in_them"]})
            for b in self.breaks:
                rows.append({"kind": "broken_commitment", "month": b.month, "student": self.owner(b.culprit) or "", "org": b.culprit,
                             "victim": b.victim, "victim_student": self.owner(b.victim) or "", "decided_by": b.who,
                             "trust_before": round(b.trust_before, 4), "repair_months": self.repair_months(b),
                             "censored_at_month": self.model.month})
            return rows

    def student_view(self, token: Any) -> dict[str, Any]:
        with self.lock:
            s = self.student(token)
            view = self.org_view(s.org)
            view.update(
                name=s.name, round=self.round, code=self.code,
                chosen=s.chosen_round == self.round,
                skip=sorted(s.skip), commitments={str(k): v for k, v in s.commitments.items()},
                over=self.model.month >= self.model.params["months"],
                news=s.news[-40:],
            )
            return view


INTERVENTIONS = ("backbone_on", "backbone_off", "mandate", "broken_commitment", "replace_staff")


def intervene(room: Room, kind: str, values: dict[str, Any]) -> str:
    """The page's interventions (``viz.controls``) on the shared run; a teacher's broken
    commitment is remembered for the debrief like the others."""
    from ..viz import controls

    m = room.model
    with room.lock:
        if kind in ("backbone_on", "backbone_off"):
            return controls.intervene_backbone(m, kind == "backbone_on")
        if kind == "mandate":
            return controls.intervene_mandate(m, values.get("pressure", 0.6), values.get("deadline", 24))
        if kind == "replace_staff":
            return controls.intervene_replace_staff(m, values.get("org", ""))
        if kind == "broken_commitment":
            victim = controls.parse_org(m, values.get("victim", ""), "the organisation let down")
            culprit = controls.parse_org(m, values.get("culprit", ""), "the organisation breaking the commitment")
            row = int(m.rel.find(np.array([victim]), np.array([culprit]))[0])
            # the victim's trust before (NaN when the two had not met: no repair to measure)
            before = float(m.rel.trust[0 if m.rel.i[row] == victim else 1, row]) if row >= 0 else float("nan")
            text = controls.intervene_broken_commitment(m, victim, culprit)
            row = int(m.rel.find(np.array([victim]), np.array([culprit]))[0])
            room.breaks.append(Break(m.month, culprit, victim, "teacher", before, row))
            return text
    raise RoomError(f"unknown intervention {kind!r}; allowed: {', '.join(INTERVENTIONS)}")


def _as_org(p: Any) -> int:
    try:
        return int(p)
    except (TypeError, ValueError):
        raise RoomError(f"a partner is an organisation number, got {p!r}") from None


def _list(orgs: set[int]) -> str:
    return ", ".join(str(p) for p in sorted(orgs)) or "none yet"


def check_round_months(value: Any, what: str = "months per round") -> int:
    """Months one round advances: a whole number from 1 to 12."""
    try:
        months = int(value)
    except (TypeError, ValueError):
        raise RoomError(f"{what} must be a whole number from 1 to 12, got {value!r}") from None
    if not 1 <= months <= 12:
        raise RoomError(f"{what} must be from 1 to 12, got {months}")
    return months
