"""The one target resolver: what the user named (a pipeline name, a ``*.dag.json`` path, a project
folder or file) -> the testing project and the pipeline in it.

Used by the Python API (:mod:`script_testing.api`) and the configurator, so both accept the same
targets and fail with the same sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from script_testing.config.dag import PipelineDag
from script_testing.config.project import PROJECT_FILE, PipelineConfig, Project, load_project
from script_testing.config.state import check_runs_root, default_project_dir
from script_testing.errors import ConfigError


def open_project(project: str | Path | Project | None = None) -> Project:
    """A project folder or file; ``None`` means ``$SCRIPT_TESTING_PROJECT`` or the bundled examples.

    Example::

        proj = open_project("./my_project")
        list(proj.config.pipelines)
    """
    if isinstance(project, Project):
        return project
    return _load(Path(project) if project is not None else default_project_dir())


def _load(path: Path) -> Project:
    """``load_project``, and a runs root that would hold the project's own files is refused now."""
    proj = load_project(path)
    check_runs_root(proj)
    return proj


@dataclass
class Target:
    """A resolved target. ``new_dag`` is set (and ``name`` is ``None``) for a DAG the project does not list yet."""

    project: Project
    name: str | None
    config: PipelineConfig | None
    new_dag: Path | None = None


def resolve(
    target: str | Path, project: str | Path | Project | None = None, *, allow_new: bool = False
) -> Target:
    """Resolve ``target``; a DAG the project does not list is an error unless ``allow_new``."""
    path = Path(str(target)).expanduser()
    if path.suffix == ".json" and path.is_file():
        proj = open_project(project) if project is not None else _project_containing(path)
        dag_abs = path.resolve()
        for name, cfg in proj.config.pipelines.items():
            if proj.resolve(cfg.dag) == dag_abs:
                return Target(proj, name, cfg)
        if not allow_new:
            raise ConfigError(
                "this DAG is not a pipeline of the testing project",
                where=str(path),
                hint=f"add it under 'pipelines:' in {proj.file}",
            )
        PipelineDag.load(dag_abs)  # a broken DAG is reported now, with its path
        return Target(proj, None, None, new_dag=dag_abs)
    if path.suffix == ".json" and str(target).endswith(".dag.json"):
        raise ConfigError("the DAG file does not exist", where=str(path), hint="check the path")
    if (path.is_dir() and (path / PROJECT_FILE).exists()) or (path.name == PROJECT_FILE and path.is_file()):
        proj = _load(path)
        if project is not None and open_project(project).file != proj.file:
            raise ConfigError(
                "two different projects were given",
                where=str(path),
                hint="pass a pipeline name or a DAG path as the first argument",
            )
        names = list(proj.config.pipelines)
        if len(names) != 1:
            raise ConfigError(
                f"the project has {len(names)} pipelines; name one",
                where=str(proj.file),
                hint=f"pipelines: {', '.join(names) or 'none'}",
            )
        return Target(proj, names[0], proj.config.pipelines[names[0]])
    proj = open_project(project)
    cfg = proj.pipeline(str(target))  # raises with close matches when unknown
    return Target(proj, str(target), cfg)


def resolve_target(target: str | Path, project: str | Path | Project | None = None) -> tuple[Project, str]:
    """``"tabular_simple"``, a ``*.dag.json`` path or a project folder -> (project, pipeline name)."""
    t = resolve(target, project)
    assert t.name is not None
    return t.project, t.name


def pipeline_of(node: str, project: str | Path | Project | None = None, also: str | None = None) -> str:
    """The first pipeline of the project holding ``node`` (and ``also``), when the caller did not name one."""
    proj = open_project(project)
    for name, cfg in proj.config.pipelines.items():
        dag = PipelineDag.load(proj.resolve(cfg.dag))
        if node in dag.nodes and (also is None or also in dag.nodes):
            return name
    raise ConfigError(
        f"no pipeline of {proj.file} has node {node}" + (f" and {also}" if also else ""),
        where=str(proj.file),
        hint="name the pipeline: pipeline=...",
    )


def _project_containing(path: Path) -> Project:
    for parent in path.resolve().parents:
        if (parent / PROJECT_FILE).exists():
            return _load(parent)
    return open_project(None)
