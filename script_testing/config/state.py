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


def is_bundled(project: Project) -> bool:
    return project.root.resolve() == BUNDLED_EXAMPLES


def state_root(project: Project) -> Path:
    """The project's own folder, or ``./.script_testing`` for the bundled examples (never the package)."""
    if is_bundled(project):
        return Path.cwd() / ".script_testing" / "examples"
    return project.root


def runs_root(project: Project) -> Path:
    """``$SCRIPT_TESTING_RUNS``, else ``runs_root:`` of the YAML, else ``.script_testing/runs``.

    A runs root that is, or contains, the project's own files is refused (see :func:`runs_root_problem`)."""
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
