"""The code location loads, its asset graph matches the snapshot, schedules target the right jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from script_testing.orchestration import build_definitions
from script_testing.orchestration.snapshot import definitions_snapshot

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "dagster_bundled_definitions.json"


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from script_testing.definitions import defs

    return defs


def test_definitions_load_and_validate(defs: dg.Definitions) -> None:
    repo = defs.get_repository_def()
    assert {j.name for j in defs.jobs} == {"tabular_calibrated", "tabular_simple"}
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.materializable_asset_keys}
    # a script node's outputs, a data node's sources, an input fed by a source
    assert "tabular_calibrated/ModelTraining/model_output__ModelTraining" in keys
    assert "tabular_calibrated/sources/DataLoading_training/DATA__DataLoading_training" in keys
    assert "tabular_calibrated/sources/ModelTraining/hyperparameters_s3_uri__ModelTraining" in keys
    node = graph.get(dg.AssetKey(["tabular_calibrated", "ModelTraining", "model_output__ModelTraining"]))
    assert node.group_name == "tabular_calibrated"
    assert {"python", "training"} <= set(node.kinds)
    assert node.tags["step_type"] == "ModelTraining" and node.tags["job_type"] == "training"
    refs = node.metadata["dagster/code_references"].code_references
    assert refs[0].file_path.endswith("model_training.py") and refs[0].line_number
    assert "HistGradientBoostingClassifier" in (node.description or "")
    assert node.assets_def.can_subset
    # checks: on the upstream asset, named after consumer and input, blocking by default
    ck = dg.AssetCheckKey(
        dg.AssetKey(
            [
                "tabular_calibrated",
                "TabularPreprocessing_training",
                "processed_data__TabularPreprocessing_training",
            ]
        ),
        "feeds_ModelTraining__input_path",
    )
    assert graph.get_check_spec(ck).blocking
    # resources are there to be configured per run
    assert {"data_source", "runner"} <= set(repo.get_top_level_resources())


@pytest.mark.e2e
def test_cli_validate_accepts_the_code_location(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    env.pop("SCRIPT_TESTING_PROJECT", None)
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-w",
            str(REPO / "workspace.yaml"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Validation successful" in out.stdout + out.stderr


@pytest.mark.e2e
def test_bad_project_fails_with_a_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "SCRIPT_TESTING_PROJECT": str(tmp_path / "nowhere")}
    out = subprocess.run(
        [sys.executable, "-c", "import script_testing.definitions"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "error: script_testing could not load the testing project" in out.stderr
    assert "no testing project here" in out.stderr
    # the traceback stops at the definitions module: no chain through the core's loader
    assert "During handling of the above exception" not in out.stderr
    assert "formats/project.py" not in out.stderr


def test_asset_graph_matches_snapshot(defs: dg.Definitions) -> None:
    current = definitions_snapshot(defs)
    text = json.dumps(current, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"wrote the missing snapshot {SNAPSHOT}; review and commit it")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current == expected, (
        "the generated asset graph changed; if on purpose, regenerate with "
        "UPDATE_SNAPSHOTS=1 pytest script_testing_tests/orchestration/test_dagster_definitions.py"
    )


def test_schedules_request_runs_of_their_job(defs: dg.Definitions) -> None:
    schedules = {s.name: s for s in defs.schedules}
    assert set(schedules) == {"tabular_calibrated_schedule"}  # tabular_simple has no schedule
    sched = schedules["tabular_calibrated_schedule"]
    assert sched.job_name == "tabular_calibrated"
    assert sched.cron_schedule == "0 3 * * *"
    assert sched.default_status == dg.DefaultScheduleStatus.RUNNING
    with dg.instance_for_test() as instance:
        ctx = dg.build_schedule_context(instance=instance)
        data = sched.evaluate_tick(ctx)
    assert len(data.run_requests) == 1
    assert data.run_requests[0].job_name in (None, "tabular_calibrated")


def test_schedule_status_and_timezone_follow_the_project(tmp_path: Path) -> None:
    project = _tiny_project(
        tmp_path, schedule={"cron": "15 1 * * 1", "status": "stopped", "timezone": "Europe/Berlin"}
    )
    defs = build_definitions(project)
    (sched,) = defs.schedules
    assert sched.name == "tiny_schedule" and sched.job_name == "tiny"
    assert sched.default_status == dg.DefaultScheduleStatus.STOPPED
    assert sched.execution_timezone == "Europe/Berlin"
    with dg.instance_for_test() as instance:
        data = sched.evaluate_tick(dg.build_schedule_context(instance=instance))
    assert len(data.run_requests) == 1


def _tiny_project(root: Path, schedule=None) -> Path:
    from script_testing_tests import helpers

    helpers.write_yaml(
        root / "steps" / "make.step.yaml",
        helpers.interface(
            "Make",
            entry_point="make.py",
            inputs={"config": {"path": "/opt/ml/input/config.json"}},
            outputs={"data": {"path": "/opt/ml/output/data"}},
        ),
    )
    helpers.write(
        root / "steps" / "make.py",
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            pass
        """,
    )
    helpers.write_json(root / "tiny.dag.json", {"dag": {"nodes": ["Make"], "edges": []}, "metadata": {}})
    pipe = {"dag": "tiny.dag.json", "sources": {"Make.config": {"json": {"a": 1}, "file": "config.json"}}}
    if schedule:
        pipe["schedule"] = schedule
    helpers.write_yaml(root / "script_testing.yaml", {"workspaces": ["steps"], "pipelines": {"tiny": pipe}})
    return root
