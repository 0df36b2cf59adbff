#!/usr/bin/env bash
# Create or refresh .venv from requirements.lock (every package pinned, with hashes):
# script_testing (editable) + the `dev` dependency group. Safe to run again (about a second when nothing
# changed). Installs uv first when it is missing.
#
#   ./scripts/setup.sh               make .venv match requirements.lock exactly, then install the project
#   ./scripts/setup.sh --if-needed   return at once when .venv already matches pyproject.toml + the lock
#                                    (test.sh, demo.sh, lint.sh and typecheck.sh call it this way)
#   ./scripts/setup.sh --relock      re-resolve requirements.lock from pyproject.toml first (after editing
#                                    dependencies there), then sync
# PYTHON picks the interpreter for .venv (default python3, which must be >= 3.11); UV picks the uv command.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
STAMP=.venv/.setup-stamp
UV_MIN=0.13   # keep in step with [tool.uv] required-version in pyproject.toml

stamp() { { cat pyproject.toml requirements.lock 2>/dev/null; echo "$PYTHON"; } | cksum; }

if [ "${1:-}" = "--if-needed" ]; then
  shift
  if [ -x .venv/bin/python ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp)" ]; then
    exit 0
  fi
fi

uv_usable() {  # $@ = a uv command; true when it runs and is at least UV_MIN
  local v
  v=$("$@" --version 2>/dev/null | awk '{print $2}') || return 1
  [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$UV_MIN" "$v" | sort -V | head -n1)" = "$UV_MIN" ]
}

if [ -n "${UV:-}" ]; then
  read -r -a uv_cmd <<<"$UV"
elif uv_usable uv; then
  uv_cmd=(uv)
elif uv_usable .uv-bootstrap/bin/uv; then
  uv_cmd=(.uv-bootstrap/bin/uv)
else
  # uv from the package registry with pip, into a small venv of its own (no root, no system site-packages)
  echo "== installing uv>=$UV_MIN into .uv-bootstrap/ (pip)"
  rm -rf .uv-bootstrap
  if "$PYTHON" -m venv .uv-bootstrap \
      && .uv-bootstrap/bin/python -m pip install --disable-pip-version-check --progress-bar on "uv>=$UV_MIN"; then
    uv_cmd=(.uv-bootstrap/bin/uv)
  else
    # no venv module (e.g. Debian without python3-venv): a user install
    rm -rf .uv-bootstrap
    "$PYTHON" -m pip install --user --disable-pip-version-check "uv>=$UV_MIN" \
      || "$PYTHON" -m pip install --user --break-system-packages --disable-pip-version-check "uv>=$UV_MIN"
    uv_cmd=("$PYTHON" -m uv)
  fi
fi

LOCK_CMD=(pip compile pyproject.toml --group dev --extra distributed --python-version 3.11 --generate-hashes -q -o requirements.lock)
if [ "${1:-}" = "--relock" ]; then
  shift
  echo "== ${uv_cmd[*]} ${LOCK_CMD[*]}"
  "${uv_cmd[@]}" "${LOCK_CMD[@]}"
fi

start=$(date +%s)
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv ($("$PYTHON" --version))"
  "${uv_cmd[@]}" venv --python "$PYTHON" .venv
fi
echo "== ${uv_cmd[*]} pip sync requirements.lock ($("${uv_cmd[@]}" --version))"
# --compile-bytecode: uv installs sources only, and with PYTHONDONTWRITEBYTECODE set nothing caches the
# bytecode later: every interpreter (each test subprocess, the worker, Dagster) then compiles pandas,
# Dagster and GX from source again, ~2.5 s of CPU per `import pandas, dagster`.
"${uv_cmd[@]}" pip sync --compile-bytecode --python .venv/bin/python requirements.lock "$@"
"${uv_cmd[@]}" pip install --python .venv/bin/python --no-deps -e .
stamp >"$STAMP"
echo "== .venv ready: script_testing + dev tools ($(( $(date +%s) - start )) s)"
