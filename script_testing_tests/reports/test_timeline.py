"""The HTML report's timeline: its labels agree with the nodes table, and it shows input checks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from script_testing.reports.common import fmt_duration
from script_testing.reports.html import render_html
from script_testing.reports.model import EdgeReport, NodeReport, RunReport
from script_testing.reports.svg import render_timeline_svg


def _report() -> RunReport:
    r = RunReport(pipeline="p", run_id="r", started_at="2026-01-01T09:00:00.000+00:00")
    r.finished_at = "2026-01-01T09:00:10.000+00:00"
    r.nodes["Load"] = NodeReport(
        status="source",
        role="data",
        started_at="2026-01-01T09:00:00.000+00:00",
        finished_at="2026-01-01T09:00:01.000+00:00",
        duration_s=0.9,
    )
    r.nodes["Train"] = NodeReport(  # 9 s wall: 2 s of input checks, then a 6.5 s script
        status="passed",
        started_at="2026-01-01T09:00:01.000+00:00",
        finished_at="2026-01-01T09:00:10.000+00:00",
        duration_s=6.5,
    )
    r.edges = [
        EdgeReport(**{"from": "Load"}, output="DATA", to="Train", input="data", status="passed", duration_s=1.5),
        EdgeReport(
            **{"from": "Load"}, output="SIG", to="Train", input="sig", status="failed", duration_s=0.5,
            severity="warn", summary="column 'x' is missing",
        ),
    ]  # fmt: skip
    return r


def _svg(report: RunReport) -> ET.Element:
    return ET.fromstring(render_timeline_svg(report))


def test_timeline_duration_labels_are_the_figures_of_the_nodes_table():
    report = _report()
    bars = {g.get("data-node"): g for g in _svg(report).iter("g") if g.get("data-node")}
    train = bars["Train"].find("text[@class='tl-duration']").text
    assert train == fmt_duration(6.5)  # the script's duration, as in the table; not the 9 s wall
    assert fmt_duration(6.5) in render_html(report)  # the table says the same
    assert f"wall {fmt_duration(9.0)} (input checks {fmt_duration(2.0)})" in bars["Train"].find("title").text


def test_a_nodes_timeline_shows_its_input_checks():
    bars = {g.get("data-node"): g for g in _svg(_report()).iter("g") if g.get("data-node")}
    checks = bars["Train"].findall("rect[@class]")
    classes = [c.get("class") for c in checks if "tl-check" in c.get("class")]
    assert classes == ["tl-check tl-check-passed", "tl-check tl-check-failed"]
    failed = next(c for c in checks if c.get("class") == "tl-check tl-check-failed")
    assert failed.find("title").text.startswith("check Load.SIG->Train.sig: failed")
    assert "column 'x' is missing" in failed.find("title").text
    assert not [c for c in bars["Load"].iter("rect") if "tl-check" in (c.get("class") or "")]
