"""A pipeline plan: every node resolved, wired and configured, before anything runs.

``load_plan(project, "tabular_simple")`` reads the DAG, resolves nodes in the step catalog, wires
inputs, merges env vars and job args, and fails with every problem at once. The plan is what the
runner, the Dagster layer and the specs all derive from.

A little above ~400 lines: the plan and its two builders (``load_plan`` and ``inspect_plan``, which collects
every problem) share their steps.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from script_testing.config.dag import PipelineDag
from script_testing.config.project import (
    Expectations,
    NodeSettings,
    PipelineConfig,
    Project,
    budgets_for,
    split_node_port,
)
from script_testing.config.state import state_root
from script_testing.errors import CatalogError, ConfigError, ScriptTestingError
from script_testing.pipeline import contracts
from script_testing.pipeline.catalog import ResolvedNode, StepCatalog, workspace_fingerprint
from script_testing.pipeline.interface_rules import load_problems
from script_testing.pipeline.specs import PipelineTestingSpec, ScriptExecutionSpec, SpecStore, script_name_for
from script_testing.pipeline.wiring import InputWire, Problem, Wiring, input_file_name, wire_pipeline


@dataclass
class NodePlan:
    """One node, ready to run."""

    resolved: ResolvedNode
    settings: NodeSettings
    inputs: dict[str, InputWire]
    environ_vars: dict[str, str]
    job_args: dict[str, Any]
    timeout_s: float
    memory_limit_mb: int | None
    script_name: str
    warnings: list[str] = field(default_factory=list)
    budgets: dict[str, tuple[float, str]] = field(default_factory=dict)  # key -> (limit, where set)

    @property
    def name(self) -> str:
        return self.resolved.name

    @property
    def role(self) -> str:
        return self.resolved.role

    @property
    def outputs(self) -> list[str]:
        return self.resolved.interface.output_names

    def argv(self) -> list[str]:
        """The command line a production container would get for the job arguments."""
        args: list[str] = []
        for key, value in self.job_args.items():
            if value is None:
                continue
            args += [f"--{key}", str(value)]
        return args

    def namespace(self) -> argparse.Namespace:
        return argparse.Namespace(**self.job_args)


@dataclass
class PipelinePlan:
    project: Project
    name: str
    config: PipelineConfig
    dag: PipelineDag
    dag_path: Path
    nodes: dict[str, NodePlan]
    wiring: Wiring
    catalog: StepCatalog
    _usage: dict[Path, contracts.ScriptUsage | None] = field(default_factory=dict, repr=False)

    @property
    def order(self) -> list[str]:
        return self.dag.order

    @property
    def description(self) -> str:
        return self.config.description or self.dag.description or f"Pipeline {self.name}"

    @cached_property
    def dependencies(self) -> dict[str, list[str]]:
        """Nodes each node waits for: its DAG predecessors (bindings are edges of the plan's DAG)."""
        return {n: list(self.dag.predecessors[n]) for n in self.dag.nodes}

    def expectations_for(self, node: str, port: str) -> Expectations | None:
        return self.config.expectations.get(f"{node}.{port}")

    def consumers_of(self, node: str, output: str) -> list[InputWire]:
        return [
            w
            for wires in self.wiring.inputs.values()
            for w in wires.values()
            if w.upstream == node and w.output == output
        ]

    def script_spec(
        self, node: str, input_paths: dict[str, str] | None = None, output_paths: dict[str, str] | None = None
    ) -> ScriptExecutionSpec:
        n = self.nodes[node]
        return ScriptExecutionSpec(
            script_name=n.script_name,
            step_name=node,
            script_path=str(n.resolved.script_path) if n.resolved.script_path else None,
            input_paths=input_paths or {},
            output_paths=output_paths or {},
            environ_vars=n.environ_vars,
            job_args=n.job_args,
            timeout_s=n.timeout_s,
        )

    @cached_property
    def contract_problems(self) -> dict[str, list[contracts.Problem]]:
        """Static contract problems of every node: production's load-time rules for its interface
        (:mod:`.interface_rules`), and for a script node its alignment with the script and settings."""
        scripts = [n for n in self.order if self.nodes[n].resolved.has_script]
        try:  # with the values the plan really passes (merged environ_vars, job_args) and its variants
            found = contracts.check_plan(self)
        except (OSError, SyntaxError, ValueError) as exc:  # a script the analysis cannot read
            where = str(self.project.file)
            note = f"the static contract check could not read the scripts ({exc}); it was skipped"
            found = {n: [contracts.Problem("warning", where, note, "analysis-failed")] for n in scripts}
        for name in self.order:
            r = self.nodes[name].resolved
            refused = [
                contracts.Problem(p.severity, p.where, f"{name}: {p.message}", p.kind)
                for p in load_problems(r.interface, r.interface_path, r.job_type)
            ]
            if refused:
                found[name] = refused + found.get(name, [])
        return found

    def script_usage(self, node: str) -> contracts.ScriptUsage | None:
        """What the node's script uses of main's arguments (static analysis), ``None`` if unreadable."""
        script = self.nodes[node].resolved.script_path
        if script is None:
            return None
        cache = self._usage  # by script: the nodes of one script (variants, a chain of hops) share it
        if script not in cache:
            try:
                cache[script] = contracts.analyze_script(script, list(self.project.python_path))
            except (OSError, SyntaxError, ValueError):
                cache[script] = None
        return cache[script]

    def runtime_contract(self, node: str, accessed: dict[str, list[str]]) -> list[contracts.Problem]:
        """What the script read at run time that its interface or the static check did not foresee."""
        r = self.nodes[node].resolved
        if not accessed or r.script_path is None:
            return []
        return contracts.compare_runtime(
            accessed, r.interface, self.script_usage(node), interface_path=r.interface_path
        )

    def testing_spec(
        self, paths: dict[str, tuple[dict[str, str], dict[str, str]]] | None = None
    ) -> PipelineTestingSpec:
        paths = paths or {}
        return PipelineTestingSpec(
            pipeline=self.name,
            dag_path=str(self.dag_path),
            project=str(self.project.root),
            order=self.order,
            edges=[tuple(e) for e in self.dag.edges],
            scripts={n: self.script_spec(n, *paths.get(n, ({}, {}))) for n in self.order},
            wiring=self.wiring.report_lines(),
        )


class CatalogCache:
    """One step catalog per set of workspaces, so several pipelines of a project index files once."""

    def __init__(self) -> None:
        self._catalogs: dict[tuple[Path, ...], tuple[tuple, StepCatalog]] = {}

    def forget(self, project: Project) -> None:
        self._catalogs.pop(tuple(project.workspaces), None)

    def get(self, project: Project) -> StepCatalog:
        """The catalog of the project's workspaces, indexed again when any interface or script changed."""
        key = tuple(project.workspaces)
        fingerprint = workspace_fingerprint(list(key))
        cached = self._catalogs.get(key)
        if cached is None or cached[0] != fingerprint:
            cached = self._catalogs[key] = (fingerprint, StepCatalog(list(key)))
        return cached[1]


_CATALOGS = CatalogCache()


def forget_catalog(project: Project) -> None:
    """Index the project's workspaces again on the next plan (after interfaces or scripts changed)."""
    _CATALOGS.forget(project)


def load_plan(
    project: Project, pipeline: str, *, catalog: StepCatalog | None = None, use_pinned_specs: bool = True
) -> PipelinePlan:
    config = project.pipeline(pipeline)
    catalog = catalog or _CATALOGS.get(project)
    dag_path = project.resolve(config.dag)
    dag = PipelineDag.load(dag_path)
    resolved = catalog.resolve_all(dag.nodes)
    wiring = wire_pipeline(
        pipeline, dag, resolved, config, list(project.config.data_profiles), where=str(project.file)
    )
    wiring.raise_for_errors()
    _raise_for_missing_scripts(project, pipeline, resolved, config, catalog)
    # explicit bindings between non-adjacent nodes become ordering edges (a cycle is reported)
    extra = [
        (w.upstream, w.node)
        for wires in wiring.inputs.values()
        for w in wires.values()
        if w.kind == "binding" and (w.upstream, w.node) not in dag.edges
    ]
    if extra:
        dag = PipelineDag(
            dag.nodes,
            dag.edges + extra,
            metadata=dag.metadata,
            source=f"{dag_path} + bindings in {project.file}",
        )
    store = SpecStore(state_root(project))
    nodes = {}
    names = {n: script_name_for(n, r.script_path, r.step_type, r.job_type) for n, r in resolved.items()}
    taken = list(names.values())
    for n, v in names.items():  # one spec file per node: a short name two nodes share gets the job type
        if taken.count(v) > 1 and resolved[n].job_type:
            names[n] = f"{v}_{resolved[n].job_type}"
    for name in dag.order:
        r = resolved[name]
        settings = config.nodes.get(name, NodeSettings())
        nodes[name] = _node_plan(
            project, pipeline, r, settings, wiring, store if use_pinned_specs else None, names[name]
        )
        nodes[name].warnings += _ignored_keys(catalog, r)
    return PipelinePlan(
        project=project,
        name=pipeline,
        config=config,
        dag=dag,
        dag_path=dag_path,
        nodes=nodes,
        wiring=wiring,
        catalog=catalog,
    )


def _raise_for_missing_scripts(
    project: Project,
    pipeline: str,
    resolved: dict[str, ResolvedNode],
    config: PipelineConfig,
    catalog: StepCatalog,
) -> None:
    """A node whose interface names an ``entry_point`` no workspace has is an error (it would otherwise
    be reported as if tested), unless every output of it comes from a configured source."""
    missing = []
    for name, r in resolved.items():
        entry = r.missing_script
        outputs = r.interface.output_names
        if entry and not (outputs and all(f"{name}.{o}" in config.sources for o in outputs)):
            missing.append(f"  - {name}: '{entry}' (named in {r.interface_path})")
    if missing:
        searched = ", ".join(str(w) for w in catalog.workspaces)
        raise CatalogError(
            f"{len(missing)} script(s) named by an entry_point were not found in the workspaces ({searched})",
            where=f"{project.file}: pipeline {pipeline}",
            hint="add the script to a workspace, fix the entry_point, or (for a step that runs as a managed "
            f"service) configure every output of the node under pipelines.{pipeline}.sources",
            details="\n".join(missing),
        )


@dataclass
class PlanCheck:
    """Everything found while planning one pipeline: the plan when it can run, else ``None``, and every
    problem (never only the first). ``wiring`` covers every input of every node that could be resolved."""

    name: str
    where: str
    plan: PipelinePlan | None = None
    wiring: Wiring | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.errors

    def error(self) -> ConfigError:
        """The problems as one error: a sentence first, each problem on its own line after."""
        errors = self.errors or [Problem("error", self.where, "the pipeline cannot be planned")]
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        return ConfigError(
            f"pipeline '{self.name}' cannot run: {first.where}: {first.message.rstrip('.')}{more}",
            hint="run 'script-testing validate' for the whole list" if more else None,
            details="\n".join(f"  - {p}" for p in errors[1:]) or None,
        )


def _problem(exc: ScriptTestingError, where: str) -> Problem:
    text = f"{exc.what.rstrip('.')}" + (f"; {exc.hint.rstrip('.')}" if exc.hint else "") + "."
    if exc.details:
        text += "\n" + exc.details
    return Problem("error", exc.where or where, text, "config")


def inspect_plan(project: Project, pipeline: str, *, catalog: StepCatalog | None = None) -> PlanCheck:
    """Plan ``pipeline`` collecting every problem instead of stopping at the first one."""
    where = str(project.file)
    check = PlanCheck(pipeline, where)
    try:
        config = project.pipeline(pipeline)
        catalog = catalog or _CATALOGS.get(project)
        dag_path = project.resolve(config.dag)
        dag = PipelineDag.load(dag_path)
    except ScriptTestingError as exc:
        check.problems.append(_problem(exc, where))
        return check
    resolved: dict[str, ResolvedNode] = {}
    for node in dag.nodes:
        try:
            resolved[node] = catalog.resolve(node)
        except ScriptTestingError as exc:
            check.problems.append(Problem("error", node, _problem(exc, where).message, "config"))
    sub = dag
    if len(resolved) < len(dag.nodes):  # wire what can be wired: the resolved nodes and their edges
        edges = [(a, b) for a, b in dag.edges if a in resolved and b in resolved]
        sub = PipelineDag(list(resolved), edges, metadata=dag.metadata, source=dag.source)
    try:
        check.wiring = wire_pipeline(
            pipeline, sub, resolved, config, list(project.config.data_profiles), where=where
        )
    except ScriptTestingError as exc:
        check.problems.append(_problem(exc, where))
    else:
        check.problems += check.wiring.problems
    seen: set[str] = set()
    for r in resolved.values():  # keys production ignores (a variant's own step_type): a warning only
        for text in _ignored_keys(catalog, r):
            if text not in seen:
                seen.add(text)
                where_ = str(r.interface_path)
                check.problems.append(
                    Problem("warning", where_, text.removeprefix(f"{where_}: "), "interface")
                )
    for err in catalog.unclaimed_errors:  # a broken file no node can be matched to: worth knowing
        check.problems.append(
            Problem("warning", err.where or where, f"interface file ignored: {err.what}", "interface")
        )
    if not check.errors:
        try:
            check.plan = load_plan(project, pipeline, catalog=catalog)
        except ScriptTestingError as exc:
            check.problems.append(_problem(exc, where))
    return check


def _ignored_keys(catalog: StepCatalog, r: ResolvedNode) -> list[str]:
    marker = f": variants.{r.job_type}:"
    return [w for w in catalog.interface_file(r.step_type).warnings if r.job_type and marker in w]


def resolve_job_args(r: ResolvedNode, settings: NodeSettings) -> dict[str, Any]:
    """The script's ``job_args``: each of the interface's ``job_arguments`` from the node's settings,
    ``job_type`` defaulting to the node name's suffix; extra settings keys are passed too."""
    job_args: dict[str, Any] = {}
    for arg in r.interface.contract.job_arguments:
        source = arg.source or arg.dest
        if source in settings.job_args:
            job_args[arg.dest] = settings.job_args[source]
        elif arg.dest in settings.job_args:
            job_args[arg.dest] = settings.job_args[arg.dest]
        elif source == "job_type":
            job_args[arg.dest] = r.job_type
        else:
            job_args[arg.dest] = arg.default
    for key, value in settings.job_args.items():
        job_args.setdefault(key, value)
    return job_args


def _node_plan(
    project: Project,
    pipeline: str,
    r: ResolvedNode,
    settings: NodeSettings,
    wiring: Wiring,
    store: SpecStore | None,
    script_name: str | None = None,
) -> NodePlan:
    contract = r.interface.contract
    warnings: list[str] = wiring.warnings_for(r.name)
    environ = dict(contract.env_vars.optional)
    environ.update(settings.environ_vars)
    job_args = resolve_job_args(r, settings)
    for arg in contract.job_arguments:
        source = arg.source or arg.dest
        if source == "job_type" and job_args.get(arg.dest) is None and r.has_script:
            warnings.append(
                f"{r.name}: job argument {arg.flag} is unset (the node name has no job type "
                f"suffix); set pipelines.{pipeline}.nodes.{r.name}.job_args.{source}"
            )
    script_name = script_name or script_name_for(r.name, r.script_path, r.step_type, r.job_type)
    if store is not None and r.has_script:
        saved = store.load_script_spec(pipeline, script_name)
        if saved is not None and saved.pinned:
            environ, job_args = dict(saved.environ_vars), dict(saved.job_args)
            warnings.append(
                f"{r.name}: using the pinned spec {store.script_spec_path(pipeline, script_name)}"
            )
    missing_env = [v for v in contract.env_vars.required if not environ.get(v)]
    if missing_env and r.has_script:
        warnings.append(
            f"{r.name}: required environment variable(s) {', '.join(missing_env)} are not set; "
            f"set them under pipelines.{pipeline}.nodes.{r.name}.environ_vars"
        )
    runner = project.config.runner
    return NodePlan(
        resolved=r,
        settings=settings,
        inputs=wiring.inputs.get(r.name, {}),
        environ_vars=environ,
        job_args=job_args,
        timeout_s=settings.timeout_s or runner.timeout_s,
        memory_limit_mb=settings.memory_limit_mb or runner.memory_limit_mb,
        script_name=script_name,
        warnings=warnings,
        budgets=budgets_for(project.config, pipeline, r.name) if r.has_script else {},
    )


__all__ = [
    "NodePlan",
    "PipelinePlan",
    "PlanCheck",
    "input_file_name",
    "inspect_plan",
    "load_plan",
    "split_node_port",
]
