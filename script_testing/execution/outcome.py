"""THE rule deciding whether a run succeeded, used by the core scheduler and the Dagster layer.

A run passes when every node passed, produced its sources, or was skipped for a harmless reason
(not selected, no script), no blocking edge check failed and no budget (``budgets`` in the project:
script_s, pipeline_s, peak_memory_mb) was exceeded. A run stopped before any script ran
(``status == "error"``) never passes.
"""

from __future__ import annotations

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


def _run_duration(report: RunReport) -> float | None:
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
    duration = _run_duration(report)
    if b is not None and duration is not None and duration > b.limit:
        out.append(
            f"pipeline {report.pipeline} took {duration:.1f} s, over its budget of {b.limit:g} s ({b.where})"
        )
    return out


def finalize(report: RunReport) -> RunReport:
    """Set ``report.success`` and ``report.status`` (and ``finished_at``) from its nodes, edges and
    budgets."""
    report.finished_at = now_iso()
    report.budget_breaches = budget_breaches(report)
    if report.status == RunStatus.ERROR:
        report.success = False
        return report
    report.success = (
        all(node_ok(r) for r in report.nodes.values())
        and not blocking_failures(report)
        and not report.budget_breaches
    )
    report.status = RunStatus.PASSED if report.success else RunStatus.FAILED
    return report


def skip(rep: NodeReport, reason: SkipReason, sentence: str) -> NodeReport:
    """Mark ``rep`` skipped: the code for the success rule, the sentence for the user."""
    rep.status, rep.skip_reason, rep.skipped_because = NodeStatus.SKIPPED, reason, sentence
    return rep
