"""A sweep directory that loses nothing.

Layout of ``DIR``::

    DIR/manifest.json      what the design is (and its fingerprint), versions, sessions
    DIR/.lock              held (flock) by the one process writing to DIR
    DIR/runs/part-A-B.parquet   runs A..B (whole runs, one row per run and month)
    DIR/report/            written by ``collabsim report``

A part is written under a hidden temporary name, flushed and fsync'ed, then renamed
atomically, so after ``kill -9`` a part is either complete or absent (temporary files
start with ``.`` and Parquet readers skip them). ``pandas.read_parquet(DIR / "runs")``
reads the whole table; sort it by ``run_id`` and ``month``.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import LockedError, SweepError, UserError

FORMAT = "collabsim-sweep"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
LOCK = ".lock"
RUNS = "runs"
KEY_COLUMNS = ("run_id", "point", "replicate", "seed")


def now() -> str:
    """The current time, ISO 8601 in UTC."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Versions of everything that can change a result."""
    import platform

    import mesa
    import numba
    import numpy

    from .. import __version__

    found = {
        "collabsim": __version__,
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    found.update(dependency_versions())
    return found


STUDY_PACKAGES = ("scipy", "SALib", "matplotlib", "tqdm", "networkx", "llvmlite", "dask", "distributed")
"""Packages an analysis of a sweep also uses (statistics, figures), beside collabsim's own requirements."""


def dependency_versions() -> dict[str, str]:
    """Installed version of every requirement of collabsim and of ``STUDY_PACKAGES``
    ("not installed" for an optional one that is absent): a figure or a p-value can change
    with SciPy or matplotlib as much as a run can with numba."""
    import re
    from importlib import metadata

    try:
        required = metadata.requires("collabsim") or []
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        required = []
    names = {re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0] for req in required if "extra ==" not in req}
    out = {}
    for name in sorted(names | set(STUDY_PACKAGES), key=str.lower):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


NOT_MODEL_CODE = ("cli.py", "odd.py", "__main__.py", "_version.py", "extras.py", "logs.py")
"""Top-level modules that cannot change a result (command line, docs, plumbing)."""


