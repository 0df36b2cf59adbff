"""Wiring: which output (or source) feeds every input of every node, and why.

Edge wiring is production's answer (``shared/formats/wiring.md``; the algorithm is
:mod:`script_testing.pipeline.matching`): pass A, the assembler's unique assignment, then pass B, the
builders' fallback that can feed one output to several inputs of a consumer. Every wire carries the
pair's score and a reason, and a note where production does something surprising. This project's
own extension overrides it: explicit ``bindings`` and configured ``sources`` win, and the wire says
what they replaced.

Wiring never raises: :func:`wire_pipeline` returns a :class:`Wiring` with every input of every
script node wired or marked ``unwired`` and a list of :class:`Problem` (error or warning, where,
message). Callers that must stop (plan building) call :meth:`Wiring.raise_for_errors`.

Above ~400 lines: production's wiring (via :mod:`.matching`), this project's overrides, the reasons and the
advice are one decision per input, read together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from script_testing.config.dag import PipelineDag
from script_testing.config.project import PipelineConfig, SourceSpec, split_node_port
from script_testing.config.step_interface import StepInterface
from script_testing.errors import WiringError
from script_testing.pipeline import matching
from script_testing.pipeline.catalog import ResolvedNode
from script_testing.pipeline.matching import Dependency, NodeSpec, Output, Resolution
from script_testing.vocabulary import UPSTREAM_KINDS, WireKind

MATCH_THRESHOLD = matching.THRESHOLD
KINDS = tuple(WireKind)


# --------------------------------------------------------------------------- data


@dataclass
class Problem:
    """Something wrong (``error``: the pipeline cannot run) or worth knowing (``warning``)."""

    severity: str  # "error" | "warning"
    where: str  # "pipelines.p.bindings.X.y", "Node.input", ...
    message: str
    category: str = ""  # "config", "unwired", "data_output", "fallback", "binding", "interface"
    suggestion: str | None = None  # a line to paste (a sources line for category "unwired"/"data_output")

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "where": self.where, "message": self.message}


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
    kind: WireKind
    upstream: str | None = None
    output: str | None = None
    source: SourceSpec | None = None
    score: float | None = None
    reason: str = ""
    overridden: str | None = None  # production's edge wiring that a binding or source replaced
    note: str | None = None  # what is surprising about production's wiring here
    via: str | None = None  # "assembler" | "builder_fallback" (production's pass) for edge wires

    @property
    def provided(self) -> bool:
        return self.kind != WireKind.UNWIRED

    def describe(self) -> str:
        if self.kind in UPSTREAM_KINDS:
            where = f"{self.upstream}.{self.output}"
        elif self.kind == WireKind.SOURCE:
            where = self.source.describe() if self.source else "source"
        else:
            where = "nothing" + ("" if self.required else " (optional, left out)")
        text = f"{self.node}.{self.input} <- {where}"
        if self.reason:
            text += f"  [{self.reason}]"
        if self.overridden:
            text += f" (replaces edge match {self.overridden})"
        if self.note:
            text += f"  note: {self.note}"
        return text

    def as_dict(self) -> dict[str, Any]:
        """The JSON wiring view of one input."""
        return {
            "to": self.node,
            "input": self.input,
            "from": self.upstream,
            "output": self.output,
            "kind": self.kind,
            "score": self.score,
            "reason": self.reason,
            "required": self.required,
            "source": self.source.describe() if self.source is not None else None,
            "replaces": self.overridden,
            "note": self.note,
        }


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
    pipeline: str = ""
    where: str = "script_testing.yaml"
    inputs: dict[str, dict[str, InputWire]] = field(default_factory=dict)
    data_outputs: dict[str, dict[str, SourceSpec | None]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    production: Resolution | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def warnings_for(self, node: str) -> list[str]:
        return [str(p) for p in self.warnings if p.where.split(".")[0] == node]

    @property
    def edges(self) -> list[Edge]:
        return [
            Edge(w.upstream, w.output, w.node, w.input)
            for wires in self.inputs.values()
            for w in wires.values()
            if w.kind in UPSTREAM_KINDS
        ]

    def upstream_nodes(self, node: str) -> list[str]:
        return list(
            dict.fromkeys(w.upstream for w in self.inputs.get(node, {}).values() if w.upstream is not None)
        )

    def report_lines(self) -> list[str]:
        lines = []
        for wires in self.inputs.values():
            for w in wires.values():
                lines.append(w.describe())
        for node, outs in self.data_outputs.items():
            for out, src in outs.items():
                lines.append(
                    f"{node}.{out} (no script) <- {src.describe() if src else 'no source configured'}"
                )
        return lines

    def as_json(self) -> list[dict[str, Any]]:
        """Every wire, for ``validate --output-format json``."""
        return [w.as_dict() for wires in self.inputs.values() for w in wires.values()]

    def raise_for_errors(self) -> None:
        """Raise one :class:`WiringError` listing every error (configuration keys first)."""
        config = [p for p in self.errors if p.category == "config"]
        if config:
            raise WiringError(
                f"{len(config)} problem(s) in the configuration of pipeline '{self.pipeline}'",
                where=self.where,
                hint="fix these keys",
                details="\n".join(f"  - {p}" for p in config),
            )
        missing = [p for p in self.errors if p.category in ("unwired", "data_output")]
        if missing:
            sourced = [p for p in missing if p.suggestion is not None]
            advised = [p for p in missing if p.suggestion is None]
            section = f"pipelines.{self.pipeline}.sources"
            if not advised:
                raise WiringError(
                    f"{len(missing)} required input(s) of pipeline '{self.pipeline}' have no data: no DAG edge "
                    f"provides them and no source is configured",
                    where=self.where,
                    hint=f"add these lines under {section} (edit the data to fit)",
                    details="\n".join(f"    {p.suggestion}" for p in sourced),
                )
            details = [f"  - {p}" for p in advised]
            if sourced:
                details.append(f"  - no DAG edge reaches these; add under {section} (edit the data to fit):")
                details += [f"    {p.suggestion}" for p in sourced]
            raise WiringError(
                f"{len(missing)} required input(s) of pipeline '{self.pipeline}' have no data",
                where=self.where,
                hint="each is listed below with the line that fixes it",
                details="\n".join(details),
            )
        others = [p for p in self.errors if p not in config and p not in missing]
        if others:
            raise WiringError(
                f"{len(others)} wiring problem(s) in pipeline '{self.pipeline}'",
                where=self.where,
                details="\n".join(f"  - {p}" for p in others),
            )


# --------------------------------------------------------------------------- interfaces -> matching model


def node_spec(interface: StepInterface) -> NodeSpec:
    """The neutral model of :mod:`matching` for one (variant-merged) interface, with production's
    defaults (wiring.md §2.3)."""
    deps = tuple(
        Dependency(
            name=name,
            type=d.type or matching.DEFAULT_TYPE,
            data_type=d.data_type or matching.DEFAULT_DATA_TYPE,
            required=True if d.required is None else d.required,
            compatible_sources=tuple(d.compatible_sources),
            semantic_keywords=tuple(d.semantic_keywords),
            logical_name=d.logical_name,
        )
        for name, d in interface.spec.dependencies.items()
    )
    outs = tuple(
        Output(
            name=name,
            type=o.type or matching.DEFAULT_TYPE,
            data_type=o.data_type or matching.DEFAULT_DATA_TYPE,
            aliases=tuple(o.aliases),
            logical_name=o.logical_name,
        )
        for name, o in interface.spec.outputs.items()
    )
    return NodeSpec(step_type=interface.step_type, dependencies=deps, outputs=outs)


def production_wiring(dag: PipelineDag, nodes: dict[str, ResolvedNode]) -> Resolution:
    """Production's answer for every dependency of every node of ``dag`` (passes A and B)."""
    specs = {name: node_spec(nodes[name].interface) for name in dag.nodes if name in nodes}
    return matching.resolve(specs, dag.edges)


