"""Contract findings reach every view: report.json, the HTML report, Dagster's ``contract`` check and metadata."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from script_testing.api import run
from script_testing.orchestration import build_definitions
from script_testing.orchestration.keys import output_key
from script_testing.reports.html import write_html
from script_testing.reports.model import RunReport
from script_testing_tests.fixtures.projects import MAKE_DATA, ProjectBuilder

pytestmark = [pytest.mark.timeout(300), pytest.mark.e2e]

# reads an env var its interface does not declare (seen at run time) and never writes its output 'extra'
TRANSFORM = """
import os, shutil

def main(input_paths, output_paths, environ_vars, job_args):
    mode = environ_vars.get("MODE", "plain")
    os.makedirs(output_paths["table"], exist_ok=True)
    shutil.copytree(input_paths["data"], output_paths["table"], dirs_exist_ok=True)
"""


def _project(root: Path, *, broken_output: bool = False) -> Path:
    p = ProjectBuilder(root)
    make = (
        MAKE_DATA.replace('output_paths["data"]', 'output_paths["dataset"]') if broken_output else MAKE_DATA
    )
    p.step("MakeData", make, outputs=["data"])
    p.step("Transform", TRANSFORM, inputs=["data"], outputs=["table", "extra"])
    p.pipeline("p", ["MakeData", "Transform"], [("MakeData", "Transform")])
    return p.write()


def test_report_json_and_html_carry_static_and_runtime_findings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tmp_path / "runs"))
    report = run("p", _project(tmp_path / "proj"))
    stored = RunReport.read(Path(report.run_dir))
    transform = stored.nodes["Transform"]
    assert transform.status == "passed"
    assert [(f.severity, f.kind) for f in transform.contract] == [("warning", "unwritten-output")]
    assert "extra" in transform.contract[0].message
    assert [f.kind for f in transform.contract_runtime] == ["runtime-undeclared-environ_vars"]
    assert "`MODE`" in transform.contract_runtime[0].message
    assert transform.accessed["environ_vars"] == ["MODE"]
    raw = json.loads((Path(report.run_dir) / "report.json").read_text())
    assert raw["nodes"]["Transform"]["contract"][0]["where"].startswith("transform.py")
    html = write_html(stored, Path(report.run_dir) / "report.html").read_text()
    assert 'id="contracts"' in html and "runtime-undeclared" not in html  # sentences, not codes
    assert "read env var <code>MODE</code>" in html or "`MODE`" in html


def test_dagster_contract_check_and_runtime_metadata(tmp_path: Path) -> None:
    defs = build_definitions(_project(tmp_path / "proj"))
    key = dg.AssetCheckKey(output_key("p", "Transform", "table"), "contract")
    spec = defs.resolve_asset_graph().get_check_spec(key)
    assert spec.blocking is False  # warnings only
    runner = {"resources": {"runner": {"config": {"runs_root": str(tmp_path / "runs")}}}}
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("p").execute_in_process(
            instance=instance, run_config=runner, raise_on_error=False
        )
    assert result.success
    evals = {
        (
            e.asset_check_evaluation_data.asset_key.to_user_string(),
            e.asset_check_evaluation_data.check_name,
        ): (e.asset_check_evaluation_data)
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    contract = evals[(output_key("p", "Transform", "table").to_user_string(), "contract")]
    assert contract.passed and "extra" in contract.metadata["findings"].value
    mats = {
        e.step_materialization_data.materialization.asset_key.to_user_string(): (
            e.step_materialization_data.materialization
        )
        for e in result.get_asset_materialization_events()
    }
    assert (
        "`MODE`"
        in mats[output_key("p", "Transform", "table").to_user_string()].metadata["contract_runtime"].value
    )


def test_a_static_contract_error_makes_the_check_blocking(tmp_path: Path) -> None:
    defs = build_definitions(_project(tmp_path / "proj", broken_output=True))
    key = dg.AssetCheckKey(output_key("p", "MakeData", "data"), "contract")
    assert defs.resolve_asset_graph().get_check_spec(key).blocking is True
