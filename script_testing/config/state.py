"""Where a project's runs, specs and baselines live on disk."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path

from script_testing.config.project import Project
from script_testing.errors import ConfigError

BUNDLED_EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RUNS_ENV = "SCRIPT_TESTING_RUNS"
PROJECT_ENV = "SCRIPT_TESTING_PROJECT"
SCRATCH_ENV = "SCRIPT_TESTING_SCRATCH"


def is_bundled(project: Project) -> bool:
    return project.root.resolve() == BUNDLED_EXAMPLES


def state_root(project: Project) -> Path:
    """The project's own folder, or ``./.script_testing`` for the bundled examples (never the package)."""
    if is_bundled(project):
        return Path.cwd() / ".script_testing" / "examples"
    return project.root


def object_store_root(project: Project) -> str | None:
    """The ``s3://bucket/prefix`` runs root set by ``$SCRIPT_TESTING_RUNS`` or ``runs_root:``, if any."""
    value = os.environ.get(RUNS_ENV) or project.config.runs_root
    value = str(value).strip() if value else ""
    return value.rstrip("/") + "/" if value.startswith("s3://") else None


def scratch_root(project: Project) -> Path:
    """Where steps of runs in an S3 runs root work on local copies: ``$SCRIPT_TESTING_SCRATCH``, else
    ``.script_testing/scratch`` beside the default runs root."""
    env = os.environ.get(SCRATCH_ENV)
    if env:
        return Path(env).expanduser().resolve()
    base = Path.cwd() if is_bundled(project) else project.root
    return base / ".script_testing" / "scratch"


def check_runs_root(project: Project) -> None:
    """Refuse now a runs root that would hold the project's own files (an S3 runs root is checked
    when it is used)."""
    if object_store_root(project) is None:
        runs_root(project)


def runs_root(project: Project) -> Path:
    """``$SCRIPT_TESTING_RUNS``, else ``runs_root:`` of the YAML, else ``.script_testing/runs``: the
    local folder of run folders.

    A runs root that is, or contains, the project's own files is refused (see :func:`runs_root_problem`).
    An ``s3://`` runs root holds the runs of Dagster jobs only: here (CLI and notebook runs, results
    commands) it is refused with one sentence."""
    store = object_store_root(project)
    if store:
        where = f"${RUNS_ENV}" if os.environ.get(RUNS_ENV) else f"{project.file}: runs_root"
        raise ConfigError(
            f"the runs root {store} is in S3, which only the Dagster jobs write to (each step uploads "
            f"its data there); script-testing run and the notebook API write local run folders",
            where=where,
            hint="run the pipeline's Dagster job (README: Running on more than one machine), or unset "
            "it and copy a local run there with script-testing run --upload s3://bucket/prefix",
        )
    env = os.environ.get(RUNS_ENV)
    if env:
        root, where = Path(env).expanduser().resolve(), f"${RUNS_ENV}"
    elif project.config.runs_root:
        root, where = project.resolve(project.config.runs_root), f"{project.file}: runs_root"
    else:
        base = Path.cwd() if is_bundled(project) else project.root
        return base / ".script_testing" / "runs"
    problem = runs_root_problem(root, project)
    if problem:
        raise ConfigError(
            f"the runs root {root} {problem}",
            where=where,
            hint="point it at a folder of its own, e.g. .script_testing/runs (runs are written and "
            "cleaned there)",
        )
    return root


def runs_root_problem(root: Path, project: Project) -> str | None:
    """Why ``root`` cannot hold runs: it is, or contains, the project, a workspace, the home folder or ``/``."""
    root = Path(root).resolve()
    protected = [("the project folder", project.root.resolve())]
    protected += [("a workspace", w.resolve()) for w in project.workspaces]
    protected += [("a python_path folder", p.resolve()) for p in project.python_path]
    protected += [("your home folder", Path.home().resolve())]
    if root == Path(root.anchor):
        return "is the file system root"
    for label, folder in protected:
        if root == folder:
            return f"is {label} ({folder})"
        if root in folder.parents:
            return f"contains {label} ({folder})"
    return None


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def default_project_dir() -> Path:
    env = os.environ.get(PROJECT_ENV)
    return Path(env).expanduser() if env else BUNDLED_EXAMPLES
