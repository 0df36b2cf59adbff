"""The orchestration layer: a testing project turned into Dagster ``Definitions``.

    from script_testing.orchestration import build_definitions
    defs = build_definitions()            # $SCRIPT_TESTING_PROJECT, else the bundled examples

Thin on purpose: each asset body asks the core to run one node or materialize one source, then
to validate the edges leaving the data it has just produced (asset checks of its multi-asset, no op
per check). Nothing in the core imports Dagster.
"""

from __future__ import annotations

from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job

from script_testing.config.project import Project
from script_testing.orchestration import keys
from script_testing.orchestration.assets import pipeline_assets
from script_testing.orchestration.invalid import invalid_asset
from script_testing.orchestration.jobs import deployment_executor, pipeline_job, pipeline_schedule
from script_testing.orchestration.resources import (
    DataSourceResource,
    RunnerSettingsResource,
    default_resources,
)
from script_testing.pipeline.plan import PipelinePlan, PlanCheck, inspect_plan
from script_testing.pipeline.targets import open_project

__all__ = [
    "DataSourceResource",
    "RunnerSettingsResource",
    "build_definitions",
    "inspect_plans",
    "load_plans",
]


def inspect_plans(project: str | Path | Project | None = None) -> list[PlanCheck]:
    """Every pipeline of the project planned, each with every problem found (never raising for one)."""
    proj = open_project(project)
    return [inspect_plan(proj, name) for name in proj.config.pipelines]


def load_plans(project: str | Path | Project | None = None) -> list[PipelinePlan]:
    """The plan of every pipeline that can be planned; the others are in :func:`inspect_plans`."""
    return [c.plan for c in inspect_plans(project) if c.ok]


def build_definitions(project: str | Path | Project | None = None) -> Definitions:
    executor = deployment_executor()  # $SCRIPT_TESTING_EXECUTOR, default in-process
    resources = default_resources()
    s3 = "s3" in resources
    assets, jobs, schedules = [], [], []
    for check in inspect_plans(project):
        if not check.ok:  # one broken pipeline never blocks the others; it stays visible with its reason
            broken = invalid_asset(check)
            assets.append(broken)
            jobs.append(
                define_asset_job(
                    keys.dagster_name(check.name),
                    selection=AssetSelection.assets(broken),
                    description=f"Pipeline {check.name} cannot run: {check.error().message}",
                )
            )
            continue
        plan = check.plan
        these = pipeline_assets(plan, s3=s3)
        if not these:
            continue
        assets += these
        job = pipeline_job(plan)
        jobs.append(job)
        schedule = pipeline_schedule(plan, job)
        if schedule is not None:
            schedules.append(schedule)
    return Definitions(
        assets=assets,
        jobs=jobs,
        schedules=schedules,
        resources=resources,
        executor=executor,
    )
