#!/usr/bin/env bash
# The main job: install collabsim into .venv and run a small version of every experiment
# (the five research questions, replicate stability and the sensitivity analysis).
# Writes tables, figures and manifests to results/quick/ and prints where they are.
# Usage: bash scripts/main.sh [extra arguments for experiments/run_all.py]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$PY" -m venv .venv
fi
echo "== installing collabsim and its dependencies"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[all]"
echo "== running the main job (small version of every experiment)"
MPLBACKEND=Agg .venv/bin/python experiments/run_all.py --quick "$@"
