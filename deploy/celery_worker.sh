#!/usr/bin/env bash
# A Celery worker that executes Dagster steps of script_testing jobs (SCRIPT_TESTING_EXECUTOR=celery).
# Run it on each worker machine, in the same Python environment and with the same project as the
# code location:
#
#   pip install 'script_testing[distributed]'
#   export DAGSTER_HOME=/srv/dagster            # holds deploy/dagster.yaml as dagster.yaml
#   export SCRIPT_TESTING_PROJECT=/srv/project   # the testing project, same path as on the code location
#   export DAGSTER_CELERY_BROKER=redis://redis-host:6379/0
#   deploy/celery_worker.sh [extra dagster-celery options, e.g. -q dagster]
#
# The run config of the job names the same broker: execution: {config: {broker: ..., backend: ...}}.
# Workers that share no disk need an S3 runs root (SCRIPT_TESTING_RUNS=s3://bucket/prefix, or
# resources.runner.config.runs_root), or a runs root every worker mounts: a step reads its upstream's data
# where the upstream step put it.
set -euo pipefail

: "${DAGSTER_HOME:?set DAGSTER_HOME to the folder holding the deployment dagster.yaml}"
: "${SCRIPT_TESTING_PROJECT:?set SCRIPT_TESTING_PROJECT to the testing project (same path as on the code location)}"
BROKER="${DAGSTER_CELERY_BROKER:-redis://localhost:6379/0}"
BACKEND="${DAGSTER_CELERY_BACKEND:-$BROKER}"

CONFIG="$(mktemp -t dagster-celery-XXXXXX.yaml)"
trap 'rm -f "$CONFIG"' EXIT
printf 'execution:\n  config:\n    broker: "%s"\n    backend: "%s"\n' "$BROKER" "$BACKEND" >"$CONFIG"

export SCRIPT_TESTING_EXECUTOR=celery
# one step at a time per worker process: each step forks its own warm script worker
exec dagster-celery worker start -y "$CONFIG" -A dagster_celery.app "$@" -- --concurrency=1
