"""CI gates: ``run --junit-xml`` and ``budgets`` in the project."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from script_testing.config.project import ProjectConfig, budgets_for
from script_testing.execution.outcome import finalize
from script_testing.reports.junit import junit_xml
from script_testing.reports.model import BudgetLimit, NodeReport, RunReport
from script_testing_tests.cli.test_cli_run import cli, output
from script_testing_tests.fixtures.projects import RAISE, branching_project


def test_the_most_specific_budget_wins_key_by_key():
    config = ProjectConfig.model_validate(
        {
            "budgets": {"script_s": 30, "pipeline_s": 600, "peak_memory_mb": 500},
            "pipelines": {
                "p": {
                    "dag": "p.dag.json",
                    "budgets": {"pipeline_s": 60},
                    "nodes": {"Train": {"budgets": {"script_s": 5}}},
                }
            },
        }
    )
    assert budgets_for(config, "p") == {"pipeline_s": (60, "pipelines.p.budgets.pipeline_s")}
    assert budgets_for(config, "p", "Train") == {
        "script_s": (5, "pipelines.p.nodes.Train.budgets.script_s"),
        "peak_memory_mb": (500, "budgets.peak_memory_mb"),
    }
    assert budgets_for(config, "p", "Other")["script_s"] == (30, "budgets.script_s")


def test_a_breached_budget_fails_the_run_with_a_sentence_naming_the_figure():
    report = RunReport(pipeline="p", run_id="r1")
    report.nodes["ModelTraining"] = NodeReport(
        status="passed",
        duration_s=41.23,
        peak_memory_mb=120.0,
        budgets={
            "script_s": BudgetLimit(limit=30, where="budgets.script_s"),
            "peak_memory_mb": BudgetLimit(limit=200, where="budgets.peak_memory_mb"),
        },
    )
    finalize(report)
    assert report.success is False and report.status == "failed"
    assert report.budget_breaches == ["ModelTraining took 41.2 s, over its budget of 30 s (budgets.script_s)"]
    report.nodes["ModelTraining"].duration_s = 12.0
    assert finalize(report).success is True and report.budget_breaches == []


def test_junit_xml_of_a_failed_node_a_skipped_node_and_checks_is_valid():
    report = RunReport(pipeline="p", run_id="r1", duration_s=1.5)
    report.nodes["A"] = NodeReport(status="passed", duration_s=0.5)
    report.nodes["B"] = NodeReport(
        status="failed", error="B: main() raised ValueError: bad", stderr_path="/runs/p/r1/B/logs/stderr.log"
    )
    report.nodes["C"] = NodeReport(status="skipped", skipped_because="its upstream B failed")
    finalize(report)
    root = ET.fromstring(junit_xml([report]))
    suite = root.find("testsuite")
    assert suite.get("name") == "p" and suite.get("tests") == "3"
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "1")
    failure = suite.find("testcase[@name='B']/failure")
    assert failure.get("message") == "B: main() raised ValueError: bad"
    assert "see stderr.log: /runs/p/r1/B/logs/stderr.log" in failure.text
    assert suite.find("testcase[@name='C']/skipped").get("message") == "its upstream B failed"


@pytest.mark.e2e
def test_run_writes_junit_and_fails_on_a_budget(tmp_path: Path):
    project = branching_project(tmp_path / "proj", transform=RAISE)
    project.config["budgets"] = {"peak_memory_mb": 100000}
    project.config["pipelines"]["p"]["nodes"] = {"MakeData": {"budgets": {"script_s": 0.000001}}}
    root = project.write()
    junit = tmp_path / "out" / "junit.xml"
    proc = cli("run", str(root), "--junit-xml", str(junit), cwd=tmp_path)
    assert proc.returncode == 1, output(proc)
    sentence = r"over budget: MakeData took [0-9.]+ s, over its budget of 1e-06 s \(pipelines.p.nodes.MakeData.budgets.script_s\)"
    assert re.search(sentence, output(proc)), output(proc)
    suite = ET.parse(junit).getroot().find("testsuite")
    names = {c.get("name") for c in suite.iter("testcase")}
    assert {"MakeData", "Transform", "Consume", "Other", "budgets"} <= names
    assert any("->" in n for n in names)  # edge checks
    transform = suite.find("testcase[@name='Transform']/failure")
    assert "ValueError" in transform.get("message") and "see stderr.log: " in transform.text
    assert Path(transform.text.split("see stderr.log: ")[1].splitlines()[0]).is_file()
    assert suite.find("testcase[@name='Consume']/skipped") is not None
    assert "MakeData took" in suite.find("testcase[@name='budgets']/failure").get("message")
    report = json.loads(next((tmp_path / "runs" / "p").glob("*/report.json")).read_text())
    assert report["budget_breaches"] and report["budgets"] == {}
    assert report["nodes"]["MakeData"]["budgets"]["peak_memory_mb"]["where"] == "budgets.peak_memory_mb"
