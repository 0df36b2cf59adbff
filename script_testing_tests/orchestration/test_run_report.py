"""``report.json`` of a Dagster run, as the steps record it (``orchestration.runs.record``): each step adds
its node and edges, and what it writes holds none of the tool's secrets, also once the report is kept in
memory between steps (only what is new is masked at each step)."""

from __future__ import annotations

import json

from script_testing.config.project import load_project
from script_testing.orchestration import runs
from script_testing.reports.model import REPORT_FILE, EdgeReport, NodeReport
from script_testing.vocabulary import EdgeStatus, NodeStatus
from script_testing_tests.fixtures.projects import branching_project
from script_testing_tests.helpers import FAKE_SECRET as SECRET
from script_testing_tests.helpers import plan_for


def test_each_step_adds_to_the_report_and_nothing_written_holds_a_secret(tmp_path, secret_env):
    plan = plan_for(load_project(branching_project(tmp_path / "proj").write()))
    run_dir = tmp_path / "runs" / "p" / "r1"
    runs.record(plan, run_dir, "r1", node="MakeData", report=NodeReport(status=NodeStatus.PASSED))
    failed = NodeReport(status=NodeStatus.FAILED, error=f"cannot connect with {SECRET}")
    edge = EdgeReport(
        **{"from": "MakeData"}, output="data", to="Transform", input="data", summary=f"saw {SECRET}"
    )
    edge.status = EdgeStatus.WARN
    runs.record(plan, run_dir, "r1", node="Transform", report=failed, edges=[edge])  # the kept report
    text = (run_dir / REPORT_FILE).read_text()
    assert SECRET not in text
    data = json.loads(text)
    assert data["nodes"]["Transform"]["error"] == "cannot connect with ***"
    assert data["nodes"]["MakeData"]["status"] == "passed"
    assert [e["summary"] for e in data["edges"]] == ["saw ***"]
    assert data["status"] == "failed" and data["success"] is False

    runs._written.clear()  # another process's step: the report is read back from the file
    runs.record(plan, run_dir, "r1", node="Other", report=NodeReport(status=NodeStatus.PASSED, error=SECRET))
    data = json.loads((run_dir / REPORT_FILE).read_text())
    assert set(data["nodes"]) >= {"MakeData", "Transform", "Other"}
    assert data["nodes"]["Other"]["error"] == "***"
    assert SECRET not in (run_dir / REPORT_FILE).read_text()
