"""How a classroom of 30 holds up on one machine (prints figures; a measurement, not a test).

Starts the classroom's server (``collabsim.classroom.server``, under uvicorn, 127.0.0.1) on a
shared run, seats ``--students`` simulated students over HTTP, and for ``--rounds`` rounds:
every student polls its page's JSON every two seconds (as the page does, in its own thread),
sends its choices (leaves out one partner at random; under pressure keeps or breaks each
commitment at random), then the teacher advances the round. Prints:

- round latency: the teacher's "advance" request, from sending to the answer (the months
  through the compiled engine with the students' choices, under the room's lock); the
  first round, which loads the compiled engine, is printed apart;
- the engine part alone (``Room.round_seconds``);
- poll latency: a student's page's request for news, while all of this goes on;
- choose latency: a student's "send my choices".

Usage: python benchmarks/bench_classroom.py [--students 30] [--rounds 20] [--organisations 40]
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn  # noqa: E402

from collabsim.classroom.room import Room  # noqa: E402
from collabsim.classroom.server import build_app  # noqa: E402
from collabsim.viz.session import Settings, VizModel  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, data: dict | None = None, headers: dict | None = None) -> tuple[float, dict]:
    body = None if data is None else json.dumps(data).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 (local server)
        out = json.load(r)
    return time.perf_counter() - start, out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def show(name: str, xs: list[float]) -> None:
    ms = [1000 * x for x in xs]
    print(f"{name:<28} n={len(ms):<5} median {statistics.median(ms):7.1f} ms   p95 {pct(ms, 0.95):7.1f} ms   worst {max(ms):7.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--organisations", type=int, default=40)
    ap.add_argument("--scenario", default="funder_mandate")
    args = ap.parse_args()

    model = VizModel(Settings(scenario=args.scenario, seed=1, overrides=dict(n_organisations=args.organisations, start="history")))
    room = Room(model, code="ACDE")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(room), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    teacher = {"X-Teacher-Key": room.teacher_key}
    tokens = [request(f"{base}/api/join", {"code": "ACDE", "name": f"student {k}"})[1]["token"] for k in range(args.students)]

    polls: list[float] = []
    chooses: list[float] = []
    stop = threading.Event()
    lock = threading.Lock()

    def student(token: str, k: int) -> None:
        rng = random.Random(k)
        seen_round = -1
        while not stop.is_set():
            dt, view = request(f"{base}/api/student", headers={"X-Student-Token": token})
            with lock:
                polls.append(dt)
            if view["round"] != seen_round and not view["over"]:
                partners = [p["org"] for p in view["partners"]]
                skip = rng.sample(partners, 1) if partners and rng.random() < 0.5 else []
                commitments = {str(p): rng.choice(["keep", "break"]) for p in partners} if view["pressure"] else {}
                dt, _ = request(f"{base}/api/choose", {"org": view["org"], "skip": skip, "commitments": commitments}, {"X-Student-Token": token})
                with lock:
                    chooses.append(dt)
                seen_round = view["round"]
            stop.wait(2.0 * (0.8 + 0.4 * rng.random()))

    threads = [threading.Thread(target=student, args=(t, k), daemon=True) for k, t in enumerate(tokens)]
    for t in threads:
        t.start()
    advances: list[float] = []
    teacher_views: list[float] = []
    for _ in range(args.rounds):
        time.sleep(2.5)  # the students choose
        dt, _ = request(f"{base}/api/control", {"action": "advance"}, teacher)
        advances.append(dt)
        dt, _ = request(f"{base}/api/teacher", headers=teacher)
        teacher_views.append(dt)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    server.should_exit = True
    chose = sum(1 for s in room.students.values() for p in s.played if p != "played by the model")
    print(f"classroom: {args.students} students over HTTP, {args.organisations} organisations ({args.scenario}), {args.rounds} rounds of one month")
    print(f"student-rounds played by a student's choices: {chose} of {args.students * args.rounds}; broken commitments seen: {len(room.breaks)}")
    print(f"first round (loads the compiled engine from numba's cache): {1000 * advances[0]:.0f} ms; the rest:")
    show("round (teacher's advance)", advances[1:])
    show("  of which the engine", room.round_seconds[1:])
    show("teacher's page data", teacher_views)
    show("student poll", polls)
    show("student choose", chooses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
