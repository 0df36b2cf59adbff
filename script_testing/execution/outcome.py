"""THE rule deciding whether a run succeeded, used by the core scheduler and the Dagster layer.

A run passes when every node passed, produced its sources, or was skipped for a harmless reason
(not selected, no script), and no blocking edge check failed. A run stopped before any script ran
(``status == "error"``) never passes.
"""

from __future__ import annotations

from script_testing.reports.model import NodeReport, RunReport, now_iso
from script_testing.vocabulary import EdgeStatus, NodeStatus, RunStatus, Severity, SkipReason


def node_ok(rep: NodeReport) -> bool:
    if rep.status in (NodeStatus.PASSED, NodeStatus.SOURCE):
        return True
    return (
        rep.status == NodeStatus.SKIPPED
        and rep.skip_reason is not None
        and SkipReason(rep.skip_reason).harmless
    )


def blocking_failures(report: RunReport) -> list[str]:
    return [e.id for e in report.edges if e.status == EdgeStatus.FAILED and e.severity == Severity.BLOCK]


def finalize(report: RunReport) -> RunReport:
    """Set ``report.success`` and ``report.status`` (and ``finished_at``) from its nodes and edges."""
    report.finished_at = now_iso()
    report.scripts_ran, report.scripts_total = report.script_counts()
    if report.status == RunStatus.ERROR:
        report.success = False
        return report
    report.success = all(node_ok(r) for r in report.nodes.values()) and not blocking_failures(report)
    report.status = RunStatus.PASSED if report.success else RunStatus.FAILED
    return report


def skip(rep: NodeReport, reason: SkipReason, sentence: str) -> NodeReport:
    """Mark ``rep`` skipped: the code for the success rule, the sentence for the user."""
    rep.status, rep.skip_reason, rep.skipped_because = NodeStatus.SKIPPED, reason, sentence
    return rep
