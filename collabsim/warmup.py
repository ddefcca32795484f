"""A fresh machine's first compile, on every core.

The first run on a machine compiles the engine: about fifty functions, some 35 s of CPU
on one core (``benchmarks/first_compile.py``). numba compiles in one thread, but each
function is cached on disk by itself and a caller compiled later loads its callees from
that cache (which keeps their code in a form the caller links and can inline, as if it had
compiled them itself; the output digest holds either way). The compile is therefore a build of independent
pieces, like ``make -j``: the first process that finds the cache cold starts helper
processes, and all of them take the functions of a plan, callees before callers, each
claiming one at a time (a claim file, created exclusively, in the cache folder), so every
function is compiled once, by whichever process is free. On 2 cores the first compile
takes about two thirds of the time it takes on one.

The plan (``compile_plan.json``: every compiled function of a run, its argument types,
the functions it calls) is written by ``python scripts/write_compile_plan.py`` from a
run on an empty cache, and checked by ``tests/test_warmup.py``, which fails when the code
needs a function or type the plan lacks. A stale or unreadable plan, a cache folder that
cannot be written, one core, or ``COLLABSIM_COMPILE_HELPERS=0`` only make the first
compile serial again: results never depend on who compiled what (the cache's own source
stamp, ``_jit.source_stamp``, decides what is fresh).
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import _jit
from .logs import LOGGER

PLAN = Path(__file__).resolve().parent / "compile_plan.json"
ENTRY_POINTS = ("collabsim.engine:start_with_history", "collabsim.engine:run_months")
"""The functions a model's run calls from Python: when both are cached, the cache is warm."""
WAIT_SECONDS = 300.0
"""Longest wait for a function another live process is compiling, before compiling it here."""
POLL_SECONDS = 0.02

_done = False
_LOCK = threading.Lock()


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def helpers_wanted() -> int:
    """Helper processes a build may start: one per spare core, at most three
    (``COLLABSIM_COMPILE_HELPERS`` sets another number; 0 compiles in this process only). A
    build never starts more than the cores left by the processes already building (a sweep's
    workers all build together), and a helper stops when there are more builders than cores."""
    setting = os.environ.get("COLLABSIM_COMPILE_HELPERS", "").strip()
    if setting:
        if setting.isdigit():
            return int(setting)
        LOGGER.warning("COLLABSIM_COMPILE_HELPERS=%r is not a whole number of helper processes (0 or more); "
                       "compiling without helpers", setting)
        return 0
    return max(0, min(cores() - 1, 3))


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs. A process that has exited but is not yet reaped
    (a zombie: a helper that stopped early, while the process that started it still builds)
    does not: it will never finish what it claimed."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"  # the state follows the command name
    except FileNotFoundError:
        return False  # gone since the signal test
    except (OSError, IndexError):
        return True  # no /proc (not Linux): it exists


# --- the plan ---------------------------------------------------------------------------------
def _type_text(t: Any) -> str:
    from numba.core import types

    if isinstance(t, types.Literal):
        return f"literal({t.literal_value!r})"
    return repr(t)


@functools.lru_cache(maxsize=None)
def _type_of(text: str) -> Any:
    from numba.core import types

    names = {k: getattr(types, k) for k in dir(types) if not k.startswith("_")}
    names["literal"] = types.literal
    names["bool"] = types.boolean  # numba < 0.61 has no ``types.bool``
    return eval(text, {"__builtins__": {}}, names)  # noqa: S307 (our own plan file, numba type names only)


def _dispatcher(name: str) -> Any:
    module, attr = name.split(":")
    return getattr(importlib.import_module(module), attr)


