"""``-v/--verbose`` through Python's logging; progress as a tqdm bar on a terminal and as a
line every few seconds in a log file (the real command, in a subprocess)."""

from __future__ import annotations

import fcntl
import logging
import os
import pty
import re
import struct
import subprocess
import sys
import termios

from collabsim.logs import LOGGER, LogProgress
from tests.cli_helpers import COMMAND, cli, env, write_design


def _design(tmp_path):
    return write_design(tmp_path / "d.toml", months=4, replicates=2, n=6)


def test_default_verbose_and_quiet_messages(tmp_path):
    design = _design(tmp_path)
    plain = cli("sweep", design, "--out", tmp_path / "a", "--workers", "1")
    assert plain.returncode == 0, plain.stderr
    assert "collabsim: 8 of 8 runs to do" in plain.stderr
    assert "\r" not in plain.stderr  # a log file gets lines, not a redrawn bar
    assert "collabsim: runs 8/8 (100%)" in plain.stderr
    assert "stored runs" not in plain.stderr
    verbose = cli("sweep", design, "--out", tmp_path / "b", "--workers", "1", "-v")
    assert verbose.returncode == 0 and re.search(r"^collabsim: stored runs \d+\.\.\d+ ", verbose.stderr, flags=re.M)
    before = cli("-v", "sweep", design, "--out", tmp_path / "c", "--workers", "1")
    assert before.returncode == 0 and re.search(r"^collabsim: stored runs \d+\.\.\d+ ", before.stderr, flags=re.M)
    very = cli("run", "--months", "2", "--set", "n_organisations=5", "--seed", "1", "-vv")
    assert very.returncode == 0 and " collabsim DEBUG: run: scenario default, seed 1" in very.stderr
    quiet = cli("sweep", design, "--out", tmp_path / "d", "--workers", "1", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_progress_is_a_bar_on_a_terminal(tmp_path):
    design = _design(tmp_path)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    try:
        proc = subprocess.Popen([*COMMAND, "sweep", str(design), "--out", str(tmp_path / "t"), "--workers", "1"], stdout=subprocess.DEVNULL, stderr=follower, env=env())
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # the terminal closed: the process ended
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=300)
    finally:
        os.close(leader)
    text = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, text
    assert "\r" in text and "runs: 100%" in text and "8/8" in text  # tqdm's bar
    assert "collabsim: runs 8/8" not in text


def test_log_progress_writes_a_line_every_few_seconds(caplog):
    now = [0.0]
    bar = LogProgress(total=100, initial=10, every=10.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        for _ in range(30):
            now[0] += 1.0
            bar.update(3)
        bar.close()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "runs 40/100 (40%), 3.0 runs/s, about 20 s left"  # after 10 s
    assert len(lines) == 4  # at 10, 20, 30 s and at the end
    assert lines[-1].startswith("runs 100/100 (100%)")
    assert sys.stderr is not None
