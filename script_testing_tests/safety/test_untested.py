"""Nothing untested is called passed: a missing script named by ``entry_point`` is an error at
``validate`` and ``run``; a sink without a script is "not run (no script)"; the summary says how many
scripts actually ran."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml
from click.testing import CliRunner

from script_testing.api import plan_pipeline, run
from script_testing.cli import cli
from script_testing.errors import CatalogError, WiringError
from script_testing.execution.layout import RUN_MARKER
from script_testing.orchestration import build_definitions
from script_testing.reports.html import write_html
from script_testing.reports.model import RunReport
from script_testing.reports.text import summary_text
from script_testing.vocabulary import NOT_RUN_NO_SCRIPT, NodeStatus, SkipReason
from script_testing_tests.safety.trees import project_with_sibling, snapshot


def _with_leaf(tmp_path: Path, *, entry_point: str | None):
    """``MakeData -> Transform -> Publish``; Publish is a leaf with no script file."""
    p, sibling = project_with_sibling(tmp_path)
    folder = p.step("Publish", None, inputs=["table"])
    p.pipeline(
        "p", ["MakeData", "Transform", "Publish"], [("MakeData", "Transform"), ("Transform", "Publish")]
    )
    root = p.write()
    iface = folder / "publish.step.yaml"
    doc = yaml.safe_load(iface.read_text())
    doc["contract"]["entry_point"] = entry_point
    iface.write_text(yaml.safe_dump(doc))
    return root, sibling


def test_a_missing_script_is_an_error_naming_the_file_and_the_workspaces(tmp_path):
    root, sibling = _with_leaf(tmp_path, entry_point="publish.py")
    before = snapshot(root, sibling)
    with pytest.raises(CatalogError) as e:
        plan_pipeline("p", root)
    text = str(e.value)
    assert "Publish: 'publish.py'" in text
    assert str(root / "steps") in text  # the workspaces searched
    assert "publish.step.yaml" in text
    result = CliRunner().invoke(cli, ["validate", str(root)])
    assert result.exit_code != 0
    assert "publish.py" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["run", str(root)])
    assert result.exit_code == 2, result.output
    assert "publish.py" in result.output and "PASSED" not in result.output
    assert snapshot(root, sibling) == before


def test_a_missing_script_is_fine_when_its_outputs_are_sources(tmp_path):
    p, _ = project_with_sibling(tmp_path)
    root = p.write()
    iface = root / "steps" / "make_data" / "make_data.step.yaml"
    (root / "steps" / "make_data" / "make_data.py").unlink()
    with pytest.raises(WiringError, match=r"MakeData\.data"):  # it feeds Transform: a source is needed
        plan_pipeline("p", root)
    p.config["pipelines"]["p"]["sources"] = {"MakeData.data": {"synthetic": "small"}}
    p.write()
    plan = plan_pipeline("p", root)
    assert plan.nodes["MakeData"].role == "data"
    assert iface.exists()


@pytest.mark.e2e
def test_a_sink_without_a_script_is_not_run_and_not_passed(tmp_path):
    root, sibling = _with_leaf(tmp_path, entry_point=None)
    before = snapshot(root, sibling)
    report = run("p", root)
    sink = report.nodes["Publish"]
    assert sink.status == NodeStatus.SKIPPED and sink.status != NodeStatus.PASSED
    assert sink.skip_reason == SkipReason.NO_SCRIPT
    assert sink.skipped_because == NOT_RUN_NO_SCRIPT
    assert (report.scripts_ran, report.scripts_total) == (2, 2)
    assert "2 of 2 scripts ran" in summary_text(report)
    saved = (Path(report.run_dir) / "report.json").read_text()
    assert '"skip_reason": "no_script"' in saved and NOT_RUN_NO_SCRIPT in saved
    html = write_html(report, Path(report.run_dir) / "report.html").read_text()
    assert NOT_RUN_NO_SCRIPT in html and "2 of 2 scripts ran" in html
    result = CliRunner().invoke(cli, ["show", "--project", str(root), "p/latest"])
    assert NOT_RUN_NO_SCRIPT in result.output, result.output
    assert snapshot(root, sibling) == before


@pytest.mark.e2e
def test_dagster_reports_the_sink_as_not_run(tmp_path):
    root, _ = _with_leaf(tmp_path, entry_point=None)
    defs = build_definitions(root)
    runs = tmp_path / "runs"
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("p").execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"resources": {"runner": {"config": {"runs_root": str(runs)}}}},
        )
    assert result.success
    (report_file,) = runs.glob("p/*/report.json")
    saved = RunReport.read(report_file)
    assert saved.nodes["Publish"].status == NodeStatus.SKIPPED
    assert saved.nodes["Publish"].skipped_because == NOT_RUN_NO_SCRIPT
    assert saved.scripts_ran == 2 and saved.scripts_total == 2
    assert (report_file.parent / RUN_MARKER).is_file()
