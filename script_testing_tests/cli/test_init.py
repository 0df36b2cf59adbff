"""``script-testing init``: from a cloned repository to its own pipeline in Dagster."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from script_testing.cli import cli
from script_testing.config.project import load_project

STARTER_REPO = Path(__file__).resolve().parents[1] / "data" / "starter_repo"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return Path(shutil.copytree(STARTER_REPO, tmp_path / "repo"))


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_init_writes_every_pipeline_and_the_pending_sources_as_placeholders(repo):
    result = invoke("init", str(repo))
    assert result.exit_code == 0, result.output
    text = (repo / "script_testing.yaml").read_text()
    assert "#   Extract.DATA: {synthetic: starter, format: csv}" in text
    assert "#   Summarize.config: {json: {}, file: config.json}" in text
    project = load_project(repo)  # valid as written: placeholders are comments
    assert list(project.config.pipelines) == ["churn"]
    assert project.python_path == [repo / "steps" / "summarize"]  # summarylib is a package
    home = yaml.safe_load((repo / ".dagster_home" / "dagster.yaml").read_text())
    assert home["telemetry"] == {"enabled": False}
    assert home["storage"]["sqlite"]["base_dir"] == str(repo / ".dagster_home")
    assert f"DAGSTER_HOME={repo / '.dagster_home'} SCRIPT_TESTING_PROJECT={repo}" in result.output
    assert "script-testing configure" in result.output and "-j churn" in result.output


def test_init_refuses_to_overwrite_a_project_and_names_a_repo_without_pipelines(repo, tmp_path):
    (repo / "script_testing.yaml").write_text("# mine\n")
    again = invoke("init", str(repo))
    assert again.exit_code == 2 and "init never overwrites one" in again.output
    assert (repo / "script_testing.yaml").read_text() == "# mine\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = invoke("init", str(empty))
    assert nothing.exit_code == 2 and "found no pipeline DAG (*.dag.json)" in nothing.output
    assert not (empty / "script_testing.yaml").exists()


@pytest.mark.e2e
def test_new_user_from_clone_to_own_pipeline_in_dagster(repo):
    assert invoke("init", str(repo)).exit_code == 0
    configured = invoke("configure", str(repo), "-p", "churn", "--yes")
    assert configured.exit_code == 0, configured.output
    env = dict(
        os.environ,
        DAGSTER_HOME=str(repo / ".dagster_home"),
        SCRIPT_TESTING_PROJECT=str(repo),
    )
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "job", "execute", "-m", "script_testing.definitions", "-j", "churn"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summaries = list((repo / ".script_testing" / "runs" / "churn").rglob("summary.json"))
    assert summaries, "the pipeline's last script wrote nothing"
    assert list((repo / ".dagster_home").glob("*.db")) or list((repo / ".dagster_home").rglob("runs.db"))
