#!/usr/bin/env bash
# Install collabsim from scratch and run the whole test suite, on Python 3.11 (Mesa 3.3)
# and, where it exists, Python 3.12 (Mesa 3.5). Warnings are errors (pyproject.toml).
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Headless Chromium for the browser tests (Debian's package; never a browser download).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing chromium (apt)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "== chromium not found and cannot be installed: browser tests will be skipped"
    fi
fi

run_suite() {
    local label=$1; shift
    local venv=".venv-$label"
    echo "== $label: creating $venv"
    "$@" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e ".[test]"
    "$venv/bin/python" -c "import mesa, sys; print('== python', sys.version.split()[0], 'mesa', mesa.__version__)"
    "$venv/bin/collabsim" viz --fetch-assets --quiet
    echo "== $label: pytest"
    "$venv/bin/python" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-}
}

# The oldest versions pyproject.toml allows: every runtime dependency at its lower bound
# (scripts/minimum_versions.py), no extras, the fast tests that need none (about 2 minutes).
# The floors are thus versions CI has run, not guesses.
run_minimum() {
    local venv=".venv-min"
    echo "== minimum versions: creating $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    python3 scripts/minimum_versions.py > "$venv/constraints.txt"
    "$venv/bin/python" -m pip install -q -c "$venv/constraints.txt" -e . "pytest>=7" "hypothesis>=6"
    "$venv/bin/python" -m pip list --format=freeze | grep -iE '^(mesa|numpy|scipy|networkx|pandas|matplotlib|pyarrow|salib|tqdm|numba)==' | tr '\n' ' '; echo
    echo "== minimum versions: pytest (fast tests, no extras)"
    "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not slow and not browser and not dask" \
        --ignore=tests/test_viz_browser.py --ignore=tests/test_viz_logic.py --ignore=tests/test_sweep_dask.py \
        --ignore=tests/test_packaging.py --deselect=tests/test_cli_commands.py::test_viz_passes_its_arguments_through
}

PYTEST_ARGS="$*"
status=0
run_suite py311 python3 || status=1
run_minimum || status=1
if PYENV_VERSION=3.12.1 python3.12 --version >/dev/null 2>&1; then
    PYENV_VERSION=3.12.1 run_suite py312 python3.12 || status=1
else
    echo "== Python 3.12 not found: skipping the Mesa 3.5 run"
fi
exit $status
