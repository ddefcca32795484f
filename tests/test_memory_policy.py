"""``collabsim._memory``: the allocator policy that keeps a large run's peak memory to what it holds."""

from __future__ import annotations

import subprocess
import sys

import pytest

CODE = """
import numpy as np, collabsim
from collabsim import _memory
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
big = np.ones(1 << 19); del big          # a 4 MiB block freed: glibc would raise its threshold to 4 MiB
before = rss()
blocks = [np.ones(1 << 15) for _ in range(64)]   # 64 blocks of 256 KiB, 16 MiB in all
keep = np.ones(1 << 15)                  # a block after them: the heap cannot just shrink
del blocks
print(_memory.FIXED, rss() - before)
"""


def _run(env_extra: dict[str, str]) -> tuple[bool, int]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_MMAP_THRESHOLD_", "COLLABSIM_MALLOC")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True, env=env).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the policy is glibc's")
def test_freed_large_blocks_go_back_to_the_system():
    fixed, kept = _run({})
    assert fixed, "the threshold was not fixed on import"
    assert kept < 2 << 20, f"{kept} bytes of freed 256 KiB blocks stayed resident"
    system, kept_system = _run({"COLLABSIM_MALLOC": "system"})
    assert not system, "COLLABSIM_MALLOC=system leaves the allocator alone"
    assert kept_system > 8 << 20, "without the policy glibc keeps the freed blocks (the test shows the difference)"


def test_a_user_threshold_is_left_alone():
    fixed, _ = _run({"MALLOC_MMAP_THRESHOLD_": "65536"})
    assert not fixed