def _dep(node: ResolvedNode, name: str) -> Dependency | None:
    return next((d for d in node_spec(node.interface).dependencies if d.name == name), None)


def _out(node: ResolvedNode, name: str) -> Output | None:
    return next((o for o in node_spec(node.interface).outputs if o.name == name), None)


def explain_pair(
    consumer: ResolvedNode, input_name: str, producer: ResolvedNode, output: str
) -> matching.Explanation | None:
    """Production's score of ``producer.output`` for ``consumer.input_name`` with its parts, or ``None``
    when either side is not declared in its interface's spec (production never scores it)."""
    d, o = _dep(consumer, input_name), _out(producer, output)
    if d is None or o is None:
        return None
    return matching.explain(d, o, producer.step_type)


def score_output(consumer: StepInterface, input_name: str, producer: ResolvedNode, output: str) -> Candidate:
    """Production's score of ``producer.output`` for ``consumer.input_name`` (0..1), with its parts."""
    d = next((x for x in node_spec(consumer).dependencies if x.name == input_name), None)
    o = _out(producer, output)
    if d is None or o is None:
        return Candidate(producer.name, output, 0.0, ["not declared under spec (production never scores it)"])
    e = matching.explain(d, o, producer.step_type)
    return Candidate(producer.name, output, e.score, [label for label, _ in e.parts])


