"""Names and asset keys: the one place that says how a plan's nodes, ports and edges are named in Dagster.

- a script node's output:           ``[pipeline, node, "<output>__<node>"]``
- a source (script-less data node output, or an input fed by a configured source):
                                    ``[pipeline, "sources", node, "<port>__<node>"]``

The Dagster UI shows only a key's last part on an asset card, middle-truncated when long: the last part
names the output first and the node last (node names end in their job type, e.g. ``_training``), so the
training and calibration branches' ``processed_data`` read ``processed_data__TabularPreprocessing_training``
and ``..._calibration``. The node stays the key's middle part: ``tabular_calibrated/ModelPackaging/*``
still selects every output of one node.
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


def leaf(node: str, name: str) -> str:
    """The key's last part, the name an asset card shows: ``<output or port>__<node>``."""
    return f"{name}__{node}"


def output_key(pipeline: str, node: str, output: str) -> AssetKey:
    return AssetKey([pipeline, node, leaf(node, output)])


def source_key(pipeline: str, node: str, port: str) -> AssetKey:
    return AssetKey([pipeline, SOURCES, node, leaf(node, port)])


def port_of(key: AssetKey) -> str:
    """The output or port an asset key of :func:`output_key` / :func:`source_key` stands for."""
    node, last = key.path[-2], key.path[-1]
    suffix = f"__{node}"
    return last[: -len(suffix)] if last.endswith(suffix) else last


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
