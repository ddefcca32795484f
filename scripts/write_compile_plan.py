"""Rewrite ``collabsim/compile_plan.json``, the plan of the engine's first compile.

Records a serial first compile on an empty numba cache in a fresh process (about 40 s):
which functions a run compiles, in which order, with which argument types, which
functions each links, and how long each took. ``collabsim.warmup`` follows the plan to
compile a cold cache on every core. Run it after changing the arguments of a compiled
function or adding one; ``tests/test_warmup.py`` says when the plan is out of date.

Usage: python scripts/write_compile_plan.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collabsim import warmup  # noqa: E402

if __name__ == "__main__":
    plan = warmup.write_plan()
    total = sum(item["seconds"] for item in plan["functions"])
    print(f"{warmup.PLAN}: {len(plan['functions'])} functions, {total:.1f} s of compiling by themselves")