# --------------------------------------------------------------------------- helpers


def _file_like(contract_path: str) -> str | None:
    """``/opt/ml/code/hyperparams/hyperparameters.json`` -> ``hyperparameters.json``."""
    name = PurePosixPath(contract_path or "").name
    return name if PurePosixPath(name).suffix else None


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


def input_file_name(node: ResolvedNode, input_name: str) -> str | None:
    """The file name an input's contract path names (``hyperparameters.json``), else ``None``."""
    c = node.interface.contract.inputs.get(input_name)
    return _file_like(c.path) if c is not None else None


def _aliases_of(node: ResolvedNode, output: str) -> list[str]:
    o = node.interface.spec.outputs.get(output)
    return list(o.aliases) if o is not None else []


# --------------------------------------------------------------------------- wiring


def _check_config(prefix: str, nodes: dict[str, ResolvedNode], config: PipelineConfig) -> list[Problem]:
    """Configuration keys must name real nodes and ports."""
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem("error", key, message, "config"))

    for section, keys in (
        ("sources", config.sources),
        ("bindings", config.bindings),
        ("expectations", config.expectations),
        ("nodes", dict.fromkeys(config.nodes)),
    ):
        for key in keys:
            node_name, port = (key, None) if section == "nodes" else split_node_port(key)
            where = f"{prefix}.{section}.{key}"
            if node_name not in nodes:
                bad(where, f"node '{node_name}' is not in the DAG")
                continue
            if port is None:
                continue
            n = nodes[node_name]
            ports = (n.interface.input_names if n.has_script else []) + (
                n.interface.output_names if (not n.has_script or section == "expectations") else []
            )
            if section == "bindings" and not n.has_script:
                bad(
                    where,
                    f"{node_name} has no script, so nothing reads its inputs; to give its output "
                    f"'{port}' data, use sources",
                )
            elif section == "sources" and n.has_script and port in n.interface.output_names:
                bad(
                    where,
                    f"'{port}' is an output of a node with a script; sources feed inputs (or outputs "
                    f"of script-less nodes)",
                )
            elif port not in ports:
                bad(where, f"'{port}' is not a port of {node_name} (known: {', '.join(ports) or 'none'})")
    for key, target in config.bindings.items():
        up, out = split_node_port(target)
        where = f"{prefix}.bindings.{key}"
        if up not in nodes:
            bad(where, f"upstream node '{up}' is not in the DAG")
        elif out not in nodes[up].interface.output_names:
            known = ", ".join(nodes[up].interface.output_names) or "none"
            bad(where, f"'{out}' is not an output of {up} (known: {known})")
        elif split_node_port(key)[0] == up:
            bad(where, "a node cannot feed itself")
    return problems


def _interface_type_warnings(nodes: dict[str, ResolvedNode]) -> list[Problem]:
    """Types production refuses (wiring.md §2.2): production would not load such an interface."""
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for n in nodes.values():
        for section, entries in (
            ("dependencies", n.interface.spec.dependencies),
            ("outputs", n.interface.spec.outputs),
        ):
            for name, entry in entries.items():
                if entry.type is not None and entry.type not in matching.TYPES:
                    key = (str(n.interface_path), f"{section}.{name}")
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(
                        Problem(
                            "warning",
                            f"{n.name}.{name}",
                            f"spec.{section}.{name}.type '{entry.type}' in {n.interface_path} is not one of "
                            f"production's types ({', '.join(matching.TYPES)}), so production refuses "
                            f"the interface; fix the type",
                            "interface",
                        )
                    )
    return out


