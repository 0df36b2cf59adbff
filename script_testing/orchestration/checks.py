"""Edge checks: one asset check per edge, on the UPSTREAM asset, named after the consumer and input.

``feeds_ModelTraining__input_path`` on ``[pipeline, TabularPreprocessing_training, processed_data]``
validates the data the way ModelTraining's ``input_path`` needs it (the core's EdgeChecker: inferred
requirements, the project's ``expectations``, schema baselines). Blocking unless the project marks the
edge ``severity: warn``. Dagster blocks on the checked *asset*, so a failed blocking check stops every
consumer of that asset, not only the consumer it is named after.

The checks are ``check_specs`` of the producer's multi-asset and run in the producer's step, right after
its outputs are materialized, on the paths it has just written: a check is no step of its own, so the
graph is no deeper than the pipeline (a step per check doubled it: a chain of 700 nodes failed to load
with a RecursionError) and no check asks the instance where its data is.
"""

import threading
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MetadataValue,
)

from script_testing.execution.edges import edge_reports
from script_testing.orchestration import keys, runs
from script_testing.orchestration import metadata as md
from script_testing.orchestration.resources import RunnerSettingsResource
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


# plan id -> (the plan, its checked edges by the asset they check): computed once per plan, not once per
# multi-asset and per step (edge_reports builds every edge of the plan: a chain of 2,000 nodes built 4
# million of them to load, and every step of a run built them all again)
_TEMPLATES: dict[int, tuple[PipelinePlan, dict[AssetKey, list[EdgeReport]]]] = {}
_TEMPLATES_LOCK = threading.Lock()


def _templates(plan: PipelinePlan) -> dict[AssetKey, list[EdgeReport]]:
    """The edges checked in Dagster, by the asset they check: one per input (and per source feeding an
    input) of every node that has a script."""
    with _TEMPLATES_LOCK:
        known = _TEMPLATES.get(id(plan))
        if known is not None and known[0] is plan:
            return known[1]
    out: dict[AssetKey, list[EdgeReport]] = {}
    for template in edge_reports(plan):
        if plan.nodes[template.to].role != NodeRole.SCRIPT:
            continue  # sinks run nothing, so nothing consumes the data here
        key = keys.input_key(plan, template.to, template.input)
        if key is None:
            continue
        out.setdefault(key, []).append(template)
    with _TEMPLATES_LOCK:
        _TEMPLATES[id(plan)] = (plan, out)  # the plan is kept, so its id is not reused meanwhile
        while len(_TEMPLATES) > 64:  # a long-lived code server reloading: forget old plans
            _TEMPLATES.pop(next(iter(_TEMPLATES)))
    return out


def check_specs(plan: PipelinePlan, asset_keys: list[AssetKey]) -> list[AssetCheckSpec]:
    """The checks of the edges leaving ``asset_keys`` (the outputs of one multi-asset)."""
    by_key = _templates(plan)
    specs = []
    for key, template in ((k, t) for k in dict.fromkeys(asset_keys) for t in by_key.get(k, [])):
        specs.append(
            AssetCheckSpec(
                name=keys.check_name(template.to, template.input),
                asset=key,
                blocking=template.severity == Severity.BLOCK,
                description=_describe(plan, template),
                metadata={
                    "consumer": template.to,
                    "input": template.input,
                    "severity": str(template.severity),
                },
            )
        )
    return specs


def run_checks(
    context: AssetExecutionContext,
    runner: RunnerSettingsResource,
    plan: PipelinePlan,
    produced: dict[AssetKey, Path],
    scale: int | None = None,
    run_dir: Path | None = None,
) -> tuple[list[AssetCheckResult], list[EdgeReport]]:
    """Check, in the producer's step, the edges leaving the data it has just materialized (``produced``:
    asset key -> path in this run) whose checks this run selected; the caller yields the results and
    records the edges in ``report.json``. ``scale`` is the run's row count override, so drift compares
    like with like. ``run_dir``: the step's run folder, when the caller has it already."""
    selected = context.selected_asset_check_keys
    run_dir = runner.run_dir(plan, context.run_id) if run_dir is None else run_dir
    results, edges = [], []
    by_key = _templates(plan)
    for key, template in ((k, t) for k in produced for t in by_key.get(k, [])):
        if AssetCheckKey(key, keys.check_name(template.to, template.input)) not in selected:
            continue
        edge = template.model_copy(deep=True)
        if not runner.checks:
            edge.status, edge.summary = (
                EdgeStatus.SKIPPED,
                "checks turned off for this run (runner.checks: false)",
            )
        else:
            checker = runs.edge_checker(plan, run_dir, runner.rebaseline, scale)
            checker.check(edge, produced[key])
            # the link is recorded now; the site is built behind the run (checks.docs_process)
            checker.build_docs()
        edges.append(edge)
        results.append(_result(key, edge, produced[key], context.run_id))
    return results, edges


def _result(key: AssetKey, edge: EdgeReport, path: Path, run_id: str) -> AssetCheckResult:
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
        "data_run_id": MetadataValue.text(run_id),
        "input_source": MetadataValue.text(runs.THIS_RUN),
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
    return AssetCheckResult(
        asset_key=key,
        check_name=keys.check_name(edge.to, edge.input),
        passed=passed,
        severity=severity,
        description=edge.summary,
        metadata=meta,
    )
