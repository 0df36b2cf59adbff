"""``report.json``: the machine-readable result of one run (pydantic models)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

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
from script_testing.worker.models import clip
from script_testing.worker.redaction import Redactor, tool_redactor

REPORT_FILE = "report.json"
#: Longest error / traceback / stderr tail kept in a report (head and tail; the full text is on disk).
MAX_TEXT_CHARS = 20_000
_CAPPED = ("error", "error_detail", "stderr_tail", "summary")


_Model = TypeVar("_Model", bound=BaseModel)


def sanitize(model: _Model, redactor: Redactor | None = None) -> _Model:
    """Mask the tool's secrets in every text of ``model`` (in place, nested models included) and cap
    the long texts (errors, tracebacks, stderr tails) to their head and tail."""
    redactor = tool_redactor() if redactor is None else redactor
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            sanitize(value, redactor)
        elif isinstance(value, dict) and any(isinstance(v, BaseModel) for v in value.values()):
            for v in value.values():
                if isinstance(v, BaseModel):
                    sanitize(v, redactor)
        elif isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
            for v in value:
                if isinstance(v, BaseModel):
                    sanitize(v, redactor)
        elif isinstance(value, Enum) or value is None:
            continue
        elif isinstance(value, str):
            new = redactor.redact(value)
            if name in _CAPPED:
                new = clip(new, MAX_TEXT_CHARS)
            if new != value:
                setattr(model, name, new)
        elif isinstance(value, dict | list) and redactor:
            new = redactor.redact_any(value)
            if new != value:
                setattr(model, name, new)
    return model


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class OutputSummary(BaseModel):
    path: str
    exists: bool = True
    files: int = 0
    bytes: int = 0
    sample_files: list[str] = Field(default_factory=list)
    packed_as: str | None = None  # how it was handed on when not as written (a Training model folder)
    rows: int | None = None
    columns: dict[str, str] | None = None


class ContractFinding(BaseModel):
    """A mismatch between a script and its step interface: found statically, or from what it read at run time."""

    severity: str  # "error" | "warning"
    where: str  # file:line
    message: str
    kind: str = ""


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
    main_s: float | None = None  # of duration_s, the time inside main() itself
    peak_memory_mb: float | None = None
    inputs: dict[str, str] = Field(default_factory=dict)
    outputs: dict[str, str] = Field(default_factory=dict)
    output_summary: dict[str, OutputSummary] = Field(default_factory=dict)
    error: str | None = None  # short human sentence first
    error_kind: str | None = None
    error_detail: str | None = None  # traceback / details
    exit_code: int | None = None
    signal: int | None = None
    stdout_path: str | None = None  # the raw captured output, as the script wrote it (not redacted;
    stderr_path: str | None = None  # everything shown or exported from it is)
    stderr_tail: str | None = None
    skipped_because: str | None = None  # the sentence shown to the user
    skip_reason: SkipReason | None = None  # the code the success rule reads
    source: str | None = None  # description of the source, for data nodes
    contract: list[ContractFinding] = Field(default_factory=list)  # static: script vs. its interface
    contract_runtime: list[ContractFinding] = Field(default_factory=list)  # what it read that was unforeseen
    accessed: dict[str, list[str]] = Field(default_factory=dict)  # keys of main's arguments it read
    synthesized_inputs: dict[str, str] = Field(default_factory=dict)  # input -> why its data is made up
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
    scripts_ran: int | None = None  # script nodes whose main() was actually run (set by finalize)
    scripts_total: int | None = None  # script nodes of the run
    pid: int | None = None  # the process running it, and its host: a run left ``running`` by a
    host: str | None = None  # process that is gone was interrupted (``execution.outcome.settled``)
    budgets: dict[str, BudgetLimit] = Field(default_factory=dict)  # pipeline_s
    budget_breaches: list[str] = Field(default_factory=list)  # a sentence each; any fails the run

    def write(self, run_dir: Path) -> Path:
        """Write ``report.json`` (secrets masked and long texts capped first, in this object too)."""
        sanitize(self)
        path = Path(run_dir) / REPORT_FILE
        files.write_text(path, self.model_dump_json(indent=2, by_alias=True) + "\n")
        return path

    def write_in_place(self, run_dir: Path) -> Path:
        """Overwrite ``report.json`` in place, compact (for a full disk: it reuses the old file's
        blocks, where the atomic write needs new ones). Not atomic: only when :meth:`write` failed."""
        path = Path(run_dir) / REPORT_FILE
        sanitize(self)
        data = self.model_dump_json(by_alias=True).encode()
        with open(path, "r+b") as fh:
            fh.write(data)
            fh.truncate()
        return path

    @classmethod
    def read(cls, path: Path) -> RunReport:
        path = Path(path)
        return load_model(cls, path / REPORT_FILE if path.is_dir() else path)

    def script_counts(self) -> tuple[int, int]:
        """(scripts that actually ran, script nodes): a skipped or not-selected script did not run."""
        scripts = [n for n in self.nodes.values() if n.role == NodeRole.SCRIPT]
        ran = sum(n.status in (NodeStatus.PASSED, NodeStatus.FAILED) for n in scripts)
        return ran, len(scripts)

    def scripts_ran_text(self) -> str:
        ran, total = self.script_counts()
        return f"{ran} of {total} script{'s' if total != 1 else ''} ran"

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes.values():
            out[n.status] = out.get(n.status, 0) + 1
        return out