def wire_pipeline(
    name: str,
    dag: PipelineDag,
    nodes: dict[str, ResolvedNode],
    config: PipelineConfig,
    profiles: list[str] | None = None,
    *,
    where: str = "script_testing.yaml",
) -> Wiring:
    """Wire every input of every script node; problems are collected in the result, never raised."""
    profiles = profiles or []
    prefix = f"pipelines.{name}"
    wiring = Wiring(pipeline=name, where=where)
    wiring.problems += _check_config(prefix, nodes, config)
    wiring.problems += _interface_type_warnings(nodes)
    valid = _valid_overrides(nodes, config, {p.where for p in wiring.problems})
    resolution = production_wiring(dag, nodes)
    wiring.production = resolution

    for node_name in dag.order:
        node = nodes[node_name]
        if not node.has_script:
            wiring.data_outputs[node_name] = {
                o: config.sources.get(f"{node_name}.{o}") for o in node.interface.output_names
            }
            continue
        wires = _wire_inputs(node, dag, nodes, valid, resolution)
        wiring.inputs[node_name] = wires
        for w in wires.values():
            wiring.problems += _problems_of(w, prefix, dag, nodes, resolution, profiles)

    # outputs of script-less nodes that feed a consumer must have a source
    seen: set[str] = set()
    for wires in wiring.inputs.values():
        for w in wires.values():
            if w.kind in UPSTREAM_KINDS and not nodes[w.upstream].has_script:
                key = f"{w.upstream}.{w.output}"
                if wiring.data_outputs[w.upstream].get(w.output) is None and key not in seen:
                    seen.add(key)
                    wiring.problems.append(
                        Problem(
                            "error",
                            key,
                            f"{w.upstream} has no script and feeds {w.node}.{w.input}, but no source "
                            f"is configured for its output '{w.output}'; add it under {prefix}.sources",
                            "data_output",
                            suggest_source(nodes[w.upstream], w.output, profiles, is_output=True),
                        )
                    )
    # required-input errors first in node order, then data outputs (as the suggestions read best)
    order = {"config": 0, "unwired": 1, "data_output": 2}
    wiring.problems.sort(key=lambda p: order.get(p.category, 3))
    return wiring


def _valid_overrides(nodes: dict[str, ResolvedNode], config: PipelineConfig, bad: set[str]) -> PipelineConfig:
    """``config`` without the bindings and sources already reported as wrong (they are ignored)."""
    cfg = config.model_copy()
    cfg.bindings = {
        k: v for k, v in config.bindings.items() if not any(b.endswith(f".bindings.{k}") for b in bad)
    }
    cfg.sources = {
        k: v for k, v in config.sources.items() if not any(b.endswith(f".sources.{k}") for b in bad)
    }
    return cfg


def wire_node(
    node: ResolvedNode, dag: PipelineDag, nodes: dict[str, ResolvedNode], config: PipelineConfig
) -> dict[str, InputWire]:
    """Every input of one script node wired (unwired ones included, never raising)."""
    return _wire_inputs(node, dag, nodes, config, production_wiring(dag, nodes))


def _wire_inputs(
    node: ResolvedNode,
    dag: PipelineDag,
    nodes: dict[str, ResolvedNode],
    config: PipelineConfig,
    resolution: Resolution,
) -> dict[str, InputWire]:
    iface = node.interface
    wires: dict[str, InputWire] = {}
    for input_name in iface.input_names:
        required = iface.required_input(input_name)
        key = f"{node.name}.{input_name}"
        prod = resolution.binding(node.name, input_name)
        prod_label = f"{prod.producer}.{prod.output}" if prod else None
        if key in config.bindings:
            up, out = split_node_port(config.bindings[key])
            e = explain_pair(node, input_name, nodes[up], out) if up in nodes else None
            along_edge = (up, node.name) in dag.edges
            wire = InputWire(
                node.name,
                input_name,
                required,
                WireKind.BINDING,
                up,
                out,
                reason="explicit binding",
                score=e.score if e is not None and along_edge else None,
                overridden=prod_label if prod and (prod.producer, prod.output) != (up, out) else None,
            )
        elif key in config.sources:
            wire = InputWire(
                node.name,
                input_name,
                required,
                WireKind.SOURCE,
                source=config.sources[key],
                reason="configured source",
                overridden=prod_label,
            )
        elif prod is not None:
            e = explain_pair(node, input_name, nodes[prod.producer], prod.output)
            reason = e.reason() if e is not None else f"score {prod.score:.2f}"
            wire = InputWire(
                node.name,
                input_name,
                required,
                WireKind.EDGE,
                prod.producer,
                prod.output,
                score=prod.score,
                reason=reason,
                via=prod.via,
                note=_surprise(node, input_name, prod, resolution, nodes),
            )
        else:
            wire = InputWire(
                node.name,
                input_name,
                required,
                WireKind.UNWIRED,
                reason=_unwired_reason(node, input_name, dag, resolution),
            )
        wires[input_name] = wire
    return wires


