"""The orchestration layer: a testing project turned into Dagster ``Definitions``.

    from script_testing.orchestration import build_definitions
    defs = build_definitions()            # $SCRIPT_TESTING_PROJECT, else the bundled examples

Thin on purpose: each asset body asks the core to run one node or materialize one source, each
asset check asks the core to validate one edge. Nothing in the core imports Dagster.
"""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions

from script_testing.config.project import Project
from script_testing.errors import ConfigError, ScriptTestingError
from script_testing.orchestration.assets import pipeline_assets
from script_testing.orchestration.checks import pipeline_checks
from script_testing.orchestration.jobs import deployment_executor, pipeline_job, pipeline_schedule
from script_testing.orchestration.resources import (
    DataSourceResource,
    RunnerSettingsResource,
    default_resources,
)
from script_testing.pipeline.plan import PipelinePlan, load_plan
from script_testing.pipeline.targets import open_project

__all__ = ["DataSourceResource", "RunnerSettingsResource", "build_definitions", "load_plans"]


def load_plans(project: str | Path | Project | None = None) -> list[PipelinePlan]:
    """Every pipeline of the project planned; every problem of every pipeline in one error."""
    proj = open_project(project)
    plans, problems = [], []
    for name in proj.config.pipelines:
        try:
            plans.append(load_plan(proj, name))
        except ScriptTestingError as exc:
            problems.append(f"pipeline {name}: {exc.message}")
    if problems:
        raise ConfigError(
            f"{len(problems)} of {len(proj.config.pipelines)} pipeline(s) cannot be planned",
            where=str(proj.file),
            hint="fix them, then reload the code location",
            details="\n".join(problems),
        )
    return plans


def build_definitions(project: str | Path | Project | None = None) -> Definitions:
    executor = deployment_executor()  # $SCRIPT_TESTING_EXECUTOR, default in-process
    resources = default_resources()
    s3 = "s3" in resources
    assets, checks, jobs, schedules = [], [], [], []
    for plan in load_plans(project):
        these = pipeline_assets(plan, s3=s3)
        if not these:
            continue
        assets += these
        checks += pipeline_checks(plan)
        job = pipeline_job(plan)
        jobs.append(job)
        schedule = pipeline_schedule(plan, job)
        if schedule is not None:
            schedules.append(schedule)
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=jobs,
        schedules=schedules,
        resources=resources,
        executor=executor,
    )
