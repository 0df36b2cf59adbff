"""Running part of a pipeline: one node (``test_script``) or one edge (``test_compatibility``).

Inputs of the selected nodes that an unselected script would produce come, in this order, from:
the run given by the user, the latest earlier run that holds them, or data synthesized from a
*declared* shape: the consumer's ``expectations`` naming its columns, or the schema recorded from a
real output of the producer. Nothing is invented beyond that: an artifact (a model, hyperparameters,
a JSON file, a folder) or a table whose shape nobody declared is never made up; the error names the
node to run first. Data nodes (no script) feeding the selection are selected too: their sources are
cheap and real.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from script_testing.checks import SchemaBaseline
from script_testing.config.project import ColumnSpec, DataProfile, Expectations
from script_testing.config.state import runs_root
from script_testing.errors import ScriptTestingError
from script_testing.execution.edges import baseline_path, env_columns
from script_testing.execution.layout import output_dir
from script_testing.execution.options import RunOptions, SynthesizedInput
from script_testing.pipeline.plan import PipelinePlan
from script_testing.reports.model import REPORT_FILE
from script_testing.s3.deep_dive import deep_dive_sources
from script_testing.text import did_you_mean
from script_testing.vocabulary import UPSTREAM_KINDS, NodeRole

__all__ = [
    "SYNTH_ROWS",
    "Selection",
    "SynthesizedInput",
    "deep_dive",
    "latest_run_with",
    "options_for",
    "profile_from_needs",
    "select",
]

SYNTH_ROWS = 200
# dependency / output types that are never a table: such an input is only ever real data
ARTIFACT_TYPES = frozenset({"model_artifacts", "hyperparameters", "custom_property"})


@dataclass
class Selection:
    nodes: list[str]
    reuse_run: Path | None
    synthesized: dict[str, SynthesizedInput] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def latest_run_with(plan: PipelinePlan, needed: list[tuple[str, str]]) -> Path | None:
    """The newest earlier run folder of ``plan`` holding every (node, output) in ``needed``."""
    root = runs_root(plan.project) / plan.name
    if not root.is_dir():
        return None
    runs = sorted(
        (p for p in root.iterdir() if (p / REPORT_FILE).exists()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for run in runs:
        if all(_has_data(output_dir(run, n, o)) for n, o in needed):
            return run
    return None


def _has_data(path: Path) -> bool:
    return path.is_dir() and any(p.is_file() for p in path.rglob("*"))


_BASELINE_TYPES = {
    "integer": "integer",
    "float": "float",
    "numeric": "float",
    "string": "category",
    "boolean": "boolean",
    "datetime": "datetime",
}


def profile_from_needs(
    expectations: Expectations | None, environ: dict[str, str], baseline: dict | None = None
) -> DataProfile:
    """A small table with every column the consumer says it needs, typed and ranged as declared.

    ``baseline`` (the edge's recorded schema, when an earlier run passed) adds the columns the
    upstream really produced, with their type kinds.
    """
    e = expectations or Expectations()
    recorded = {
        c: _BASELINE_TYPES.get(k, "float") for c, k in ((baseline or {}).get("columns") or {}).items()
    }
    names: list[str] = []
    for col in [
        *env_columns(environ).values(),
        *e.columns,
        *e.not_null,
        *e.types,
        *e.ranges,
        *e.allowed_values,
        *e.unique,
        *recorded,
    ]:
        if col not in names:
            names.append(col)
    label_cols = {v for k, v in env_columns(environ).items() if k.startswith("LABEL")}
    id_cols = {v for k, v in env_columns(environ).items() if k.startswith("ID")} | set(e.unique)
    columns = []
    for col in names:
        typ = e.types.get(col) or recorded.get(col)
        if col in e.allowed_values:
            columns.append(ColumnSpec(name=col, kind="categorical", values=e.allowed_values[col]))
        elif col in label_cols:
            columns.append(ColumnSpec(name=col, kind="label", classes=[0, 1]))
        elif col in id_cols:
            columns.append(ColumnSpec(name=col, kind="id"))
        elif typ == "string":
            columns.append(ColumnSpec(name=col, kind="text", words=2))
        elif typ == "category":
            columns.append(ColumnSpec(name=col, kind="categorical", values=["a", "b", "c"]))
        elif typ == "boolean":
            columns.append(ColumnSpec(name=col, kind="boolean"))
        elif typ == "datetime":
            columns.append(ColumnSpec(name=col, kind="datetime"))
        else:
            bounds = e.ranges.get(col, {})
            columns.append(
                ColumnSpec(
                    name=col,
                    kind="numeric",
                    min=bounds.get("min", 0.0),
                    max=bounds.get("max", 1.0),
                    dtype="int" if typ == "integer" else "float",
                )
            )
    if not columns:
        columns = [ColumnSpec(name="id", kind="id"), ColumnSpec(name="value", kind="numeric")]
    rows = max(SYNTH_ROWS, e.min_rows or 0, ((baseline or {}).get("rows") or {}).get("min") or 0)
    if e.max_rows is not None:
        rows = min(rows, e.max_rows)
    return DataProfile(rows=rows, seed=0, columns=columns)


def with_data_nodes(plan: PipelinePlan, nodes: list[str]) -> list[str]:
    """``nodes`` (known to the plan, else an error) plus the script-less data nodes that feed them."""
    unknown = [n for n in nodes if n not in plan.nodes]
    if unknown:
        raise ScriptTestingError(
            f"unknown node(s) {', '.join(unknown)} in pipeline {plan.name}",
            hint=did_you_mean(sorted(unknown), plan.order) or f"nodes are: {', '.join(plan.order)}",
        )
    chosen = list(dict.fromkeys(nodes))
    for n in list(chosen):  # data nodes feeding the selection come along
        for pred in plan.dependencies[n]:
            if plan.nodes[pred].role != NodeRole.SCRIPT and pred not in chosen:
                chosen.append(pred)
    return chosen


def select(plan: PipelinePlan, nodes: list[str], reuse_run: Path | None = None) -> Selection:
    """Nodes to run for ``nodes`` and where their other inputs come from."""
    chosen = with_data_nodes(plan, nodes)
    needed = [
        (w.upstream, w.output)
        for n in chosen
        for w in plan.nodes[n].inputs.values()
        if w.kind in UPSTREAM_KINDS and w.upstream not in chosen
    ]
    sel = Selection(nodes=[n for n in plan.order if n in chosen], reuse_run=reuse_run)
    if not needed:
        return sel
    if reuse_run is None:
        sel.reuse_run = latest_run_with(plan, needed)
    if sel.reuse_run is not None:
        sel.notes.append(f"upstream outputs reused from {sel.reuse_run}")
        missing = [(u, o) for u, o in needed if not _has_data(output_dir(sel.reuse_run, u, o))]
    else:
        missing = needed
    baselines = _baselines(plan) if missing else None
    refused: list[str] = []
    for n in chosen:
        for port, w in plan.nodes[n].inputs.items():
            if w.kind in UPSTREAM_KINDS and (w.upstream, w.output) in missing:
                contract = plan.nodes[n].resolved.interface.contract.inputs.get(port)
                recorded = baselines.get(f"{w.upstream}.{w.output}->{n}.{port}") if baselines else None
                shape = declared_shape(plan, n, port, recorded)
                if shape is None:
                    refused.append(_cannot_synthesize(plan, n, port, w.upstream, w.output))
                    continue
                sel.synthesized[f"{n}.{port}"] = SynthesizedInput(
                    profile=profile_from_needs(
                        plan.expectations_for(n, port), plan.nodes[n].environ_vars, recorded
                    ),
                    channels=list(contract.channels) if contract is not None and contract.channels else None,
                    reason=f"SYNTHESIZED: no earlier output of {w.upstream}.{w.output}; made up from {shape}",
                )
                sel.notes.append(sel.synthesized[f"{n}.{port}"].reason)
    if refused:
        first = refused[0]
        raise ScriptTestingError(
            first + (f" (and {len(refused) - 1} more input(s))" if len(refused) > 1 else ""),
            details="\n".join(f"  - {r}" for r in refused[1:]) or None,
        )
    return sel


def is_artifact(plan: PipelinePlan, node: str, port: str, upstream: str, output: str) -> bool:
    """True for an input that is not a table: a model, hyperparameters, a JSON file, a folder."""
    dep = plan.nodes[node].resolved.interface.spec.dependencies.get(port)
    out = plan.nodes[upstream].resolved.interface.spec.outputs.get(output)
    return bool((dep and dep.type in ARTIFACT_TYPES) or (out and out.type in ARTIFACT_TYPES))


def declared_shape(plan: PipelinePlan, node: str, port: str, recorded: dict | None) -> str | None:
    """What declares the table reaching ``node.port`` (so it may be synthesized), or ``None``."""
    w = plan.nodes[node].inputs[port]
    if w.upstream is None or is_artifact(plan, node, port, w.upstream, w.output):
        return None
    e = plan.expectations_for(node, port)
    if e is not None and (e.columns or e.types or e.not_null or e.ranges or e.allowed_values or e.unique):
        return f"the expectations pipelines.{plan.name}.expectations.{node}.{port}"
    if recorded and recorded.get("columns"):
        return f"the schema recorded from a real output of {w.upstream}.{w.output}"
    return None


def _cannot_synthesize(plan: PipelinePlan, node: str, port: str, upstream: str, output: str) -> str:
    what = (
        "an artifact (not a table), which is never made up"
        if is_artifact(plan, node, port, upstream, output)
        else "a table whose columns nothing declares"
    )
    fix = f"run {upstream} first (script-testing test-script {upstream} -p {plan.name}) or pass --reuse-run"
    if "table" in what:
        fix += f", or declare its columns under pipelines.{plan.name}.expectations.{node}.{port}"
    return f"{node}.{port} needs {upstream}.{output}, {what}, and no earlier run holds it; {fix}"


def _baselines(plan: PipelinePlan):
    path = baseline_path(plan)
    return SchemaBaseline(path) if path.exists() else None


def options_for(selection: Selection, base: RunOptions | None = None) -> RunOptions:
    opts = base or RunOptions()
    opts.select = selection.nodes
    opts.reuse_run = selection.reuse_run
    opts.synthesized = selection.synthesized
    return opts


def deep_dive(plan: PipelinePlan, nodes: list[str], prefix: str, template: str | None = None) -> RunOptions:
    """Run ``nodes`` with every input that an unselected node produces fed from a production
    execution's outputs in S3, laid out as ``template`` (default ``{prefix}/{node}/{output}/``)."""
    # every input from outside the selection comes from the execution: nothing is reused or made up
    chosen = [n for n in with_data_nodes(plan, nodes) if n in nodes]  # data nodes too come from it
    wanted = [
        (n, port, w.upstream, w.output)
        for n in chosen
        for port, w in plan.nodes[n].inputs.items()
        if w.kind in UPSTREAM_KINDS and w.upstream not in chosen
    ]
    opts = RunOptions(select=chosen)
    opts.source_overrides = deep_dive_sources(prefix, template, wanted)
    return opts
