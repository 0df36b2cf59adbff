"""The typed words of a run: statuses, wire kinds, node roles, skip reasons.

Each is a :class:`~enum.StrEnum`, so a value *is* its string: ``NodeStatus.PASSED == "passed"``,
and ``report.json``, the HTML report and the Dagster metadata keep the same strings as before.
"""

from __future__ import annotations

from enum import StrEnum


class NodeStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    SOURCE = "source"  # a data node whose sources were materialized
    INTERRUPTED = "interrupted"  # had not finished when the run was stopped (Ctrl-C, SIGTERM, an error)


class EdgeStatus(StrEnum):
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"
    WARN = "warn"
    SKIPPED = "skipped"


class RunStatus(StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    ERROR = (
        "error"  # stopped by an error: before any script ran (source problems), a fatal error, a full disk
    )
    INTERRUPTED = "interrupted"  # stopped by Ctrl-C or SIGTERM, or its process died while it ran


class WireKind(StrEnum):
    """How an input of a node gets its data (see :mod:`script_testing.pipeline.wiring`)."""

    EDGE = "edge"  # an upstream node's output
    BINDING = "binding"  # an upstream output bound explicitly in the project
    SOURCE = "source"  # a configured source
    UNWIRED = "unwired"  # nothing feeds it (an error when the input is required)

    @property
    def from_upstream(self) -> bool:
        return self in (WireKind.EDGE, WireKind.BINDING)


UPSTREAM_KINDS = (WireKind.EDGE, WireKind.BINDING)


class EdgeKind(StrEnum):
    EDGE = "edge"  # an upstream output feeding an input
    SOURCE = "source"  # a configured source feeding an input


class NodeRole(StrEnum):
    SCRIPT = "script"
    DATA = "data"  # no script; its outputs come from sources
    SINK = "sink"  # no script, nothing to produce


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


NOT_RUN_NO_SCRIPT = "not run (no script)"  # what a sink shows: never "passed"


class SkipReason(StrEnum):
    """Why a node was skipped: a code, next to the human sentence in ``skipped_because``."""

    NOT_SELECTED = "not_selected"
    NO_SCRIPT = "no_script"
    UPSTREAM_FAILED = "upstream_failed"
    UPSTREAM_NOT_RUN = "upstream_not_run"
    EDGE_CHECK_FAILED = "edge_check_failed"
    SOURCE_PROBLEMS = "source_problems"

    @property
    def harmless(self) -> bool:
        """A skip that does not make the run fail (nothing was asked of the node)."""
        return self in (SkipReason.NOT_SELECTED, SkipReason.NO_SCRIPT)
