"""The result and partial-run commands of the CLI: through click's runner and as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from script_testing.cli import cli
from script_testing.execution.layout import RUN_MARKER, create_run_dir

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One passing run of the bundled tabular_simple pipeline, in a runs root of its own."""
    root = tmp_path_factory.mktemp("runs")
    old = os.environ.get("SCRIPT_TESTING_RUNS")
    os.environ["SCRIPT_TESTING_RUNS"] = str(root)
    try:
        result = CliRunner().invoke(cli, ["run", "-p", "tabular_simple", "-q"])
        assert result.exit_code == 0, result.output
        yield root
    finally:
        if old is None:
            del os.environ["SCRIPT_TESTING_RUNS"]
        else:
            os.environ["SCRIPT_TESTING_RUNS"] = old


@pytest.fixture
def env_runs(runs, monkeypatch):
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(runs))
    return runs


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_list_results_text_and_json(env_runs):
    text = invoke("list-results")
    assert text.exit_code == 0 and "PASSED" in text.output and "tabular_simple" in text.output
    data = json.loads(invoke("list-results", "--output-format", "json").output)
    assert data[0]["pipeline"] == "tabular_simple" and data[0]["success"] is True
    assert Path(data[0]["path"], "report.json").exists()


def test_show_latest_and_unknown_run(env_runs):
    shown = invoke("show", "tabular_simple/latest")
    assert shown.exit_code == 0
    assert "PASSED: pipeline tabular_simple" in shown.output and "ModelTraining" in shown.output
    missing = invoke("show", "no-such-run")
    assert missing.exit_code == 2
    assert "no run 'no-such-run'" in missing.output and "list-results" in missing.output


@pytest.mark.parametrize("fmt,suffix", [("html", ".html"), ("json", ".json"), ("csv", ".csv")])
def test_report_formats(env_runs, tmp_path, fmt, suffix):
    out = tmp_path / f"r{suffix}"
    result = invoke("report", "tabular_simple/latest", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "ModelTraining" in text
    if fmt == "html":
        assert "<svg" in text and "http://" not in text.split("<body", 1)[1].split("ModelTraining")[0]


def test_clean_workspace_asks_first_and_keeps_newest(env_runs, tmp_path):
    # a second, older run so --keep 1 has something to delete
    extra = create_run_dir(env_runs / "tabular_simple" / "00000000-old", "00000000-old", "tabular_simple")
    (extra / "report.json").write_text("{}")
    os.utime(extra / RUN_MARKER, (1, 1))  # runs are ordered by when they started (their marker)
    unmarked = env_runs / "tabular_simple" / "not-a-run"
    unmarked.mkdir()
    os.utime(unmarked, (1, 1))
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    declined = CliRunner().invoke(cli, ["clean-workspace", "--keep", "1"], input="n\n")
    assert declined.exit_code == 1 and extra.exists() and "nothing deleted" in declined.output
    done = invoke("clean-workspace", "--keep", "1", "--yes")
    assert done.exit_code == 0 and "deleted 1 run folder" in done.output
    assert not extra.exists() and outside.exists()
    assert unmarked.exists()  # only folders the tool created for a run are deleted
    assert list((env_runs / "tabular_simple").iterdir())  # the newest run is kept


def test_test_script_reuses_the_latest_run(env_runs):
    result = invoke("test-script", "ModelTraining", "-p", "tabular_simple", "--output-format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["nodes"]["ModelTraining"]["status"] == "passed"
    assert report["nodes"]["TabularPreprocessing_training"]["skipped_because"] == "not selected"
    used = report["nodes"]["ModelTraining"]["inputs"]["input_path"]
    assert "TabularPreprocessing_training/processed_data" in used  # an earlier run's output


def test_test_compatibility_runs_both_and_checks_the_edge(env_runs):
    result = invoke(
        "test-compatibility",
        "TabularPreprocessing_training",
        "ModelTraining",
        "-p",
        "tabular_simple",
        "--output-format",
        "json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {report["nodes"][n]["status"] for n in ("TabularPreprocessing_training", "ModelTraining")} == {
        "passed"
    }
    edge = next(e for e in report["edges"] if e["from"] == "TabularPreprocessing_training")
    assert edge["status"] == "passed" and edge["expectations_evaluated"] > 0


def test_test_compatibility_refuses_nodes_that_are_not_adjacent(env_runs):
    result = invoke("test-compatibility", "DataLoading_training", "ModelTraining", "-p", "tabular_simple")
    assert result.exit_code == 2
    assert "DataLoading_training does not feed ModelTraining" in result.output
    assert "Traceback" not in result.output


def test_test_script_unknown_node_names_close_matches(env_runs):
    result = invoke("test-script", "ModelTrainng", "-p", "tabular_simple")
    assert result.exit_code == 2 and "did you mean ModelTraining" in result.output


def test_commands_as_a_subprocess(env_runs):
    env = dict(os.environ, SCRIPT_TESTING_RUNS=str(env_runs))
    for args in (
        ["list-results", "-n", "1"],
        ["show", "latest"],
        ["test-script", "--help"],
        ["clean-workspace", "--help"],
        ["ui", "--help"],
        ["configure", "--help"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "script_testing.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        if "--help" in args:
            assert "Example" in proc.stdout, args
