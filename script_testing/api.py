"""The Python API: load a project, plan pipelines, run them. The notebook functions build on it."""

from __future__ import annotations

from pathlib import Path

from script_testing.execute import RunOptions, run_pipeline
from script_testing.formats.project import PROJECT_FILE, Project, load_project
from script_testing.plan import PipelinePlan, load_plan
from script_testing.report import RunReport
from script_testing.state import default_project_dir


def open_project(project: str | Path | Project | None = None) -> Project:
    """A project folder or file; ``None`` means ``$SCRIPT_TESTING_PROJECT`` or the bundled examples."""
    if isinstance(project, Project):
        return project
    return load_project(Path(project) if project is not None else default_project_dir())


def resolve_target(target: str | Path, project: str | Path | Project | None = None) -> tuple[Project, str]:
    """``"tabular_simple"``, a ``*.dag.json`` path or a project folder -> (project, pipeline name)."""
    path = Path(str(target)).expanduser()
    if path.suffix == ".json" and path.exists():
        proj = open_project(project) if project is not None else _project_containing(path)
        for name, cfg in proj.config.pipelines.items():
            if proj.resolve(cfg.dag) == path.resolve():
                return proj, name
        from script_testing.errors import ConfigError
        raise ConfigError("this DAG is not a pipeline of the testing project", where=str(path),
                          hint=f"add it under 'pipelines:' in {proj.file}")
    if path.is_dir() and (path / PROJECT_FILE).exists():
        proj = load_project(path)
        names = list(proj.config.pipelines)
        if len(names) != 1:
            from script_testing.errors import ConfigError
            raise ConfigError(f"the project has {len(names)} pipelines; name one", where=str(proj.file),
                              hint=f"pipelines: {', '.join(names)}")
        return proj, names[0]
    proj = open_project(project)
    proj.pipeline(str(target))  # raises with close matches when unknown
    return proj, str(target)


def _project_containing(path: Path) -> Project:
    for parent in path.resolve().parents:
        if (parent / PROJECT_FILE).exists():
            return load_project(parent)
    return open_project(None)


def plan_pipeline(target: str | Path, project: str | Path | Project | None = None) -> PipelinePlan:
    proj, name = resolve_target(target, project)
    return load_plan(proj, name)


def run(target: str | Path, project: str | Path | Project | None = None,
        options: RunOptions | None = None, pool=None) -> RunReport:
    return run_pipeline(plan_pipeline(target, project), options, pool=pool)
