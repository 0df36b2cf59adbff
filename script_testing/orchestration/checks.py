"""Edge checks: one ``@asset_check`` per edge, on the UPSTREAM asset, named after the consumer and input.

``feeds_ModelTraining__input_path`` on ``[pipeline, TabularPreprocessing_training, processed_data]``
validates the data the way ModelTraining's ``input_path`` needs it (the core's EdgeChecker: inferred
requirements, the project's ``expectations``, schema baselines). Blocking unless the project marks the
edge ``severity: warn``. Dagster blocks on the checked *asset*, so a failed blocking check stops every
consumer of that asset, not only the consumer it is named after.
"""

from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from script_testing.execution.edges import edge_reports
from script_testing.orchestration import keys, runs
from script_testing.orchestration import metadata as md
from script_testing.orchestration.resources import DataSourceResource, RunnerSettingsResource
from script_testing.pipeline.plan import PipelinePlan
from script_testing.reports.model import EdgeReport
from script_testing.vocabulary import EdgeKind, EdgeStatus, NodeRole, Severity


def _describe(plan: PipelinePlan, edge: EdgeReport) -> str:
    exp = plan.expectations_for(edge.to, edge.input)
    where = "a configured source" if edge.kind == EdgeKind.SOURCE else f"{edge.from_}.{edge.output}"
    text = [
        f"Checks that the data from {where} is what {edge.to}.{edge.input} expects "
        f"(inferred requirements, schema baseline"
    ]
    if exp is not None:
        parts = []
        if exp.columns:
            parts.append(f"columns {', '.join(exp.columns)}")
        if exp.not_null:
            parts.append(f"not null {', '.join(exp.not_null)}")
        if exp.min_rows is not None:
            parts.append(f"at least {exp.min_rows} rows")
        if exp.ranges:
            parts.append("ranges of " + ", ".join(exp.ranges))
        text.append(
            ", and the project's expectations: " + "; ".join(parts)
            if parts
            else ", and the project's expectations"
        )
    text.append(f"). Severity: {edge.severity}.")
    if edge.severity == Severity.BLOCK:
        text.append(" Blocking: a failure stops every consumer of this asset.")
    return "".join(text)


def edge_check(plan: PipelinePlan, template: EdgeReport):
    asset_key = keys.input_key(plan, template.to, template.input)
    blocking = template.severity == Severity.BLOCK

    @asset_check(
        asset=asset_key,
        name=keys.check_name(template.to, template.input),
        blocking=blocking,
        description=_describe(plan, template),
        metadata={"consumer": template.to, "input": template.input, "severity": str(template.severity)},
    )
    def _check(
        context: AssetCheckExecutionContext, runner: RunnerSettingsResource, data_source: DataSourceResource
    ) -> AssetCheckResult:
        return _run_check(context, runner, plan, template, scale=data_source.rows)

    return _check


def _run_check(
    context: AssetCheckExecutionContext,
    runner: RunnerSettingsResource,
    plan: PipelinePlan,
    template: EdgeReport,
    scale: int | None = None,
) -> AssetCheckResult:
    """Check one edge; ``scale`` is the run's row count override, so drift compares like with like."""
    asset_key = keys.input_key(plan, template.to, template.input)
    run_dir = runner.run_dir(plan, context.run.run_id)  # first: opens an S3 run folder the data comes from
    data = runs.upstream_data(
        context.instance,
        context.run.run_id,
        asset_key,
        needed_by=f"check {keys.check_name(template.to, template.input)}",
    )
    path, from_run = data.path, data.run_id
    edge = template.model_copy(deep=True)
    if not runner.checks:
        edge.status, edge.summary = (
            EdgeStatus.SKIPPED,
            "checks turned off for this run (runner.checks: false)",
        )
    else:
        checker = runs.edge_checker(plan, run_dir, runner.rebaseline, scale)
        checker.check(edge, Path(path))
        try:  # the check's data_docs link must open now, not after a build nobody runs in Dagster
            checker.build_docs()
        except Exception as exc:  # Data Docs are a view of the result; never fail the check for them
            context.log.warning(f"Data Docs for {edge.id} not built: {exc}")
            edge.docs_path = None
    runs.record(plan, run_dir, context.run.run_id, edge=edge)
    passed = edge.status in (EdgeStatus.PASSED, EdgeStatus.SKIPPED)
    severity = (
        AssetCheckSeverity.WARN
        if edge.severity == Severity.WARN or edge.status == EdgeStatus.WARN
        else AssetCheckSeverity.ERROR
    )
    meta: dict[str, Any] = {
        "failed_expectations": md.expectations_table(list(edge.failed_expectations)),
        "summary": MetadataValue.text(edge.summary or str(edge.status)),
        "edge": MetadataValue.text(edge.id),
        "status": MetadataValue.text(str(edge.status)),
        "data": MetadataValue.path(str(path)),
        "data_run_id": MetadataValue.text(from_run),
        "input_source": MetadataValue.text(data.source),
    }
    if edge.expectations_evaluated is not None:
        meta["expectations_evaluated"] = MetadataValue.int(int(edge.expectations_evaluated))
    if edge.duration_s is not None:
        meta["duration_s"] = MetadataValue.float(float(edge.duration_s))
    if edge.docs_path:
        docs = str(edge.docs_path)
        meta["data_docs"] = (
            MetadataValue.url(docs) if docs.startswith(("http://", "https://", "s3://")) else md.link(docs)
        )
    return AssetCheckResult(passed=passed, severity=severity, description=edge.summary, metadata=meta)


def pipeline_checks(plan: PipelinePlan) -> list:
    """One check per edge (and per source feeding an input) of every node that has a script."""
    out = []
    for template in edge_reports(plan):
        if plan.nodes[template.to].role != NodeRole.SCRIPT:
            continue  # sinks run nothing, so nothing consumes the data here
        if keys.input_key(plan, template.to, template.input) is None:
            continue
        out.append(edge_check(plan, template))
    return out