def model_code() -> str:
    """SHA-256 of the model's source: every top-level module of the package that can
    change a result (not the command line or the ODD generator). A resumed sweep must
    not mix runs of two versions of the model, and a version number alone would not
    notice an edit."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        if path.name in NOT_MODEL_CODE:
            continue
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def code_hash() -> dict[str, Any]:
    """SHA-256 of all the code that can produce a result folder: every ``.py`` file of the
    package (``collabsim/sweep/`` and the command line included) and, when it runs from a
    clone, every ``.py``, ``.toml`` and ``.csv`` file under ``experiments/`` (designs, analysis,
    observed communities). Unlike ``model_code`` (which decides whether a sweep may resume), an
    edit to the analysis changes this hash too. The FINDINGS templates are not hashed: they
    make no table or figure, and ``experiments/findings.py --check`` ties each FINDINGS.md to them."""
    package = Path(__file__).resolve().parents[1]
    files = sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
    experiments = package.parent / "experiments"
    if (package.parent / "pyproject.toml").is_file() and experiments.is_dir():
        files += sorted(p for p in experiments.rglob("*") if p.is_file() and p.suffix in (".py", ".toml", ".csv") and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(package.parent).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    covers = ["collabsim/**/*.py"] + (["experiments/**/*.{py,toml,csv}"] if any(experiments in p.parents for p in files) else [])
    return {"sha256": digest.hexdigest(), "files": len(files), "covers": covers}


def git_commit() -> dict[str, Any] | None:
    """The git commit of the collabsim source this process runs, if it runs from a clone.

    ``{"commit": sha, "dirty": True/False}`` (dirty: tracked files differ from the commit,
    so the commit alone does not give the code; ``model_code`` still does), or None for an
    installed package or when git is not available.
    """
    import subprocess

    package = Path(__file__).resolve().parents[1]
    try:
        top = subprocess.run(["git", "-C", str(package), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=10)
        if top.returncode != 0 or not (Path(top.stdout.strip()) / "pyproject.toml").is_file():
            return None
        head = subprocess.run(["git", "-C", str(package), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "-C", str(package), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def atomic_write_text(path: Path, text: str) -> None:
    """Write a small file whole or not at all (temp file, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (where the platform allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def read_manifest(root: Path) -> dict[str, Any]:
    """The manifest of a sweep directory, or UserError saying why ``root`` is not one."""
    path = root / MANIFEST
    if not path.is_file():
        raise UserError(f"{root} is not a collabsim sweep directory (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"{path} is unreadable or not valid JSON ({exc}); {root} does not look like a collabsim sweep directory; refusing to touch it") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise UserError(f"{root} is not a collabsim sweep directory ({MANIFEST} has format {found!r}, expected {FORMAT!r}); refusing to touch it")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise UserError(f"{path}: format_version {manifest.get('format_version')!r} is not supported (this collabsim writes {FORMAT_VERSION})")
    for key in ("fingerprint", "design", "runs_total"):
        if key not in manifest:
            raise UserError(f"{path}: the key {key!r} is missing; the manifest is damaged")
    return manifest


def part_files(root: Path) -> list[Path]:
    """The complete parts of a sweep, in run order (temporary files are not listed)."""
    runs = root / RUNS
    if not runs.is_dir():
        return []
    return sorted(p for p in runs.iterdir() if p.name.startswith("part-") and p.name.endswith(".parquet"))


def stored_run_ids(root: Path) -> set[int]:
    """``run_id`` of every stored run; UserError naming a part that is not readable."""
    ids: set[int] = set()
    for part in part_files(root):
        try:
            column = pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist()
        except (OSError, pa.ArrowException, KeyError) as exc:
            raise UserError(f"{part} is not a readable collabsim part ({exc}); move it out of {root / RUNS} and run the same command again to redo its runs") from None
        ids.update(int(x) for x in column)
    return ids


def load_runs(root: str | Path) -> pd.DataFrame:
    """Every stored row, sorted by ``run_id`` and ``month`` (an empty frame if none)."""
    root = Path(root)
    if not part_files(root):
        return pd.DataFrame(columns=list(KEY_COLUMNS) + ["month"])
    try:
        table = pd.read_parquet(root / RUNS)
    except (OSError, pa.ArrowException) as exc:
        raise UserError(f"{root / RUNS}: cannot read the stored runs ({exc})") from None
    return table.sort_values(["run_id", "month"], kind="stable").reset_index(drop=True)


def check_output_dir(root: Path, what: str = "--out") -> None:
    """Raise UserError if ``root`` could not be created or written.

    Probes for real (permission bits do not stop root, read-only file systems and
    special file systems do): creates the missing directories and a test file, then
    removes them again, so nothing is left behind either way.
    """
    if root.exists() and not root.is_dir():
        raise UserError(f"{what} {root}: exists and is not a directory")
    created: list[Path] = []
    try:
        missing = []
        path = root
        while not path.exists():
            missing.append(path)
            if path == path.parent:
                break
            path = path.parent
        if not path.is_dir():
            raise UserError(f"{what} {root}: cannot be created ({path} is not a directory)")
        for directory in reversed(missing):
            directory.mkdir()
            created.append(directory)
        probe = root / f".collabsim-probe-{os.getpid()}"
        with open(probe, "wb") as f:
            f.write(b"ok")
        probe.unlink()
    except OSError as exc:
        reason = os_error_message(exc)
        raise UserError(f"{what} {root}: cannot be written ({reason})") from None
    finally:
        for directory in reversed(created):
            try:
                directory.rmdir()
            except OSError:  # pragma: no cover
                pass


def os_error_message(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return exc.strerror or str(exc)


class SweepStore:
    """An open, locked sweep directory. Use ``SweepStore.open(...)`` and ``close()``."""

    def __init__(self, root: Path, manifest: dict[str, Any], lock_fd: int, stored: set[int]) -> None:
        self.root = root
        self.runs = root / RUNS
        self.manifest = manifest
        self._lock_fd = lock_fd
        self.stored = stored

    # -- opening --------------------------------------------------------------------------
    @staticmethod
    def inspect(root: Path, fingerprint: str, force_new: bool) -> str:
        """What ``open`` would do: ``"new"``, ``"resume"`` or ``"replace"`` (nothing written).

        Raises UserError for a file, an unwritable place, a foreign or damaged directory,
        or (without ``force_new``) a directory that holds a different design.
        """
        check_output_dir(root)
        if not root.exists():
            return "new"
        entries = [p for p in root.iterdir() if p.name != LOCK]
        if not entries:
            return "new"
        if not (root / MANIFEST).exists():
            names = ", ".join(sorted(p.name for p in entries)[:5])
            raise UserError(f"--out {root}: not empty ({names}) and has no {MANIFEST}: not a collabsim sweep directory; refusing to write into it (choose a new or empty directory)")
        manifest = read_manifest(root)
        if manifest["fingerprint"] == fingerprint:
            stored_code = manifest.get("model_code")
            if stored_code is not None and stored_code != model_code():
                if force_new:
                    return "replace"
                raise UserError(
                    f"--out {root} holds runs of this design made with different model code "
                    f"(collabsim {manifest.get('versions', {}).get('collabsim', '?')}, code {stored_code[:12]}, now {model_code()[:12]}); "
                    "resuming would mix results of two models: use a new --out directory, or add --force-new to delete its stored runs and start again"
                )
            stored_run_ids(root)  # a damaged part is a clear error now, not later
            return "resume"
        if force_new:
            return "replace"
        design = manifest.get("design", {})
        made = manifest.get("design_file", "?")
        raise UserError(
            f"--out {root} holds a different design (from {made}, scenario {design.get('scenario')!r}, "
            f"{manifest.get('runs_total')} runs, created {manifest.get('created', '?')}); "
            "use a new --out directory to keep it, or add --force-new to delete its stored runs and start this design there"
        )

    @classmethod
    def open(cls, root: str | Path, manifest: dict[str, Any], force_new: bool = False) -> "SweepStore":
        """Check, create, lock and (re)write the manifest of ``root``; return the store."""
        root = Path(root)
        fingerprint = manifest["fingerprint"]
        cls.inspect(root, fingerprint, force_new)  # all input errors before any write
        try:
            root.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"--out {root}: cannot be written ({os_error_message(exc)})") from None
        try:
            _lock(lock_fd, root)
            action = cls.inspect(root, fingerprint, force_new)  # again, under the lock
            if action == "replace":
                for part in part_files(root):
                    part.unlink()
                shutil.rmtree(root / "report", ignore_errors=True)
                (root / MANIFEST).unlink()
                action = "new"
            (root / RUNS).mkdir(exist_ok=True)
            for tmp in (root / RUNS).glob(".tmp-*"):
                tmp.unlink(missing_ok=True)
            session = {"started": now(), "command": manifest.get("command"), "pid": os.getpid()}
            if action == "resume":
                old = read_manifest(root)
                old.setdefault("sessions", []).append(session)
                old.pop("completed", None)
                manifest = old
            else:
                manifest = {**manifest, "created": session["started"], "sessions": [session]}
            atomic_write_text(root / MANIFEST, json.dumps(manifest, indent=2, allow_nan=False) + "\n")
            stored = stored_run_ids(root)
        except OSError as exc:
            os.close(lock_fd)
            raise SweepError(f"{root}: {os_error_message(exc)}") from None
        except BaseException:
            os.close(lock_fd)
            raise
        return cls(root, manifest, lock_fd, stored)

    # -- writing --------------------------------------------------------------------------
    def write_part(self, table: pd.DataFrame) -> int:
        """Store whole runs (rows of runs not yet stored); return how many runs were new."""
        ids = pd.unique(table["run_id"])
        new = [int(i) for i in ids if int(i) not in self.stored]
        if not new:
            return 0
        if len(new) < len(ids):
            table = table[table["run_id"].isin(new)]
        table = table.sort_values(["run_id", "month"], kind="stable")
        first, last = min(new), max(new)
        name = f"part-{first:09d}-{last:09d}.parquet"
        final = self.runs / name
        tmp = self.runs / f".tmp-{name}-{os.getpid()}"
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        try:
            with open(tmp, "wb") as f:
                pq.write_table(arrow, f)
                f.flush()
                os.fsync(f.fileno())
            if final.exists():  # never overwrite a stored part
                raise SweepError(f"{final} exists already; the directory was changed by another program")
            os.replace(tmp, final)
            fsync_dir(self.runs)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise SweepError(
                f"could not store runs {first}..{last} in {self.runs}: {os_error_message(exc)}. "
                "Every run stored so far is safe; fix the problem and run the same command again to resume."
            ) from None
        finally:
            if tmp.exists():
                tmp.unlink(missing_ok=True)
        self.stored.update(new)
        from ..logs import LOGGER

        LOGGER.debug(f"stored runs {first}..{last} ({len(table)} rows) in {final.name}")
        return len(new)

    def mark_complete(self, extra: dict[str, Any] | None = None) -> None:
        """Record in the manifest that every run of the design is stored."""
        manifest = dict(self.manifest)
        manifest["completed"] = now()
        if extra:
            manifest.update(extra)
        try:
            atomic_write_text(self.root / MANIFEST, json.dumps(manifest, indent=2, allow_nan=False) + "\n")
        except OSError as exc:
            raise SweepError(f"{self.root / MANIFEST}: {os_error_message(exc)}") from None
        self.manifest = manifest

    def close(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> "SweepStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _lock(fd: int, root: Path) -> None:
    """Take the directory's lock without waiting, or raise LockedError naming the holder."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
        except OSError:
            holder = "?"
        raise LockedError(
            f"another collabsim process (pid {holder}) is writing to {root}; "
            "wait for it to finish (or stop it), then run the same command again to resume"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)


def missing_runs(total: int, stored: Iterable[int]) -> list[int]:
    """Run ids in ``range(total)`` that are not stored, in order."""
    done = set(stored)
    return [i for i in range(total) if i not in done]


def echo(message: str, quiet: bool = False) -> None:
    """A message for the user: logger "collabsim" at INFO (the command line shows it), unless quiet."""
    if not quiet:
        from ..logs import LOGGER

        LOGGER.info(message)
