"""Guided configuration of what a new DAG is missing: sources, env vars, job args, expectations.

``InteractiveRuntimeTestingFactory("my_new.dag.json", "./my_project")`` resolves every node of the
DAG through the step catalog and wires it with what the project already configures, *without*
failing on what is missing: it collects the pending items instead (required inputs that no edge
and no source provides, outputs of script-less nodes that feed a consumer, required environment
variables that are unset). Each ``configure_script_testing`` call is validated at once and raises
:class:`~script_testing.errors.ConfigError` saying exactly what is wrong. ``save`` writes the result
into the project's ``script_testing.yaml`` (so ``script-testing run`` and the Dagster code location
run the same thing) and ``execute_dag_guided_testing`` saves and runs the pipeline.

The ``configure`` CLI command (``script_testing.cli_configure``) drives the same object.
"""

from __future__ import annotations

import copy
import difflib
import html
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import ValidationError

from script_testing.catalog import ResolvedNode, StepCatalog
from script_testing.errors import ConfigError, ScriptTestingError
from script_testing.formats.dag import PipelineDag
from script_testing.formats.loading import load_model, read_document, validation_error
from script_testing.formats.project import (PROJECT_FILE, Expectations, NodeSettings, PipelineConfig, Project,
                                            ProjectConfig, SourceSpec, load_project)
from script_testing.wiring import InputWire, Wiring, wire_node, suggest_source, wire_pipeline

__all__ = ["InteractiveRuntimeTestingFactory", "NodeConfigurationResult", "PendingItem", "parse_source_answer"]

SOURCE_ANSWER_FORMS = ("synthetic:PROFILE", "signature:PROFILE", "local:PATH", "json:{...}", "s3:s3://bucket/key",
                       "{synthetic: PROFILE, format: csv, ...}")


# ----------------------------------------------------------------------------- small value types


@dataclass(frozen=True)
class PendingItem:
    """One thing a node still needs before the pipeline can run."""

    node: str
    kind: str                       # "input" (a script's input), "output" (of a script-less node), "env"
    name: str                       # the port or the variable name
    suggestion: str | None = None   # the pasteable ``sources`` line (ports only)

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


# ----------------------------------------------------------------------------- answers


def parse_source_answer(answer: Any) -> dict[str, Any]:
    """A source as a user types it -> a source mapping (validated later as :class:`SourceSpec`).

    Accepts ``synthetic:PROFILE``, ``signature:PROFILE``, ``local:PATH``, ``json:{...}``,
    ``s3:s3://bucket/key`` (or a bare ``s3://...``), or a YAML mapping ``{synthetic: p, format: csv}``.
    """
    if isinstance(answer, SourceSpec):
        return answer.model_dump(by_alias=True, exclude_unset=True)
    if isinstance(answer, Mapping):
        return dict(answer)
    text = str(answer or "").strip()
    if not text:
        raise ConfigError("the source is empty", hint="answer one of: " + ", ".join(SOURCE_ANSWER_FORMS))
    if text.startswith("{"):
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"'{text}' is not a valid YAML mapping ({problem})",
                              hint="write it like {synthetic: tabular_binary, format: csv}") from None
        if not isinstance(value, dict):
            raise ConfigError(f"'{text}' is not a mapping", hint="write it like {synthetic: tabular_binary}")
        return value
    if text.startswith("s3://"):
        return {"s3": text}
    kind, sep, rest = text.partition(":")
    kind, rest = kind.strip().lower(), rest.strip()
    if not sep or kind not in ("synthetic", "signature", "local", "json", "s3"):
        raise ConfigError(f"'{text}' is not a source", hint="answer one of: " + ", ".join(SOURCE_ANSWER_FORMS))
    if not rest:
        raise ConfigError(f"'{text}' names no {kind} value", hint="answer one of: " + ", ".join(SOURCE_ANSWER_FORMS))
    if kind == "json":
        try:
            return {"json": yaml.safe_load(rest)}
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"the json value '{rest}' does not parse ({problem})",
                              hint="write it like json:{label_name: label}") from None
    return {kind: rest}


def suggested_value(suggestion: str | None) -> str | None:
    """``"Node.port: {synthetic: p, format: csv}"`` -> ``"{synthetic: p, format: csv}"``."""
    if not suggestion:
        return None
    return suggestion.split(": ", 1)[1] if ": " in suggestion else suggestion


