"""Where the data of a run comes from: configured sources (or overrides), made-up data for a partial
run, and the wires of the plan."""

from __future__ import annotations

from pathlib import Path

from script_testing import files, sources
from script_testing.config.project import SourceSpec
from script_testing.data.tabular import write_frame
from script_testing.errors import SourceError
from script_testing.execution.options import RunOptions, SynthesizedInput
from script_testing.pipeline.plan import PipelinePlan
from script_testing.pipeline.wiring import InputWire, input_file_name
from script_testing.sources.base import MaterializedData, SourceContext
from script_testing.vocabulary import NodeRole, WireKind


def all_wires(plan: PipelinePlan) -> list[InputWire]:
    return [w for wires in plan.wiring.inputs.values() for w in wires.values()]


def source_context(plan: PipelinePlan, options: RunOptions | None = None) -> SourceContext:
    options = options or RunOptions()
    return SourceContext(
        project_root=plan.project.root,
        profiles=plan.project.config.data_profiles,
        rows_override=options.rows_override,
        seed_override=options.seed_override,
        options={"s3": plan.project.config.s3, **options.source_options},
    )


def source_for(
    plan: PipelinePlan, node: str, port: str, options: RunOptions | None = None
) -> SourceSpec | None:
    """The source feeding ``node.port`` (an input of a script, an output of a data node), if any."""
    key = f"{node}.{port}"
    if options and key in options.source_overrides:
        return options.source_overrides[key]
    if plan.nodes[node].role == NodeRole.SCRIPT:
        wire = plan.nodes[node].inputs.get(port)
        return wire.source if wire is not None and wire.kind == WireKind.SOURCE else None
    return plan.wiring.data_outputs.get(node, {}).get(port)


def used_sources(plan: PipelinePlan, options: RunOptions | None = None) -> list[tuple[str, str, SourceSpec]]:
    out = []
    consumed = {(w.upstream, w.output) for w in all_wires(plan)}
    for node in plan.order:
        n = plan.nodes[node]
        if n.role == NodeRole.SCRIPT:
            for port in n.inputs:
                spec = source_for(plan, node, port, options)
                if spec is not None:
                    out.append((node, port, spec))
        else:
            for port in n.outputs:
                spec = source_for(plan, node, port, options)
                if spec is not None and ((node, port) in consumed or n.role == NodeRole.DATA):
                    out.append((node, port, spec))
    return out


def check_sources(plan: PipelinePlan, options: RunOptions | None = None) -> list[str]:
    """Problems with every source the run will use, found before any script runs."""
    ctx = source_context(plan, options)
    problems: list[str] = []
    for node, port, spec in used_sources(plan, options):
        for p in sources.check(spec, ctx):
            problems.append(f"{node}.{port} ({spec.describe()}): {p}")
    return problems


def materialize_source(
    plan: PipelinePlan, node: str, port: str, dest: Path, options: RunOptions | None = None
) -> MaterializedData:
    """Materialize the source of ``node.port`` into ``dest`` (emptied first)."""
    spec = source_for(plan, node, port, options)
    if spec is None:
        raise SourceError(
            f"no source configured for {node}.{port}",
            where=str(plan.project.file),
            hint=f"add it under pipelines.{plan.name}.sources",
        )
    files.empty_dir(dest, root=dest.parent)  # dest comes from execution.layout, already confined
    default_file = (
        input_file_name(plan.nodes[node].resolved, port) if plan.nodes[node].role == NodeRole.SCRIPT else None
    )
    return sources.materialize(spec, dest, source_context(plan, options), default_file=default_file)


def write_synthesized(item: SynthesizedInput, dest: Path) -> Path:
    """Write the synthesized table into ``dest`` (one csv per channel when the input has channels)."""
    from script_testing.sources.synthetic import generate_frame  # lazy: numpy/pandas, only for partial runs

    frame = generate_frame(item.profile)
    for channel in item.channels or [None]:
        folder = files.make_dir(files.confined(dest, channel) if channel else dest, root=dest)
        write_frame(frame, folder / f"{channel or 'part'}_data.csv", "csv", None)
    return dest
