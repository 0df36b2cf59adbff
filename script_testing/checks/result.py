"""The outcome of validating one edge: :class:`EdgeCheckResult` and its failed expectations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "warn"]


@dataclass
class FailedExpectation:
    """One expectation that did not hold; ``message`` is the sentence a user reads."""

    expectation: str  # GX expectation type, or one of ours (see checks/__init__.py)
    column: str | None
    observed: str  # short: "missing", "dtype str (string)", "5 rows"
    message: str
    unexpected_percent: float | None = None
    severity: Literal["block", "warn"] = "block"
    files: list[str] = field(default_factory=list)  # files involved (relative to the output), first few

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["unexpected_percent"] is not None:
            d["unexpected_percent"] = round(float(d["unexpected_percent"]), 4)
        return d


@dataclass
class EdgeCheckResult:
    """Result of :func:`script_testing.checks.validate_edge`."""

    edge_id: str
    path: str
    status: Status
    failed_expectations: list[FailedExpectation]
    expectations_evaluated: int
    schema: dict[str, Any]  # {"columns": {name: kind}, "rows": int | None}
    files: list[dict[str, Any]]  # [{"path", "format", "tabular", "rows", "bytes"}]
    duration_s: float
    summary: str
    docs_path: str | None = None
    notes: list[str] = field(default_factory=list)
    severity: Literal["block", "warn"] = "block"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def blocking(self) -> bool:
        """True when the consumer should not run on this data."""
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "edge_id": self.edge_id,
            "path": self.path,
            "status": self.status,
            "severity": self.severity,
            "summary": self.summary,
            "failed_expectations": [f.to_dict() for f in self.failed_expectations],
            "expectations_evaluated": self.expectations_evaluated,
            "schema": self.schema,
            "files": self.files,
            "duration_s": round(self.duration_s, 4),
            "docs_path": self.docs_path,
            "notes": list(self.notes),
        }
