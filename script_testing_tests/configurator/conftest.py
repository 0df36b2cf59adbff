"""Fixtures of the configurator tests (the project itself is built in ``project_setup``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from script_testing.configurator import InteractiveRuntimeTestingFactory
from script_testing_tests.configurator.project_setup import PIPE, make_project


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    return make_project(tmp_path)


@pytest.fixture
def factory(project_dir: Path) -> InteractiveRuntimeTestingFactory:
    """A session on the new DAG that reuses nothing: every node's needs are pending."""
    return InteractiveRuntimeTestingFactory(project_dir / "dags" / f"{PIPE}.dag.json", reuse=False)
