#!/usr/bin/env bash
# Set up (if needed) and run the main job: every bundled example pipeline on synthetic data,
# through Dagster with the embedded SQLite instance in ./.dagster_home (runs show in `dagster dev`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --if-needed
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
status=0
for job in $(.venv/bin/python -c "from script_testing.api import open_project; print(' '.join(open_project().config.pipelines))"); do
  echo "== dagster job execute -j $job"
  .venv/bin/dagster job execute -m script_testing.definitions -j "$job" || status=1
done
exit $status
