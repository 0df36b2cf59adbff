"""Wiring problems found from the DAG file and the interfaces alone (issue 13): a branch whose outputs feed
nothing, DAG metadata that disagrees with the edges, a producer outside ``compatible_sources``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from script_testing.api import open_project
from script_testing.cli import cli
from script_testing.pipeline.plan import load_plan
from script_testing.pipeline.wiring import dag_problems

EXAMPLES = Path(__file__).resolve().parents[2] / "script_testing" / "examples"


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(
        EXAMPLES, dest, ignore=shutil.ignore_patterns("__pycache__", ".script_testing", "baselines")
    )
    return dest


def _plan(project_dir: Path, name: str = "tabular_calibrated"):
    return load_plan(open_project(project_dir), name)


def _problems(plan):
    return dag_problems(plan.dag, {n: np.resolved for n, np in plan.nodes.items()}, plan.wiring)


def test_bundled_pipelines_have_no_dag_problems(tmp_path):
    project = _copy(tmp_path)
    for name in ("tabular_calibrated", "tabular_simple"):
        assert _problems(_plan(project, name)) == []


def test_a_branch_that_lost_its_last_edge_is_an_error_naming_the_input_it_would_feed(tmp_path):
    project = _copy(tmp_path)
    dag_path = project / "dags" / "tabular_calibrated.dag.json"
    doc = json.loads(dag_path.read_text())
    doc["dag"]["edges"].remove(["ModelCalibration_calibration", "ModelPackaging"])
    dag_path.write_text(json.dumps(doc))
    problems = _problems(_plan(project))
    assert [(p.severity, p.where) for p in problems] == [("error", "ModelCalibration_calibration")]
    message = problems[0].message
    assert "metadata.edge_count says 8 but the file lists 7" in message
    assert "ModelPackaging.calibration_model" in message
    assert '["ModelCalibration_calibration", "ModelPackaging"]' in message
    # without exit_points in the metadata a sink may be intended: a warning
    del doc["metadata"]["exit_points"]
    dag_path.write_text(json.dumps(doc))
    assert [p.severity for p in _problems(_plan(project))] == ["warning"]


def test_edge_count_that_disagrees_alone_is_a_warning(tmp_path):
    project = _copy(tmp_path)
    dag_path = project / "dags" / "tabular_calibrated.dag.json"
    doc = json.loads(dag_path.read_text())
    doc["metadata"]["edge_count"] = 9
    dag_path.write_text(json.dumps(doc))
    problems = _problems(_plan(project))
    assert [(p.severity, p.category) for p in problems] == [("warning", "dag")]
    assert "metadata.edge_count says 9 but the file lists 8" in problems[0].message


def test_producer_outside_compatible_sources_is_a_wiring_warning(tmp_path):
    project = _copy(tmp_path)
    iface = project / "steps" / "model_calibration" / "model_calibration.step.yaml"
    text = iface.read_text()
    assert text.count("compatible_sources: [ModelEvaluation, ModelInference]") == 1
    iface.write_text(text.replace("[ModelEvaluation, ModelInference]", "[ModelInference]"))
    plan = _plan(project)
    warnings = plan.nodes["ModelCalibration_calibration"].warnings
    assert len(warnings) == 1 and warnings[0].startswith("ModelCalibration_calibration.evaluation_data:")
    assert "ModelEvaluation is not in this input's compatible_sources (ModelInference)" in warnings[0]
    assert plan.nodes["ModelCalibration_calibration"].inputs["evaluation_data"].upstream == (
        "ModelEvaluation_calibration"
    )
    assert (
        _plan(_copy(tmp_path / "fresh"), "tabular_calibrated").nodes["ModelCalibration_calibration"].warnings
        == []
    )


def _validate(project: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(
        cli, ["validate", str(project), "-p", "tabular_calibrated", "--output-format", "json"]
    )
    entry = json.loads(result.output)["pipelines"]["tabular_calibrated"]
    errors = [f"{p['where']}: {p['message']}" for p in entry["problems"] if p["severity"] == "error"]
    warnings = [f"{p['where']}: {p['message']}" for p in entry["problems"] if p["severity"] != "error"]
    return result.exit_code, {"problems": errors, "warnings": warnings}


def test_validate_fails_on_contract_dag_and_compatible_sources_problems(tmp_path):
    project = _copy(tmp_path)
    code, entry = _validate(project)
    assert code == 0 and entry["problems"] == [] and entry["warnings"] == []

    project = _copy(tmp_path / "mutated")  # a new folder: interfaces already read are cached by path
    iface = project / "steps" / "model_calibration" / "model_calibration.step.yaml"
    iface.write_text(iface.read_text().replace("[ModelEvaluation, ModelInference]", "[ModelInference]"))
    script = project / "steps" / "model_packaging" / "model_packaging.py"
    text = script.read_text()
    old = 'calibration = input_paths.get("calibration_model")'
    assert text.count(old) == 1
    script.write_text(text.replace(old, 'calibration = input_paths["calibration_model"]'))
    code, entry = _validate(project)
    assert code == 1
    assert entry["warnings"] == []
    assert len(entry["problems"]) == 2
    assert "ModelCalibration_calibration.evaluation_data: production wires" in entry["problems"][0]
    assert "ModelPackaging: model_packaging.py:" in entry["problems"][1]
    assert "reads input `calibration_model` unguarded" in entry["problems"][1]
