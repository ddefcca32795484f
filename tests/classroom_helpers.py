"""The classroom's real server (``server.build_app`` under uvicorn) in a thread of the test,
so a test can both talk HTTP to it and read the shared model."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(room: Any) -> Iterator[str]:
    """Serve ``room`` on 127.0.0.1 and a free port; yields the base address."""
    import uvicorn

    from collabsim.classroom.server import build_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(room), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the classroom server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def call(url: str, data: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, dict]:
    """``(status, JSON answer)`` of a GET (no data) or POST."""
    body = raw if raw is not None else (None if data is None else json.dumps(data).encode())
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 (local test server)
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.load(exc)
