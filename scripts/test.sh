#!/usr/bin/env bash
# Set up (if needed) and run the test suite. Arguments go to pytest, e.g. ./scripts/test.sh -q -x path/test_x.py
# PYTEST_WORKERS=N runs the tests in N processes with pytest-xdist ("auto": one per core);
# unset, 0 or 1: one process.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --if-needed
workers=()
case "${PYTEST_WORKERS:-}" in
  "" | 0 | 1) ;;
  *) workers=(-n "$PYTEST_WORKERS") ;;
esac
exec .venv/bin/python -m pytest "${workers[@]}" "$@"
