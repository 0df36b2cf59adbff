"""``script-testing init``: a first testing project for a repository of pipelines.

:func:`scaffold` finds the repository's DAGs (``*.dag.json``) and step interfaces (``*.step.yaml``),
writes ``script_testing.yaml`` with every pipeline and, as commented placeholders, every source and
environment variable still needed (from the wiring's unwired inputs and ``suggest_source``), plus a
Dagster home (``.dagster_home/dagster.yaml``: SQLite storage, telemetry off) so that ``dagster dev``
and ``dagster job execute`` work at once. It only creates files; it never overwrites one.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from script_testing.config.dag import PipelineDag
from script_testing.config.project import PROJECT_FILE, PipelineConfig
from script_testing.config.state import PROJECT_ENV
from script_testing.configurator.pending import PendingItem, collect_pending
from script_testing.errors import ConfigError, ScriptTestingError
from script_testing.files import write_text
from script_testing.pipeline.catalog import INTERFACE_SUFFIX, ResolvedNode, StepCatalog
from script_testing.pipeline.wiring import wire_pipeline

DAG_SUFFIX = ".dag.json"
STEP_SUFFIX = INTERFACE_SUFFIX
_SKIP_DIRS = {"node_modules", "__pycache__", "venv", "site-packages"}  # and every hidden folder
DAGSTER_HOME = ".dagster_home"
STARTER_PROFILE = "starter"

_STARTER_PROFILE_YAML = f"""\
data_profiles:
  {STARTER_PROFILE}:                  # synthetic data for the sources below: describe the columns your scripts read
    rows: 500
    seed: 0
    columns:
      - {{name: id, kind: id}}
      - {{name: label, kind: label, classes: [0, 1]}}
      - {{name: feature_1, kind: numeric, min: 0, max: 100}}
      - {{name: feature_2, kind: numeric, min: -1, max: 1, nulls: 0.05}}
      - {{name: category, kind: categorical, values: [a, b, c]}}
"""


@dataclass
class ScaffoldedPipeline:
    name: str
    dag: Path
    pending: list[PendingItem] = field(default_factory=list)
    problem: str | None = None  # why it is written commented out


@dataclass
class Scaffold:
    """What :func:`scaffold` wrote."""

    repo: Path
    project_file: Path
    dagster_home: Path
    pipelines: list[ScaffoldedPipeline]
    interfaces: int
    python_path: list[Path]

    def next_commands(self) -> list[str]:
        """The commands to type next, in order."""
        root = shlex.quote(str(self.project_file.parent))
        ok = [p for p in self.pipelines if p.problem is None]
        first = ok[0].name if ok else "PIPELINE"
        env = (
            f"DAGSTER_HOME={shlex.quote(str(self.dagster_home))} "
            f"{PROJECT_ENV}={shlex.quote(str(self.project_file.parent))}"
        )
        return [
            f"script-testing configure {root} -p {first}",
            f"script-testing run {root} -p {first}",
            f"{env} dagster dev -m script_testing.definitions",
            f"{env} dagster job execute -m script_testing.definitions -j {first}",
        ]


def _found(repo: Path, suffix: str) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        out += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(suffix)]
    return out


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def _import_root(script: Path) -> Path | None:
    """The folder a packaged script is imported from (the parent of its top package), else ``None``."""
    folder = script.parent
    if not (folder / "__init__.py").exists():
        return None
    while (folder.parent / "__init__.py").exists():
        folder = folder.parent
    return folder.parent


def _pipeline_name(dag: Path, taken: set[str]) -> str:
    base = dag.name[: -len(DAG_SUFFIX)] or "pipeline"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def _pending(name: str, dag_path: Path, catalog: StepCatalog) -> tuple[list[PendingItem], list[ResolvedNode]]:
    dag = PipelineDag.load(dag_path)
    nodes = catalog.resolve_all(dag.nodes)
    wiring = wire_pipeline(name, dag, nodes, PipelineConfig(dag=str(dag_path)), [STARTER_PROFILE])
    env = {n: dict(r.interface.contract.env_vars.optional) for n, r in nodes.items()}
    return collect_pending(dag, nodes, wiring, [STARTER_PROFILE], lambda n: env[n]), list(nodes.values())


def _pipeline_yaml(p: ScaffoldedPipeline, root: Path) -> list[str]:
    if p.problem is not None:
        return [
            f"  # {p.name}: not added, {p.problem}",
            f"  # {p.name}:",
            f"  #   dag: {_relative(p.dag, root)}",
        ]
    lines = [f"  {p.name}:", f"    dag: {_relative(p.dag, root)}"]
    ports = [i for i in p.pending if i.kind in ("input", "output") and i.suggestion]
    envs = [i for i in p.pending if i.kind == "env"]
    if ports:
        lines.append("    # sources still needed (uncomment and edit, or run `script-testing configure`):")
        lines.append("    # sources:")
        lines += [f"    #   {i.suggestion}" for i in ports]
    if envs:
        lines.append("    # required environment variables nothing sets yet:")
        lines.append("    # nodes:")
        for node in dict.fromkeys(i.node for i in envs):
            values = ", ".join(f"{i.name}: CHANGE_ME" for i in envs if i.node == node)
            lines += [f"    #   {node}:", f"    #     environ_vars: {{{values}}}"]
    return lines


def dagster_yaml(home: Path) -> str:
    """The Dagster instance settings of a scaffolded project: SQLite under ``home``, telemetry off."""
    base = json.dumps(str(home))
    return f"""\
