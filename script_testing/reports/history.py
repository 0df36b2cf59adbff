"""A pipeline over its last runs (``script-testing history PIPELINE``), read from ``report.json`` files.

The pass rate, and per node its status, duration and peak memory in each run; as text, JSON, or one
self-contained HTML page with an inline SVG plot per figure (a line per node, a point per run).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from script_testing.errors import ScriptTestingError
from script_testing.reports.common import esc
from script_testing.reports.model import RunReport
from script_testing.vocabulary import NodeRole, RunStatus

RUN_MARK = {"passed": "P", "failed": "F", "error": "E", "running": "R"}

FIGURES = {"duration_s": "duration (s)", "peak_memory_mb": "peak memory (MB)"}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]


@dataclass
class History:
    pipeline: str
    runs: list[RunReport]  # oldest first
    unreadable: list[str] = field(default_factory=list)  # one sentence per report that could not be read

    @property
    def finished(self) -> list[RunReport]:
        """Runs that ended (a run still going, or killed mid-way, is neither passed nor failed)."""
        return [r for r in self.runs if r.status != RunStatus.RUNNING]

    @property
    def pass_rate(self) -> float | None:
        done = self.finished
        return sum(r.success for r in done) / len(done) if done else None

    @property
    def nodes(self) -> list[str]:
        """Script nodes, in the order of the newest run that has them."""
        names: dict[str, None] = {}
        for r in reversed(self.runs):
            names.update(dict.fromkeys(n for n, rep in r.nodes.items() if rep.role == NodeRole.SCRIPT))
        return list(names)

    def series(self, node: str, figure: str) -> list[float | None]:
        """One value per run (``None`` where the node did not run or has no figure)."""
        return [getattr(r.nodes.get(node), figure, None) for r in self.runs]

    def node_stats(self, node: str) -> dict[str, Any]:
        statuses = [str(r.nodes[node].status) for r in self.runs if node in r.nodes]
        out: dict[str, Any] = {
            "runs": len(statuses),
            "passed": statuses.count("passed"),
            "failed": statuses.count("failed"),
            "last_status": statuses[-1] if statuses else None,
        }
        for figure in FIGURES:
            values = [v for v in self.series(node, figure) if v is not None]
            out[figure] = (
                {"last": values[-1], "mean": round(mean(values), 4), "min": min(values), "max": max(values)}
                if values
                else None
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "runs": [
                {
                    "run_id": r.run_id,
                    "started_at": r.started_at,
                    "status": r.status,
                    "duration_s": r.duration_s,
                }
                for r in self.runs
            ],
            "pass_rate": self.pass_rate,
            "nodes": {n: self.node_stats(n) for n in self.nodes},
            "unreadable": self.unreadable,
        }


def load_history(run_dirs: list[Path], pipeline: str, limit: int = 20) -> History:
    """The last ``limit`` runs among ``run_dirs`` (any order), oldest first."""
    runs, unreadable = [], []
    for d in run_dirs:
        try:
            runs.append(RunReport.read(d))
        except ScriptTestingError as exc:
            unreadable.append(exc.message)
    runs.sort(key=lambda r: r.started_at)
    return History(pipeline, runs[-limit:] if limit else runs, unreadable)


def _fmt(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def history_text(h: History) -> str:
    if not h.runs:
        return f"no runs of pipeline {h.pipeline}"
    passed, done = sum(r.success for r in h.finished), len(h.finished)
    rate = f"{h.pass_rate:.0%}" if h.pass_rate is not None else "-"
    unfinished = len(h.runs) - done
    lines = [
        f"pipeline {h.pipeline}: {passed}/{done} finished runs passed ({rate})"
        + (f", {unfinished} not finished" if unfinished else "")
        + f", {h.runs[0].started_at[:19]} .. {h.runs[-1].started_at[:19]}",
        "  runs, oldest first (P passed, F failed, E error, R not finished): "
        + " ".join(RUN_MARK.get(str(r.status), "?") for r in h.runs),
        f"  {'node':<32} {'passed':>7} {'last s':>8} {'mean s':>8} {'max s':>8} {'last MB':>9} {'max MB':>9}",
    ]
    for n in h.nodes:
        s = h.node_stats(n)
        d, m = s["duration_s"] or {}, s["peak_memory_mb"] or {}
        lines.append(
            f"  {n:<32} {s['passed']:>3}/{s['runs']:<3} {_fmt(d.get('last'), ''):>8} {_fmt(d.get('mean'), ''):>8} "
            f"{_fmt(d.get('max'), ''):>8} {_fmt(m.get('last'), ''):>9} {_fmt(m.get('max'), ''):>9}"
        )
    lines += [f"  note: {u}" for u in h.unreadable]
    return "\n".join(lines)


def history_json(h: History) -> str:
    return json.dumps(h.as_dict(), indent=2, default=str)


def plot_svg(h: History, figure: str, width: int = 720, height: int = 240) -> str:
    """An inline SVG line plot of one figure: x = run (oldest left), y = value, a line per node."""
    left, right, top, bottom = 56, 16, 16, 28
    values = [v for n in h.nodes for v in h.series(n, figure) if v is not None]
    top_value = max(values, default=0.0) or 1.0
    count = max(len(h.runs), 1)

    def x(i: int) -> float:
        return left + (width - left - right) * (i / (count - 1) if count > 1 else 0.5)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / top_value)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="history-plot" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(FIGURES[figure])} per run">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{top_value:.3g}</text>',
        f'<text x="{left - 6}" y="{y(0) + 4:.1f}" text-anchor="end" font-size="11">0</text>',
        f'<text x="{left}" y="{height - 8}" font-size="11">oldest</text>',
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" font-size="11">newest</text>',
    ]
    for k, n in enumerate(h.nodes):
        colour = PALETTE[k % len(PALETTE)]
        points = [
            (x(i), y(v), h.runs[i].run_id, v) for i, v in enumerate(h.series(n, figure)) if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _, _ in points)
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for px, py, run_id, v in points:
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                f"<title>{esc(n)} run {esc(run_id)}: {v:.3g}</title></circle>"
            )
    out.append("</svg>")
    return "".join(out)


def history_html(h: History) -> str:
    """One self-contained page: pass rate, the runs, a table per node and an SVG plot per figure."""
    legend = " ".join(
        f'<span style="color:{PALETTE[k % len(PALETTE)]}">&#9632; {esc(n)}</span>'
        for k, n in enumerate(h.nodes)
    )
    plots = "".join(f"<h2>{esc(label)}</h2>{plot_svg(h, fig)}" for fig, label in FIGURES.items())
    rows = []
    for n in h.nodes:
        s = h.node_stats(n)
        d, m = s["duration_s"] or {}, s["peak_memory_mb"] or {}
        rows.append(
            f"<tr><td>{esc(n)}</td><td>{s['passed']}/{s['runs']}</td><td>{_fmt(d.get('last'), ' s')}</td>"
            f"<td>{_fmt(d.get('mean'), ' s')}</td><td>{_fmt(d.get('max'), ' s')}</td>"
            f"<td>{_fmt(m.get('last'), ' MB')}</td><td>{_fmt(m.get('max'), ' MB')}</td></tr>"
        )
    runs = "".join(
        f'<span class="{"ok" if r.success else "bad"}" title="{esc(r.run_id)} {esc(r.started_at)}: '
        f'{esc(r.status)}">{"&#10003;" if r.success else esc(RUN_MARK.get(str(r.status), "?"))}</span>'
        for r in h.runs
    )
    rate = f"{h.pass_rate:.0%}" if h.pass_rate is not None else "-"
    notes = "".join(f"<p>note: {esc(u)}</p>" for u in h.unreadable)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>history of {esc(h.pipeline)}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; }}
.ok {{ color: #2a7d2a; }} .bad {{ color: #c0392b; }} .runs span {{ font-size: 18px; margin-right: 2px; }}
</style></head><body>
<h1>Pipeline {esc(h.pipeline)}: last {len(h.runs)} run(s)</h1>
<p>pass rate of finished runs <b>{rate}</b></p><p class="runs">oldest &rarr; newest: {runs}</p>
<table><thead><tr><th>node</th><th>passed</th><th>last</th><th>mean</th><th>max</th><th>last memory</th>
<th>max memory</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
<p>{legend}</p>{plots}{notes}
</body></html>
"""


def render(h: History, fmt: str) -> str:
    return {"text": history_text, "json": history_json, "html": history_html}[fmt](h)
