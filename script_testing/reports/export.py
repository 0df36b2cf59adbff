"""Write a run's report as CSV (nodes, edge checks) or JSON, and :func:`export` a past run (HTML too)."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Literal

from script_testing import files
from script_testing.errors import ConfigError
from script_testing.reports.html import write_html
from script_testing.reports.model import REPORT_FILE, RunReport

NODE_COLUMNS = [
    "pipeline",
    "run_id",
    "node",
    "status",
    "role",
    "step_type",
    "job_type",
    "duration_s",
    "peak_memory_mb",
    "error",
    "error_kind",
    "exit_code",
    "skipped_because",
    "started_at",
    "finished_at",
]
EDGE_COLUMNS = [
    "pipeline",
    "run_id",
    "kind",
    "from",
    "output",
    "to",
    "input",
    "status",
    "severity",
    "expectations_evaluated",
    "failed_expectations",
    "duration_s",
    "summary",
    "failures",
    "docs_path",
]
DEFAULT_NAMES = {"html": "report.html", "json": REPORT_FILE, "csv": "report.csv"}


def node_rows(report: RunReport) -> list[dict]:
    return [
        {
            "pipeline": report.pipeline,
            "run_id": report.run_id,
            "node": name,
            "status": n.status,
            "role": n.role,
            "step_type": n.step_type,
            "job_type": n.job_type,
            "duration_s": n.duration_s,
            "peak_memory_mb": n.peak_memory_mb,
            "error": n.error,
            "error_kind": n.error_kind,
            "exit_code": n.exit_code,
            "skipped_because": n.skipped_because,
            "started_at": n.started_at,
            "finished_at": n.finished_at,
        }
        for name, n in report.nodes.items()
    ]


def edge_rows(report: RunReport) -> list[dict]:
    rows = []
    for e in report.edges:
        failures = "; ".join(
            f"{f.get('expectation', '')}"
            + (f"({f['column']})" if f.get("column") else "")
            + (f": {f['message']}" if f.get("message") else "")
            for f in e.failed_expectations
        )
        rows.append(
            {
                "pipeline": report.pipeline,
                "run_id": report.run_id,
                "kind": e.kind,
                "from": e.from_,
                "output": e.output,
                "to": e.to,
                "input": e.input,
                "status": e.status,
                "severity": e.severity,
                "expectations_evaluated": e.expectations_evaluated,
                "failed_expectations": len(e.failed_expectations),
                "duration_s": e.duration_s,
                "summary": e.summary,
                "failures": failures,
                "docs_path": e.docs_path,
            }
        )
    return rows


def _csv_text(columns: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return buf.getvalue()


def _target(path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_csv(report: RunReport, path: str | os.PathLike) -> Path:
    """One row per node (columns: :data:`NODE_COLUMNS`)."""
    path = _target(path)
    files.write_text(path, _csv_text(NODE_COLUMNS, node_rows(report)))
    return path


def write_edges_csv(report: RunReport, path: str | os.PathLike) -> Path:
    """One row per edge check (columns: :data:`EDGE_COLUMNS`)."""
    path = _target(path)
    files.write_text(path, _csv_text(EDGE_COLUMNS, edge_rows(report)))
    return path


def write_json(report: RunReport, path: str | os.PathLike) -> Path:
    """The report as JSON, exactly as ``report.json`` is written."""
    path = _target(path)
    files.write_text(path, report.model_dump_json(indent=2, by_alias=True) + "\n")
    return path


def edges_csv_path(nodes_csv: Path) -> Path:
    """Where :func:`export` puts the edge-check CSV next to the node CSV: ``report.csv`` -> ``report.edges.csv``."""
    return nodes_csv.with_name(nodes_csv.stem + ".edges" + (nodes_csv.suffix or ".csv"))


def export(
    run_dir: str | os.PathLike,
    fmt: Literal["html", "json", "csv"] = "html",
    out: str | os.PathLike | None = None,
) -> Path:
    """Read ``<run_dir>/report.json`` and write it as ``fmt``; returns the file written.

    ``out``: a file, or an existing folder (the default name goes inside); default: in the run folder
    (``report.html``, ``report.json``, ``report.csv``). ``csv`` also writes the edge checks to
    ``<name>.edges.csv`` beside the node CSV.
    """
    if fmt not in DEFAULT_NAMES:
        raise ConfigError(f"unknown report format {fmt!r}", hint="use html, json or csv")
    src = Path(run_dir)
    report = RunReport.read(src)
    folder = src if src.is_dir() else src.parent
    if out is None:
        target = folder / DEFAULT_NAMES[fmt]
    else:
        target = Path(out)
        if target.is_dir():
            target = target / DEFAULT_NAMES[fmt]
    if fmt == "html":
        return write_html(report, target)
    if fmt == "json":
        return write_json(report, target)
    write_csv(report, target)
    write_edges_csv(report, edges_csv_path(target))
    return target
