"""Names and asset keys: the one place that says how a plan's nodes, ports and edges are named in Dagster.

- a script node's output:           ``[pipeline, node, output]``
- a source (script-less data node output, or an input fed by a configured source):
                                    ``[pipeline, "sources", node, port]``
- an edge check, on the upstream asset: ``feeds_<consumer>__<input>``
- group and job: the pipeline name; ops: ``<pipeline>__<node>`` and ``<pipeline>__sources__<node>``

Dagster names (ops, groups, jobs, checks) allow only ``[A-Za-z0-9_]``; :func:`dagster_name` maps
anything else to ``_``. Asset key parts keep the project's own spelling.
"""

from __future__ import annotations

import re

from dagster import AssetKey

from script_testing.pipeline.plan import PipelinePlan
from script_testing.vocabulary import UPSTREAM_KINDS, NodeRole, WireKind

SOURCES = "sources"
_INVALID = re.compile(r"[^A-Za-z0-9_]")
_TAG_INVALID = re.compile(r"[^A-Za-z0-9_.-]")


def dagster_name(text: str) -> str:
    name = _INVALID.sub("_", text)
    return name if name and not name[0].isdigit() else f"_{name}"


def tag_value(text: str | None) -> str:
    return _TAG_INVALID.sub("_", str(text or ""))[:63]


def output_key(pipeline: str, node: str, output: str) -> AssetKey:
    return AssetKey([pipeline, node, output])


def source_key(pipeline: str, node: str, port: str) -> AssetKey:
    return AssetKey([pipeline, SOURCES, node, port])


def check_name(consumer: str, port: str) -> str:
    return dagster_name(f"feeds_{consumer}__{port}")


def node_op_name(pipeline: str, node: str) -> str:
    return dagster_name(f"{pipeline}__{node}")


def sources_op_name(pipeline: str, node: str) -> str:
    return dagster_name(f"{pipeline}__{SOURCES}__{node}")


def data_key(plan: PipelinePlan, node: str, output: str) -> AssetKey:
    """The asset holding ``node.output``: a script's output asset, or a data node's source asset."""
    if plan.nodes[node].role == NodeRole.SCRIPT:
        return output_key(plan.name, node, output)
    return source_key(plan.name, node, output)


def input_key(plan: PipelinePlan, node: str, port: str) -> AssetKey | None:
    """The asset feeding ``node.port``, or ``None`` for an unprovided optional input."""
    w = plan.nodes[node].inputs[port]
    if w.kind == WireKind.SOURCE:
        return source_key(plan.name, node, port)
    if w.kind in UPSTREAM_KINDS and w.upstream is not None and w.output is not None:
        return data_key(plan, w.upstream, w.output)
    return None
