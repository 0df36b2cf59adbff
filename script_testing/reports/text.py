"""The plain-text lines of a run: one per node, one per edge check, and the run's summary
(the CLI's progress and the notebook's ``repr``)."""

from __future__ import annotations

from pathlib import Path

from script_testing.reports.model import REPORT_FILE, EdgeReport, NodeReport, RunReport
from script_testing.vocabulary import EdgeStatus, NodeStatus
from script_testing.worker.redaction import tool_redactor

STATUS_MARK = {
    "passed": "PASS",
    "failed": "FAIL",
    "skipped": "SKIP",
    "source": "DATA",
    "pending": "....",
    "running": "RUN ",
    "warn": "WARN",
    "interrupted": "INTR",
}


def node_line(name: str, node: NodeReport) -> str:
    mark = STATUS_MARK.get(node.status, node.status.upper())
    timing = f"{node.duration_s:6.2f}s" if node.duration_s is not None else " " * 7
    mem = f"{node.peak_memory_mb:7.1f} MB" if node.peak_memory_mb is not None else ""
    line = f"  {mark}  {timing} {mem:>10}  {name}"
    if node.status == NodeStatus.FAILED and node.error:
        line += "\n        " + node.error.splitlines()[0]
    elif node.status == NodeStatus.SKIPPED and node.skipped_because:
        line += f"  ({node.skipped_because})"
    elif node.status == NodeStatus.SOURCE and node.source:
        line += f"  ({node.source})"
    if node.synthesized_inputs:
        line += f"  [SYNTHESIZED input(s): {', '.join(node.synthesized_inputs)}]"
    return tool_redactor().redact(line)


def edge_line(edge: EdgeReport) -> str:
    mark = STATUS_MARK.get(edge.status, edge.status.upper())
    text = f"  {mark}  check {edge.id}"
    if edge.status in (EdgeStatus.FAILED, EdgeStatus.WARN) and edge.summary:
        text += "\n        " + edge.summary
    return tool_redactor().redact(text)


def summary_text(report: RunReport) -> str:
    counts = report.counts()
    parts = [report.scripts_ran_text()]
    parts += [
        f"{counts[k]} {k}" for k in ("passed", "failed", "skipped", "source", "interrupted") if counts.get(k)
    ]
    checks = [e for e in report.edges if e.status not in (EdgeStatus.PENDING, EdgeStatus.SKIPPED)]
    if checks:
        bad = sum(e.status == EdgeStatus.FAILED for e in checks)
        parts.append(f"{len(checks) - bad}/{len(checks)} edge checks passed")
    verdict = "PASSED" if report.success else str(report.status).upper()
    dur = f" in {report.duration_s:.1f}s" if report.duration_s is not None else ""
    line = f"{verdict}: pipeline {report.pipeline}{dur}: {', '.join(parts) or 'nothing ran'}"
    if report.error:
        line += f"\n  {report.error}"
    for breach in report.budget_breaches:
        line += f"\n  over budget: {breach}"
    if report.run_dir:
        line += f"\n  report: {Path(report.run_dir) / REPORT_FILE}"
    return tool_redactor().redact(line)
