"""One job per pipeline (its asset group, in-process executor) and a schedule where the project names one.

In-process because the core already isolates each script in a forked worker: Dagster's multiprocess
executor would add a fresh interpreter per step (~1.7 s each, see ARCHITECTURE.md) for no extra safety.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
    in_process_executor,
)

from script_testing.orchestration import keys
from script_testing.pipeline.plan import PipelinePlan


def pipeline_job(plan: PipelinePlan):
    name = keys.dagster_name(plan.name)
    return define_asset_job(
        name=name,
        selection=AssetSelection.groups(name),
        executor_def=in_process_executor,
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
