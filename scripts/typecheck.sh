#!/usr/bin/env bash
# mypy against the committed baseline mypy-baseline.txt: fails on any error not in it, says when it can shrink.
#   ./scripts/typecheck.sh            check
#   ./scripts/typecheck.sh --update   rewrite mypy-baseline.txt with the current errors
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --if-needed
exec .venv/bin/python scripts/typecheck.py "$@"
