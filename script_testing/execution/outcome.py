"""THE rule deciding whether a run succeeded, used by the core scheduler and the Dagster layer.

A run passes when every node passed, produced its sources, or was skipped for a harmless reason
(not selected, no script), no blocking edge check failed and no budget (``budgets`` in the project:
script_s, pipeline_s, peak_memory_mb) was exceeded. A run stopped by an error (``status == "error"``)
or interrupted (``"interrupted"``) never passes; what had finished keeps its status and every
unfinished node becomes ``interrupted``.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

from script_testing.config.project import budgets_for
from script_testing.pipeline.plan import PipelinePlan
from script_testing.reports.model import BudgetLimit, NodeReport, RunReport, now_iso
from script_testing.vocabulary import EdgeStatus, NodeRole, NodeStatus, RunStatus, Severity, SkipReason


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


def run_budgets(plan: PipelinePlan) -> dict[str, BudgetLimit]:
    """The run-level budgets (``pipeline_s``) of a plan, for ``RunReport.budgets``."""
    found = budgets_for(plan.project.config, plan.name)
    return {k: BudgetLimit(limit=v, where=w) for k, (v, w) in found.items()}


def run_duration(report: RunReport) -> float | None:
    """The run's wall time: its own figure, else from its timestamps (until now while it runs)."""
    if report.duration_s is not None:
        return report.duration_s
    try:
        start = datetime.fromisoformat(report.started_at)
        end = datetime.fromisoformat(report.finished_at or now_iso())
    except ValueError:
        return None
    return (end - start).total_seconds()


def budget_breaches(report: RunReport) -> list[str]:
    """One sentence per budget exceeded: the node (or pipeline), the figure, the budget and its key."""
    out = []
    for name, rep in report.nodes.items():
        if rep.role != NodeRole.SCRIPT:
            continue
        b = rep.budgets.get("script_s")
        if b is not None and rep.duration_s is not None and rep.duration_s > b.limit:
            out.append(f"{name} took {rep.duration_s:.1f} s, over its budget of {b.limit:g} s ({b.where})")
        b = rep.budgets.get("peak_memory_mb")
        if b is not None and rep.peak_memory_mb is not None and rep.peak_memory_mb > b.limit:
            out.append(
                f"{name} peaked at {rep.peak_memory_mb:.1f} MB of memory, over its budget of "
                f"{b.limit:g} MB ({b.where})"
            )
    b = report.budgets.get("pipeline_s")
    duration = run_duration(report)
    if b is not None and duration is not None and duration > b.limit:
        out.append(
            f"pipeline {report.pipeline} took {duration:.1f} s, over its budget of {b.limit:g} s ({b.where})"
        )
    return out


def finalize(report: RunReport) -> RunReport:
    """Set ``report.success`` and ``report.status`` (and ``finished_at``) from its nodes, edges and
    budgets."""
    report.finished_at = now_iso()
    report.scripts_ran, report.scripts_total = report.script_counts()
    report.budget_breaches = budget_breaches(report)
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
    report.success = (
        all(node_ok(r) for r in report.nodes.values())
        and not blocking_failures(report)
        and not report.budget_breaches
    )
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
