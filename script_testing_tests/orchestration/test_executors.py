"""The executor is deployment configuration ($SCRIPT_TESTING_EXECUTOR), and a run reads its own data under each."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from script_testing.errors import ConfigError
from script_testing.orchestration import build_definitions
from script_testing_tests.orchestration.projects import copy_count_project

pytestmark = pytest.mark.timeout(600)

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "value, name",
    [
        (None, "in_process"),
        ("in_process", "in_process"),
        ("multiprocess", "multiprocess"),
        ("celery", "celery"),
    ],
)
def test_the_executor_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None, name: str
) -> None:
    if value == "celery":
        pytest.importorskip(
            "dagster_celery", reason="the distributed extra (dagster-celery) is not installed"
        )
    if value is None:
        monkeypatch.delenv("SCRIPT_TESTING_EXECUTOR", raising=False)
    else:
        monkeypatch.setenv("SCRIPT_TESTING_EXECUTOR", value)
    defs = build_definitions(copy_count_project(tmp_path / "proj"))
    assert defs.resolve_job_def("rows").executor_def.name == name


def test_an_unknown_executor_is_a_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIPT_TESTING_EXECUTOR", "k8s")
    with pytest.raises(ConfigError) as exc:
        build_definitions(copy_count_project(tmp_path / "proj"))
    assert "SCRIPT_TESTING_EXECUTOR='k8s' names no executor" in exc.value.message
    assert "in_process, multiprocess, celery" in exc.value.message


@pytest.mark.e2e  # Dagster jobs in processes of their own: the full suite runs it, not the fast loop
def test_multiprocess_executor_runs_the_job_and_each_step_reads_this_run(tmp_path: Path) -> None:
    """`dagster job execute` with SCRIPT_TESTING_EXECUTOR=multiprocess: every step is its own process."""
    project = copy_count_project(tmp_path / "proj")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    config = {
        "resources": {"runner": {"config": {"runs_root": str(tmp_path / "runs")}}},
        "execution": {
            "config": {
                "max_concurrent": 2,
                "start_method": {"forkserver": {"preload_modules": ["script_testing.orchestration"]}},
            }
        },
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SCRIPT_TESTING_PROJECT": str(project),
        "SCRIPT_TESTING_EXECUTOR": "multiprocess",
    }
    out = subprocess.run(
        [
            str(BIN / "dagster"),
            "job",
            "execute",
            "-m",
            "script_testing.definitions",
            "-j",
            "rows",
            "-c",
            str(tmp_path / "run.yaml"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=560,
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    from dagster._core.instance.ref import InstanceRef

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        records = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
        mats = {
            r.event_log_entry.dagster_event.asset_key.to_user_string(): r.event_log_entry.asset_materialization
            for r in records
        }
        pids = {
            r.event_log_entry.dagster_event.pid
            for r in instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_START).records
        }
    assert len(pids) >= 2  # steps really ran in their own processes
    assert mats["rows/Count/rows__Count"].metadata["input_source"].value == "this run"
    assert mats["rows/Count/rows__Count"].metadata["dagster/row_count"].value == 50
