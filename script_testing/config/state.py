"""Where a project's runs, specs and baselines live on disk."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path

from script_testing.config.project import Project

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
    """``$SCRIPT_TESTING_RUNS``, else ``runs_root:`` of the YAML, else ``.script_testing/runs``."""
    env = os.environ.get(RUNS_ENV)
    if env:
        return Path(env).expanduser().resolve()
    if project.config.runs_root:
        return project.resolve(project.config.runs_root)
    base = Path.cwd() if is_bundled(project) else project.root
    return base / ".script_testing" / "runs"


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def default_project_dir() -> Path:
    env = os.environ.get(PROJECT_ENV)
    return Path(env).expanduser() if env else BUNDLED_EXAMPLES
