"""Production's load-time rules for a step interface (wiring.md §2.2), reported as errors."""

from __future__ import annotations

import shutil
from pathlib import Path

from script_testing.config.project import load_project
from script_testing.config.state import BUNDLED_EXAMPLES
from script_testing.config.step_interface import StepInterface
from script_testing.pipeline.interface_rules import KIND, load_problems
from script_testing.pipeline.plan import inspect_plan


def _interface(**contract) -> StepInterface:
    return StepInterface.model_validate(
        {
            "step_type": "Score",
            "contract": {
                "entry_point": "score.py",
                "inputs": {"data": {"path": "/opt/ml/processing/input/data"}},
                "outputs": {"scores": {"path": "/opt/ml/processing/output/scores"}},
                **contract,
            },
            "spec": {"dependencies": {"data": {"type": "processing_output"}}, "outputs": {"scores": {}}},
        }
    )


def test_a_valid_interface_has_no_problem() -> None:
    assert load_problems(_interface(), "score.step.yaml", None) == []


def test_each_broken_rule_is_one_error_naming_the_key() -> None:
    broken = _interface(
        inputs={"data": {"path": "/data/in"}, "extra": {"path": "/opt/ml/processing/input/extra"}},
        outputs={"predictions": {"path": "/tmp/out"}},
    )
    problems = load_problems(broken, "/repo/score.step.yaml", "calibration")
    messages = [p.message for p in problems]
    assert all(p.severity == "error" and p.kind == KIND and p.where == "score.step.yaml" for p in problems)
    assert all(
        m.startswith("production refuses to load score.step.yaml (variant `calibration` merged): ")
        for m in messages
    )
    assert any(
        "contract.inputs.extra has no spec.dependencies.extra (spec declares: data)" in m for m in messages
    )
    assert any(
        "contract.outputs.predictions has no spec.outputs.predictions (spec declares: scores)" in m
        for m in messages
    )
    assert len(problems) == 2  # container paths are not checked here (module docstring)


def test_validate_reports_it_on_the_node_and_the_run_still_plans(tmp_path: Path) -> None:
    project_dir = Path(shutil.copytree(BUNDLED_EXAMPLES, tmp_path / "proj"))
    interface = project_dir / "steps" / "evalkit" / "model_evaluation.step.yaml"
    text = interface.read_text(encoding="utf-8")
    old = "  outputs:\n    eval_output:\n      path: /opt/ml/processing/output/eval\n"
    assert text.count(old) == 1
    interface.write_text(
        text.replace(old, old.replace("eval_output:", "predictions_output:")), encoding="utf-8"
    )

    check = inspect_plan(load_project(project_dir), "tabular_calibrated")

    assert check.plan is not None  # reported, not blocking: the scripts can still be tested
    found = check.plan.contract_problems["ModelEvaluation_calibration"]
    assert [p.kind for p in found if p.severity == "error"] == [KIND]
    assert "contract.outputs.predictions_output has no spec.outputs.predictions_output" in found[0].message
