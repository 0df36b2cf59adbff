"""Runs over time: ``compare`` two runs, a pipeline's ``history``, and runs recorded in Dagster."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from script_testing.cli import cli
from script_testing.reports.compare import compare_runs, comparison_text
from script_testing.reports.history import load_history
from script_testing.reports.model import EdgeReport, NodeReport, OutputSummary, RunReport


def _run(
    root: Path, run_id: str, *, rows: int, train_s: float, mem: float, failed: bool = False
) -> RunReport:
    """A finished run of pipeline ``p`` written under ``root`` like the scheduler writes it."""
    run_dir = root / "p" / run_id
    out = run_dir / "Prep" / "data"
    out.mkdir(parents=True)
    lines = [f"{i},{i % 2}" if failed else f"{i},{i % 2},0.5" for i in range(rows)]
    header = "id,label" if failed else "id,label,score"
    (out / "part-0.csv").write_text("\n".join([header, *lines]) + "\n")
    report = RunReport(
        pipeline="p", run_id=run_id, run_dir=str(run_dir), started_at=f"2026-01-0{run_id[-1]}T09:00:00"
    )
    report.nodes["Prep"] = NodeReport(
        status="passed",
        duration_s=1.0,
        peak_memory_mb=50.0,
        outputs={"data": str(out)},
        output_summary={"data": OutputSummary(path=str(out), files=1, bytes=100)},
    )
    report.nodes["Train"] = NodeReport(
        status="failed" if failed else "passed",
        duration_s=train_s,
        peak_memory_mb=mem,
        error="Train: boom" if failed else None,
    )
    edge = EdgeReport(
        **{"from": "Prep"}, output="data", to="Train", input="data", status="failed" if failed else "passed"
    )
    if failed:
        edge.failed_expectations = [
            {"expectation": "expect_column_to_exist", "message": "column 'score' is missing"}
        ]
    report.edges = [edge]
    report.status, report.success, report.duration_s = (
        ("failed", False, 9.0) if failed else ("passed", True, 5.0)
    )
    report.write(run_dir)
    return report


@pytest.fixture
def runs(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "runs"
    _run(root, "run-1", rows=10, train_s=2.0, mem=100.0)
    _run(root, "run-2", rows=12, train_s=2.1, mem=101.0)
    _run(root, "run-3", rows=7, train_s=20.0, mem=400.0, failed=True)
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(root))
    return root


def test_compare_marks_exactly_what_changed(runs):
    a, b = RunReport.read(runs / "p" / "run-1"), RunReport.read(runs / "p" / "run-2")
    c = compare_runs(a, b)
    changed = {(r.name, r.field) for r in c.differences}
    assert changed == {("Prep.data", "rows")}  # 2.0 s -> 2.1 s and 100 -> 101 MB are noise
    c = compare_runs(a, RunReport.read(runs / "p" / "run-3"))
    changed = {(r.name, r.field): r for r in c.differences}
    assert {
        ("p", "status"),
        ("Train", "status"),
        ("Train", "duration_s"),
        ("Train", "peak_memory_mb"),
    } <= set(changed)
    assert changed[("Prep.data", "columns")].note == "columns removed: score"
    assert changed[("Prep.data->Train.data", "failed expectations")].note == "new: column 'score' is missing"
    text = comparison_text(c)
    assert "* Train status" in text and "  Prep status" in text


def test_compare_command_in_three_formats(runs, tmp_path):
    text = CliRunner().invoke(cli, ["compare", "run-1", "p/latest"])
    assert text.exit_code == 0, text.output
    assert "B: p run-3 (failed)" in text.output and "* Train status" in text.output
    data = json.loads(CliRunner().invoke(cli, ["compare", "run-1", "run-3", "--format", "json"]).output)
    assert data["differences"] == sum(r["differs"] for r in data["rows"]) and data["differences"] >= 5
    html = tmp_path / "cmp.html"
    done = CliRunner().invoke(cli, ["compare", "run-1", "run-3", "--format", "html", "-o", str(html)])
    assert done.exit_code == 0
    assert html.read_text().count('<tr class="diff">') == data["differences"]
    back = CliRunner().invoke(cli, ["compare", "p/latest~2", "p/latest"])
    assert "A: p run-1 (passed)" in back.output and "B: p run-3 (failed)" in back.output
    too_far = CliRunner().invoke(cli, ["compare", "p/latest~3", "p/latest"])
    assert too_far.exit_code == 2 and "only 3 run(s)" in too_far.output
    missing = CliRunner().invoke(cli, ["compare", "run-1", "nope"])
    assert missing.exit_code == 2 and "no run 'nope'" in missing.output


def test_history_pass_rate_series_and_html_plot(runs, tmp_path):
    h = load_history(sorted((runs / "p").iterdir()), "p", limit=20)
    assert [r.run_id for r in h.runs] == ["run-1", "run-2", "run-3"]
    assert h.pass_rate == pytest.approx(2 / 3)
    assert h.series("Train", "duration_s") == [2.0, 2.1, 20.0]
    assert h.nodes == ["Prep", "Train"]
    assert [r.run_id for r in load_history(sorted((runs / "p").iterdir()), "p", limit=2).runs] == [
        "run-2",
        "run-3",
    ]
    text = CliRunner().invoke(cli, ["history", "p"])
    assert "2/3 finished runs passed (67%)" in text.output and "P P F" in text.output
    out = tmp_path / "h.html"
    assert CliRunner().invoke(cli, ["history", "p", "--format", "html", "-o", str(out)]).exit_code == 0
    page = out.read_text()
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    plot = ET.fromstring(svg)  # well-formed inline SVG
    assert len(plot.findall("{http://www.w3.org/2000/svg}polyline")) == 2
    assert len(plot.findall("{http://www.w3.org/2000/svg}circle")) == 6


def test_a_run_still_going_is_not_counted_as_failed(runs):
    r = RunReport.read(runs / "p" / "run-3")
    r.status, r.success = "running", False
    r.write(runs / "p" / "run-3")
    h = load_history(sorted((runs / "p").iterdir()), "p")
    assert h.pass_rate == 1.0 and len(h.finished) == 2


def test_cli_runs_are_recorded_in_the_dagster_instance(runs, tmp_path, monkeypatch):
    from dagster import DagsterInstance  # why: Dagster is imported by this test only

    from script_testing.api import record_in_dagster
    from script_testing.orchestration.keys import output_key

    report = RunReport.read(runs / "p" / "run-1")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert record_in_dagster(report, "cli") is None  # unset: nothing recorded, nothing said
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert record_in_dagster(report, "cli") is None
    with DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(output_key("p", "Prep", "data"))
        assert event is not None
        meta = event.asset_materialization.metadata
        assert meta["path"].value == str(runs / "p" / "run-1" / "Prep" / "data")
        assert meta["dagster/row_count"].value == 10
        assert meta["duration_s"].value == 1.0 and meta["recorded_from"].value == "cli"
        # Train passed but wrote nothing: no materialization is claimed for it
        assert instance.get_latest_materialization_event(output_key("p", "Train", "data")) is None