# Dagster instance of this testing project (written by `script-testing init`): run with
# DAGSTER_HOME={home}
telemetry:
  enabled: false

storage:
  sqlite:
    base_dir: {base}

local_artifact_storage:
  module: dagster._core.storage.root
  class: LocalArtifactStorage
  config:
    base_dir: {base}

compute_logs:
  module: dagster._core.storage.local_compute_log_manager
  class: LocalComputeLogManager
  config:
    base_dir: {json.dumps(str(home / "storage"))}

run_queue:
  max_concurrent_runs: 2
"""


def scaffold(repo: str | Path = ".", into: str | Path | None = None) -> Scaffold:
    """Write a testing project for the repository ``repo`` into ``into`` (default: ``repo``)."""
    repo = Path(repo).expanduser().resolve()
    root = Path(into).expanduser().resolve() if into is not None else repo
    if not repo.is_dir():
        raise ScriptTestingError(f"no folder {repo}", hint="pass the repository's folder to 'init'")
    project_file = root / PROJECT_FILE
    home = root / DAGSTER_HOME
    for existing in (project_file, home / "dagster.yaml"):
        if existing.exists():
            raise ConfigError(
                "a testing project is already here; init never overwrites one",
                where=str(existing),
                hint="edit it, or run 'script-testing configure' on its folder",
            )
    dags = _found(repo, DAG_SUFFIX)
    interfaces = _found(repo, STEP_SUFFIX)
    if not dags or not interfaces:
        missing = "pipeline DAG (*.dag.json)" if not dags else "step interface (*.step.yaml)"
        raise ConfigError(
            f"found no {missing} in the repository",
            where=str(repo),
            hint="run 'script-testing init' on the repository that holds your pipelines",
        )
    catalog = StepCatalog([repo])
    pipelines: list[ScaffoldedPipeline] = []
    roots: dict[Path, None] = {}
    taken: set[str] = set()
    for dag in dags:
        p = ScaffoldedPipeline(_pipeline_name(dag, taken), dag)
        try:
            p.pending, nodes = _pending(p.name, dag, catalog)
        except ScriptTestingError as exc:
            p.problem = exc.message.splitlines()[0].replace("\n", " ")
        else:
            for r in nodes:
                if r.script_path is not None and (ir := _import_root(r.script_path)) is not None:
                    roots[ir] = None
        pipelines.append(p)

    lines = [
        f"# Testing project for the repository {repo}, written by `script-testing init`.",
        "# Next: give every input its data (the commented placeholders below, or",
        "# `script-testing configure --yes`), then `script-testing run`. Format: see the README.",
        "",
        "workspaces:",
        f"  - {_relative(repo, root)}                # searched for *.step.yaml and the scripts they name",
    ]
    if roots:
        lines.append("python_path:                # packaged scripts are imported from these folders")
        lines += [f"  - {_relative(r, root)}" for r in roots]
    lines += ["", *_STARTER_PROFILE_YAML.splitlines(), "", "pipelines:"]
    for p in pipelines:
        lines += _pipeline_yaml(p, root)
    root.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    write_text(home / "dagster.yaml", dagster_yaml(home))
    write_text(project_file, "\n".join(lines) + "\n")
    return Scaffold(repo, project_file, home, pipelines, len(interfaces), list(roots))
