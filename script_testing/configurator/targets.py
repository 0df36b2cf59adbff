"""What a configure session is about: the project, the pipeline, and whether it is new.

:func:`resolve_configure_target` is the configurator's one target resolution. It is
``script_testing.pipeline.targets.resolve_target`` plus one case: a ``*.dag.json`` that is not yet a pipeline of
the project becomes a new pipeline (named after the DAG) instead of an error. (To be unified with
``pipeline/targets.py`` of the restructure at merge.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from script_testing.config.dag import PipelineDag
from script_testing.config.project import PROJECT_FILE, PipelineConfig, Project, load_project
from script_testing.errors import ConfigError
from script_testing.pipeline.targets import open_project, resolve_target


@dataclass(frozen=True)
class ConfigureTarget:
    project: Project
    pipeline: str
    is_new: bool
    config: PipelineConfig  # the pipeline's configuration (only ``dag`` for a new one)


def resolve_configure_target(
    target: str | Path, project: str | Path | Project | None = None
) -> ConfigureTarget:
    """A pipeline name, a ``*.dag.json`` path (new or not) or a project folder/file holding one pipeline."""

    path = Path(str(target)).expanduser()
    if path.name == PROJECT_FILE and path.is_file():
        path = target = path.parent
    if path.suffix == ".json":
        if not path.is_file():
            raise ConfigError("the DAG file does not exist", where=str(path), hint="check the path")
        proj = open_project(project) if project is not None else _project_containing(path)
        dag_abs = path.resolve()
        for name, cfg in proj.config.pipelines.items():
            if proj.resolve(cfg.dag) == dag_abs:
                return ConfigureTarget(proj, name, False, cfg)
        dag = PipelineDag.load(dag_abs)  # a broken DAG is reported now, with its path
        try:
            rel = Path(os.path.relpath(dag_abs, proj.root)).as_posix()
        except ValueError:  # another drive (Windows)
            rel = str(dag_abs)
        return ConfigureTarget(proj, new_pipeline_name(dag, dag_abs, proj), True, PipelineConfig(dag=rel))
    if (
        path.is_dir()
        and (path / PROJECT_FILE).exists()
        and project is not None
        and open_project(project).file.resolve() != (path / PROJECT_FILE).resolve()
    ):
        raise ConfigError(
            "two different projects were given",
            where=str(path),
            hint="pass a pipeline name or a DAG path as the first argument",
        )
    proj, name = resolve_target(target, project)
    return ConfigureTarget(proj, name, False, proj.config.pipelines[name])


def _project_containing(path: Path) -> Project:
    for parent in path.resolve().parents:
        if (parent / PROJECT_FILE).exists():
            return load_project(parent)
    return open_project(None)


def new_pipeline_name(dag: PipelineDag, dag_path: Path, project: Project) -> str:
    """The DAG's own name, else its file name; ``_2``, ``_3``... when the project already has it."""
    stem = dag_path.name[: -len(".dag.json")] if dag_path.name.endswith(".dag.json") else dag_path.stem
    for candidate in (dag.name, stem):
        if candidate and candidate not in project.config.pipelines:
            return str(candidate)
    base = str(dag.name or stem)
    i = 2
    while f"{base}_{i}" in project.config.pipelines:
        i += 1
    return f"{base}_{i}"


def target_file(project_file: Path, path: str | Path | None) -> Path:
    """The project file a save writes: the project's own, or ``PATH`` / ``PATH/script_testing.yaml``."""
    if path is None:
        return project_file
    p = Path(path).expanduser().resolve()
    return p if p.suffix in (".yaml", ".yml") else p / PROJECT_FILE


def dag_reference(dag_path: Path, project_root: Path, dest_root: Path) -> str:
    """``dag:`` as written in a project file in ``dest_root`` (a DAG inside the project moves with a copy)."""
    dag_abs = dag_path.resolve()
    try:
        dag_abs = dest_root.resolve() / dag_abs.relative_to(project_root.resolve())
    except ValueError:  # outside the project: the copy keeps pointing at it
        pass
    try:
        return Path(os.path.relpath(dag_abs, dest_root.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return str(dag_abs)