def load_plan(path: Path = PLAN) -> list[dict[str, Any]]:
    """The plan's functions in build order: ``name``, ``signatures`` (numba types), ``needs``,
    ``seconds`` and ``chain`` (the seconds of the longest chain of compiles it starts)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    plan = [{"name": item["function"], "signatures": [tuple(_type_of(t) for t in sig) for sig in item["signatures"]],
             "needs": list(item["needs"]), "seconds": float(item.get("seconds", 0.0))} for item in data["functions"]]
    # the longest chain of compiles from each function to the end of the build: a build that
    # starts the longest chains first finishes soonest (critical-path scheduling)
    users: dict[str, list[dict[str, Any]]] = {item["name"]: [] for item in plan}
    for item in plan:
        for name in item["needs"]:
            users[name].append(item)
    for item in reversed(plan):  # callers come after their callees
        item["chain"] = item["seconds"] + max((u["chain"] for u in users[item["name"]]), default=0.0)
    return plan


def _is_cached(dispatcher: Any, signature: tuple) -> bool:
    """Whether the disk cache holds ``signature`` of ``dispatcher`` for this source (reads the
    small index only, not the code)."""
    cache = dispatcher._cache
    key = cache._index_key(signature, dispatcher.targetctx.codegen())
    return key in cache._cache_file._load_index()


# --- the build --------------------------------------------------------------------------------
class _Build:
    """Claims and compiles the plan's functions, with the other processes of the same build."""

    def __init__(self, plan: list[dict[str, Any]], folder: Path, helper: bool = False) -> None:
        self.plan = plan
        self.folder = folder
        self.helper = helper
        self.compiled: list[str] = []

    def join(self, pid: int | None = None) -> None:
        """Count ``pid`` (this process by default) among the processes building."""
        (self.folder / f"member-{pid or os.getpid()}").touch()

    def members(self) -> int:
        """Live processes building (a sweep's workers, their helpers)."""
        count = 0
        for path in self.folder.glob("member-*"):
            try:
                count += _alive(int(path.name[len("member-"):]))
            except ValueError:
                continue
        return count

    def _file(self, name: str, kind: str) -> Path:
        return self.folder / f"{name.replace(':', '.')}.{kind}"

    def done(self, name: str) -> bool:
        return self._file(name, "done").exists()

    def _claimer_alive(self, name: str) -> bool:
        try:
            text = self._file(name, "claim").read_text()
            if not text:
                return True  # being written this instant
            pid = int(text)
        except (OSError, ValueError):
            return True
        if pid == os.getpid():
            return False  # an earlier build in this process that stopped part way
        return _alive(pid)

    def _claim(self, name: str) -> bool:
        path = self._file(name, "claim")
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if self.done(name) or self._claimer_alive(name):
                return False
            path.unlink(missing_ok=True)  # its process died part way: take it over
            return self._claim(name)
        with os.fdopen(fd, "w") as f:
            f.write(str(os.getpid()))
        return True

    def _compile(self, item: dict[str, Any]) -> None:
        """Compile one claimed function and mark it done, whatever happens: a claim never
        done would hold every other builder until its deadline. A function the plan names
        but the code no longer has (a stale plan) is done too: the run compiles what it needs itself."""
        _t0 = time.time()
        try:
            dispatcher = _dispatcher(item["name"])
            for signature in item["signatures"]:
                try:
                    dispatcher.compile(signature)
                except Exception:  # noqa: BLE001 - a stale plan entry: the run compiles what it needs itself
                    LOGGER.debug("plan entry %s%s did not compile; the run compiles what it needs", item["name"], signature)
            LOGGER.debug("compiled %s in %.2f s (process %d)", item["name"], time.time() - _t0, os.getpid())
        except Exception as exc:  # noqa: BLE001 - the plan names a function the code no longer has
            LOGGER.debug("plan entry %s not found (%s: %s); rewrite the plan (scripts/write_compile_plan.py)",
                         item["name"], type(exc).__name__, exc)
        finally:
            self._file(item["name"], "done").touch()
        self.compiled.append(item["name"])  # this process's claim, settled

    def run(self, deadline: float) -> None:
        """Take ready functions (all they call done) until none is left to claim, then wait for
        the ones others are compiling."""
        pending = sorted(self.plan, key=lambda item: -item["chain"])  # stable: build order among equals
        while pending and time.monotonic() < deadline:
            progressed = False
            for item in list(pending):
                if self.done(item["name"]):
                    pending.remove(item)
                    progressed = True
                    continue
                if not all(self.done(n) for n in item["needs"]):
                    continue
                if self.helper and self.members() > cores():
                    return  # more builders than cores: leave the rest to them
                if self._claim(item["name"]):
                    self._compile(item)
                    pending.remove(item)
                    progressed = True
                    break  # back to the start: the longest chain first
            if not progressed:
                time.sleep(POLL_SECONDS)  # what is left is being compiled elsewhere, or waits for it


def _build_folder(dispatcher: Any) -> Path | None:
    path = getattr(dispatcher._cache, "cache_path", None) or getattr(dispatcher._cache, "_cache_path", None)
    if not path:
        return None
    import numba

    # one build per source, Python and numba: the cache folder may be shared by several of each
    tag = f"{_jit.SOURCE_STAMP[:16]}-py{sys.version_info[0]}{sys.version_info[1]}-numba{numba.__version__}"
    folder = Path(path) / f"collabsim-build-{tag}"
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        return None
    _forget_old_builds(folder)
    return folder if os.access(folder, os.W_OK) else None


def _forget_old_builds(current: Path, age: float = 3600.0) -> None:
    """Remove the claim files of other builds (earlier sources) untouched for ``age`` seconds:
    each edit of the package starts a new build, and a few hundred bytes a build would pile up."""
    import shutil

    for old in current.parent.glob("collabsim-build-*"):
        try:
            if old != current and time.time() - old.stat().st_mtime > age:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


def _start_helper(folder: Path) -> subprocess.Popen | None:
    """A helper process (``_helper``), or None where this Python cannot start one: a frozen
    application's executable is the application, not a Python that takes ``-c``."""
    if getattr(sys, "frozen", False) or not sys.executable:
        return None
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from collabsim import warmup; "
            "warmup._helper(sys.argv[2])")
    root = str(Path(__file__).resolve().parent.parent)
    try:
        return subprocess.Popen([sys.executable, "-c", code, root, str(folder)], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, ValueError):
        return None


def _helper(folder: str) -> None:
    """A helper process: compile the plan's functions with the process that started it."""
    build = _Build(load_plan(), Path(folder), helper=True)
    build.join()
    build.run(time.monotonic() + WAIT_SECONDS)


