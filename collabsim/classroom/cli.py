"""``collabsim classroom``: start a shared run and print the teacher's and the students' addresses."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import Any

DEFAULT_PORT = 8770

NETWORK_NOTE = (
    "This classroom is reachable from this computer only. For students on their own devices, start it with "
    "--host 0.0.0.0, and only on a trusted network (the school's, not a public one): anyone on it who knows "
    "the room code can join."
)


MAX_ORGANISATIONS = 1000

CLASSROOM_DEFAULTS = {"start": "history"}
"""Where the classroom differs from the page: a community with a past (the researchers'
default), so every student has partners to decide about in the first round."""


def lan_address() -> str | None:
    """This computer's address on its network (a UDP socket's route; nothing is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collabsim classroom",
        description="A participatory run: each student plays one organisation of a shared run from their own browser; the model plays the rest.",
        epilog="examples:\n  collabsim classroom\n  collabsim classroom --scenario funder_mandate --seed 7\n"
        "  collabsim classroom --host 0.0.0.0 --port 8770   # students on the school network",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scenario", default="default", help="scenario of the shared run (see 'collabsim scenarios'; default: %(default)s)")
    parser.add_argument("--seed", metavar="S", help="random seed (default: drawn, then shown on the teacher's page)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter (repeatable; see 'collabsim params')")
    parser.add_argument("--months-per-round", default="1", metavar="N", help="months one round advances (1 to 12; default: 1)")
    parser.add_argument("--max-students", default="30", metavar="N", help="most students (1 to 30, never more than organisations; default: 30)")
    parser.add_argument("--code", metavar="CODE", help=argparse.SUPPRESS)  # tests: a known room code
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s, this computer only)")
    parser.add_argument("--quiet", action="store_true", help="print only the addresses and errors")
    return parser


def make_room(args: argparse.Namespace) -> Any:
    """The shared model and its room, from the command line (registry-checked)."""
    from ..parameters import PARAMETERS, ParameterError, parse_assignment, validate
    from ..scenarios import SCENARIOS
    from ..viz.session import Settings, VizModel
    from .room import CODE_ALPHABET, CODE_LENGTH, MAX_STUDENTS, Room, check_round_months

    if args.scenario not in SCENARIOS:
        from ..parameters import unknown_name_message

        raise ParameterError(unknown_name_message(args.scenario, SCENARIOS, "scenario"))
    settings = Settings(scenario=args.scenario)
    overrides: dict[str, Any] = {}
    for text in args.set:
        name, value = parse_assignment(text)
        overrides[name] = value
    seed = overrides.pop("seed", None)
    if args.seed is not None:
        seed = PARAMETERS["seed"].parse(args.seed)
    validate(overrides)
    settings.overrides.update(CLASSROOM_DEFAULTS)
    settings.overrides.update(overrides)
    settings.seed = seed
    months_per_round = check_round_months(args.months_per_round, "--months-per-round")
    try:
        max_students = int(args.max_students)
    except ValueError:
        raise ParameterError(f"--max-students must be a whole number from 1 to {MAX_STUDENTS}, got {args.max_students!r}") from None
    if not 1 <= max_students <= MAX_STUDENTS:
        raise ParameterError(f"--max-students must be from 1 to {MAX_STUDENTS}, got {max_students}")
    code = None
    if args.code is not None:
        code = args.code.strip().upper()
        if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
            raise ParameterError(f"--code must be {CODE_LENGTH} characters from {CODE_ALPHABET}, got {args.code!r}")
    n = settings.values()["n_organisations"]
    if not 2 <= n <= MAX_ORGANISATIONS:
        raise ParameterError(f"n_organisations must be from 2 to {MAX_ORGANISATIONS} in a classroom (the teacher's page draws every organisation), got {n}")
    model = VizModel(settings)
    return Room(model, max_students=max_students, months_per_round=months_per_round, code=code)


def main(argv: list[str] | None = None) -> int:
    """Run ``collabsim classroom``; returns the exit status."""
    from ..parameters import ParameterError
    from .room import RoomError

    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if not 0 < args.port < 65536:
        print(f"collabsim: error: --port must be in [1, 65535], got {args.port}", file=sys.stderr)
        return 2
    try:
        room = make_room(args)
    except (ParameterError, RoomError) as exc:
        print(f"collabsim: error: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from .server import build_app

    everywhere = args.host in ("0.0.0.0", "::", "")
    base = f"http://{'127.0.0.1' if everywhere else args.host}:{args.port}"
    students_base = f"http://{lan_address() or '<this computer address>'}:{args.port}" if everywhere else base
    m = room.model
    print(f"collabsim classroom: scenario {m.scenario_name}, seed {m.params['seed']}, {m.n} organisations, up to {room.capacity} students", flush=True)
    print(f"  teacher's page:  {base}/teacher?key={room.teacher_key}   (keep this address to yourself)", flush=True)
    print(f"  students' page:  {students_base}/join   room code {room.code}", flush=True)
    if args.host in ("127.0.0.1", "localhost", "::1"):
        print(f"  {NETWORK_NOTE}", flush=True)
    else:
        print(f"  Bound to {args.host}: anyone on this network who knows the room code can join. Use this on a trusted network only.", flush=True)
    if not args.quiet:
        print("  Ctrl+C ends the class.", flush=True)
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        uvicorn.run(build_app(room), host=args.host, port=args.port, log_level="warning")
    except KeyboardInterrupt:  # pragma: no cover
        pass
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
