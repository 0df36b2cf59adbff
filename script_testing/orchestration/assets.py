"""Assets of one pipeline plan: a multi-asset per script node, a multi-asset per node's sources.

Each body asks the core to do the work (``run_script_node``, ``materialize_source``) and reports where
the data landed; no data passes through an IO manager. Sinks (nodes with neither script nor outputs)
get no asset: there is nothing to run or materialize, and their inputs are already assets.
"""

import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BetaWarning,
    CodeReferencesMetadataValue,
    Failure,
    LocalFileCodeReference,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from script_testing.errors import ScriptTestingError
from script_testing.execution.guard import record_manifest
from script_testing.execution.inputs import materialize_source, source_for
from script_testing.execution.layout import input_path_for, output_dir, source_input_dir
from script_testing.execution.steps import base_node_report, run_script_node
from script_testing.orchestration import keys, runs
from script_testing.orchestration import metadata as md
from script_testing.orchestration.checks import check_specs, run_checks
from script_testing.orchestration.contracts import CHECK_NAME as CONTRACT_CHECK
from script_testing.orchestration.contracts import contract_result, contract_spec
from script_testing.orchestration.resources import DataSourceResource, RunnerSettingsResource
from script_testing.pipeline.plan import PipelinePlan
from script_testing.reports.model import OutputSummary, now_iso
from script_testing.reports.serve import url_for
from script_testing.vocabulary import UPSTREAM_KINDS, NodeRole, NodeStatus, WireKind

_MAIN = re.compile(r"^def main\s*\(", re.M)


