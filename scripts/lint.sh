#!/usr/bin/env bash
# Lint and format check with ruff (settings in pyproject.toml), as CI runs them.
#   ./scripts/lint.sh          ruff check + ruff format --check; fails on any finding
#   ./scripts/lint.sh --fix    apply ruff's safe fixes and format the tree
# LINT_MAX_LINES caps what each check prints (default: 40 under CI=true, else no cap).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --if-needed
ruff=.venv/bin/ruff

if [ "${1:-}" = "--fix" ]; then
  shift
  "$ruff" check --fix "$@" .
  exec "$ruff" format "$@" .
fi

max=${LINT_MAX_LINES:-$([ "${CI:-}" = "true" ] && echo 40 || echo 0)}
run() {  # run a check; print its output (at most $max lines and its last line); keep its status
  local out rc=0 n
  out=$("$@" 2>&1) || rc=$?
  n=$(printf '%s\n' "$out" | wc -l)
  if [ "$max" -gt 0 ] && [ "$n" -gt "$max" ]; then
    printf '%s\n' "$out" | head -n "$max"
    echo "... $((n - max - 1)) more lines (./scripts/lint.sh shows all)"
    printf '%s\n' "$out" | tail -n 1
  else
    printf '%s\n' "$out"
  fi
  return "$rc"
}

status=0
echo "-- ruff check"
run "$ruff" check --output-format concise "$@" . || status=1
echo "-- ruff format --check"
run "$ruff" format --check --output-format concise "$@" . || status=1
if [ "$status" -ne 0 ]; then
  echo "lint failed: ./scripts/lint.sh --fix applies the safe fixes and formats; fix the rest by hand"
fi
exit "$status"
