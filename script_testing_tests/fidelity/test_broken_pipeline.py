"""One broken pipeline never blocks the others: the CLI runs the good one, Dagster loads and executes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from script_testing.orchestration import build_definitions
from script_testing.orchestration.invalid import invalid_key
from script_testing.orchestration.keys import output_key
from script_testing_tests.fidelity.projects import good_and_broken_project

pytestmark = [pytest.mark.timeout(300), pytest.mark.e2e]

_ENTRY = Path(sys.executable).parent / "script-testing"
COMMAND = [str(_ENTRY)] if _ENTRY.exists() else [sys.executable, "-m", "script_testing.cli"]


def test_cli_run_runs_the_good_pipeline_and_reports_the_broken_one(tmp_path: Path) -> None:
    root = good_and_broken_project(tmp_path / "proj")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIPT_TESTING_")}
    env["SCRIPT_TESTING_RUNS"] = str(tmp_path / "runs")
    proc = subprocess.run(
        [*COMMAND, "run", str(root), "--json", "r.json", "--no-html"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, text
    assert "Traceback" not in text
    assert "PASSED: pipeline good" in proc.stdout, text
    assert "pipeline broken: NOT RUN" in proc.stdout, text
    assert "pipeline 'broken' cannot run" in proc.stderr and "broken.step.yaml" in proc.stderr, text
    assert [d.name for d in (tmp_path / "runs").iterdir()] == ["good"]
    combined = json.loads((tmp_path / "r.json").read_text())
    assert combined["success"] is False
    assert [r["pipeline"] for r in combined["runs"]] == ["good"] and combined["runs"][0]["success"]
    assert {p["where"] for p in combined["not_run"]["broken"]} == {"Broken", "Ghost"}


def test_dagster_loads_the_good_pipeline_and_shows_the_broken_one(tmp_path: Path) -> None:
    root = good_and_broken_project(tmp_path / "proj")
    defs = build_definitions(root)
    graph = defs.resolve_asset_graph()
    assert {k.to_user_string() for k in graph.asset_keys_for_group("good")} == {
        output_key("good", "MakeData", "data").to_user_string(),
        output_key("good", "Transform_training", "table").to_user_string(),
    }
    broken = defs.resolve_assets_def(invalid_key("broken"))
    description = broken.descriptions_by_key[invalid_key("broken")]
    assert "pipeline 'broken' cannot run" in description and "Ghost" in description
    runner = {"resources": {"runner": {"config": {"runs_root": str(tmp_path / "runs")}}}}
    with dg.instance_for_test() as instance:
        good = defs.resolve_job_def("good").execute_in_process(
            instance=instance, run_config=runner, raise_on_error=False
        )
        assert good.success, [e.step_failure_data.error.message for e in good.all_events if e.is_step_failure]
        bad = defs.resolve_job_def("broken").execute_in_process(instance=instance, raise_on_error=False)
    assert not bad.success
    (failure,) = [e.step_failure_data for e in bad.all_events if e.is_step_failure]
    assert "pipeline 'broken' cannot run" in failure.user_failure_data.description
    assert not bad.get_asset_materialization_events()


def test_dagster_job_execute_of_the_good_job_works_beside_a_broken_one(tmp_path: Path) -> None:
    root = good_and_broken_project(tmp_path / "proj")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIPT_TESTING_")}
    env.update(
        DAGSTER_HOME=str(home), SCRIPT_TESTING_PROJECT=str(root), SCRIPT_TESTING_RUNS=str(tmp_path / "runs")
    )
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run(
        [str(dagster), "job", "execute", "-m", "script_testing.definitions", "-j", "good"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    (run_dir,) = (tmp_path / "runs" / "good").iterdir()
    assert json.loads((run_dir / "report.json").read_text())["success"] is True
