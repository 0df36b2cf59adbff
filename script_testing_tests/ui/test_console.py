"""``python -m script_testing.orchestration.console``: the demo's quiet ``dagster job execute``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from script_testing_tests.orchestration.projects import copy_count_project

pytestmark = [pytest.mark.timeout(300), pytest.mark.e2e]


def _console(tmp_path: Path, project: Path, *jobs: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SCRIPT_TESTING_PROJECT": str(project),
        "SCRIPT_TESTING_RUNS": str(tmp_path / "runs"),
    }
    return subprocess.run(
        [sys.executable, "-m", "script_testing.orchestration.console", *jobs],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )


def test_a_passing_job_prints_step_lines_a_summary_and_writes_the_report(tmp_path: Path) -> None:
    project = copy_count_project(tmp_path / "proj")
    done = _console(tmp_path, project)  # no JOB: every pipeline of the project
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "DEBUG" not in out and max(len(line) for line in out.splitlines()) < 250
    assert "  Copy " in out and "  Count " in out and out.count("succeeded") >= 2
    assert "check feeds_Count__data (on Copy.data)" in out
    assert "Summary: 1/1 pipelines succeeded" in out and "0 failed" in out
    report = next((tmp_path / "runs" / "rows").glob("*/report.html"))
    assert f"open {report}" in out
    log = tmp_path / "home" / "logs" / "demo-rows.log"
    assert "STEP_SUCCESS" in log.read_text(encoding="utf-8")  # the full log is kept, not printed
    assert "dagster dev" in out and str(tmp_path / "home") in out


def test_a_failing_step_fails_the_run_and_counts_what_never_ran(tmp_path: Path) -> None:
    project = copy_count_project(tmp_path / "proj")
    (project / "steps" / "FAIL").touch()
    done = _console(tmp_path, project, "rows")
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "Copy was told to fail" in out
    assert "FAILED" in out and "Summary: 0/1 pipelines succeeded" in out
    assert "not run" in out  # Count and the edge check did not run: never reported as passed


def test_an_unknown_job_exits_non_zero_with_the_log_tail(tmp_path: Path) -> None:
    done = _console(tmp_path, copy_count_project(tmp_path / "proj"), "no_such_job")
    assert done.returncode == 1
    assert "before starting a run" in done.stdout and "no_such_job" in done.stdout
