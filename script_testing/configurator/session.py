"""The configure session: the pending items, the answers recorded so far, their validation, save, run.

``InteractiveRuntimeTestingFactory("my_new.dag.json", "./my_project")`` resolves every node of the
DAG through the step catalog and wires it with what the project already configures, *without*
failing on what is missing: it collects the pending items instead (required inputs that no edge
and no source provides, outputs of script-less nodes that feed a consumer, required environment
variables that are unset). What a node of the same step type already has in another pipeline of the
project is reused at once (``reuse=False`` to skip), saying where it came from. Each
``configure_script_testing`` call is validated at once and raises :class:`~script_testing.errors.ConfigError`
saying exactly what is wrong. ``preview`` shows the change to ``script_testing.yaml`` as a diff,
``save`` writes it (only the keys that change; comments and layout are kept), and
``execute_dag_guided_testing`` saves and runs the pipeline.

The ``configure`` CLI command (``script_testing.cli.configure``) drives the same object.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from script_testing import api
from script_testing.config.dag import PipelineDag
from script_testing.config.loading import load_model
from script_testing.config.project import (
    PROJECT_FILE,
    Expectations,
    NodeSettings,
    PipelineConfig,
    Project,
    ProjectConfig,
    SourceSpec,
    load_project,
)
from script_testing.config.state import is_bundled
from script_testing.configurator import display, project_file
from script_testing.configurator.answers import MERGED_SETTINGS, Answers, check_node, node_answers
from script_testing.configurator.pending import (
    NodeConfigurationResult,
    PendingItem,
    collect_pending,
    lenient_wiring,
)
from script_testing.configurator.requirements import advisories, node_requirements
from script_testing.configurator.suggestions import Counterparts, Reused, as_answers, find_reuse
from script_testing.configurator.targets import dag_reference, resolve_configure_target, target_file
from script_testing.errors import ConfigError, ScriptTestingError
from script_testing.execution.options import RunOptions
from script_testing.pipeline.catalog import ResolvedNode, StepCatalog
from script_testing.pipeline.plan import forget_catalog, load_plan, resolve_job_args


class InteractiveRuntimeTestingFactory:
    """Find what a DAG's nodes still need, take it step by step with immediate validation, save, run.

    ``dag_or_pipeline``: a pipeline name of the project, a path to a ``*.dag.json`` (added as a new
    pipeline when the project does not have it yet), or a project folder holding one pipeline.
    ``project``: a folder, a ``script_testing.yaml`` or a loaded :class:`Project`; by default the project
    holding the DAG file, else ``$SCRIPT_TESTING_PROJECT``, else the bundled examples (saving those
    needs ``save(path=DIR)``: a writable folder to copy them into). ``reuse``: take what a node of the
    same step type has in another pipeline of the project for every node that needs something.
    """

    def __init__(
        self, dag_or_pipeline: str | Path, project: str | Path | Project | None = None, *, reuse: bool = True
    ) -> None:
        target = resolve_configure_target(dag_or_pipeline, project)
        self.project, self.pipeline, self.is_new_pipeline = target.project, target.pipeline, target.is_new
        self._base_config: PipelineConfig = target.config
        self.catalog = StepCatalog(self.project.workspaces)
        self.dag_path = self.project.resolve(target.config.dag)
        self.dag = PipelineDag.load(self.dag_path)
        self.nodes: dict[str, ResolvedNode] = self.catalog.resolve_all(self.dag.nodes)
        # what this session configured (applied over the project's own configuration)
        self._answers = Answers()
        self._configured: list[str] = []
        self.reused: list[Reused] = []
        self._dirty = self.is_new_pipeline
        self._analyse()
        if reuse:  # what a node of the same step type has in another pipeline, for nodes that need something
            found = find_reuse(
                Counterparts(self.project, self.catalog, self.pipeline, self.dag),
                list(self.dag.order),
                self.nodes,
                self._pending_by_node,
                self._config,
                self._job_args,
            )
            try:
                if found:
                    self._record(as_answers(found), reused=found)
            except ScriptTestingError:  # never let reuse break a session: configure by hand instead
                pass
        self._initially_ready = {n for n in self.dag.order if not self._pending_by_node.get(n)}

    # ------------------------------------------------------------------ effective configuration

    def _effective_config(self) -> PipelineConfig:
        cfg = self._base_config.model_copy(deep=True)
        cfg.sources = {**cfg.sources, **self._answers.sources}
        nodes = dict(cfg.nodes)
        for node, update in self._answers.settings.items():
            data = nodes[node].model_dump(exclude_unset=True) if node in nodes else {}
            for k, v in update.items():
                data[k] = {**data.get(k, {}), **v} if k in MERGED_SETTINGS else v
            nodes[node] = NodeSettings.model_validate(data)
        cfg.nodes = nodes
        cfg.expectations = {**cfg.expectations, **self._answers.expectations}
        return cfg

    @property
    def pipeline_config(self) -> PipelineConfig:
        """The pipeline's configuration as it would be saved now."""
        return self._effective_config()

    def _analyse(self) -> None:
        """Wire with what is configured; collect what is pending instead of failing."""
        config = self._effective_config()
        profiles = list(self.project.config.data_profiles)
        wiring = lenient_wiring(
            self.pipeline, self.dag, self.nodes, config, profiles, where=str(self.project.file)
        )
        self._config, self._wiring = config, wiring
        self._pending = collect_pending(self.dag, self.nodes, wiring, profiles, self._environ)
        self._pending_by_node: dict[str, list[PendingItem]] = {}
        for p in self._pending:
            self._pending_by_node.setdefault(p.node, []).append(p)

    def _environ(self, node: str) -> dict[str, str]:
        env = dict(self.nodes[node].interface.contract.env_vars.optional)
        settings = self._config.nodes.get(node)
        if settings is not None:
            env.update(settings.environ_vars)
        return env

    def _job_args(self, node: str) -> dict[str, Any]:
        """The job arguments as the plan builds them (job_type defaults to the node name's suffix)."""
        return resolve_job_args(self.nodes[node], self._config.nodes.get(node) or NodeSettings())

    def _record(self, answers: Answers, configured: str | None = None, reused: list[Reused] = ()) -> None:
        """Record validated values, then make sure the whole configuration still wires; on a problem
        nothing stays recorded."""
        saved = (copy.deepcopy(self._answers), list(self._configured), list(self.reused))
        self._answers.add(answers)
        if configured and configured not in self._configured:
            self._configured.append(configured)
        self.reused += list(reused)
        try:
            self._analyse()
        except ScriptTestingError:
            self._answers, self._configured, self.reused = saved
            self._analyse()
            raise
        self._dirty = True

    # ------------------------------------------------------------------ queries

    def get_pending_script_configurations(self) -> dict[str, dict[str, Any]]:
        """Every node with something required still missing -> what it requires."""
        return {n: self.node_requirements(n) for n in self.dag.order if self._pending_by_node.get(n)}

    def get_auto_configured_scripts(self) -> list[str]:
        """Nodes that needed nothing from the user: every required input is provided by an edge, a
        source the project already configures or one reused from another pipeline, and every
        required env var is set."""
        return [
            n
            for n in self.dag.order
            if n in self._initially_ready and n not in self._configured and not self._pending_by_node.get(n)
        ]

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
        outputs of a script-less node, env vars (required / optional defaults / missing), job args,
        and what was reused for it from another pipeline."""
        self._check_node(node)
        return node_requirements(
            self.nodes[node],
            self._wiring,
            self._config,
            self._environ(node),
            self._job_args(node),
            self._pending_by_node.get(node, []),
            [x for x in self.reused if x.node == node],
            list(self.project.config.data_profiles),
        )

    def _advisories(self, node: str) -> list[str]:
        return advisories(self.nodes[node], self._job_args(node))

    def get_testing_factory_summary(self) -> dict[str, Any]:
        auto, configured = self.get_auto_configured_scripts(), self.get_configured_scripts()
        pending = [n for n in self.dag.order if self._pending_by_node.get(n)]
        return {
            "pipeline": self.pipeline,
            "project": str(self.project.file),
            "dag": str(self.dag_path),
            "new_pipeline": self.is_new_pipeline,
            "nodes": len(self.dag.order),
            "counts": {"auto_configured": len(auto), "configured": len(configured), "pending": len(pending)},
            "auto_configured": auto,
            "configured": configured,
            "pending": pending,
            "pending_items": [p.describe() for p in self._pending],
            "reused": [x.describe() for x in self.reused],
            "advisories": [f"{n}: {a}" for n in self.dag.order for a in self._advisories(n)],
            "ready": self.is_ready,
            "unsaved_changes": self._dirty,
        }

    def summary_text(self) -> str:
        return display.summary_text(self)

    def __repr__(self) -> str:
        return f"<InteractiveRuntimeTestingFactory {self.summary_text()}>"

    def _repr_html_(self) -> str:
        return display.summary_html(self)

    # ------------------------------------------------------------------ configuring

    def configure_script_testing(
        self,
        node: str,
        *,
        sources: Mapping[str, SourceSpec | Mapping | str] | None = None,
        environ_vars: Mapping[str, Any] | None = None,
        job_args: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
        expectations: Mapping[str, Expectations | Mapping] | None = None,
    ) -> NodeConfigurationResult:
        """Validate and record one node's configuration; raise :class:`ConfigError` on the first problem.

        ``sources`` keys are the node's input names (or, for a node without a script, its output
        names); values are a :class:`SourceSpec`, a mapping or an answer such as ``synthetic:PROFILE``.
        Nothing is recorded when anything is wrong. Returns what is still pending for the node.
        """
        self._check_node(node)
        self._record(
            node_answers(
                self.project,
                self.pipeline,
                self.nodes[node],
                sources=sources,
                environ_vars=environ_vars,
                job_args=job_args,
                timeout_s=timeout_s,
                expectations=expectations,
            ),
            configured=node,
        )
        return self.node_status(node)

    def node_status(self, node: str) -> NodeConfigurationResult:
        self._check_node(node)
        return NodeConfigurationResult(
            node, [p.describe() for p in self._pending_by_node.get(node, [])], self._advisories(node)
        )

    def _check_node(self, node: str) -> None:
        check_node(node, self.nodes, self.pipeline, str(self.dag_path), list(self.dag.order))

    # ------------------------------------------------------------------ preview, saving and running

    def _refuse_pending(self, verb: str) -> None:
        if self._pending:
            raise ConfigError(
                f"pipeline '{self.pipeline}' still has {len(self._pending)} pending item(s); {verb}",
                where=str(self.project.file),
                hint="configure them with configure_script_testing (or save(allow_pending=True))",
                details="\n".join(f"  - {p.describe()}" for p in self._pending),
            )

    def _new_text(self, target: Path) -> tuple[str, str]:
        """(the project file's text now, its text with this session's configuration)."""
        copied = target.parent.resolve() != self.project.root.resolve()
        env = {
            n: {
                k: ({kk: str(vv) for kk, vv in v.items()} if k == "environ_vars" else v) for k, v in u.items()
            }
            for n, u in self._answers.settings.items()
        }
        changes = project_file.ProjectChanges(
            self.pipeline,
            dag_reference(self.dag_path, self.project.root, target.parent)
            if self.is_new_pipeline or copied
            else None,
            dict(self._answers.sources),
            env,
            dict(self._answers.expectations),
        )
        old = project_file.read_text(self.project.file)
        return old, project_file.updated_text(old, changes)

    def preview(self, path: str | Path | None = None) -> str:
        """What ``save(path)`` would change in the project file, as a unified diff ('' if nothing).
        Writes nothing (and works while items are pending)."""
        target = target_file(self.project.file, path)
        copied = target.parent.resolve() != self.project.root.resolve()
        if not copied and not self._dirty:
            return ""
        old, new = self._new_text(target)
        return project_file.unified_diff(old, new, target)

    def save(self, path: str | Path | None = None, *, allow_pending: bool = False) -> Path:
        """Write the configuration into ``script_testing.yaml`` and return the file's path.

        Only the keys that change are touched: comments, order and formatting of the rest are kept;
        the old file is kept as ``script_testing.yaml.bak`` and the new one written atomically.
        ``path``: the project folder or file to write (default: the project's own). A different folder
        gets a copy of the project first (required for the bundled examples, which live inside the
        installed package). Refuses while anything required is pending unless ``allow_pending``: a
        pipeline with unprovided inputs would make ``script-testing run`` fail for the whole project.
        """

        if not allow_pending:
            self._refuse_pending("not saved")
        target = target_file(self.project.file, path)
        copied = target.parent.resolve() != self.project.root.resolve()
        if not copied and not self._dirty:
            return target  # nothing to write: keep the file untouched
        if not copied and is_bundled(self.project):
            raise ConfigError(
                "the bundled examples live inside the installed package and are not saved in place",
                where=str(self.project.file),
                hint="pass save(path=DIR) (CLI: --save-to DIR) with a writable folder: the project is "
                "copied there and the configuration saved in the copy",
            )
        _, text = self._new_text(target)
        if copied:
            project_file.copy_project(self.project.root, target.parent, PROJECT_FILE)
        # validate what would be written, before writing it
        config = load_model(ProjectConfig, target, yaml.safe_load(text))
        candidate = Project(root=target.parent, file=target, config=config)
        load_plan(candidate, self.pipeline, catalog=StepCatalog(candidate.workspaces), use_pinned_specs=False)
        project_file.write_project_file(target, text)

        self.project = load_project(target)
        self._base_config = self.project.config.pipelines[self.pipeline]
        self.dag_path = self.project.resolve(self._base_config.dag)
        self.is_new_pipeline = False
        self._answers = Answers()
        self._analyse()
        self._dirty = False
        return target

    def execute_dag_guided_testing(self, *, save_to: str | Path | None = None, pool=None, **run_kwargs: Any):
        """Save, then run the pipeline through :func:`script_testing.api.run` and return its RunReport.

        Refuses while anything required is pending. ``run_kwargs`` are :class:`RunOptions` fields
        (``rows_override``, ``select``, ``parallelism``, ...).
        """

        if self._pending:
            raise ConfigError(
                f"pipeline '{self.pipeline}' cannot run yet: {len(self._pending)} required item(s) "
                f"are pending",
                where=str(self.project.file),
                hint="configure them with configure_script_testing (see get_pending_script_configurations())",
                details="\n".join(f"  - {p.describe()}" for p in self._pending),
            )
        try:
            options = RunOptions(**run_kwargs)
        except TypeError as exc:
            raise ConfigError(
                f"unknown run option ({exc})",
                hint="pass RunOptions fields such as rows_override, select, parallelism",
            ) from None
        if self._dirty or save_to is not None:
            self.save(save_to)
        forget_catalog(self.project)  # load_plan caches a catalog per workspace set; see new step types
        return api.run(self.pipeline, self.project, options, pool=pool)