def _surprise(
    node: ResolvedNode,
    input_name: str,
    prod: matching.Binding,
    resolution: Resolution,
    nodes: dict[str, ResolvedNode],
) -> str | None:
    notes = []
    if prod.via == "builder_fallback":
        others = [
            b.input
            for b in resolution.bindings.values()
            if b.consumer == node.name
            and b.input != input_name
            and b.via == "assembler"
            and (b.producer, b.output) == (prod.producer, prod.output)
        ]
        notes.append(
            f"production's builder fallback feeds {prod.producer}.{prod.output}, already bound to "
            f"{node.name}.{', '.join(others) or '?'}, to this input too (two inputs read the same data)"
        )
    if input_name != prod.output and input_name not in _aliases_of(nodes[prod.producer], prod.output):
        notes.append(f"fed an output of a different name ('{prod.output}'), chosen by score")
    return "; ".join(notes) or None


def _unwired_reason(node: ResolvedNode, input_name: str, dag: PipelineDag, resolution: Resolution) -> str:
    if input_name not in node.interface.spec.dependencies:
        return "not declared under spec.dependencies, so production never wires it"
    if not dag.predecessors[node.name]:
        return "no DAG edge reaches this node"
    pairs = resolution.pairs.get((node.name, input_name), [])
    if not any(p.score > MATCH_THRESHOLD for p in pairs):
        return "no predecessor output scores above 0.5"
    return "its candidates feed other inputs of this node"


def _problems_of(
    w: InputWire,
    prefix: str,
    dag: PipelineDag,
    nodes: dict[str, ResolvedNode],
    resolution: Resolution,
    profiles: list[str],
) -> list[Problem]:
    node = nodes[w.node]
    where = f"{w.node}.{w.input}"
    out: list[Problem] = []
    if w.kind == WireKind.EDGE and w.via == "builder_fallback":
        shared = [
            x.input
            for x in resolution.bindings.values()
            if x.consumer == w.node
            and x.input != w.input
            and x.via == "assembler"
            and (x.producer, x.output) == (w.upstream, w.output)
        ]
        out.append(
            Problem(
                "warning",
                where,
                f"production feeds it {w.upstream}.{w.output}, the output already bound "
                f"to {w.node}.{', '.join(shared) or '?'}, through its builders' fallback "
                f"(wiring.md section 7), so two inputs read the same data; check that "
                f"the script expects this, or fix the interfaces",
                "fallback",
            )
        )
    elif w.kind == WireKind.BINDING and w.overridden:
        out.append(
            Problem(
                "warning",
                where,
                f"the binding feeds {w.upstream}.{w.output}, but production wires "
                f"{w.overridden}; this test does not exercise production's wiring "
                f"of this input",
                "binding",
            )
        )
    elif (
        w.kind == WireKind.BINDING
        and resolution.binding(w.node, w.input) is None
        and dag.predecessors[w.node]
    ):
        out.append(
            Problem(
                "warning",
                where,
                f"the binding feeds {w.upstream}.{w.output}, but production wires "
                f"nothing to this input; fix the interfaces so production wires "
                f"it too",
                "binding",
            )
        )
    elif w.kind == WireKind.EDGE and _outside_compatible_sources(node, w.input, nodes[w.upstream]):
        dep = _dep(node, w.input)
        producer = nodes[w.upstream]
        out.append(
            Problem(
                "warning",
                where,
                f"production wires {w.upstream}.{w.output} here, but {producer.step_type} is not in this "
                f"input's compatible_sources ({', '.join(dep.compatible_sources)}) in "
                f"{node.interface_path.name}: production only takes 0.1 off its score and wires it anyway (so "
                f"does a run here; validate fails on it), so the input gets data from a step type its "
                f"interface does not accept; add {producer.step_type} to "
                f"spec.dependencies.{w.input}.compatible_sources or fix the DAG edge",
                "compatible_sources",
            )
        )
    elif w.kind == WireKind.UNWIRED and w.required:
        preds = [p for p in dag.predecessors[w.node] if p in nodes]
        if not preds or w.input not in node.interface.spec.dependencies:
            out.append(
                Problem(
                    "error",
                    where,
                    f"required input has no data: no DAG edge provides it and no "
                    f"source is configured; add a line under {prefix}.sources",
                    "unwired",
                    suggest_source(node, w.input, profiles, is_output=False),
                )
            )
        else:
            out.append(Problem("error", where, _edge_advice(w, prefix, preds, nodes, resolution), "unwired"))
    return out


