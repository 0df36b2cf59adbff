"""Materialization metadata: where an output is, how big, how many rows, which columns; and failures.

Tabular files are read cheaply: parquet through its footer only, CSV/TSV/JSON with pandas only while
the output is small (``SMALL_BYTES``); larger text outputs get their schema from the first rows and no
row count rather than a full read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster import (
    MetadataValue,
    TableColumn,
    TableMetadataValue,
    TableRecord,
    TableSchema,
)

from script_testing.data.tabular import describe_files, iter_batches
from script_testing.reports.model import NodeReport, sanitize
from script_testing.reports.serve import url_for
from script_testing.worker.redaction import tool_redactor

PATH_KEY = "path"  # the key downstream assets read to find an upstream's data
SMALL_BYTES = 16 * 1024 * 1024
HEAD_ROWS = 1000
STDERR_TAIL_CHARS = 4000


def _tabular_summary(path: Path) -> tuple[int | None, list[tuple[str, str]] | None, int]:
    """(row count or None, [(column, dtype)] of the first tabular file or None, number of tabular files)."""
    try:
        found = [f for f in describe_files(path) if f.tabular]
    except Exception:
        return None, None, 0
    if not found:
        return None, None, 0
    rows: int | None = 0
    schema: list[tuple[str, str]] | None = None
    small = sum(f.size for f in found if f.fmt != "parquet" or f.compressed) <= SMALL_BYTES
    for f in found:
        try:
            if f.fmt == "parquet" and not f.compressed:
                import pyarrow.parquet as pq  # lazy: pyarrow is heavy; only outputs with parquet need it

                pf = pq.ParquetFile(f.path)  # the footer only
                if rows is not None:
                    rows += pf.metadata.num_rows
                if schema is None:
                    schema = [(field.name, str(field.type)) for field in pf.schema_arrow]
                continue
            if not small and f.fmt == "json":  # a JSON array cannot be read in part
                rows = None
                continue
            batches = iter_batches(f, None if small else HEAD_ROWS)
            first = next(batches)
            if schema is None:
                schema = [(str(c), str(t)) for c, t in first.dtypes.items()]
            if rows is not None:
                rows = rows + len(first) + sum(len(b) for b in batches) if small else None
        except Exception:
            rows = None  # unreadable: leave it to the edge checks to say why
    return rows, schema, len(found)


def output_metadata(
    path: str | Path,
    *,
    files: int | None = None,
    nbytes: int | None = None,
    rows: int | None = None,
    columns: list[str] | None = None,
) -> dict[str, Any]:
    """Metadata of one output folder (or file)."""
    p = Path(path)
    if files is None or nbytes is None:
        found = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()] if p.exists() else []
        files, nbytes = len(found), sum(f.stat().st_size for f in found)
    md: dict[str, Any] = {
        PATH_KEY: MetadataValue.path(str(p)),
        "dagster/uri": MetadataValue.url(url_for(p) or p.resolve().as_uri()),
        "files": MetadataValue.int(int(files)),
        "bytes": MetadataValue.int(int(nbytes)),
    }
    n_rows, schema, n_tabular = _tabular_summary(p) if p.exists() else (None, None, 0)
    if n_rows is None and rows is not None:
        n_rows = rows
    if schema is None and columns:
        schema = [(c, "unknown") for c in columns]
    if n_rows is not None and n_tabular:
        md["dagster/row_count"] = MetadataValue.int(int(n_rows))
    elif rows is not None:
        md["dagster/row_count"] = MetadataValue.int(int(rows))
    if schema:
        md["dagster/column_schema"] = MetadataValue.table_schema(
            TableSchema(columns=[TableColumn(name=n, type=t) for n, t in schema])
        )
    if n_tabular:
        md["tabular_files"] = MetadataValue.int(n_tabular)
    return md


def link(path: str | Path) -> Any:
    """A link the UI can open: the files server's ``http://`` URL when it runs, else the local path."""
    url = url_for(path)
    return MetadataValue.url(url) if url else MetadataValue.path(str(path))


def node_metadata(rep: NodeReport) -> dict[str, Any]:
    """Per-node numbers attached to each of its outputs (they plot over time in the UI)."""
    md: dict[str, Any] = {}
    if rep.duration_s is not None:
        md["duration_s"] = MetadataValue.float(float(rep.duration_s))
    if rep.peak_memory_mb is not None:
        md["peak_memory_mb"] = MetadataValue.float(float(rep.peak_memory_mb))
    if rep.stdout_path:
        md["stdout"] = link(rep.stdout_path)
    if rep.stderr_path:
        md["stderr"] = link(rep.stderr_path)
    if rep.contract_runtime:  # what the script read at run time that its contract did not foresee
        md["contract_runtime"] = MetadataValue.md(
            "\n".join(f"- **{p.severity}** `{p.where}`: {p.message}" for p in rep.contract_runtime)
        )
    if rep.accessed:
        md["accessed"] = MetadataValue.json(rep.accessed)
    return md


def failure_metadata(rep: NodeReport) -> dict[str, Any]:
    """What a failed node shows in Dagster: error, kind, stderr tail, traceback (secrets masked)."""
    sanitize(rep)
    md: dict[str, Any] = {}
    tail = (rep.stderr_tail or "")[-STDERR_TAIL_CHARS:]
    if tail:
        md["stderr_tail"] = MetadataValue.md(f"```\n{tail}\n```")
    if rep.error:
        md["error"] = MetadataValue.text(rep.error)
    if rep.error_kind:
        md["error_kind"] = MetadataValue.text(rep.error_kind)
    if rep.error_detail:
        md["traceback"] = MetadataValue.md(f"```\n{rep.error_detail[-STDERR_TAIL_CHARS:]}\n```")
    if rep.exit_code is not None:
        md["exit_code"] = MetadataValue.int(int(rep.exit_code))
    md.update(node_metadata(rep))
    return md


def headline(error: str | None, fallback: str) -> str:
    """The one-sentence first line of a core error (the tool's secrets masked)."""
    error = tool_redactor().redact(error)
    return (error or "").strip().splitlines()[0] if (error or "").strip() else fallback


def expectations_table(failed: list[dict[str, Any]]) -> TableMetadataValue:
    """Failed expectations as a table: one row each, columns the union of their keys."""
    columns: list[str] = []
    for item in failed:
        for k in item:
            if k not in columns:
                columns.append(k)
    if not columns:
        columns = ["expectation", "column", "details"]

    def cell(v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        return json.dumps(v, default=str)[:500]

    records = [TableRecord({c: cell(item.get(c)) for c in columns}) for item in failed]
    schema = TableSchema(columns=[TableColumn(name=c, type="string") for c in columns])
    return MetadataValue.table(records=records, schema=schema)
