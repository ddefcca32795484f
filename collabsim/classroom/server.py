"""The classroom's web server: two plain pages and a small JSON API over one ``Room``.

Why not Solara, like ``collabsim viz``: thirty students on school laptops or phones need
a page that loads fast and keeps working over a flaky network. A Solara session per
student is a live widget state on the server and a websocket; here each page is static
HTML and vanilla JavaScript that asks for news every two seconds (plain JSON over HTTP),
so a dropped connection just means the next poll. Starlette and uvicorn come with Solara
already. The network is drawn as SVG by the page itself (no chart library, nothing
fetched from the internet).

The teacher's page needs the teacher key printed at start (students never see it); a
student's page presents its token with every request (``X-Student-Token``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..parameters import ParameterError
from .room import Room, RoomError, check_round_months, intervene

TOKEN_HEADER = "x-student-token"
KEY_HEADER = "x-teacher-key"
STATIC = {"common.css": "text/css", "common.js": "text/javascript"}


def _page(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


class RoundTimer:
    """Advances a round every ``seconds`` while started (the teacher's timer)."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, seconds: float) -> None:
        self.stop()
        self.room.timer_seconds = float(seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(self._stop, float(seconds)), daemon=True, name="classroom-timer")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        self.room.timer_seconds = 0.0

    def _loop(self, stop: threading.Event, seconds: float) -> None:
        while not stop.wait(seconds):
            try:
                self.room.advance()
            except RoomError:  # the run is over
                self.room.timer_seconds = 0.0
                return


def build_app(room: Room) -> Starlette:
    """The Starlette app serving ``room``."""
    timer = RoundTimer(room)

    def error(exc: Exception) -> JSONResponse:
        status = exc.status if isinstance(exc, RoomError) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            raise RoomError("the request is not JSON") from None
        if not isinstance(data, dict):
            raise RoomError("the request must be a JSON object")
        return data

    def teacher(request: Request) -> None:
        key = request.headers.get(KEY_HEADER) or request.query_params.get("key")
        if key != room.teacher_key:
            raise RoomError("this is the teacher's page: open the teacher's address printed when the class started", 403)

    async def teacher_page(request: Request) -> Response:
        if request.query_params.get("key") != room.teacher_key:
            return HTMLResponse("<h1>Teacher's page</h1><p>Open the teacher's address printed by <code>collabsim classroom</code> (it holds the teacher's key). Students: open <a href='/join'>/join</a>.</p>", status_code=403)
        return HTMLResponse(_page("teacher.html"))

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404)
        return Response(_page(name), media_type=STATIC[name])

    async def join_page(request: Request) -> Response:
        return HTMLResponse(_page("student.html"))

    async def api_join(request: Request) -> Response:
        try:
            data = await body(request)
            s = room.join(data.get("code"), data.get("name"))
            return JSONResponse({"token": s.token, "org": s.org, "name": s.name})
        except RoomError as exc:
            return error(exc)

    async def api_student(request: Request) -> Response:
        try:
            return JSONResponse(room.student_view(request.headers.get(TOKEN_HEADER)))
        except RoomError as exc:
            return error(exc)

    async def api_choose(request: Request) -> Response:
        try:
            data = await body(request)
            s = room.choose(request.headers.get(TOKEN_HEADER), data.get("org"), data.get("skip") or [], data.get("commitments") or {})
            return JSONResponse({"ok": True, "round": room.round, "skip": sorted(s.skip)})
        except RoomError as exc:
            return error(exc)

    async def api_leave(request: Request) -> Response:
        try:
            room.leave(request.headers.get(TOKEN_HEADER))
            return JSONResponse({"ok": True})
        except RoomError as exc:
            return error(exc)

    def api_teacher(request: Request) -> Response:  # sync: Starlette runs it in a thread
        try:
            teacher(request)
            return JSONResponse(room.teacher_view())
        except RoomError as exc:
            return error(exc)

    def api_debrief(request: Request) -> Response:
        try:
            teacher(request)
        except RoomError as exc:
            return error(exc)
        return Response(debrief_csv(room.debrief_rows()), media_type="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=classroom-{room.code}-month{room.model.month}.csv"})

    async def api_control(request: Request) -> Response:
        try:
            teacher(request)
            data = await body(request)
            action = data.get("action")
            if action == "advance":
                month = await _in_thread(room.advance, data.get("months"))
                return JSONResponse({"ok": True, "month": month})
            if action == "timer":
                seconds = _seconds(data.get("seconds"))
                if seconds:
                    timer.start(seconds)
                else:
                    timer.stop()
                return JSONResponse({"ok": True, "timer_seconds": room.timer_seconds})
            if action == "months_per_round":
                room.months_per_round = check_round_months(data.get("months"))
                return JSONResponse({"ok": True})
            if action == "intervene":
                text = await _in_thread(intervene, room, str(data.get("kind")), dict(data.get("values") or {}))
                return JSONResponse({"ok": True, "message": text})
            raise RoomError(f"unknown action {action!r}; allowed: advance, timer, months_per_round, intervene")
        except (RoomError, ParameterError) as exc:
            return error(exc)

    routes = [
        Route("/", teacher_page),
        Route("/teacher", teacher_page),
        Route("/join", join_page),
        Route("/static/{name}", static),
        Route("/api/join", api_join, methods=["POST"]),
        Route("/api/student", api_student),
        Route("/api/choose", api_choose, methods=["POST"]),
        Route("/api/leave", api_leave, methods=["POST"]),
        Route("/api/teacher", api_teacher),
        Route("/api/control", api_control, methods=["POST"]),
        Route("/api/debrief.csv", api_debrief),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        yield
        timer.stop()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.room = room
    app.state.timer = timer
    return app


async def _in_thread(func: Any, *args: Any) -> Any:
    """A month under the room's lock, off the event loop (other pages keep polling)."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args)


def debrief_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV, every column any row has (empty where a row has none)."""
    import csv
    import io

    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _seconds(value: Any) -> float:
    try:
        seconds = float(value or 0)
    except (TypeError, ValueError):
        raise RoomError(f"the timer is a number of seconds (0 stops it), got {value!r}") from None
    if seconds and not 5 <= seconds <= 600:
        raise RoomError(f"the timer is 5 to 600 seconds per round (0 stops it), got {seconds:g}")
    return seconds