def _outside_compatible_sources(node: ResolvedNode, input_name: str, producer: ResolvedNode) -> bool:
    """A non-empty ``compatible_sources`` of ``node.input_name`` that does not list the producer's type."""
    dep = _dep(node, input_name)
    return (
        dep is not None and bool(dep.compatible_sources) and producer.step_type not in dep.compatible_sources
    )


def _direct_score(w: InputWire) -> float:
    """How well an input is fed now: its production score along a real edge, else 0 (unwired, a source,
    or the builders' fallback re-using another input's data)."""
    if w.kind == WireKind.EDGE and w.via != "builder_fallback" and w.score is not None:
        return w.score
    return 0.0


def dag_problems(dag: PipelineDag, nodes: dict[str, ResolvedNode], wiring: Wiring) -> list[Problem]:
    """What the DAG file says about itself that its edges contradict: a node whose outputs feed nothing
    although ``metadata.exit_points`` does not list it (an error: a branch lost its last edge; without exit
    points, a warning when another node's input would take those outputs), and an ``edge_count`` /
    ``node_count`` that disagrees with the lists."""
    out: list[Problem] = []
    where = Path(dag.source).name
    exits = dag.metadata.get("exit_points")
    exits = [str(x) for x in exits] if isinstance(exits, list) else None
    counts = []
    for key, actual in (("edge_count", len(dag.edges)), ("node_count", len(dag.nodes))):
        declared = dag.metadata.get(key)
        if isinstance(declared, int) and declared != actual:
            counts.append(f"metadata.{key} says {declared} but the file lists {actual}")
    fed = {(w.upstream, w.output) for wires in wiring.inputs.values() for w in wires.values() if w.upstream}
    for name in dag.order:
        node = nodes.get(name)
        if node is None or not node.has_script or dag.successors[name] or (exits and name in exits):
            continue
        outputs = [o for o in node.interface.output_names if (name, o) not in fed]
        if not outputs:
            continue
        # who would take these outputs if an edge reached them: unwired inputs of non-ancestors
        takers = [
            f"{c}.{w.input}"
            for c in dag.order
            if c != name and c not in dag.ancestors(name) and c in wiring.inputs
            for w in wiring.inputs[c].values()
            if any(
                (e := explain_pair(nodes[c], w.input, node, o)) is not None
                and e.score > max(MATCH_THRESHOLD, _direct_score(w))
                for o in outputs
            )
        ]
        if exits is None and not takers:
            continue  # without exit_points, a sink nothing would read is taken as the pipeline's end
        lost = f"; {' and '.join(counts)}" if counts else ""
        hint = (
            f"it would feed {', '.join(takers)}, which production feeds nothing better now: add the edge "
            f'["{name}", "{takers[0].split(".")[0]}"]'
            if takers
            else f"add the edge that consumes it, or list {name} under metadata.exit_points"
        )
        severity = "error" if exits is not None else "warning"
        listed = (
            f"metadata.exit_points ({', '.join(exits)}) does not list it" if exits else "nothing reads them"
        )
        out.append(
            Problem(
                severity,
                f"{name}",
                f"{where}: the outputs of {name} ({', '.join(outputs)}) feed no node and {listed}{lost}, "
                f"so that branch runs for nothing; {hint}",
                "dag",
            )
        )
    if counts and not out:
        out.append(
            Problem(
                "warning",
                where,
                f"{where}: {' and '.join(counts)}; an edge or node was added or removed without updating "
                f"the metadata, check that the DAG is the one you meant",
                "dag",
            )
        )
    return out


