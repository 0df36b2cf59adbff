"""``report.json``: the machine-readable result of one run (pydantic models)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from script_testing import files
from script_testing.config.loading import load_model
from script_testing.vocabulary import (
    EdgeKind,
    EdgeStatus,
    NodeRole,
    NodeStatus,
    RunStatus,
    Severity,
    SkipReason,
)

REPORT_FILE = "report.json"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class OutputSummary(BaseModel):
    path: str
    exists: bool = True
    files: int = 0
    bytes: int = 0
    sample_files: list[str] = Field(default_factory=list)
    rows: int | None = None
    columns: dict[str, str] | None = None


class BudgetLimit(BaseModel):
    """One budget that applies (``budgets`` in script_testing.yaml) and where it is set."""

    limit: float
    where: str


class NodeReport(BaseModel):
    model_config = {"validate_assignment": True}  # "passed" assigned becomes NodeStatus.PASSED

    status: NodeStatus = NodeStatus.PENDING
    role: NodeRole = NodeRole.SCRIPT
    step_type: str | None = None
    job_type: str | None = None
    script: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    peak_memory_mb: float | None = None
    inputs: dict[str, str] = Field(default_factory=dict)
    outputs: dict[str, str] = Field(default_factory=dict)
    output_summary: dict[str, OutputSummary] = Field(default_factory=dict)
    error: str | None = None  # short human sentence first
    error_kind: str | None = None
    error_detail: str | None = None  # traceback / details
    exit_code: int | None = None
    signal: int | None = None
    stdout_path: str | None = None
    stderr_path: str | None = None
    stderr_tail: str | None = None
    skipped_because: str | None = None  # the sentence shown to the user
    skip_reason: SkipReason | None = None  # the code the success rule reads
    source: str | None = None  # description of the source, for data nodes
    budgets: dict[str, BudgetLimit] = Field(default_factory=dict)  # script_s, peak_memory_mb


class EdgeReport(BaseModel):
    model_config = {"populate_by_name": True, "validate_assignment": True}

    from_: str = Field(alias="from")
    output: str
    to: str
    input: str
    status: EdgeStatus = EdgeStatus.PENDING
    severity: Severity = Severity.BLOCK
    summary: str | None = None
    failed_expectations: list[dict[str, Any]] = Field(default_factory=list)
    expectations_evaluated: int | None = None
    duration_s: float | None = None
    docs_path: str | None = None
    kind: EdgeKind = EdgeKind.EDGE  # edge (upstream output) or source (configured source)

    @property
    def id(self) -> str:
        return f"{self.from_}.{self.output}->{self.to}.{self.input}"


class RunReport(BaseModel):
    model_config = {"validate_assignment": True}

    pipeline: str
    run_id: str
    success: bool = False
    status: RunStatus = RunStatus.RUNNING
    project: str | None = None
    run_dir: str | None = None
    started_at: str = Field(default_factory=now_iso)
    finished_at: str | None = None
    duration_s: float | None = None
    nodes: dict[str, NodeReport] = Field(default_factory=dict)
    edges: list[EdgeReport] = Field(default_factory=list)
    error: str | None = None  # a problem that stopped the whole run
    warnings: list[str] = Field(default_factory=list)
    budgets: dict[str, BudgetLimit] = Field(default_factory=dict)  # pipeline_s
    budget_breaches: list[str] = Field(default_factory=list)  # a sentence each; any fails the run

    def write(self, run_dir: Path) -> Path:
        path = Path(run_dir) / REPORT_FILE
        files.write_text(path, self.model_dump_json(indent=2, by_alias=True) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> RunReport:
        path = Path(path)
        return load_model(cls, path / REPORT_FILE if path.is_dir() else path)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes.values():
            out[n.status] = out.get(n.status, 0) + 1
        return out
