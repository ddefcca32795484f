"""Messages and progress through Python's ``logging`` (logger ``"collabsim"``).

The command line sets the level once (``setup``): by default the messages a user should
see (runs to do, a worker replaced; ``-q`` skips the first kind), ``-v`` also the details
(each stored part, the checks on Dask workers, the run's parameters), ``-vv`` everything
(``DEBUG`` for the libraries too). Library users configure ``logging`` as they like.

Progress is a tqdm bar on a terminal; when stderr is a file or a pipe (a batch job's log) it
is one line every ``LOG_EVERY`` seconds instead, so a log holds lines, not thousands of
carriage returns.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

LOGGER = logging.getLogger("collabsim")
LOG_EVERY = 10.0
"""Seconds between two progress lines in a log file."""


def setup(verbosity: int = 0) -> None:
    """Send collabsim's log records to stderr: INFO by default, DEBUG with -v.

    ``-q`` is not a level: the messages it silences are skipped where they are made
    (``store.echo(message, quiet)``), and what must be seen anyway (a worker died) still is.
    """
    level = logging.DEBUG if verbosity >= 1 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Prefixed() if verbosity < 2 else logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(level)
    LOGGER.propagate = False
    if verbosity >= 2:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(levelname)s: %(message)s")


class _Prefixed(logging.Formatter):
    """``collabsim: message`` (messages that already name collabsim are left as they are)."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if text.startswith("collabsim") else f"collabsim: {text}"


class LogProgress:
    """A progress "bar" for log files: ``update``/``close`` like tqdm, one INFO line every ``every`` seconds."""

    def __init__(self, total: int, initial: int = 0, every: float = LOG_EVERY, clock: Any = time.monotonic) -> None:
        self.total, self.done, self.every, self.clock = total, initial, every, clock
        self.start_done = initial
        self.started = self.last = clock()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self._line(now)

    def close(self) -> None:
        self._line(self.clock())

    def _line(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = (self.done - self.start_done) / elapsed
        left = f", about {(self.total - self.done) / rate:.0f} s left" if rate > 0 and self.done < self.total else ""
        share = 100.0 * self.done / self.total if self.total else 100.0
        LOGGER.info(f"runs {self.done}/{self.total} ({share:.0f}%), {rate:.1f} runs/s{left}")


def progress(total: int, initial: int, quiet: bool) -> Any:
    """A tqdm bar on a terminal, ``LogProgress`` otherwise; nothing shown when quiet."""
    from tqdm import tqdm

    if quiet or sys.stderr.isatty():
        tqdm.monitor_interval = 0  # no monitor thread
        return tqdm(total=total, initial=initial, unit="run", desc="runs", disable=quiet, file=sys.stderr, dynamic_ncols=True, smoothing=0.05)
    return LogProgress(total, initial)
