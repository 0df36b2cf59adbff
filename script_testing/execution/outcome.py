"""THE rule deciding whether a run succeeded, used by the core scheduler and the Dagster layer.

A run passes when every node passed, produced its sources, or was skipped for a harmless reason
(not selected, no script), and no blocking edge check failed. A run stopped by an error
(``status == "error"``) or interrupted (``"interrupted"``) never passes; what had finished keeps its
status and every unfinished node becomes ``interrupted``.
"""

from __future__ import annotations

import os
import socket

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
    if report.status in (RunStatus.ERROR, RunStatus.INTERRUPTED):
        report.success = False
        for rep in report.nodes.values():
            if rep.status in (NodeStatus.PENDING, NodeStatus.RUNNING):
                rep.status = NodeStatus.INTERRUPTED
                rep.finished_at = rep.finished_at or report.finished_at
        for e in report.edges:
            if e.status == EdgeStatus.PENDING:
                e.status, e.summary = EdgeStatus.SKIPPED, f"not checked: the run stopped ({report.status})"
        return report
    report.success = all(node_ok(r) for r in report.nodes.values()) and not blocking_failures(report)
    report.status = RunStatus.PASSED if report.success else RunStatus.FAILED
    return report


def stop(report: RunReport, status: RunStatus, sentence: str) -> RunReport:
    """Record that the run was stopped (``interrupted`` or ``error``) and why, then finalize it."""
    report.status = status
    report.error = sentence if not report.error else f"{report.error}\n{sentence}"
    return finalize(report)


def settled(report: RunReport) -> RunReport:
    """``report`` as it really is: a run still ``running`` whose process is gone (same host, pid dead)
    was interrupted; it is shown so (the file itself is not rewritten)."""
    if report.status != RunStatus.RUNNING or report.pid is None or report.host != this_host():
        return report
    if pid_alive(report.pid):
        return report
    shown = report.model_copy(deep=True)
    stop(
        shown,
        RunStatus.INTERRUPTED,
        f"the process running it (pid {report.pid}) is gone; the run was interrupted",
    )
    shown.finished_at = None
    return shown


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def skip(rep: NodeReport, reason: SkipReason, sentence: str) -> NodeReport:
    """Mark ``rep`` skipped: the code for the success rule, the sentence for the user."""
    rep.status, rep.skip_reason, rep.skipped_because = NodeStatus.SKIPPED, reason, sentence
    return rep
