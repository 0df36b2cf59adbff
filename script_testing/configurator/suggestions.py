"""Defaults and suggestions: what to propose for a pending item, and what to reuse.

Two sources of suggestions, best first:

1. **Reuse**: a node of the same step type in another pipeline of the project already has a source
   for the port, a value for the variable, job arguments, a timeout or expectations. A node with the
   same name is preferred, then one with the same job type, then any; a ``job_type`` value of the
   other node's job type (``training``) is mapped to this node's (``calibration``). Every reused value
   says where it came from.
2. **Generic**: :func:`script_testing.pipeline.wiring.suggest_source` from the port's contract path and the
   project's data profiles (``{json: {}, file: hyperparameters.json}``, ``{synthetic: p, format: csv}``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from script_testing.config.dag import PipelineDag
from script_testing.config.project import NodeSettings, PipelineConfig, Project, SourceSpec
from script_testing.configurator.answers import Answers
from script_testing.configurator.pending import PendingItem
from script_testing.errors import ScriptTestingError
from script_testing.pipeline.catalog import ResolvedNode, StepCatalog


def suggested_value(suggestion: str | None) -> str | None:
    """``"Node.port: {synthetic: p, format: csv}"`` -> ``"{synthetic: p, format: csv}"``."""
    if not suggestion:
        return None
    return suggestion.split(": ", 1)[1] if ": " in suggestion else suggestion


def suggested_spec(suggestion: str | None) -> dict[str, Any] | None:
    """The suggestion as a mapping (``None`` when it is not one)."""
    value = suggested_value(suggestion)
    try:
        data = yaml.safe_load(value) if value else None
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Reused:
    """One value taken over from a node of the same step type in another pipeline."""

    node: str  # the node of this pipeline
    section: str  # "sources", "environ_vars", "job_args", "timeout_s" or "expectations"
    name: str  # port, variable or argument name ("" for timeout_s)
    value: Any  # SourceSpec, str, Any, float or Expectations
    pipeline: str  # where it came from
    origin_node: str

    @property
    def origin(self) -> str:
        return f"pipeline {self.pipeline}, node {self.origin_node}"

    def describe(self) -> str:
        """``DataLoading_training.DATA <- synthetic tabular_binary (reused from pipeline p, node n)``."""
        if self.section == "sources":
            what = f"{self.node}.{self.name} <- {self.value.describe()}"
        elif self.section == "expectations":
            what = f"{self.node}.{self.name}: expectations"
        elif self.section == "environ_vars":
            what = f"{self.node}: {self.name}={self.value}"
        elif self.section == "job_args":
            what = f"{self.node}: --{self.name} {self.value}"
        else:
            what = f"{self.node}: timeout_s {self.value}"
        return f"{what} (reused from {self.origin})"


@dataclass(frozen=True)
class _Counterpart:
    pipeline: str
    node: str
    job_type: str | None
    config: PipelineConfig
    similarity: float  # how alike the two DAGs' node names are (0..1)

    @property
    def settings(self) -> NodeSettings:
        return self.config.nodes.get(self.node) or NodeSettings()


class Counterparts:
    """Nodes of the project's other pipelines, by step type, with their pipeline's configuration."""

    def __init__(self, project: Project, catalog: StepCatalog, pipeline: str, dag: PipelineDag) -> None:
        self._by_type: dict[str, list[_Counterpart]] = {}
        ours = set(dag.nodes)
        for name, cfg in project.config.pipelines.items():
            if name == pipeline:
                continue
            try:
                other = PipelineDag.load(project.resolve(cfg.dag))
            except ScriptTestingError:  # a broken pipeline elsewhere has nothing to offer
                continue
            theirs = set(other.nodes)
            similarity = len(ours & theirs) / len(ours | theirs)
            for node in other.nodes:
                try:
                    step_type, job_type = catalog.split_node_name(node)
                except ScriptTestingError:
                    continue
                self._by_type.setdefault(step_type, []).append(
                    _Counterpart(name, node, job_type, cfg, similarity)
                )

    def of(self, r: ResolvedNode) -> list[_Counterpart]:
        """Same step type, best first: the same node name, then the same job type, then any; among
        equals, the pipeline whose DAG is most like this one, then the project file's order."""
        found = self._by_type.get(r.step_type, [])
        return sorted(found, key=lambda c: (c.node != r.name, c.job_type != r.job_type, -c.similarity))


