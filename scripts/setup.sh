#!/usr/bin/env bash
# Create or refresh .venv from uv.lock: script_testing (editable) + the `dev` dependency group.
# Safe to run again (about a second when nothing changed). Installs uv first when it is missing.
#
#   ./scripts/setup.sh               sync .venv with uv.lock (re-locks first if pyproject.toml changed)
#   ./scripts/setup.sh --if-needed   return at once when .venv already matches pyproject.toml + uv.lock
#                                    (test.sh, demo.sh, lint.sh and typecheck.sh call it this way)
# Other arguments go to `uv sync`. With CI=true the sync is `--locked`: a stale uv.lock fails instead of
# being rewritten. PYTHON picks the interpreter for .venv (default python3, which must be >= 3.11);
# UV picks the uv command.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
STAMP=.venv/.setup-stamp
UV_MIN=0.13   # keep in step with [tool.uv] required-version in pyproject.toml

stamp() { { cat pyproject.toml uv.lock 2>/dev/null; echo "$PYTHON"; } | cksum; }

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

sync_args=(--python "$PYTHON")
if [ "${CI:-}" = "true" ]; then
  sync_args+=(--locked)
fi
echo "== ${uv_cmd[*]} sync ${sync_args[*]} $* ($("${uv_cmd[@]}" --version))"
start=$(date +%s)
"${uv_cmd[@]}" sync "${sync_args[@]}" "$@"
stamp >"$STAMP"
echo "== .venv ready: script_testing + dev tools ($(( $(date +%s) - start )) s)"
