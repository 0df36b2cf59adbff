"""One job per pipeline (its asset group) and a schedule where the project names one.

The executor is chosen per deployment, without code changes: ``SCRIPT_TESTING_EXECUTOR`` is
``in_process`` (the default), ``multiprocess`` or ``celery``; each is configured by the run config's
``execution: config:`` (e.g. ``max_concurrent`` and ``start_method`` for multiprocess, ``broker`` and
``backend`` for celery). In-process is the default because the core already isolates each script in a
forked warm worker: the multiprocess executor adds a fresh interpreter per step (~1.7 s, plus GX's
import and a new warm worker in each: 59-70 s against 7 s for the bundled job), for no extra safety.
Celery is for steps spread over machines (see deploy/README.md).
"""

from __future__ import annotations

import os

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ExecutorDefinition,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
    multiprocess_executor,
)

from script_testing.errors import ConfigError
from script_testing.orchestration import keys
from script_testing.pipeline.plan import PipelinePlan

EXECUTOR_ENV = "SCRIPT_TESTING_EXECUTOR"
EXECUTORS = ("in_process", "multiprocess", "celery")


def deployment_executor() -> ExecutorDefinition:
    """The executor this deployment asked for through ``$SCRIPT_TESTING_EXECUTOR`` (default in-process)."""
    name = (os.environ.get(EXECUTOR_ENV) or "in_process").strip().lower().replace("-", "_")
    if name == "in_process":
        return in_process_executor
    if name == "multiprocess":
        return multiprocess_executor
    if name == "celery":
        try:
            from dagster_celery import celery_executor
        except ImportError:
            raise ConfigError(
                f"{EXECUTOR_ENV}=celery needs dagster-celery, which is not installed",
                where=f"the environment variable {EXECUTOR_ENV}",
                hint="install the distributed extra: pip install 'script_testing[distributed]'",
            ) from None
        return celery_executor
    raise ConfigError(
        f"{EXECUTOR_ENV}={os.environ.get(EXECUTOR_ENV)!r} names no executor",
        where=f"the environment variable {EXECUTOR_ENV}",
        hint=f"use one of {', '.join(EXECUTORS)} (or unset it for in_process)",
    )


def pipeline_job(plan: PipelinePlan):
    name = keys.dagster_name(plan.name)
    return define_asset_job(
        name=name,
        selection=AssetSelection.groups(name),
        executor_def=deployment_executor(),
        description=f"{plan.description} (testing project {plan.project.file})",
        tags={"script_testing/pipeline": keys.tag_value(plan.name)},
    )


def pipeline_schedule(plan: PipelinePlan, job) -> ScheduleDefinition | None:
    sched = plan.config.schedule
    if sched is None:
        return None
    status = DefaultScheduleStatus.RUNNING if sched.status == "running" else DefaultScheduleStatus.STOPPED
    return ScheduleDefinition(
        name=f"{keys.dagster_name(plan.name)}_schedule",
        job=job,
        cron_schedule=sched.cron,
        execution_timezone=sched.timezone,
        default_status=status,
        description=f"Regression run of {plan.name} ({sched.cron}, {sched.timezone})",
    )
