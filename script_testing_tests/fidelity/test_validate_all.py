"""``validate`` lists every problem of every file and pipeline; its JSON has one strict shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from script_testing.cli import cli
from script_testing.config.project import load_project
from script_testing.pipeline.plan import inspect_plan
from script_testing_tests.fidelity.projects import good_and_broken_project
from script_testing_tests.fixtures.projects import MAKE_DATA, ProjectBuilder

pytestmark = pytest.mark.timeout(120)

WIRE_KEYS = {"to", "input", "from", "output", "kind", "score", "reason"}
KINDS = {"edge", "binding", "source", "unwired"}


def _validate(root: Path, *args: str):
    return CliRunner().invoke(cli, ["validate", str(root), *args], catch_exceptions=False)


def test_json_has_exactly_the_documented_shape(tmp_path: Path) -> None:
    root = good_and_broken_project(tmp_path / "proj")
    result = _validate(root, "--output-format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)  # exactly one document, nothing else on stdout
    assert set(doc) == {"ok", "pipelines"} and doc["ok"] is False
    assert set(doc["pipelines"]) == {"good", "broken"}
    for entry in doc["pipelines"].values():
        assert set(entry) == {"ok", "problems", "wiring"}
        assert isinstance(entry["ok"], bool)
        for p in entry["problems"]:
            assert set(p) == {"severity", "where", "message"}
            assert p["severity"] in ("error", "warning")
            assert isinstance(p["where"], str) and isinstance(p["message"], str) and p["message"]
        for w in entry["wiring"]:
            assert set(w) == WIRE_KEYS
            assert w["kind"] in KINDS
            assert isinstance(w["to"], str) and isinstance(w["input"], str) and isinstance(w["reason"], str)
            assert w["from"] is None or isinstance(w["from"], str)
            assert w["output"] is None or isinstance(w["output"], str)
            assert w["score"] is None or isinstance(w["score"], float)
    good, broken = doc["pipelines"]["good"], doc["pipelines"]["broken"]
    assert good["ok"] is True and not [p for p in good["problems"] if p["severity"] == "error"]
    assert [(w["to"], w["input"], w["from"], w["kind"]) for w in good["wiring"]] == [
        ("Transform_training", "data", "MakeData", "edge")
    ]
    # the broken pipeline: every problem at once, and the wiring of what could be resolved
    assert broken["ok"] is False
    errors = [p for p in broken["problems"] if p["severity"] == "error"]
    text = json.dumps(errors)
    assert "broken.step.yaml" in text and "contract.inputs" in text, text
    assert "'Ghost' matches no step interface" in text, text
    assert any(p["where"] == "Ghost" for p in errors) and any(p["where"] == "Broken" for p in errors)


def test_every_file_problem_is_reported_and_ignored_keys_only_warn(tmp_path: Path) -> None:
    root = good_and_broken_project(tmp_path / "proj")
    project = load_project(root)
    good = inspect_plan(project, "good")
    assert good.ok and good.plan is not None
    warnings = [str(p) for p in good.problems if p.severity == "warning"]
    # a variant's own step_type is tolerated with a warning naming the ignored keys
    assert any("variants.training: step_type, colour ignored" in w for w in warnings), warnings
    # the unreadable file names no step type: reported (as a warning) with its line, never silently dropped
    assert any("unreadable.step.yaml:" in w and "invalid YAML" in w for w in warnings), warnings
    result = _validate(root)
    assert result.exit_code == 1
    assert "pipeline good: ok" in result.output and "pipeline broken: PROBLEMS" in result.output
    assert "Traceback" not in result.output


def test_contract_problems_fail_validate(tmp_path: Path) -> None:
    p = ProjectBuilder(tmp_path / "proj")
    p.step("MakeData", MAKE_DATA.replace('output_paths["data"]', 'output_paths["dataset"]'), outputs=["data"])
    p.pipeline("solo", ["MakeData"])
    root = p.write()
    doc = json.loads(_validate(root, "--output-format", "json").output)
    entry = doc["pipelines"]["solo"]
    assert doc["ok"] is False and entry["ok"] is False
    (err,) = [
        p for p in entry["problems"] if p["severity"] == "error" and "writes output `dataset`" in p["message"]
    ]
    assert err["where"].startswith("MakeData (make_data.py:") and "`dataset`" in err["message"], err
