#!/usr/bin/env bash
# Set up (if needed) and run the main job: every bundled example pipeline on synthetic data,
# through `dagster job execute` with the embedded SQLite instance in ./.dagster_home (runs show in the UI).
# Prints one line per step and a summary; the full Dagster logs go to .dagster_home/logs/demo-<job>.log.
# Exit status: 0 only when every pipeline succeeded.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --if-needed
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
exec .venv/bin/python -m script_testing.orchestration.console "$@"
