#!/usr/bin/env bash
# One entry point for the two quick-start commands (see README.md):
#   ./dev.sh run    create .venv if missing, install the pinned stack, run the main job
#   ./dev.sh test   create .venv if missing, install the pinned stack, lint and run the tests
# Any further arguments go to the command (`./dev.sh run --preset small`, `./dev.sh test -k world`).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-.venv}"

ensure_venv() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found; tscac needs Python 3.11 (tf-agents 0.19 has no 3.12 support)" >&2
    exit 1
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when what we install from has changed.
  local stamp="$VENV/.tscac-installed"
  local want
  want=$(cat setup.py constraints.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "== installing tscac and the pinned stack into $VENV (first time: ~2 minutes)"
    "$VENV/bin/python" -m pip install --quiet --upgrade "pip>=24"
    "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e ".[test]"
    echo "$want" > "$stamp"
  fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
  run)
    ensure_venv
    exec "$VENV/bin/tscac" run "$@"
    ;;
  test)
    ensure_venv
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: ./dev.sh run [tscac run flags] | ./dev.sh test [pytest flags]" >&2
    exit 2
    ;;
esac
