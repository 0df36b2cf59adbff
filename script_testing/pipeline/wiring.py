"""Wiring: which output (or source) feeds every input of every node, and why.

Production rules (shared/formats/README.md, section 4): only along DAG edges; for each input of a
consumer (required ones first) every output of every direct predecessor is scored; the best match
above one half wins; a predecessor output feeds a given consumer at most once. Explicit
``bindings`` win over everything, configured ``sources`` over automatic edge matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from script_testing.pipeline.catalog import ResolvedNode
from script_testing.errors import WiringError
from script_testing.config.dag import PipelineDag
from script_testing.config.project import PipelineConfig, SourceSpec, split_node_port
from script_testing.config.step_interface import StepInterface

MATCH_THRESHOLD = 0.5
SCORE_EXACT_NAME = 0.6
SCORE_ALIAS = 0.55
SCORE_COMPATIBLE_SOURCE = 0.2
SCORE_KEYWORDS = 0.2
SCORE_SAME_TYPE = 0.15
SCORE_GENERIC_TYPE = 0.075
GENERIC_TYPES = {"processing_output", "s3uri", "any"}


@dataclass
class Candidate:
    upstream: str
    output: str
    score: float
    signals: list[str]


@dataclass
class InputWire:
    """Where one input's data comes from."""

    node: str
    input: str
    required: bool
    kind: str                      # "edge", "binding", "source", "unprovided"
    upstream: str | None = None
    output: str | None = None
    source: SourceSpec | None = None
    score: float | None = None
    reason: str = ""
    overridden: str | None = None  # the edge match a binding or source replaced

    @property
    def provided(self) -> bool:
        return self.kind != "unprovided"

    def describe(self) -> str:
        if self.kind in ("edge", "binding"):
            where = f"{self.upstream}.{self.output}"
        elif self.kind == "source":
            where = self.source.describe() if self.source else "source"
        else:
            where = "nothing" + ("" if self.required else " (optional, left out)")
        text = f"{self.node}.{self.input} <- {where}"
        if self.reason:
            text += f"  [{self.reason}]"
        if self.overridden:
            text += f" (replaces edge match {self.overridden})"
        return text


@dataclass
class Edge:
    """Data crossing a DAG edge (or an explicit binding): upstream output -> consumer input."""

    upstream: str
    output: str
    consumer: str
    input: str

    @property
    def id(self) -> str:
        return f"{self.upstream}.{self.output}->{self.consumer}.{self.input}"