def _close(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
    if close:
        return f"did you mean {', '.join(close)}? (known: {', '.join(known) or 'none'})"
    return f"known: {', '.join(known) or 'none'}"


class _NoAliasDumper(yaml.SafeDumper):
    """Writes shared values (YAML anchors in the original) out in full: easier to read and edit."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: D401
        return True


def _dump_yaml(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


# ----------------------------------------------------------------------------- the factory


class InteractiveRuntimeTestingFactory:
    """Find what a DAG's nodes still need, take it step by step with immediate validation, save, run.

    ``dag_or_pipeline``: a pipeline name of the project, a path to a ``*.dag.json`` (added as a new
    pipeline when the project does not have it yet), or a project folder holding one pipeline.
    ``project``: a folder, a ``script_testing.yaml`` or a loaded :class:`Project`; by default the project
    holding the DAG file, else ``$SCRIPT_TESTING_PROJECT``, else the bundled examples (saving those
    needs ``save(path=DIR)``: a writable folder to copy them into).
    """

    def __init__(self, dag_or_pipeline: str | Path, project: str | Path | Project | None = None) -> None:
        self.project, self.pipeline, self.is_new_pipeline, base = self._resolve(dag_or_pipeline, project)
        self._base_config: PipelineConfig = base
        self.catalog = StepCatalog(self.project.workspaces)
        self.dag_path = self.project.resolve(base.dag)
        self.dag = PipelineDag.load(self.dag_path)
        self.nodes: dict[str, ResolvedNode] = self.catalog.resolve_all(self.dag.nodes)
        # what this session configured (applied over the project's own configuration)
        self._sources: dict[str, SourceSpec] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        self._expectations: dict[str, Expectations] = {}
        self._configured: list[str] = []
        self._dirty = self.is_new_pipeline
        self._initially_ready: set[str] = set()
        self._analyse()
        self._initially_ready = {n for n in self.dag.order if not self._pending_by_node.get(n)}

    # ------------------------------------------------------------------ target resolution

    @staticmethod
    def _resolve(target: str | Path, project: str | Path | Project | None
                 ) -> tuple[Project, str, bool, PipelineConfig]:
        from script_testing.api import open_project

        path = Path(str(target)).expanduser()
        if path.suffix == ".json" and path.is_file():
            if project is not None:
                proj = open_project(project)
            else:
                proj = next((load_project(p) for p in path.resolve().parents if (p / PROJECT_FILE).exists()),
                            None) or open_project(None)
            dag_abs = path.resolve()
            for name, cfg in proj.config.pipelines.items():
                if proj.resolve(cfg.dag) == dag_abs:
                    return proj, name, False, cfg
            dag = PipelineDag.load(dag_abs)   # a broken DAG is reported now, with its path
            name = _new_pipeline_name(dag, dag_abs, proj)
            try:
                rel = os.path.relpath(dag_abs, proj.root)
            except ValueError:                # another drive (Windows)
                rel = str(dag_abs)
            return proj, name, True, PipelineConfig(dag=Path(rel).as_posix())
        if path.suffix == ".json" and str(target).endswith(".dag.json"):
            raise ConfigError("the DAG file does not exist", where=str(path), hint="check the path")
        if path.is_dir() and (path / PROJECT_FILE).exists() or path.name == PROJECT_FILE and path.is_file():
            proj = load_project(path)
            if project is not None and open_project(project).file != proj.file:
                raise ConfigError("two different projects were given", where=str(path),
                                  hint="pass a pipeline name or a DAG path as the first argument")
            names = list(proj.config.pipelines)
            if len(names) != 1:
                raise ConfigError(f"the project has {len(names)} pipelines; name one", where=str(proj.file),
                                  hint=f"pipelines: {', '.join(names) or 'none'}")
            return proj, names[0], False, proj.config.pipelines[names[0]]
        proj = open_project(project)
        return proj, str(target), False, proj.pipeline(str(target))

    # ------------------------------------------------------------------ effective configuration

    def _effective_config(self, extra_sources: Mapping[str, SourceSpec] | None = None) -> PipelineConfig:
        cfg = self._base_config.model_copy(deep=True)
        cfg.sources = {**cfg.sources, **self._sources, **(extra_sources or {})}
        nodes = dict(cfg.nodes)
        for node, upd in self._settings.items():
            nodes[node] = _merge_settings(nodes.get(node), upd)
        cfg.nodes = nodes
        cfg.expectations = {**cfg.expectations, **self._expectations}
        return cfg

    @property
    def pipeline_config(self) -> PipelineConfig:
        """The pipeline's configuration as it would be saved now."""
        return self._effective_config()

    def _analyse(self) -> None:
        """Wire with what is configured; collect what is pending instead of failing."""
        config = self._effective_config()
        pending: list[PendingItem] = []
        profiles = list(self.project.config.data_profiles)
        # 1. script inputs nothing provides (same rules as wire_pipeline: wiring.wire_node per node)
        for name in self.dag.order:
            node = self.nodes[name]
            if not node.has_script:
                continue
            for w in wire_node(node, self.dag, self.nodes, config).values():
                if w.kind == "unwired" and w.required:
                    pending.append(PendingItem(name, "input", w.input,
                                               suggest_source(node, w.input, profiles, is_output=False)))
        # 2. the full wiring, with placeholders where inputs are pending; it raises only for real
        #    problems in the project's own keys (a source for a node not in the DAG, ...)
        placeholders = {p.key: SourceSpec.model_validate({"json": {}}) for p in pending}
        wiring = self._wire(config, placeholders)
        # 3. outputs of script-less nodes that feed a consumer need a source
        seen: set[str] = set()
        for wires in wiring.inputs.values():
            for w in wires.values():
                if w.kind in ("edge", "binding") and not self.nodes[w.upstream].has_script:
                    key = f"{w.upstream}.{w.output}"
                    if wiring.data_outputs[w.upstream].get(w.output) is None and key not in seen:
                        seen.add(key)
                        pending.append(PendingItem(w.upstream, "output", w.output,
                                                   suggest_source(self.nodes[w.upstream], w.output, profiles,
                                                                  is_output=True)))
        # 4. required environment variables
        for name in self.dag.order:
            node = self.nodes[name]
            if not node.has_script:
                continue
            env = self._environ(name, config)
            for var in node.interface.contract.env_vars.required:
                if not env.get(var):
                    pending.append(PendingItem(name, "env", var))
        rank = {n: i for i, n in enumerate(self.dag.order)}
        kinds = {"output": 0, "input": 1, "env": 2}
        pending.sort(key=lambda p: (rank[p.node], kinds[p.kind]))
        self._config = config
        self._wiring = wiring
        self._placeholders = set(placeholders)
        self._pending = pending
        self._pending_by_node: dict[str, list[PendingItem]] = {}
        for p in pending:
            self._pending_by_node.setdefault(p.node, []).append(p)

    def _wire(self, config: PipelineConfig, placeholders: Mapping[str, SourceSpec]) -> Wiring:
        filled = config.model_copy(deep=True)
        filled.sources = {**filled.sources, **placeholders}
        # data outputs that feed a consumer get a placeholder too, so wire_pipeline raises only for
        # problems of configuration keys (which the user must fix in the file)
        for name, node in self.nodes.items():
            if not node.has_script:
                for out in node.interface.output_names:
                    filled.sources.setdefault(f"{name}.{out}", SourceSpec.model_validate({"json": {}}))
        wiring = wire_pipeline(self.pipeline, self.dag, self.nodes, filled,
                               list(self.project.config.data_profiles), where=str(self.project.file))
        if any(p.category == "config" for p in wiring.errors):
            wiring.raise_for_errors()
        # undo the data-output placeholders: they are what we want to find out about
        for node, outs in wiring.data_outputs.items():
            for out in outs:
                outs[out] = config.sources.get(f"{node}.{out}")
        return wiring

    def _environ(self, node: str, config: PipelineConfig | None = None) -> dict[str, str]:
        config = config or self._config
        r = self.nodes[node]
        env = dict(r.interface.contract.env_vars.optional)
        settings = config.nodes.get(node)
        if settings is not None:
            env.update(settings.environ_vars)
        return env

    def _job_args(self, node: str, config: PipelineConfig | None = None) -> dict[str, Any]:
        """The job arguments as the plan builds them (job_type defaults to the node name's suffix)."""
        from script_testing.plan import resolve_job_args
        config = config or self._config
        return resolve_job_args(self.nodes[node], config.nodes.get(node) or NodeSettings())

    # ------------------------------------------------------------------ queries

    def get_pending_script_configurations(self) -> dict[str, dict[str, Any]]:
        """Every node with something required still missing -> what it requires."""
        return {n: self.node_requirements(n) for n in self.dag.order if self._pending_by_node.get(n)}

    def get_auto_configured_scripts(self) -> list[str]:
        """Nodes that needed nothing from this session: every required input is provided by an edge or
        a source the project already configures, and every required env var is set."""
        return [n for n in self.dag.order if n in self._initially_ready and n not in self._configured
                and not self._pending_by_node.get(n)]

    def get_configured_scripts(self) -> list[str]:
        """Nodes configured in this session with nothing left pending."""
        return [n for n in self.dag.order if n in self._configured and not self._pending_by_node.get(n)]

    @property
    def pending_items(self) -> list[PendingItem]:
        return list(self._pending)

    @property
    def is_ready(self) -> bool:
        return not self._pending

    def node_requirements(self, node: str) -> dict[str, Any]:
        """What one node needs: inputs (contract path, required, how provided, suggested source),
        outputs of a script-less node, env vars (required / optional defaults / missing), job args."""
        self._check_node(node)
        r = self.nodes[node]
        contract = r.interface.contract
        profiles = list(self.project.config.data_profiles)
        pending = self._pending_by_node.get(node, [])
        pending_keys = {(p.kind, p.name) for p in pending}
        info: dict[str, Any] = {
            "node": node, "step_type": r.step_type, "job_type": r.job_type, "role": r.role,
            "script": str(r.script_path) if r.script_path else None,
            "interface": str(r.interface_path),
        }
        if r.has_script:
            wires = self._wiring.inputs.get(node, {})
            inputs: dict[str, Any] = {}
            for name in r.interface.input_names:
                c = contract.inputs.get(name)
                w = wires.get(name)
                is_pending = ("input", name) in pending_keys
                entry = {"path": c.path if c is not None else None, "required": r.interface.required_input(name),
                         "channels": c.channels if c is not None else None,
                         "provided_by": None if is_pending else _provided_by(w),
                         "pending": is_pending}
                if is_pending or (w is not None and not w.provided):
                    sugg = suggest_source(r, name, profiles, is_output=False)
                    entry["suggested_source"] = sugg
                    entry["suggested_spec"] = _suggested_spec(sugg)
                inputs[name] = entry
            info["inputs"] = inputs
        else:
            consumed = {(w.upstream, w.output) for ws in self._wiring.inputs.values() for w in ws.values()}
            outputs: dict[str, Any] = {}
            for name in r.interface.output_names:
                c = contract.outputs.get(name)
                src = self._config.sources.get(f"{node}.{name}")
                is_pending = ("output", name) in pending_keys
                entry = {"path": c.path if c is not None else None, "required": (node, name) in consumed,
                         "provided_by": src.describe() if src is not None else None, "pending": is_pending}
                if src is None:
                    sugg = suggest_source(r, name, profiles, is_output=True)
                    entry["suggested_source"] = sugg
                    entry["suggested_spec"] = _suggested_spec(sugg)
                outputs[name] = entry
            info["outputs"] = outputs
        env = self._environ(node)
        info["environ_vars"] = {
            "required": {v: env.get(v) or None for v in contract.env_vars.required},
            "optional": dict(contract.env_vars.optional),
            "configured": dict((self._config.nodes.get(node) or NodeSettings()).environ_vars),
            "missing": [p.name for p in pending if p.kind == "env"],
        }
        job_args = self._job_args(node)
        info["job_args"] = job_args
        info["advisories"] = self._advisories(node, job_args)
        info["pending"] = [p.describe() for p in pending]
        return info

    def _advisories(self, node: str, job_args: dict[str, Any] | None = None) -> list[str]:
        r = self.nodes[node]
        if not r.has_script:
            return []
        job_args = self._job_args(node) if job_args is None else job_args
        return [f"job argument --{k} is unset (the node name has no job type suffix); "
                f"pass job_args={{'{k}': ...}}" for k, v in job_args.items() if v is None]

    # ------------------------------------------------------------------ configuring

    def configure_script_testing(self, node: str, *, sources: Mapping[str, SourceSpec | Mapping | str] | None = None,
                                 environ_vars: Mapping[str, Any] | None = None,
                                 job_args: Mapping[str, Any] | None = None, timeout_s: float | None = None,
                                 expectations: Mapping[str, Expectations | Mapping] | None = None
                                 ) -> NodeConfigurationResult:
        """Validate and record one node's configuration; raise :class:`ConfigError` on the first problem.

        ``sources`` keys are the node's input names (or, for a node without a script, its output
        names); values are a :class:`SourceSpec`, a mapping or an answer such as ``synthetic:PROFILE``.
        Nothing is recorded when anything is wrong. Returns what is still pending for the node.
        """
        self._check_node(node)
        r = self.nodes[node]
        prefix = ("pipelines", self.pipeline)
        where = str(self.project.file)
        new_sources: dict[str, SourceSpec] = {}
        for port, value in (sources or {}).items():
            self._check_port(node, port, "sources")
            key = f"{node}.{port}"
            try:
                data = parse_source_answer(value)
            except ConfigError as exc:
                raise ConfigError(f"{key}: {exc.what}", where=where, hint=exc.hint) from None
            try:
                spec = SourceSpec.model_validate(data)
            except ValidationError as exc:
                raise validation_error(where, exc, prefix=(*prefix, "sources", key)) from None
            self._check_source(key, spec)
            new_sources[key] = spec

        settings_update: dict[str, Any] = {}
        if environ_vars:
            required = set(r.interface.contract.env_vars.required)
            env: dict[str, str] = {}
            for var, value in environ_vars.items():
                var = str(var)
                if not var or var != var.strip() or "=" in var:
                    raise ConfigError(f"'{var}' is not a valid environment variable name", where=node,
                                      hint="use a plain name such as LABEL_FIELD")
                text = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
                if var in required and not text.strip():
                    raise ConfigError(f"required environment variable {var} of {node} is set to an empty value",
                                      where=node, hint=f"give {var} a non-empty value")
                env[var] = text
            settings_update["environ_vars"] = env
        if job_args:
            settings_update["job_args"] = dict(job_args)
        if timeout_s is not None:
            settings_update["timeout_s"] = timeout_s
        if settings_update:
            try:
                NodeSettings.model_validate(settings_update)
            except ValidationError as exc:
                raise validation_error(where, exc, prefix=(*prefix, "nodes", node)) from None

        new_expectations: dict[str, Expectations] = {}
        for port, value in (expectations or {}).items():
            self._check_port(node, port, "expectations")
            key = f"{node}.{port}"
            try:
                exp = value if isinstance(value, Expectations) else Expectations.model_validate(value)
            except ValidationError as exc:
                raise validation_error(where, exc, prefix=(*prefix, "expectations", key)) from None
            new_expectations[key] = exp

        # everything is valid: record it, then make sure the whole configuration still wires
        saved = (dict(self._sources), copy.deepcopy(self._settings), dict(self._expectations), list(self._configured))
        self._sources.update(new_sources)
        if settings_update:
            current = self._settings.setdefault(node, {})
            for k, v in settings_update.items():
                current[k] = {**current.get(k, {}), **v} if k in ("environ_vars", "job_args") else v
        self._expectations.update(new_expectations)
        if node not in self._configured:
            self._configured.append(node)
        try:
            self._analyse()
        except ScriptTestingError:
            self._sources, self._settings, self._expectations, self._configured = saved
            self._analyse()
            raise
        self._dirty = True
        return self.node_status(node)

    def node_status(self, node: str) -> NodeConfigurationResult:
        self._check_node(node)
        return NodeConfigurationResult(node, [p.describe() for p in self._pending_by_node.get(node, [])],
                                       self._advisories(node))

    def _check_node(self, node: str) -> None:
        if node not in self.nodes:
            raise ConfigError(f"'{node}' is not a node of pipeline '{self.pipeline}'", where=str(self.dag_path),
                              hint=_close(node, list(self.dag.order)))

    def _check_port(self, node: str, port: str, section: str) -> None:
        r = self.nodes[node]
        if section == "sources":
            if r.has_script:
                if port in r.interface.output_names and port not in r.interface.input_names:
                    raise ConfigError(f"'{port}' is an output of {node}, which has a script; sources feed inputs",
                                      where=node, hint=f"inputs: {', '.join(r.interface.input_names) or 'none'}")
                known, what = r.interface.input_names, "input"
            else:
                known, what = r.interface.output_names, "output (the node has no script)"
        else:
            known = list(dict.fromkeys((r.interface.input_names if r.has_script else []) + r.interface.output_names))
            what = "port"
        if port not in known:
            raise ConfigError(f"'{port}' is not an {what} of {node}" if what[0] in "aeiou" else
                              f"'{port}' is not a {what} of {node}", where=node, hint=_close(port, known))

    def _check_source(self, key: str, spec: SourceSpec) -> None:
        """Problems found before anything runs: unknown profile, missing local path, bad S3 URI."""
        where = f"{self.project.file}: pipelines.{self.pipeline}.sources.{key}"
        kind = spec.kind
        profiles = self.project.config.data_profiles
        if kind in ("synthetic", "signature"):
            name = spec.synthetic if kind == "synthetic" else spec.signature
            if name not in profiles:
                raise ConfigError(f"{key}: data profile '{name}' is not defined", where=str(self.project.file),
                                  hint=f"define it under data_profiles or use one of them; {_close(name, list(profiles))}")
        elif kind == "local":
            from script_testing.sources.local import resolve_local
            from script_testing.sources.base import SourceContext
            path = resolve_local(spec, SourceContext(project_root=self.project.root))
            if not path.exists():
                raise ConfigError(f"{key}: the local path '{spec.local}' does not exist ({path})",
                                  where=str(self.project.file),
                                  hint=f"relative paths are relative to the project folder {self.project.root}")
        elif kind == "s3":
            from script_testing.s3.uri import S3Uri
            try:
                S3Uri.parse(spec.s3 or "")
            except ScriptTestingError as exc:
                raise ConfigError(f"{key}: {exc.what}", where=where, hint=exc.hint) from None
        if kind != "s3":  # the same cheap checks a run does first (no network)
            from script_testing import sources
            from script_testing.sources.base import SourceContext
            ctx = SourceContext(project_root=self.project.root, profiles=profiles)
            problems = sources.check(spec, ctx)
            if problems:
                raise ConfigError(f"{key}: {problems[0]}", where=str(self.project.file),
                                  details="\n".join(f"  - {p}" for p in problems[1:]) or None)

    # ------------------------------------------------------------------ summary

    def get_testing_factory_summary(self) -> dict[str, Any]:
        auto = self.get_auto_configured_scripts()
        configured = self.get_configured_scripts()
        pending = [n for n in self.dag.order if self._pending_by_node.get(n)]
        advisories = [f"{n}: {a}" for n in self.dag.order for a in self._advisories(n)]
        return {
            "pipeline": self.pipeline, "project": str(self.project.file), "dag": str(self.dag_path),
            "new_pipeline": self.is_new_pipeline, "nodes": len(self.dag.order),
            "counts": {"auto_configured": len(auto), "configured": len(configured), "pending": len(pending)},
            "auto_configured": auto, "configured": configured, "pending": pending,
            "pending_items": [p.describe() for p in self._pending],
            "advisories": advisories, "ready": self.is_ready, "unsaved_changes": self._dirty,
        }

    def summary_text(self) -> str:
        s = self.get_testing_factory_summary()
        c = s["counts"]
        lines = [f"pipeline {s['pipeline']} ({s['nodes']} nodes){' [new]' if s['new_pipeline'] else ''}: "
                 f"{c['auto_configured']} auto-configured, {c['configured']} configured, {c['pending']} pending",
                 f"  project: {s['project']}"]
        for n in s["auto_configured"]:
            lines.append(f"  auto     {n}")
        for n in s["configured"]:
            lines.append(f"  set      {n}")
        for n in s["pending"]:
            lines.append(f"  PENDING  {n}")
        for item in s["pending_items"]:
            lines.append(f"    - {item}")
        for a in s["advisories"]:
            lines.append(f"    note: {a}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<InteractiveRuntimeTestingFactory {self.summary_text()}>"

    def _repr_html_(self) -> str:
        s = self.get_testing_factory_summary()
        c = s["counts"]
        e = html.escape
        rows = []
        for n in self.dag.order:
            status = "pending" if n in s["pending"] else "configured" if n in s["configured"] else "auto-configured"
            items = "<br>".join(e(p.describe()) for p in self._pending_by_node.get(n, []))
            rows.append(f"<tr><td>{e(n)}</td><td>{e(self.nodes[n].role)}</td><td>{status}</td><td>{items}</td></tr>")
        return (f"<div><b>{e(s['pipeline'])}</b> &mdash; {c['auto_configured']} auto-configured, "
                f"{c['configured']} configured, {c['pending']} pending"
                f"<table><tr><th>node</th><th>role</th><th>status</th><th>pending</th></tr>{''.join(rows)}</table>"
                f"<small>{e(s['project'])}</small></div>")

    # ------------------------------------------------------------------ saving and running

    def save(self, path: str | Path | None = None, *, allow_pending: bool = False) -> Path:
        """Write the configuration into ``script_testing.yaml`` (the rest of the file is kept; the old
        file is kept as ``script_testing.yaml.bak``) and return the file's path.

        ``path``: the project folder or file to write (default: the project's own). A different folder
        gets a copy of the project first (required for the bundled examples, which live inside the
        installed package). Refuses while anything required is pending unless ``allow_pending``: a
        pipeline with unprovided inputs would make ``script-testing run`` fail for the whole project.
        """
        from script_testing.plan import load_plan
        from script_testing.state import is_bundled

        if self._pending and not allow_pending:
            raise ConfigError(f"pipeline '{self.pipeline}' still has {len(self._pending)} pending item(s); not saved",
                              where=str(self.project.file),
                              hint="configure them with configure_script_testing (or save(allow_pending=True))",
                              details="\n".join(f"  - {p.describe()}" for p in self._pending))
        target = self._target_file(path)
        copied = target.parent.resolve() != self.project.root.resolve()
        if copied:
            self._copy_project_to(target.parent)
        elif not self._dirty:
            return target                   # nothing to write: keep the file (and its comments) untouched
        elif is_bundled(self.project):
            raise ConfigError("the bundled examples live inside the installed package and are not saved in place",
                              where=str(self.project.file),
                              hint="pass save(path=DIR) (CLI: --save-to DIR) with a writable folder: the project is "
                                   "copied there and the configuration saved in the copy")
        doc = read_document(target) if target.exists() else None
        doc = dict(doc or {})
        pipelines = dict(doc.get("pipelines") or {})
        entry = dict(pipelines.get(self.pipeline) or {})
        if self.is_new_pipeline or copied or "dag" not in entry:
            entry["dag"] = self._dag_reference(target.parent)
        if self._sources:
            srcs = dict(entry.get("sources") or {})
            for key, spec in self._sources.items():
                srcs[key] = _spec_to_yaml(spec)
            entry["sources"] = srcs
        if self._settings:
            nodes = dict(entry.get("nodes") or {})
            for node, upd in self._settings.items():
                nodes[node] = _merge_node_yaml(nodes.get(node), upd)
            entry["nodes"] = nodes
        if self._expectations:
            exps = dict(entry.get("expectations") or {})
            for key, exp in self._expectations.items():
                exps[key] = exp.model_dump(mode="json", exclude_unset=True)
            entry["expectations"] = exps
        pipelines[self.pipeline] = _ordered_pipeline(entry)
        doc["pipelines"] = pipelines
        text = _dump_yaml(doc)

        # validate what would be written, before writing it
        config = load_model(ProjectConfig, target, yaml.safe_load(text))
        candidate = Project(root=target.parent, file=target, config=config)
        load_plan(candidate, self.pipeline, catalog=StepCatalog(candidate.workspaces), use_pinned_specs=False)

        from script_testing.specs import atomic_write_text
        if target.exists():
            shutil.copy2(target, target.with_name(target.name + ".bak"))
        atomic_write_text(target, text)
        self.project = load_project(target)
        self._base_config = self.project.config.pipelines[self.pipeline]
        self.dag_path = self.project.resolve(self._base_config.dag)
        self.is_new_pipeline = False
        self._sources, self._settings, self._expectations = {}, {}, {}
        self._analyse()
        self._dirty = False
        return target

    def _target_file(self, path: str | Path | None) -> Path:
        if path is None:
            return self.project.file
        p = Path(path).expanduser().resolve()
        if p.suffix in (".yaml", ".yml"):
            return p
        return p / PROJECT_FILE

    def _copy_project_to(self, dest: Path) -> None:
        dest = Path(dest)
        if (dest / PROJECT_FILE).exists():
            raise ConfigError("that folder already holds another testing project; not overwritten", where=str(dest),
                              hint="save into an empty folder, or open that project and configure it there")
        if self.project.root.resolve() in dest.resolve().parents:
            raise ConfigError("cannot copy the project into a folder inside itself", where=str(dest),
                              hint="choose a folder outside the project")
        shutil.copytree(self.project.root, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            "__pycache__", ".script_testing", ".specs", ".dagster_home", "*.pyc", ".ipynb_checkpoints"))
        old_root = self.project.root
        # relative paths of the copied file point into the copy; a DAG that lived outside the project
        # keeps pointing at the original (save() rewrites this pipeline's 'dag:' accordingly)
        if _inside(self.dag_path, old_root):
            self.dag_path = dest.resolve() / self.dag_path.resolve().relative_to(old_root.resolve())
        self.project = load_project(dest / PROJECT_FILE)

    def _dag_reference(self, root: Path) -> str:
        dag_abs = self.dag_path.resolve()
        try:
            return Path(os.path.relpath(dag_abs, root)).as_posix()
        except ValueError:
            return str(dag_abs)

    def execute_dag_guided_testing(self, *, save_to: str | Path | None = None, pool=None, **run_kwargs: Any):
        """Save, then run the pipeline through :func:`script_testing.api.run` and return its RunReport.

        Refuses while anything required is pending. ``run_kwargs`` are :class:`RunOptions` fields
        (``rows_override``, ``select``, ``parallelism``, ...).
        """
        from script_testing import api
        from script_testing.execute import RunOptions

        if self._pending:
            raise ConfigError(f"pipeline '{self.pipeline}' cannot run yet: {len(self._pending)} required item(s) "
                              f"are pending", where=str(self.project.file),
                              hint="configure them with configure_script_testing (see get_pending_script_configurations())",
                              details="\n".join(f"  - {p.describe()}" for p in self._pending))
        try:
            options = RunOptions(**run_kwargs)
        except TypeError as exc:
            raise ConfigError(f"unknown run option ({exc})",
                              hint="pass RunOptions fields such as rows_override, select, parallelism") from None
        if self._dirty or save_to is not None:
            self.save(save_to)
        _forget_cached_catalog(self.project)
        return api.run(self.pipeline, self.project, options, pool=pool)


# ----------------------------------------------------------------------------- helpers


def _new_pipeline_name(dag: PipelineDag, dag_path: Path, project: Project) -> str:
    stem = dag_path.name[: -len(".dag.json")] if dag_path.name.endswith(".dag.json") else dag_path.stem
    for candidate in (dag.name, stem):
        if candidate and candidate not in project.config.pipelines:
            return str(candidate)
    base = str(dag.name or stem)
    i = 2
    while f"{base}_{i}" in project.config.pipelines:
        i += 1
    return f"{base}_{i}"


def _merge_settings(current: NodeSettings | None, update: Mapping[str, Any]) -> NodeSettings:
    data = current.model_dump(exclude_unset=True) if current is not None else {}
    for k, v in update.items():
        data[k] = {**data.get(k, {}), **v} if k in ("environ_vars", "job_args") else v
    return NodeSettings.model_validate(data)


def _merge_node_yaml(current: Any, update: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(current or {})
    for k, v in update.items():
        if k in ("environ_vars", "job_args"):
            out[k] = {**dict(out.get(k) or {}), **({kk: str(vv) for kk, vv in v.items()} if k == "environ_vars" else v)}
        else:
            out[k] = v
    return out


def _spec_to_yaml(spec: SourceSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json", by_alias=True, exclude_unset=True)


_PIPELINE_KEY_ORDER = ("dag", "description", "schedule", "sources", "nodes", "bindings", "expectations", "execution")


def _ordered_pipeline(entry: dict[str, Any]) -> dict[str, Any]:
    out = {k: entry[k] for k in _PIPELINE_KEY_ORDER if k in entry}
    out.update({k: v for k, v in entry.items() if k not in out})
    return out


def _suggested_spec(suggestion: str | None) -> dict[str, Any] | None:
    value = suggested_value(suggestion)
    try:
        data = yaml.safe_load(value) if value else None
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _provided_by(w: InputWire | None) -> str | None:
    if w is None or not w.provided:
        return None
    if w.kind in ("edge", "binding"):
        return f"{w.kind} {w.upstream}.{w.output}"
    return f"source {w.source.describe()}" if w.source is not None else "source"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _forget_cached_catalog(project: Project) -> None:
    """``load_plan`` caches one step catalog per workspace set; a step type added since must be seen."""
    from script_testing.plan import forget_catalog
    forget_catalog(project)