def _main_line(script: Path) -> int | None:
    try:
        m = _MAIN.search(script.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return m.string.count("\n", 0, m.start()) + 1 if m else None


def _refs(*items: tuple[str, int | None, str]) -> dict[str, Any]:
    """``dagster/code_references`` metadata (the classes are beta in 1.13: their warning is silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        refs = [
            LocalFileCodeReference(file_path=f, line_number=line, label=label) for f, line, label in items
        ]
        return {"dagster/code_references": CodeReferencesMetadataValue(code_references=refs)}


def _code_references(plan: PipelinePlan, node: str) -> dict[str, Any]:
    r = plan.nodes[node].resolved
    refs = []
    if r.script_path is not None:
        refs.append((str(r.script_path), _main_line(r.script_path), "script"))
    refs.append((str(r.interface_path), None, "step interface"))
    refs.append((str(plan.dag_path), None, "DAG"))
    return _refs(*refs)


def _node_tags(plan: PipelinePlan, node: str) -> dict[str, str]:
    n = plan.nodes[node]
    tags = {"step_type": keys.tag_value(n.resolved.step_type), "role": keys.tag_value(n.role)}
    job_type = _job_type(plan, node)
    if job_type:
        tags["job_type"] = keys.tag_value(job_type)
    return tags


def _job_type(plan: PipelinePlan, node: str) -> str | None:
    """The node name's suffix, else a job_type set through the node's job_args."""
    n = plan.nodes[node]
    value = n.resolved.job_type or n.job_args.get("job_type") or n.settings.job_args.get("job_type")
    return str(value) if value else None


def _step_kind(plan: PipelinePlan, node: str) -> str | None:
    sm = plan.nodes[node].resolved.interface.registry.sagemaker_step_type
    return sm.lower() if sm else None


def _pipeline_line(plan: PipelinePlan) -> str:
    return f"Pipeline {plan.name}: {plan.description}"


def script_node_asset(plan: PipelinePlan, node: str):
    n = plan.nodes[node]
    r = n.resolved
    iface = r.interface
    group = keys.dagster_name(plan.name)
    deps = list(dict.fromkeys(k for port in n.inputs if (k := keys.input_key(plan, node, port)) is not None))
    step_kind = _step_kind(plan, node)
    kinds = {"python", step_kind} if step_kind else {"python"}
    tags = _node_tags(plan, node)
    refs = _code_references(plan, node)
    job_type = f", job type {_job_type(plan, node)}" if _job_type(plan, node) else ""
    specs = []
    for out in n.outputs:
        contract = iface.contract.outputs.get(out)
        spec_out = iface.spec.outputs.get(out)
        text = [f"Output `{out}` of {node} ({r.step_type}{job_type})."]
        if iface.description:
            text.append(iface.description.strip())
        if spec_out is not None and spec_out.semantic_keywords:
            text.append("Keywords: " + ", ".join(spec_out.semantic_keywords) + ".")
        text.append(_pipeline_line(plan))
        meta: dict[str, Any] = {**refs, "script": MetadataValue.path(str(r.script_path))}
        if contract is not None and contract.path:
            meta["contract_path"] = MetadataValue.text(contract.path)
        if spec_out is not None and spec_out.type:
            meta["output_type"] = MetadataValue.text(spec_out.type)
        specs.append(
            AssetSpec(
                keys.output_key(plan.name, node, out),
                deps=deps,
                description="\n\n".join(text),
                group_name=group,
                kinds=kinds,
                tags=tags,
                metadata=meta,
                skippable=True,
            )
        )

    contract_check = contract_spec(plan, node)

    @multi_asset(
        name=keys.node_op_name(plan.name, node),
        specs=specs,
        check_specs=check_specs(plan, [spec.key for spec in specs])
        + ([contract_check] if contract_check else []),
        can_subset=True,
        description=f"Runs {r.script_path.name if r.script_path else node}'s main() for {node} "
        f"in an isolated worker. {_pipeline_line(plan)}",
        op_tags={"script_testing/node": keys.tag_value(node)},
    )
    def _run_node(
        context: AssetExecutionContext, runner: RunnerSettingsResource, data_source: DataSourceResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        yield from _run_script(context, runner, plan, node, data_source)

    return _run_node


def _run_script(
    context: AssetExecutionContext,
    runner: RunnerSettingsResource,
    plan: PipelinePlan,
    node: str,
    data_source: DataSourceResource | None = None,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    runs.warm_up(plan, checks=runner.checks)
    n = plan.nodes[node]
    run_dir = runner.run_dir(plan, context.run_id)
    inputs: dict[str, str] = {}
    lineage: dict[str, Any] = {}
    dive = data_source.deep_dive_prefix if data_source is not None else None
    run = context.instance.get_run_by_id(context.run_id) if dive else None
    selected = run.asset_selection if run is not None else None
    for port in n.inputs:
        key = keys.input_key(plan, node, port)
        if key is None:
            continue
        wire = n.inputs[port]
        if dive and selected is not None and key not in selected and wire.kind in UPSTREAM_KINDS:
            path = runs.deep_dive_input(plan, node, port, run_dir, dive, data_source.deep_dive_layout)
            inputs[port] = str(input_path_for(plan, node, port, path))
            lineage[port] = {
                "asset": key.to_user_string(),
                "path": inputs[port],
                "run_id": None,
                "reused": False,
                "deep_dive": dive,
            }
            continue
        data = runs.upstream_data(context.instance, context.run_id, key, needed_by=f"{node}.{port}")
        inputs[port] = str(input_path_for(plan, node, port, data.path))
        lineage[port] = {
            "asset": key.to_user_string(),
            "path": inputs[port],
            "run_id": data.run_id,
            "reused": data.reused,
            "input_source": data.source,
        }
    reused = sorted(p for p, v in lineage.items() if v["reused"])
    if reused:
        context.log.info(
            f"{node}: reusing earlier outputs for {', '.join(reused)}: "
            + "; ".join(f"{p} from {lineage[p]['input_source']}" for p in reused)
        )
    try:
        rep = run_script_node(runner.plan_for(plan, node), node, run_dir, inputs, runs.pool_for(plan))
    except ScriptTestingError as exc:
        raise Failure(
            description=md.headline(exc.message, f"{node} could not start"),
            metadata={"error": MetadataValue.text(exc.message)},
            allow_retries=False,
        ) from None
    if rep.status != NodeStatus.PASSED:
        runs.record(plan, run_dir, context.run_id, node=node, report=rep)
        raise Failure(
            description=md.headline(rep.error, f"{node} failed"),
            metadata=md.failure_metadata(rep),
            allow_retries=False,
        )
    if rep.error:
        context.log.warning(rep.error)
    node_md = md.node_metadata(rep)
    inputs_md = MetadataValue.json(lineage)
    source_md = MetadataValue.text(_input_source(lineage))
    produced: dict[AssetKey, Path] = {}
    for key in sorted(context.selected_asset_keys, key=lambda k: n.outputs.index(keys.port_of(k))):
        out = keys.port_of(key)
        summary = rep.output_summary.get(out)
        path = rep.outputs.get(out) or str(Path(run_dir) / node / out)
        meta = md.output_metadata(
            path, files=summary.files if summary else None, nbytes=summary.bytes if summary else None
        )
        yield MaterializeResult(
            asset_key=key,
            metadata=runs.published(  # an S3 runs root: uploaded, ``path`` is its URI
                run_dir,
                {
                    **meta,
                    **node_md,
                    "inputs": inputs_md,
                    "input_source": source_md,
                    "run_dir": MetadataValue.path(str(run_dir)),
                    **({"run_folder": md.link(run_dir)} if url_for(run_dir) else {}),
                    runs.HOST_KEY: MetadataValue.text(runs.this_host()),
                },
            ),
        )
        produced[key] = Path(path)
        runs.remember_output(context.run_id, key, Path(path))
    first = keys.output_key(plan.name, node, n.outputs[0])
    if first in produced and AssetCheckKey(first, CONTRACT_CHECK) in context.selected_asset_check_keys:
        yield contract_result(plan, node)
    scale = data_source.rows if data_source is not None else None
    results, edges = run_checks(context, runner, plan, produced, scale=scale, run_dir=run_dir)
    yield from results
    runs.record(plan, run_dir, context.run_id, node=node, report=rep, edges=edges)


def _input_source(lineage: dict[str, dict[str, Any]]) -> str:
    """``this run``, ``run <id> (not selected)``..., or per input when they differ."""
    sources = {v.get("input_source") or f"deep dive {v.get('deep_dive')}" for v in lineage.values()}
    if not sources:
        return "no inputs from other assets"
    if len(sources) == 1:
        return sources.pop()
    return "; ".join(f"{port}: {v.get('input_source') or 'deep dive'}" for port, v in lineage.items())


# ----------------------------------------------------------------------------- sources


def source_ports(plan: PipelinePlan, node: str) -> list[str]:
    """Ports of ``node`` whose data comes from a configured source (each one is a source asset)."""
    n = plan.nodes[node]
    if n.role == NodeRole.SCRIPT:
        return [p for p, w in n.inputs.items() if w.kind == WireKind.SOURCE]
    if n.role == NodeRole.DATA:
        return [o for o in n.outputs if source_for(plan, node, o) is not None]
    return []


def sources_asset(plan: PipelinePlan, node: str, *, s3: bool = False):
    n = plan.nodes[node]
    r = n.resolved
    group = keys.dagster_name(plan.name)
    tags = {**_node_tags(plan, node), "role": "source"}
    refs = _refs(
        (str(plan.project.file), None, "testing project (sources)"),
        (str(r.interface_path), None, "step interface"),
    )
    specs = []
    for port in source_ports(plan, node):
        spec = source_for(plan, node, port)
        kinds = {spec.kind} | ({spec.format} if spec.format else set())
        what = "output" if n.role == NodeRole.DATA else "input"
        text = [f"Source data for {what} `{port}` of {node}: {spec.describe()}."]
        if n.role == NodeRole.DATA and r.interface.description:
            text.append(f"In production: {r.interface.description.strip()}")
        text.append(_pipeline_line(plan))
        specs.append(
            AssetSpec(
                keys.source_key(plan.name, node, port),
                description="\n\n".join(text),
                group_name=group,
                kinds=kinds,
                tags={**tags, "source_kind": spec.kind},
                metadata={**refs, "source": MetadataValue.text(spec.describe())},
                skippable=True,
            )
        )
    if not specs:
        return None

    @multi_asset(
        name=keys.sources_op_name(plan.name, node),
        specs=specs,
        check_specs=check_specs(plan, [spec.key for spec in specs]),
        can_subset=True,
        description=f"Materializes the configured sources of {node} through the data_source resource. "
        f"{_pipeline_line(plan)}",
        # every resource by key: Dagster refuses resource parameters next to required_resource_keys
        required_resource_keys={"data_source", "runner", *(("s3",) if s3 else ())},
        op_tags={"script_testing/node": keys.tag_value(node)},
    )
    def _sources(context: AssetExecutionContext) -> Iterator[MaterializeResult | AssetCheckResult]:
        resources = context.resources
        yield from _materialize_sources(context, resources.data_source, resources.runner, plan, node, s3)

    return _sources


def _materialize_sources(
    context: AssetExecutionContext,
    data_source: DataSourceResource,
    runner: RunnerSettingsResource,
    plan: PipelinePlan,
    node: str,
    s3: bool,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    runs.warm_up(plan, checks=runner.checks)
    n = plan.nodes[node]
    s3_client = context.resources.s3.get_client if s3 else None
    try:
        options = data_source.run_options(plan, s3_client=s3_client)
    except ScriptTestingError as exc:
        raise Failure(
            description=md.headline(exc.message, "invalid data_source configuration"),
            metadata={"error": MetadataValue.text(exc.message)},
            allow_retries=False,
        ) from None
    ports = set(source_ports(plan, node))
    unknown = [
        k
        for k in options.source_overrides
        if k.partition(".")[0] == node and k.partition(".")[2] not in ports
    ]
    if unknown:
        raise Failure(
            description=f"data_source overrides {', '.join(unknown)} name no source of {node} "
            f"(its sources: {', '.join(sorted(ports)) or 'none'}); an override can only "
            f"replace an existing source asset",
            allow_retries=False,
        )
    run_dir = runner.run_dir(plan, context.run_id)
    rep = base_node_report(n)
    rep.started_at, started, descriptions = now_iso(), time.perf_counter(), []
    produced: dict[AssetKey, Path] = {}
    for key in sorted(context.selected_asset_keys, key=keys.port_of):
        port = keys.port_of(key)
        dest = (
            output_dir(run_dir, node, port)
            if n.role == NodeRole.DATA
            else source_input_dir(run_dir, node, port)
        )
        t0 = time.perf_counter()
        try:
            data = materialize_source(plan, node, port, dest, options)
        except ScriptTestingError as exc:
            raise Failure(
                description=md.headline(exc.message, f"source {node}.{port} failed"),
                metadata={
                    "error": MetadataValue.text(exc.message),
                    "source": MetadataValue.text(_describe(plan, node, port, options)),
                },
                allow_retries=False,
            ) from None
        record_manifest(dest)  # checked after every consumer and before every reuse
        elapsed = time.perf_counter() - t0
        meta = md.output_metadata(
            data.path, files=len(data.files), nbytes=data.bytes, rows=data.rows, columns=data.columns
        )
        meta["source"] = MetadataValue.text(data.description)
        meta[runs.HOST_KEY] = MetadataValue.text(runs.this_host())
        meta["duration_s"] = MetadataValue.float(round(elapsed, 4))
        if f"{node}.{port}" in options.source_overrides:
            meta["overridden_for_this_run"] = MetadataValue.bool(True)
        descriptions.append(f"{port}: {data.description}")
        rep.outputs[port] = str(data.path)
        rep.output_summary[port] = OutputSummary(
            path=str(data.path), files=len(data.files), bytes=data.bytes, rows=data.rows
        )
        yield MaterializeResult(asset_key=key, metadata=runs.published(run_dir, meta))
        produced[key] = Path(data.path)
        runs.remember_output(context.run_id, key, Path(data.path))
    results, edges = run_checks(context, runner, plan, produced, scale=data_source.rows, run_dir=run_dir)
    yield from results
    if n.role == NodeRole.DATA:
        rep.status, rep.source = NodeStatus.SOURCE, "; ".join(descriptions) or None
        rep.duration_s, rep.finished_at = round(time.perf_counter() - started, 4), now_iso()
        runs.record(plan, run_dir, context.run_id, node=node, report=rep, edges=edges)
    elif edges:
        runs.record(plan, run_dir, context.run_id, edges=edges)


def _describe(plan: PipelinePlan, node: str, port: str, options) -> str:
    spec = source_for(plan, node, port, options)
    return spec.describe() if spec is not None else "no source"


def pipeline_assets(plan: PipelinePlan, *, s3: bool = False) -> list:
    """Every asset definition of one pipeline, in DAG order."""
    out = []
    for node in plan.order:
        src = sources_asset(plan, node, s3=s3 and _uses_s3(plan, node))
        if src is not None:
            out.append(src)
        if plan.nodes[node].role == NodeRole.SCRIPT:
            out.append(script_node_asset(plan, node))
    return out


def _uses_s3(plan: PipelinePlan, node: str) -> bool:
    return any(source_for(plan, node, p).kind == "s3" for p in source_ports(plan, node))
