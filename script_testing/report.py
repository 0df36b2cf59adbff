"""``report.json``: the machine-readable result of one run, and its text summary."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from script_testing.specs import atomic_write_text

NodeStatus = Literal["pending", "running", "passed", "failed", "skipped", "source"]
EdgeStatus = Literal["pending", "passed", "failed", "warn", "skipped"]
REPORT_FILE = "report.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class OutputSummary(BaseModel):
    path: str
    exists: bool = True
    files: int = 0
    bytes: int = 0
    sample_files: list[str] = Field(default_factory=list)
    rows: int | None = None
    columns: dict[str, str] | None = None


class NodeReport(BaseModel):
    status: NodeStatus = "pending"
    role: str = "script"                       # script, data, sink
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
    error: str | None = None                    # short human sentence first
    error_kind: str | None = None
    error_detail: str | None = None             # traceback / details
    exit_code: int | None = None
    signal: int | None = None
    stdout_path: str | None = None
    stderr_path: str | None = None
    stderr_tail: str | None = None
    skipped_because: str | None = None
    source: str | None = None                   # description of the source, for data nodes


class EdgeReport(BaseModel):
    model_config = {"populate_by_name": True}

    from_: str = Field(alias="from")
    output: str
    to: str
    input: str
    status: EdgeStatus = "pending"
    severity: str = "block"
    summary: str | None = None
    failed_expectations: list[dict[str, Any]] = Field(default_factory=list)
    expectations_evaluated: int | None = None
    duration_s: float | None = None
    docs_path: str | None = None
    kind: str = "edge"                          # edge (upstream output) or source (configured source)

    @property
    def id(self) -> str:
        return f"{self.from_}.{self.output}->{self.to}.{self.input}"


class RunReport(BaseModel):
    pipeline: str
    run_id: str
    success: bool = False
    status: Literal["running", "passed", "failed", "error"] = "running"
    project: str | None = None
    run_dir: str | None = None
    started_at: str = Field(default_factory=now_iso)
    finished_at: str | None = None
    duration_s: float | None = None
    nodes: dict[str, NodeReport] = Field(default_factory=dict)
    edges: list[EdgeReport] = Field(default_factory=list)
    error: str | None = None                    # a problem that stopped the whole run
    warnings: list[str] = Field(default_factory=list)

    def write(self, run_dir: Path) -> Path:
        path = Path(run_dir) / REPORT_FILE
        atomic_write_text(path, self.model_dump_json(indent=2, by_alias=True) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> "RunReport":
        from script_testing.formats.loading import load_model
        path = Path(path)
        return load_model(cls, path / REPORT_FILE if path.is_dir() else path)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes.values():
            out[n.status] = out.get(n.status, 0) + 1
        return out


STATUS_MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "source": "DATA", "pending": "....",
               "running": "RUN ", "warn": "WARN"}


def node_line(name: str, node: NodeReport) -> str:
    mark = STATUS_MARK.get(node.status, node.status.upper())
    timing = f"{node.duration_s:6.2f}s" if node.duration_s is not None else " " * 7
    mem = f"{node.peak_memory_mb:7.1f} MB" if node.peak_memory_mb is not None else ""
    line = f"  {mark}  {timing} {mem:>10}  {name}"
    if node.status == "failed" and node.error:
        line += "\n        " + node.error.splitlines()[0]
    elif node.status == "skipped" and node.skipped_because:
        line += f"  ({node.skipped_because})"
    elif node.status == "source" and node.source:
        line += f"  ({node.source})"
    return line


def edge_line(edge: EdgeReport) -> str:
    mark = STATUS_MARK.get(edge.status, edge.status.upper())
    text = f"  {mark}  check {edge.id}"
    if edge.status in ("failed", "warn") and edge.summary:
        text += "\n        " + edge.summary
    return text


def summary_text(report: RunReport) -> str:
    counts = report.counts()
    parts = [f"{counts[k]} {k}" for k in ("passed", "failed", "skipped", "source") if counts.get(k)]
    checks = [e for e in report.edges if e.status not in ("pending", "skipped")]
    if checks:
        bad = sum(e.status == "failed" for e in checks)
        parts.append(f"{len(checks) - bad}/{len(checks)} edge checks passed")
    verdict = "PASSED" if report.success else "FAILED"
    dur = f" in {report.duration_s:.1f}s" if report.duration_s is not None else ""
    line = f"{verdict}: pipeline {report.pipeline}{dur}: {', '.join(parts) or 'nothing ran'}"
    if report.error:
        line += f"\n  {report.error}"
    if report.run_dir:
        line += f"\n  report: {Path(report.run_dir) / REPORT_FILE}"
    return line