def _edge_advice(
    w: InputWire, prefix: str, preds: list[str], nodes: dict[str, ResolvedNode], resolution: Resolution
) -> str:
    """Why no predecessor output feeds a required input, and the lines that fix it (issue 12)."""
    node = nodes[w.node]
    dep = _dep(node, w.input)
    pairs = resolution.pairs.get((w.node, w.input), [])
    listed = []
    for p in pairs:
        e = explain_pair(node, w.input, nodes[p.producer], p.output)
        extra = f" ({e.parts[0][0]})" if e is not None and e.gated else ""
        listed.append(f"{p.producer}.{p.output} {p.score:.2f}{extra}")
    no_outputs = [p for p in preds if not nodes[p].interface.spec.outputs]
    text = (
        f"required input has incoming edges from {', '.join(preds)}, but production wires none of their "
        f"outputs to it"
    )
    if any(p.score > MATCH_THRESHOLD for p in pairs):
        taken = [p for p in pairs if p.score > MATCH_THRESHOLD]
        abandoned = w.node in resolution.fallback_abandoned
        text += (
            f": its candidates ({', '.join(f'{p.producer}.{p.output} {p.score:.2f}' for p in taken)}) "
            f"feed other inputs of {w.node}"
            + (
                " and the builder's fallback does not run because another required input has no candidate"
                if abandoned
                else ""
            )
        )
    else:
        text += f" (a candidate must score above 0.5): {', '.join(listed) or 'they declare no outputs'}"
    if no_outputs:
        text += f"; {', '.join(no_outputs)} declare{'s' if len(no_outputs) == 1 else ''} no spec.outputs"
    if not pairs or dep is None:
        return text + f"; add a binding under {prefix}.bindings"
    # the nearest name among the predecessors' outputs (by similarity, then score, then edge order)
    best = max(
        pairs,
        key=lambda p: (
            matching.similarity_with_aliases(dep.match_name, _out(nodes[p.producer], p.output))[0],
            p.score,
        ),
    )
    producer = nodes[best.producer]
    out_decl = _out(producer, best.output)
    sim = matching.similarity_with_aliases(dep.match_name, out_decl)[0]
    new_score = matching.score(dep, matching.with_alias(out_decl, w.input), producer.step_type)
    aliases = [*out_decl.aliases, w.input]
    text += (
        f"; the nearest name is {best.producer}.{best.output} (similarity {sim:.2f}). "
        f"Production fails to build {w.node}. To test it here, add under {prefix}.bindings: "
        f"`{w.node}.{w.input}: {best.producer}.{best.output}`"
    )
    if w.input == best.output or (out_decl is not None and w.input in out_decl.aliases):
        e = explain_pair(node, w.input, producer, best.output)
        why = e.parts[0][0] if e is not None and e.gated else f"it scores only {best.score:.2f}"
        text += f"; the names already match, so fix what keeps it from matching in production ({why})"
    elif new_score > MATCH_THRESHOLD:
        text += (
            f"; to fix production, add the alias to spec.outputs.{best.output} in {producer.interface_path}: "
            f"`aliases: [{', '.join(aliases)}]` (score {best.score:.2f} -> {new_score:.2f})"
        )
    else:
        e = explain_pair(node, w.input, producer, best.output)
        why = e.parts[0][0] if e is not None and e.gated else f"it would score only {new_score:.2f}"
        text += (
            f"; an alias `aliases: [{', '.join(aliases)}]` on spec.outputs.{best.output} in "
            f"{producer.interface_path} is not enough to fix production ({why}): align the types too"
        )
    return text


__all__ = [
    "MATCH_THRESHOLD",
    "Candidate",
    "Edge",
    "InputWire",
    "Problem",
    "Wiring",
    "dag_problems",
    "explain_pair",
    "input_file_name",
    "node_spec",
    "production_wiring",
    "score_output",
    "suggest_source",
    "wire_node",
    "wire_pipeline",
]