def ensure_compiled() -> list[str]:
    """Compile the engine with helper processes if the disk cache is cold; returns the
    functions this process compiled (none when the cache was warm, or when it cannot help).

    Called once per process, before the first model's set-up: on a warm cache it reads the
    plan and two small index files (about 4 ms) and returns."""
    global _done
    if _done or _jit.DISABLED:
        return []
    with _LOCK:  # threads of one process (the browser page's sessions) wait for one build
        if _done:
            return []
        try:
            return _build_if_cold()
        finally:
            _done = True


def _build_if_cold() -> list[str]:
    try:
        plan = load_plan()
        tops = [(_dispatcher(item["name"]), item["signatures"]) for item in plan if item["name"] in ENTRY_POINTS]
        if len(tops) == len(ENTRY_POINTS) and all(_is_cached(d, s) for d, sigs in tops for s in sigs):
            return []
        folder = _build_folder(tops[-1][0])
        if folder is None:
            return []
        build = _Build(plan, folder)
        build.join()
        LOGGER.info("compiling the engine for this machine and code (once; about half a minute)")
        start = time.monotonic()
        started = []
        for _ in range(min(helpers_wanted(), cores() - build.members())):
            helper = _start_helper(folder)
            if helper is not None:
                build.join(helper.pid)  # counted at once, so a process joining now starts no helper for this core
                started.append(helper)
        try:
            build.run(start + WAIT_SECONDS)
            for p in started:
                p.wait(timeout=WAIT_SECONDS)
        finally:  # interrupted, or a helper that hangs: stop them with this process
            for p in started:
                if p.poll() is None:
                    p.kill()
        LOGGER.debug("engine compiled in %.1f s: %d of %d functions here, %d helper processes",
                     time.monotonic() - start, len(build.compiled), len(plan), len(started))
        return build.compiled
    except Exception as exc:  # noqa: BLE001 - only speed is at stake: the run compiles what it needs itself
        LOGGER.debug("no parallel first compile (%s: %s); the run compiles what it needs", type(exc).__name__, exc)
        return []


# --- writing the plan -------------------------------------------------------------------------
_RECORD = """
import json, sys, time
from numba.core import event
order, own, stack = [], {}, []
class Listener(event.Listener):
    def on_start(self, ev):
        stack.append([time.perf_counter(), 0.0])
    def on_end(self, ev):
        start, inner = stack.pop()
        took = time.perf_counter() - start
        if stack:
            stack[-1][1] += took
        d = ev.data["dispatcher"]
        name = f"{d.py_func.__module__}:{d.py_func.__name__}"
        if name.startswith("collabsim."):
            order.append(name)
            own[name] = own.get(name, 0.0) + took - inner
event.register("numba:compile", Listener())
from collabsim import warmup
warmup._done = True  # record the serial build
from collabsim.model import CollaborationModel
CollaborationModel(seed=0, months=12).run()
json.dump(warmup._describe(order, own), sys.stdout)
"""


def _describe(order: list[str], seconds: dict[str, float]) -> dict[str, Any]:
    """The plan from a finished serial build: functions in the order they were finished, with
    the seconds each took by itself (without the functions it compiled on the way)."""
    import numba

    seen: list[str] = []
    for name in order:
        module, attr = name.split(":")
        d = getattr(importlib.import_module(module), attr, None)
        # the package's cached functions only (not the implementations of its overloads)
        if name not in seen and isinstance(d, numba.core.registry.CPUDispatcher) and d.py_func.__name__ == attr:
            seen.append(name)
    libraries = {}
    for name in seen:
        for cres in _dispatcher(name).overloads.values():
            libraries[id(cres.library)] = name
    functions = []
    for name in seen:
        d = _dispatcher(name)
        needs = set()
        for cres in d.overloads.values():
            for lib in getattr(cres.library, "_linking_libraries", ()):
                callee = libraries.get(id(lib))
                if callee and callee != name:
                    needs.add(callee)
        functions.append({"function": name, "signatures": [[_type_text(t) for t in sig] for sig in d.signatures],
                          "needs": sorted(needs, key=seen.index), "seconds": round(seconds.get(name, 0.0), 2)})
    return {"about": "Written by `python scripts/write_compile_plan.py` (numba "
                     f"{numba.__version__}): the compiled functions of a run in the order a serial build "
                     "finishes them, their argument types, the functions each links, and the seconds "
                     "each took (by itself, on the machine that wrote the plan). Read by "
                     "collabsim/warmup.py; checked by tests/test_warmup.py.",
            "functions": functions}


def write_plan(path: Path = PLAN) -> dict[str, Any]:
    """Record a serial build on an empty cache (a fresh process) and write it to ``path``."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="collabsim-plan-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, COLLABSIM_COMPILE_HELPERS="0")
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        out = subprocess.run([sys.executable, "-c", _RECORD], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"recording the build failed:\n{out.stderr[-3000:]}")
    plan = json.loads(out.stdout)
    path.write_text(json.dumps(plan, indent=1) + "\n", encoding="utf-8")
    return plan
