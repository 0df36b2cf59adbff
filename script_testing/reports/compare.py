"""Two runs side by side (``script-testing compare RUN_A RUN_B``), read from their ``report.json``.

Per node: status, duration, peak memory, and per output its row count and column schema; per edge
check: its status and failed expectations; and the run itself. Every row says whether the two runs
differ: statuses, row counts, schemas and failed expectations when they are not equal; durations
and memory when they moved by more than :data:`REL_TOLERANCE` (and an absolute floor, so that
milliseconds of noise are not a difference).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from script_testing.data.tabular import describe_files, iter_batches
from script_testing.reports.common import esc
from script_testing.reports.model import RunReport

REL_TOLERANCE = 0.2  # a duration or memory figure "differs" when it moved by more than 20 % ...
ABS_FLOOR = {"duration_s": 0.5, "peak_memory_mb": 10.0}  # ... and by more than this
SMALL_BYTES = 16 * 1024 * 1024  # outputs up to this size get their rows and schema read from disk


@dataclass
class Row:
    section: str  # "run", "node", "output", "check"
    name: str  # the node, "node.output", the edge id, or the pipeline
    field: str
    a: Any
    b: Any
    differs: bool
    note: str = ""  # e.g. "+12 rows", "columns added: x"


@dataclass
class Comparison:
    a: RunReport
    b: RunReport
    rows: list[Row]

    @property
    def differences(self) -> list[Row]:
        return [r for r in self.rows if r.differs]

    def as_dict(self) -> dict[str, Any]:
        def run(r: RunReport) -> dict[str, Any]:
            return {"pipeline": r.pipeline, "run_id": r.run_id, "run_dir": r.run_dir, "status": r.status}

        return {
            "a": run(self.a),
            "b": run(self.b),
            "differences": len(self.differences),
            "rows": [asdict(r) for r in self.rows],
        }


def _moved(field: str, a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    delta = abs(b - a)
    return delta > ABS_FLOOR.get(field, 0.0) and delta > REL_TOLERANCE * max(abs(a), 1e-9)


def _schema_note(a: dict[str, str] | None, b: dict[str, str] | None) -> str:
    a, b = a or {}, b or {}
    parts = []
    if added := [c for c in b if c not in a]:
        parts.append("columns added: " + ", ".join(added))
    if removed := [c for c in a if c not in b]:
        parts.append("columns removed: " + ", ".join(removed))
    if changed := [f"{c} {a[c]}->{b[c]}" for c in a if c in b and a[c] != b[c]]:
        parts.append("types changed: " + ", ".join(changed))
    return "; ".join(parts)


def output_shape(path: str) -> tuple[int | None, dict[str, str] | None]:
    """(rows, {column: dtype}) of a small tabular output still on disk, else (None, None)."""
    try:
        found = [f for f in describe_files(path) if f.fmt]
        if not found or sum(f.size for f in found) > SMALL_BYTES:
            return None, None
        rows, columns = 0, None
        for f in found:
            for batch in iter_batches(f):
                rows += len(batch)
                columns = columns or {str(c): str(t) for c, t in batch.dtypes.items()}
        return rows, columns
    except Exception:  # unreadable or gone: the report's own figures stand
        return None, None


def with_shapes(report: RunReport) -> RunReport:
    """A copy of ``report`` whose output summaries carry rows and columns (read from the run folder
    when the report has none)."""
    report = report.model_copy(deep=True)
    for node in report.nodes.values():
        for summary in node.output_summary.values():
            if summary.rows is None and summary.columns is None and summary.exists:
                summary.rows, summary.columns = output_shape(summary.path)
    return report


def _expectations(edge) -> list[str]:
    if edge is None:
        return []
    return sorted(str(f.get("message") or f.get("expectation") or f) for f in edge.failed_expectations)


def compare_runs(a: RunReport, b: RunReport) -> Comparison:
    """Every figure of ``a`` beside the same figure of ``b``."""
    a, b = with_shapes(a), with_shapes(b)
    rows = [
        Row("run", a.pipeline if a.pipeline == b.pipeline else f"{a.pipeline} / {b.pipeline}", "status",
            a.status, b.status, a.status != b.status),
        Row("run", a.pipeline, "duration_s", a.duration_s, b.duration_s, _moved("duration_s", a.duration_s, b.duration_s)),
    ]  # fmt: skip
    if a.budget_breaches or b.budget_breaches:
        rows.append(
            Row("run", a.pipeline, "budget breaches", len(a.budget_breaches), len(b.budget_breaches),
                a.budget_breaches != b.budget_breaches, "; ".join(b.budget_breaches))
        )  # fmt: skip
    for name in dict.fromkeys([*a.nodes, *b.nodes]):
        na, nb = a.nodes.get(name), b.nodes.get(name)
        sa, sb = (na.status if na else "absent"), (nb.status if nb else "absent")
        rows.append(Row("node", name, "status", sa, sb, sa != sb))
        for field in ("duration_s", "peak_memory_mb"):
            va, vb = getattr(na, field, None), getattr(nb, field, None)
            if va is not None or vb is not None:
                rows.append(Row("node", name, field, va, vb, _moved(field, va, vb)))
        outputs = dict.fromkeys([*(na.output_summary if na else {}), *(nb.output_summary if nb else {})])
        for out in outputs:
            oa = na.output_summary.get(out) if na else None
            ob = nb.output_summary.get(out) if nb else None
            ra, rb = (oa.rows if oa else None), (ob.rows if ob else None)
            if ra is not None or rb is not None:
                note = f"{rb - ra:+d} rows" if ra is not None and rb is not None and ra != rb else ""
                rows.append(Row("output", f"{name}.{out}", "rows", ra, rb, ra != rb, note))
            ca, cb = (oa.columns if oa else None), (ob.columns if ob else None)
            if ca is not None or cb is not None:
                note = (
                    _schema_note(ca, cb)
                    if ca is not None and cb is not None
                    else "not written in " + ("A" if ca is None else "B")
                )
                rows.append(
                    Row("output", f"{name}.{out}", "columns", None if ca is None else len(ca),
                        None if cb is None else len(cb), ca != cb, note)
                )  # fmt: skip
    edges_a, edges_b = {e.id: e for e in a.edges}, {e.id: e for e in b.edges}
    for eid in dict.fromkeys([*edges_a, *edges_b]):
        ea, eb = edges_a.get(eid), edges_b.get(eid)
        sa, sb = (ea.status if ea else "absent"), (eb.status if eb else "absent")
        rows.append(Row("check", eid, "status", sa, sb, sa != sb))
        fa, fb = _expectations(ea), _expectations(eb)
        if fa or fb:
            new = [f for f in fb if f not in fa]
            gone = [f for f in fa if f not in fb]
            note = "; ".join([*(f"new: {f}" for f in new), *(f"fixed: {f}" for f in gone)])
            rows.append(Row("check", eid, "failed expectations", len(fa), len(fb), fa != fb, note))
    return Comparison(a, b, rows)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def comparison_text(c: Comparison, *, only_differences: bool = False) -> str:
    lines = [
        f"A: {c.a.pipeline} {c.a.run_id} ({c.a.status})",
        f"B: {c.b.pipeline} {c.b.run_id} ({c.b.status})",
        f"{len(c.differences)} difference(s); '*' marks them",
        "",
    ]
    shown = c.differences if only_differences else c.rows
    width = min(max((len(f"{r.name} {r.field}") for r in shown), default=10), 72)
    for r in shown:
        mark = "*" if r.differs else " "
        label = f"{r.name} {r.field}"
        line = f"{mark} {label:<{width}}  {_cell(r.a):>12}  {_cell(r.b):>12}"
        lines.append(line + (f"  {r.note}" if r.note else ""))
    return "\n".join(lines)


def comparison_json(c: Comparison) -> str:
    return json.dumps(c.as_dict(), indent=2, default=str)


def comparison_html(c: Comparison) -> str:
    """One self-contained HTML page: the rows in a table, differences highlighted."""
    body = []
    section = None
    for r in c.rows:
        if r.section != section:
            section = r.section
            body.append(f'<tr class="sec"><th colspan="5">{esc(section)}</th></tr>')
        cls = ' class="diff"' if r.differs else ""
        body.append(
            f"<tr{cls}><td>{esc(r.name)}</td><td>{esc(r.field)}</td><td>{esc(_cell(r.a))}</td>"
            f"<td>{esc(_cell(r.b))}</td><td>{esc(r.note)}</td></tr>"
        )
    title = f"compare {c.a.run_id} / {c.b.run_id}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }}
tr.sec th {{ background: #f4f4f4; text-transform: uppercase; font-size: 12px; }}
tr.diff {{ background: #fff3cd; font-weight: 600; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>A: <b>{esc(c.a.pipeline)}</b> run {esc(c.a.run_id)} ({esc(c.a.status)}) &mdash;
B: <b>{esc(c.b.pipeline)}</b> run {esc(c.b.run_id)} ({esc(c.b.status)}).
<b>{len(c.differences)}</b> difference(s), highlighted.</p>
<table><thead><tr><th>what</th><th>figure</th><th>A</th><th>B</th><th>note</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table></body></html>
"""


def render(c: Comparison, fmt: str) -> str:
    return {"text": comparison_text, "json": comparison_json, "html": comparison_html}[fmt](c)
