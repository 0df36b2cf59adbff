"""What a pipeline still needs before it can run: the pending items, found from its wiring.

:func:`lenient_wiring` is the one place that turns "the wiring left inputs unwired"
into a wiring whose unprovided inputs are listed; :func:`collect_pending` reads them off it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from script_testing.config.dag import PipelineDag
from script_testing.config.project import PipelineConfig
from script_testing.pipeline.catalog import ResolvedNode
from script_testing.pipeline.wiring import Wiring, suggest_source, wire_pipeline

_KIND_RANK = {"output": 0, "input": 1, "env": 2}


@dataclass(frozen=True)
class PendingItem:
    """One thing a node still needs before the pipeline can run."""

    node: str
    kind: str  # "input" (a script's input), "output" (of a script-less node), "env"
    name: str  # the port or the variable name
    suggestion: str | None = None  # the pasteable ``sources`` line (ports only)

    @property
    def key(self) -> str:
        return f"{self.node}.{self.name}"

    def describe(self) -> str:
        if self.kind == "env":
            return f"{self.node}: required environment variable {self.name} is not set"
        what = "required input" if self.kind == "input" else "output (no script; a consumer needs it)"
        text = f"{self.key}: {what} has no data"
        if self.suggestion:
            text += f"; suggested source: {self.suggestion.split(': ', 1)[1]}"
        return text


@dataclass
class NodeConfigurationResult:
    """What ``configure_script_testing`` returns: the node's remaining pending items."""

    node: str
    pending: list[str] = field(default_factory=list)
    advisories: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.pending

    def __str__(self) -> str:
        if self.ready:
            text = f"{self.node}: configured, nothing pending"
        else:
            text = f"{self.node}: still pending: " + "; ".join(self.pending)
        if self.advisories:
            text += " (note: " + "; ".join(self.advisories) + ")"
        return text

    __repr__ = __str__


def lenient_wiring(
    pipeline: str,
    dag: PipelineDag,
    nodes: dict[str, ResolvedNode],
    config: PipelineConfig,
    profiles: list[str],
    where: str,
) -> Wiring:
    """The pipeline's wiring, with inputs nothing provides left ``unwired`` (they become pending items).

    Raises :class:`WiringError` only for problems the user must fix in the file (a ``sources`` key
    naming a node that is not in the DAG, ...): wiring itself never raises.
    """
    wiring = wire_pipeline(pipeline, dag, nodes, config, profiles, where=where)
    if any(p.category == "config" for p in wiring.errors):
        wiring.raise_for_errors()
    return wiring


def consumed_outputs(wiring: Wiring) -> list[tuple[str, str]]:
    """(node, output) pairs some input reads, in wiring order."""
    return list(
        dict.fromkeys(
            (w.upstream, w.output)
            for ws in wiring.inputs.values()
            for w in ws.values()
            if w.kind in ("edge", "binding")
        )
    )


def collect_pending(
    dag: PipelineDag,
    nodes: dict[str, ResolvedNode],
    wiring: Wiring,
    profiles: list[str],
    environ: Callable[[str], dict[str, Any]],
) -> list[PendingItem]:
    """Required script inputs the wiring left unprovided, outputs of script-less nodes a consumer reads
    that have no source, and required environment variables that are unset; in DAG order."""
    pending: list[PendingItem] = []
    for name, wires in wiring.inputs.items():
        for w in wires.values():
            if w.kind == "unwired" and w.required:
                pending.append(
                    PendingItem(
                        name,
                        "input",
                        w.input,
                        suggest_source(nodes[name], w.input, profiles, is_output=False),
                    )
                )
    for up, out in consumed_outputs(wiring):
        if up in wiring.data_outputs and wiring.data_outputs[up].get(out) is None:
            pending.append(
                PendingItem(up, "output", out, suggest_source(nodes[up], out, profiles, is_output=True))
            )
    for name in dag.order:
        node = nodes[name]
        if node.has_script:
            env = environ(name)
            pending.extend(
                PendingItem(name, "env", var)
                for var in node.interface.contract.env_vars.required
                if not env.get(var)
            )
    rank = {n: i for i, n in enumerate(dag.order)}
    pending.sort(key=lambda p: (rank[p.node], _KIND_RANK[p.kind]))
    return pending
