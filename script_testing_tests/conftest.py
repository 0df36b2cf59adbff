"""Shared, generic fixtures. Helpers (plain functions) are in ``helpers.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# make ``script_testing_tests.helpers`` importable whatever pytest's import mode and rootdir
_REPO = str(Path(__file__).resolve().parent.parent)
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from script_testing.worker.redaction import tool_redactor  # noqa: E402
from script_testing_tests import helpers  # noqa: E402


@pytest.fixture
def samples_dir() -> Path:
    """The shared sample files (read-only: copy before changing anything)."""
    return helpers.require_samples()


@pytest.fixture
def sample_workspace(tmp_path: Path) -> Path:
    """A copy of the sample interfaces and DAG, with scripts for TabularPreprocessing and XGBoostTraining only."""
    return helpers.copy_samples(tmp_path / "ws")


@pytest.fixture(autouse=True)
def _no_project_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own SCRIPT_TESTING_* settings must not leak into tests."""
    monkeypatch.delenv("SCRIPT_TESTING_PROJECT", raising=False)
    monkeypatch.delenv("SCRIPT_TESTING_RUNS", raising=False)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch):
    """The tool's environment holds a secret (``helpers.FAKE_SECRET``); the redactor is rebuilt around it."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", helpers.FAKE_SECRET)
    tool_redactor.cache_clear()
    yield helpers.FAKE_SECRET
    tool_redactor.cache_clear()