@dataclass
class Wiring:
    inputs: dict[str, dict[str, InputWire]] = field(default_factory=dict)
    data_outputs: dict[str, dict[str, SourceSpec | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def edges(self) -> list[Edge]:
        return [Edge(w.upstream, w.output, w.node, w.input)
                for wires in self.inputs.values() for w in wires.values()
                if w.kind in ("edge", "binding")]

    def upstream_nodes(self, node: str) -> list[str]:
        return list(dict.fromkeys(w.upstream for w in self.inputs.get(node, {}).values()
                                  if w.upstream is not None))

    def report_lines(self) -> list[str]:
        lines = []
        for node, wires in self.inputs.items():
            for w in wires.values():
                lines.append(w.describe())
        for node, outs in self.data_outputs.items():
            for out, src in outs.items():
                lines.append(f"{node}.{out} (no script) <- {src.describe() if src else 'no source configured'}")
        return lines


def _tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9]+", name.lower()) if t}


def _file_like(contract_path: str) -> str | None:
    """``/opt/ml/code/hyperparams/hyperparameters.json`` -> ``hyperparameters.json``."""
    name = PurePosixPath(contract_path or "").name
    return name if PurePosixPath(name).suffix else None


def score_output(consumer: StepInterface, input_name: str, producer: ResolvedNode, output: str) -> Candidate:
    """Score how well ``producer.output`` fits ``consumer.input_name`` (0..1)."""
    signals: list[str] = []
    score = 0.0
    out_spec = producer.interface.spec.outputs.get(output)
    aliases = list(out_spec.aliases) if out_spec else []
    if output == input_name:
        score += SCORE_EXACT_NAME
        signals.append("exact name")
    elif input_name in aliases:
        score += SCORE_ALIAS
        signals.append(f"alias '{input_name}'")
    dep = consumer.spec.dependencies.get(input_name)
    if dep is not None:
        if producer.step_type in dep.compatible_sources:
            score += SCORE_COMPATIBLE_SOURCE
            signals.append(f"{producer.step_type} in compatible_sources")
        keywords = {k.lower() for k in dep.semantic_keywords}
        names = [output, *aliases]
        vocab = set().union(*(_tokens(n) for n in names)) | {n.lower() for n in names}
        overlap = sorted(keywords & vocab)
        if overlap:
            score += SCORE_KEYWORDS * min(1.0, len(overlap) / 2)
            signals.append(f"keywords {', '.join(overlap)}")
        if dep.type and out_spec is not None and out_spec.type:
            if dep.type == out_spec.type:
                score += SCORE_SAME_TYPE
                signals.append(f"type {dep.type}")
            elif out_spec.type.lower() in GENERIC_TYPES or dep.type.lower() in GENERIC_TYPES:
                score += SCORE_GENERIC_TYPE
                signals.append(f"type {out_spec.type}~{dep.type}")
    return Candidate(producer.name, output, round(score, 4), signals)


def suggest_source(node: ResolvedNode, port: str, profiles: list[str], is_output: bool) -> str:
    """The ``sources`` line a user can paste into script_testing.yaml."""
    contract = (node.interface.contract.outputs if is_output else node.interface.contract.inputs).get(port)
    file = _file_like(contract.path) if contract is not None else None
    if file and file.endswith(".json"):
        value = f"{{json: {{}}, file: {file}}}"
    elif profiles and "signature" in port.lower():
        value = f"{{signature: {profiles[0]}}}"
    elif profiles:
        value = f"{{synthetic: {profiles[0]}, format: csv}}"
    else:
        value = "{local: path/to/data}"
    return f"{node.name}.{port}: {value}"


def wire_pipeline(name: str, dag: PipelineDag, nodes: dict[str, ResolvedNode], config: PipelineConfig,
                  profiles: list[str] | None = None, *, where: str = "script_testing.yaml") -> Wiring:
    """Resolve every input of every node; raise :class:`WiringError` listing every problem at once."""
    wiring = Wiring()
    profiles = profiles or []
    problems = wiring.problems
    prefix = f"pipelines.{name}"

    # configuration keys must name real nodes and ports
    for section, keys in (("sources", config.sources), ("bindings", config.bindings),
                          ("expectations", config.expectations), ("nodes", {k: None for k in config.nodes})):
        for key in keys:
            node_name, port = (key, None) if section == "nodes" else split_node_port(key)
            if node_name not in nodes:
                problems.append(f"{prefix}.{section}.{key}: node '{node_name}' is not in the DAG")
                continue
            if port is None:
                continue
            n = nodes[node_name]
            ports = (n.interface.input_names if n.has_script else []) + (
                n.interface.output_names if (not n.has_script or section == "expectations") else [])
            if section == "bindings" and not n.has_script:
                problems.append(f"{prefix}.bindings.{key}: {node_name} has no script, so nothing reads its "
                                f"inputs; to give its output '{port}' data, use sources")
            elif section == "sources" and n.has_script and port in n.interface.output_names:
                problems.append(f"{prefix}.sources.{key}: '{port}' is an output of a node with a script; "
                                f"sources feed inputs (or outputs of script-less nodes)")
            elif port not in ports:
                problems.append(f"{prefix}.{section}.{key}: '{port}' is not a port of {node_name} "
                                f"(known: {', '.join(ports) or 'none'})")
    for key, target in config.bindings.items():
        up, out = split_node_port(target)
        if up not in nodes:
            problems.append(f"{prefix}.bindings.{key}: upstream node '{up}' is not in the DAG")
        elif out not in nodes[up].interface.output_names:
            problems.append(f"{prefix}.bindings.{key}: '{out}' is not an output of {up} "
                            f"(known: {', '.join(nodes[up].interface.output_names) or 'none'})")
        elif split_node_port(key)[0] == up:
            problems.append(f"{prefix}.bindings.{key}: a node cannot feed itself")
    if problems:
        raise WiringError(f"{len(problems)} problem(s) in the configuration of pipeline '{name}'",
                          where=where, hint="fix these keys", details="\n".join(f"  - {p}" for p in problems))

    unprovided: list[str] = []
    for node_name in dag.order:
        node = nodes[node_name]
        if not node.has_script:
            outs = {o: config.sources.get(f"{node_name}.{o}") for o in node.interface.output_names}
            wiring.data_outputs[node_name] = outs
            continue
        wiring.inputs[node_name] = wire_node(node, dag, nodes, config)
        for w in wiring.inputs[node_name].values():
            if w.kind == "unprovided" and w.required:
                unprovided.append(suggest_source(node, w.input, profiles, is_output=False))

    # outputs of script-less nodes that feed a consumer must have a source
    for wires in wiring.inputs.values():
        for w in wires.values():
            if w.kind in ("edge", "binding") and not nodes[w.upstream].has_script:
                if wiring.data_outputs[w.upstream].get(w.output) is None:
                    unprovided.append(suggest_source(nodes[w.upstream], w.output, profiles, is_output=True))
    unprovided = list(dict.fromkeys(unprovided))
    if unprovided:
        lines = "\n".join(f"    {line}" for line in unprovided)
        raise WiringError(
            f"{len(unprovided)} required input(s) of pipeline '{name}' have no data: no DAG edge provides them "
            f"and no source is configured", where=where,
            hint=f"add these lines under pipelines.{name}.sources (edit the data to fit)",
            details=lines)
    return wiring


def wire_node(node: ResolvedNode, dag: PipelineDag, nodes: dict[str, ResolvedNode],
              config: PipelineConfig) -> dict[str, InputWire]:
    """Every input of one script node wired (unprovided ones included, never raising)."""
    iface = node.interface
    names = iface.input_names
    ordered = sorted(names, key=lambda n: (not iface.required_input(n), names.index(n)))
    bound = {i: split_node_port(config.bindings[f"{node.name}.{i}"]) for i in names
             if f"{node.name}.{i}" in config.bindings}
    used: set[tuple[str, str]] = set(bound.values())   # a binding claims its output first
    wires: dict[str, InputWire] = {}
    for input_name in ordered:
        required = iface.required_input(input_name)
        key = f"{node.name}.{input_name}"
        best = _best_edge_match(node, input_name, dag, nodes, used - {bound.get(input_name)})
        if input_name in bound:
            up, out = bound[input_name]
            wire = InputWire(node.name, input_name, required, "binding", up, out, reason="explicit binding",
                             overridden=_label(best) if best and (best.upstream, best.output) != (up, out) else None)
            used.add((up, out))
        elif key in config.sources:
            wire = InputWire(node.name, input_name, required, "source", source=config.sources[key],
                             reason="configured source", overridden=_label(best))
        elif best is not None:
            wire = InputWire(node.name, input_name, required, "edge", best.upstream, best.output, score=best.score,
                             reason=f"score {best.score:.2f}: " + "; ".join(best.signals))
            used.add((best.upstream, best.output))
        else:
            wire = InputWire(node.name, input_name, required, "unprovided",
                             reason="required, nothing provides it" if required else "")
        wires[input_name] = wire
    return {n: wires[n] for n in names}


def _label(candidate: Candidate | None) -> str | None:
    return f"{candidate.upstream}.{candidate.output}" if candidate else None


def _best_edge_match(node: ResolvedNode, input_name: str, dag: PipelineDag, nodes: dict[str, ResolvedNode],
                     used: set[tuple[str, str]]) -> Candidate | None:
    best: Candidate | None = None
    for pred in dag.predecessors[node.name]:
        producer = nodes[pred]
        for output in producer.interface.output_names:
            if (pred, output) in used:
                continue
            cand = score_output(node.interface, input_name, producer, output)
            if cand.score > MATCH_THRESHOLD and (best is None or cand.score > best.score):
                best = cand
    return best


def input_file_name(node: ResolvedNode, input_name: str) -> str | None:
    """The file name an input's contract path names (``hyperparameters.json``), else ``None``."""
    c = node.interface.contract.inputs.get(input_name)
    return _file_like(c.path) if c is not None else None