def _map_job_type(value: Any, old: str | None, new: str | None) -> Any:
    """``job_type: training`` -> ``job_type: calibration`` anywhere in a (nested) mapping."""
    if not old or not new or old == new:
        return value
    if isinstance(value, dict):
        return {
            k: (new if k == "job_type" and v == old else _map_job_type(v, old, new)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_map_job_type(v, old, new) for v in value]
    return value


def _mapped_spec(spec: SourceSpec, old: str | None, new: str | None) -> SourceSpec:
    data = spec.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return SourceSpec.model_validate(_map_job_type(data, old, new))


def reuse_for(
    r: ResolvedNode,
    pending: list[PendingItem],
    settings: NodeSettings | None,
    expectation_ports: set[str],
    counterparts: list[_Counterpart],
) -> list[Reused]:
    """What the node can take over from its counterparts: every pending item one of them has, then
    the first counterpart's other settings and expectations that the node does not set itself."""
    if not counterparts:
        return []
    out: list[Reused] = []
    for item in pending:
        for c in counterparts:
            if item.kind == "env":
                value = c.settings.environ_vars.get(item.name)
                if value:
                    out.append(Reused(r.name, "environ_vars", item.name, value, c.pipeline, c.node))
                    break
            else:
                spec = c.config.sources.get(f"{c.node}.{item.name}")
                if spec is not None:
                    out.append(
                        Reused(
                            r.name,
                            "sources",
                            item.name,
                            _mapped_spec(spec, c.job_type, r.job_type),
                            c.pipeline,
                            c.node,
                        )
                    )
                    break
    best = counterparts[0]
    own = settings or NodeSettings()
    taken = {(x.section, x.name) for x in out}
    for var, value in best.settings.environ_vars.items():
        if var not in own.environ_vars and ("environ_vars", var) not in taken:
            out.append(Reused(r.name, "environ_vars", var, value, best.pipeline, best.node))
    mapped_args = _map_job_type(dict(best.settings.job_args), best.job_type, r.job_type)
    for arg, value in mapped_args.items():
        if arg not in own.job_args:
            out.append(Reused(r.name, "job_args", arg, value, best.pipeline, best.node))
    if best.settings.timeout_s is not None and own.timeout_s is None:
        out.append(Reused(r.name, "timeout_s", "", best.settings.timeout_s, best.pipeline, best.node))
    ports = set(r.interface.input_names) | set(r.interface.output_names)
    for key, exp in best.config.expectations.items():
        node, _, port = key.partition(".")
        if node == best.node and port in ports and port not in expectation_ports:
            out.append(Reused(r.name, "expectations", port, exp, best.pipeline, best.node))
    return out


def find_reuse(
    counterparts: Counterparts,
    order: list[str],
    nodes: dict[str, ResolvedNode],
    pending: dict[str, list[PendingItem]],
    config: PipelineConfig,
    job_args: Callable[[str], dict[str, Any]],
) -> list[Reused]:
    """For every node that needs something (a pending item, or a job argument nothing sets), what its
    counterparts in other pipelines have; nodes that need nothing are left as they are."""
    found: list[Reused] = []
    for name in order:
        r = nodes[name]
        needs = pending.get(name, [])
        if not needs and not (r.has_script and any(v is None for v in job_args(name).values())):
            continue
        own_exps = {k.partition(".")[2] for k in config.expectations if k.partition(".")[0] == name}
        found += reuse_for(r, needs, config.nodes.get(name), own_exps, counterparts.of(r))
    return found


def as_answers(reused: list[Reused]) -> Answers:
    out = Answers()
    for x in reused:
        if x.section in ("sources", "expectations"):
            getattr(out, x.section)[f"{x.node}.{x.name}"] = x.value
        elif x.section == "timeout_s":
            out.add(Answers(settings={x.node: {"timeout_s": x.value}}))
        else:
            out.add(Answers(settings={x.node: {x.section: {x.name: x.value}}}))
    return out
