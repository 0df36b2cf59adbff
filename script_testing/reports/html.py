"""One self-contained HTML page for a run (:func:`render_html`) and a compact fragment for notebooks
(:func:`summary_html`). Inline CSS, JS and SVG only: the page opens offline, from anywhere.

A little above ~400 lines: the page's sections are small functions of one template; they
are read together.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path

from script_testing import files
from script_testing.reports.model import EdgeReport, NodeReport, RunReport, sanitize
from script_testing.reports.serve import url_for

from .common import (
    STATUS_LABEL,
    clip,
    colours,
    esc,
    first_line,
    fmt_bytes,
    fmt_duration,
    fmt_mem,
    fmt_time,
    link,
    slug,
)
from .svg import display_status, render_dag_svg, render_timeline_svg

DOT, DASH, ELL = " \u00b7 ", "\u2014", " \u2026"


@cache
def _asset(name: str) -> str:
    return resources.files("script_testing.reports").joinpath(name).read_text(encoding="utf-8")


def _badge(status: str, label: str | None = None) -> str:
    return f'<span class="st-badge s-{esc(status)}">{esc(label or STATUS_LABEL.get(status, status))}</span>'


def _base_dir(report: RunReport, base_dir: str | os.PathLike | None) -> str | os.PathLike | None:
    return base_dir if base_dir is not None else report.run_dir


def _slugs(report: RunReport) -> dict[str, str]:
    return {name: slug(name, i) for i, name in enumerate(report.nodes)}


# ---------------------------------------------------------------------------------------- pieces


def _counts_text(report: RunReport) -> str:
    counts = report.counts()
    return (
        ", ".join(
            f"{counts[k]} {k}"
            for k in ("passed", "failed", "skipped", "source", "pending", "running")
            if counts.get(k)
        )
        or "no nodes"
    )


def _checks_stats(report: RunReport) -> tuple[int, int, int, int]:
    """(evaluated, passed, failed, warn) over the edge checks that ran."""
    ran = [e for e in report.edges if e.status in ("passed", "failed", "warn")]
    return (
        len(ran),
        sum(e.status == "passed" for e in ran),
        sum(e.status == "failed" for e in ran),
        sum(e.status == "warn" for e in ran),
    )


def header_html(report: RunReport) -> str:
    verdict = "PASSED" if report.success else ("RUNNING" if report.status == "running" else "FAILED")
    run_cls = (
        "run-passed" if report.success else f"run-{report.status if report.status != 'passed' else 'failed'}"
    )
    meta = [
        f'<span>run <b class="mono">{esc(report.run_id)}</b></span>',
        f"<span>started <b>{esc(fmt_time(report.started_at))}</b></span>",
    ]
    if report.finished_at:
        meta.append(f"<span>finished <b>{esc(fmt_time(report.finished_at))}</b></span>")
    meta.append(f"<span>duration <b>{esc(fmt_duration(report.duration_s))}</b></span>")
    if report.project:
        meta.append(f'<span>project <span class="mono">{esc(report.project)}</span></span>')
    return (
        f'<header class="st-header {run_cls}"><div class="st-verdict">{verdict}</div>'
        f'<div class="st-title"><h1>{esc(report.pipeline)}</h1><div class="st-meta">{"".join(meta)}</div>'
        f"</div></header>"
    )


def cards_html(report: RunReport) -> str:
    counts = report.counts()
    scripts = sum(1 for n in report.nodes.values() if n.status != "source")
    n_eval, n_pass, n_fail, n_warn = _checks_stats(report)
    n_exp = sum(e.expectations_evaluated or 0 for e in report.edges)
    mem = [n.peak_memory_mb for n in report.nodes.values() if n.peak_memory_mb is not None]
    script_time = sum(n.duration_s or 0 for n in report.nodes.values() if n.status != "source")
    cards = [
        (
            "Scripts",
            f"{counts.get('passed', 0)}/{scripts}",
            "passed"
            + "".join(f", {counts[k]} {k}" for k in ("failed", "skipped", "pending") if counts.get(k))
            + f"; {report.scripts_ran_text()}",
        ),
        ("Data sources", str(counts.get("source", 0)), "nodes fed with configured data"),
        (
            "Edge checks",
            f"{n_pass}/{n_eval}" if n_eval else "\u2014",
            f"passed \u00b7 {n_exp:,} expectations"
            + (f" \u00b7 {n_fail} failed" if n_fail else "")
            + (f" \u00b7 {n_warn} warnings" if n_warn else ""),
        ),
        ("Duration", fmt_duration(report.duration_s), f"{fmt_duration(script_time)} in scripts"),
        ("Peak memory", fmt_mem(max(mem)) if mem else "\u2014", "largest script"),
    ]
    return (
        '<div class="st-cards">'
        + "".join(
            f'<div class="st-card"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div>'
            f'<div class="d">{esc(d)}</div></div>'
            for k, v, d in cards
        )
        + "</div>"
    )


def legend_html() -> str:
    boxes = [
        ("passed", "passed"),
        ("failed", "failed"),
        ("warn", "passed with warnings"),
        ("skipped", "skipped"),
        ("source", "data source"),
    ]
    out = [
        f'<span><i style="background:{colours(s)[1]};border-color:{colours(s)[0]}"></i>{esc(t)}</span>'
        for s, t in boxes
    ]
    out += [
        f'<span><i class="line" style="border-color:{colours(s)[0]}"></i>check {esc(t)}</span>'
        for s, t in (("passed", "passed"), ("failed", "failed"), ("warn", "warning"))
    ]
    out.append(
        f'<span><i class="line dash" style="border-color:{colours("skipped")[0]}"></i>not checked</span>'
    )
    return '<div class="st-legend">' + "".join(out) + "</div>"


def _outputs_cell(node: NodeReport, base: str | os.PathLike | None) -> str:
    names = list(node.outputs) + [k for k in node.output_summary if k not in node.outputs]
    if not names:
        return '<span class="st-muted">\u2014</span>'
    parts = []
    for name in names:
        summ = node.output_summary.get(name)
        path = node.outputs.get(name) or (summ.path if summ else None)
        label = link(path, name, base) or esc(name)
        if summ is None:
            detail = ""
        elif not summ.exists:
            detail = ' <span class="st-err st-small">missing</span>'
        else:
            bits = [f"{summ.files} file{'s' if summ.files != 1 else ''}", fmt_bytes(summ.bytes)]
            if summ.rows is not None:
                bits.append(f"{summ.rows:,} rows")
            detail = f' <span class="st-muted">{esc(DOT.join(bits))}</span>'
            if summ.packed_as:
                detail += (
                    f' <span class="st-chip" title="{esc(summ.packed_as)}">packed as model.tar.gz</span>'
                )
        parts.append(f'<span class="st-out">{label}{detail}</span>')
    return "".join(parts)


def _note_cell(name: str, node: NodeReport, sl: str) -> str:
    synth = "".join(
        f' <span class="st-chip st-synth" title="{esc(why)}">synthesized input: {esc(port)}</span>'
        for port, why in node.synthesized_inputs.items()
    )
    return _status_note(node, sl) + synth


def _status_note(node: NodeReport, sl: str) -> str:
    if node.status == "failed" or node.error:
        kind = f' <span class="st-chip">{esc(node.error_kind)}</span>' if node.error_kind else ""
        more = (
            f' <a class="st-small" href="#fail-{sl}">details</a>'
            if (node.error_detail or node.stderr_tail)
            else ""
        )
        return f'<span class="st-err">{esc(first_line(node.error) or "failed")}</span>{kind}{more}'
    if node.skipped_because:
        return f'<span class="st-note">{esc(node.skipped_because)}</span>'
    if node.source:
        return f'<span class="st-note" title="{esc(node.source)}">{esc(clip(node.source, 160))}</span>'
    return ""


def _logs_cell(node: NodeReport, base: str | os.PathLike | None) -> str:
    links = [link(node.stdout_path, "stdout", base), link(node.stderr_path, "stderr", base)]
    links = [x for x in links if x]
    return (
        f'<span class="st-logs">{"".join(links)}</span>' if links else '<span class="st-muted">\u2014</span>'
    )


def nodes_table_html(
    report: RunReport, base: str | os.PathLike | None, table_id: str = "st-nodes-table"
) -> str:
    slugs = _slugs(report)
    rows = []
    for name, node in report.nodes.items():
        status = display_status(name, node, report)
        sl = slugs[name]
        ok = status in ("passed", "source")
        script = (
            (
                f'<div class="st-muted st-small mono" title="{esc(node.script)}">'
                f"{link(node.script, os.path.basename(node.script), base)}</div>"
            )
            if node.script
            else ""
        )
        rows.append(
            f'<tr id="node-{sl}" class="row-{status} {"row-ok" if ok else "row-problem"}" data-node="{esc(name)}">'
            f'<td><div class="st-node-name">{esc(name)}</div>{script}</td>'
            f"<td>{_badge(status)}</td><td>{esc(node.role)}</td><td>{esc(node.step_type or '')}</td>"
            f'<td>{esc(node.job_type or "")}</td><td class="num">{esc(fmt_duration(node.duration_s))}</td>'
            f'<td class="num">{esc(fmt_mem(node.peak_memory_mb))}</td><td>{_outputs_cell(node, base)}</td>'
            f"<td>{_note_cell(name, node, sl)}</td><td>{_logs_cell(node, base)}</td></tr>"
        )
    head = (
        "<tr><th>Node</th><th>Status</th><th>Role</th><th>Step type</th><th>Job type</th>"
        "<th>Duration</th><th>Peak mem</th><th>Outputs</th><th>Error / note</th><th>Logs</th></tr>"
    )
    return (
        f'<div class="st-scroll"><table class="st-table st-nodes" id="{table_id}"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _pct(value) -> str:
    if value is None or value == "":
        return "\u2014"
    try:
        return f"{float(value):.2f} %"
    except (TypeError, ValueError):
        return esc(value)


def expectations_table_html(edge: EdgeReport) -> str:
    rows = []
    for f in edge.failed_expectations:
        files = f.get("files") or []
        files_html = (
            (
                f'<div class="st-muted st-small mono">{esc(", ".join(map(str, files[:5])))}'
                f"{ELL if len(files) > 5 else ''}</div>"
            )
            if files
            else ""
        )
        rows.append(
            f'<tr><td class="mono">{esc(f.get("expectation", ""))}</td>'
            f'<td class="mono">{esc(f.get("column") if f.get("column") is not None else DASH)}</td>'
            f'<td>{esc(f.get("observed", ""))}</td><td class="num">{_pct(f.get("unexpected_percent"))}</td>'
            f"<td>{esc(f.get('message', ''))}{files_html}</td></tr>"
        )
    sev = "sev-warn" if edge.status == "warn" else "sev-block"
    return (
        f'<table class="st-table st-exp {sev}"><thead><tr><th>Expectation</th><th>Column</th><th>Observed</th>'
        f"<th>Unexpected</th><th>Message</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _check_name(e: EdgeReport) -> str:
    if e.kind == "source" or e.from_ == "sources":
        return (
            f'<span class="st-chip">source</span> <span class="mono">{esc(e.output)}</span> '
            f'\u2192 <b>{esc(e.to)}</b>.<span class="mono">{esc(e.input)}</span>'
        )
    return (
        f'<b>{esc(e.from_)}</b>.<span class="mono">{esc(e.output)}</span> \u2192 '
        f'<b>{esc(e.to)}</b>.<span class="mono">{esc(e.input)}</span>'
    )


def _short_summary(e: EdgeReport) -> str:
    """The summary without its leading ``from.output -> to.input:`` (the Check column shows it)."""
    text = e.summary or ""
    prefix = f"{e.from_}.{e.output} -> {e.to}.{e.input}:"
    return text[len(prefix) :].strip() if text.startswith(prefix) else text


def edges_table_html(
    report: RunReport, base: str | os.PathLike | None, table_id: str = "st-edges-table"
) -> str:
    if not report.edges:
        return '<p class="st-muted">No edge checks in this run.</p>'
    rows = []
    for e in report.edges:
        ok = e.status not in ("failed", "warn")
        docs = link(e.docs_path, "Data Docs", base) if e.docs_path else '<span class="st-muted">\u2014</span>'
        n = "\u2014" if e.expectations_evaluated is None else f"{e.expectations_evaluated:,}"
        rows.append(
            f'<tr class="row-{e.status} {"row-ok" if ok else "row-problem"}" data-edge="{esc(e.id)}">'
            f"<td>{_badge(e.status)}</td><td>{_check_name(e)}</td><td>{esc(e.severity)}</td>"
            f'<td class="num">{n}</td><td class="num">{esc(fmt_duration(e.duration_s))}</td>'
            f'<td>{esc(_short_summary(e))}</td><td class="nowrap">{docs}</td></tr>'
        )
        if e.failed_expectations:
            rows.append(
                f'<tr class="st-subrow-tr row-{e.status}"><td></td><td class="st-subrow" colspan="6">'
                f"{expectations_table_html(e)}</td></tr>"
            )
    head = (
        "<tr><th>Status</th><th>Check</th><th>Severity</th><th>Expectations</th><th>Duration</th>"
        "<th>Summary</th><th>Docs</th></tr>"
    )
    return (
        f'<div class="st-scroll"><table class="st-table st-edges" id="{table_id}"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def failures_html(report: RunReport, base: str | os.PathLike | None) -> str:
    slugs = _slugs(report)
    out = []
    opened = 0
    for name, node in report.nodes.items():
        if not (node.error or node.error_detail or node.stderr_tail):
            continue
        failed = node.status == "failed"
        is_open = failed and opened < 3
        opened += is_open
        kv = []
        for k, v in (
            ("status", STATUS_LABEL.get(node.status, node.status)),
            ("error kind", node.error_kind),
            ("exit code", node.exit_code),
            ("signal", node.signal),
            ("script", node.script),
        ):
            if v not in (None, ""):
                kv.append(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>")
        logs = _logs_cell(node, base)
        kv.append(f"<dt>logs</dt><dd>{logs}</dd>")
        body = [f'<dl class="st-kv">{"".join(kv)}</dl>']
        if node.error:
            msg = node.error
            if node.error_detail and node.error_detail.strip() in msg:
                msg = msg.replace(node.error_detail.strip(), "").strip()
            body.append(f"<h3>Error</h3><pre>{esc(msg)}</pre>")
        if node.error_detail:
            body.append(f"<h3>Traceback / details</h3><pre>{esc(node.error_detail.rstrip())}</pre>")
        if node.stderr_tail:
            body.append(f"<h3>stderr (last lines)</h3><pre>{esc(node.stderr_tail.rstrip())}</pre>")
        out.append(
            f'<details id="fail-{slugs[name]}" class="d-{esc(node.status)}"{" open" if is_open else ""}>'
            f"<summary>{_badge(node.status)} {esc(name)} "
            f'<span class="st-muted" style="font-weight:400">\u2014 {esc(first_line(node.error, 160))}'
            f'</span></summary><div class="st-dbody">{"".join(body)}</div></details>'
        )
    if not out:
        return '<p class="st-muted">No errors: every script that ran exited cleanly.</p>'
    return "".join(out)


def contracts_html(report: RunReport) -> str:
    """Per script node: what the static contract check found, and what the script read at run time that
    neither its interface nor the static check foresaw."""
    slugs = _slugs(report)
    rows = []
    for name, node in report.nodes.items():
        for label, found in (("static", node.contract), ("run time", node.contract_runtime)):
            for p in found:
                status = "failed" if p.severity == "error" else "warn"
                rows.append(
                    f'<tr class="row-problem" data-node="{esc(name)}"><td><a href="#node-{slugs[name]}">'
                    f"{esc(name)}</a></td><td>{_badge(status, p.severity)}</td><td>{esc(label)}</td>"
                    f"<td><code>{esc(p.where)}</code></td><td>{esc(p.message)}</td></tr>"
                )
    if not rows:
        checked = sum(1 for n in report.nodes.values() if n.role == "script")
        return (
            f'<p class="st-muted">No contract findings: the {checked} script(s) use what their interfaces '
            f"declare.</p>"
        )
    head = "<tr><th>Node</th><th>Severity</th><th>Found</th><th>Where</th><th>What to do</th></tr>"
    return (
        f'<div class="st-scroll"><table class="st-table st-contracts" id="st-contracts-table">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _contract_count(report: RunReport) -> int:
    return sum(len(n.contract) + len(n.contract_runtime) for n in report.nodes.values())


def banners_html(report: RunReport) -> str:
    out = []
    if report.error:
        out.append(
            f'<div class="st-banner err"><b>The run stopped:</b> {esc(first_line(report.error, 400))}'
            + (f"<pre>{esc(report.error)}</pre>" if "\n" in report.error.strip() else "")
            + "</div>"
        )
    if report.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in report.warnings)
        out.append(
            f'<div class="st-banner warn" id="warnings"><b>Warnings ({len(report.warnings)})</b>'
            f"<ul>{items}</ul></div>"
        )
    return "".join(out)


def _filter(target: str) -> str:
    return (
        f'<span class="st-filter" data-target="{target}"><button type="button" class="on" data-mode="all">All'
        f'</button><button type="button" data-mode="problems">Problems only</button></span>'
    )


# ------------------------------------------------------------------------------------------ pages


def render_html(
    report: RunReport,
    edges_dag: list[tuple[str, str]] | None = None,
    *,
    base_dir: str | os.PathLike | None = None,
) -> str:
    """The whole report as one self-contained HTML page.

    ``edges_dag``: the DAG's edges (from, to); by default the node-to-node edge checks of the report.
    ``base_dir``: the folder the page will be saved in (links to logs and outputs are relative to it
    when they are inside it); default: the run folder.
    """
    sanitize(report)  # the tool's secrets never reach a page; long texts are capped
    base = _base_dir(report, base_dir)
    slugs = _slugs(report)
    dag_svg = render_dag_svg(report, edges_dag, node_href={n: f"#node-{s}" for n, s in slugs.items()})
    n_fail = sum(1 for n in report.nodes.values() if n.error or n.error_detail or n.stderr_tail)
    n_eval, n_pass, _, _ = _checks_stats(report)
    verdict = "PASSED" if report.success else "FAILED"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    report_json = (
        link(str(Path(report.run_dir) / "report.json"), "report.json", base) if report.run_dir else ""
    )
    nav = [
        '<a href="#graph">Graph</a>',
        '<a href="#nodes">Nodes</a>',
        '<a href="#timeline">Timeline</a>',
        '<a href="#checks">Edge checks</a>',
        '<a href="#contracts">Contracts</a>',
        '<a href="#failures">Errors &amp; logs</a>',
    ]
    if report.warnings:
        nav.append('<a href="#warnings">Warnings</a>')
    min_w = _svg_width(dag_svg) * 0.72  # scale a large graph down to fit, but never below 72 %: then scroll
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="script_testing">
<title>{verdict} \u00b7 {esc(report.pipeline)} \u00b7 {esc(report.run_id)}</title>
<style>
html, body {{ margin: 0; background: #f4f6f9; }}
{_asset("report.css")}
</style>
</head>
<body>
<div class="st st-page" data-status="{esc(report.status)}">
{header_html(report)}
{cards_html(report)}
<nav class="st-nav">{"".join(nav)}</nav>
{banners_html(report)}
<section class="st-section" id="graph"><h2>Pipeline graph <span class="st-count">{
        len(report.nodes)
    } nodes \u00b7 \
{esc(_counts_text(report))}</span></h2>
{legend_html()}
<div class="st-scroll st-fit"><div style="min-width:{min_w:.0f}px">{dag_svg}</div></div></section>
<section class="st-section" id="nodes"><h2>Nodes <span class="st-count">{len(report.nodes)}</span>{
        _filter("st-nodes-table")
    }</h2>
{nodes_table_html(report, base)}</section>
<section class="st-section" id="timeline"><h2>Timeline <span class="st-count">solid: script run \u00b7 \
dashed: worker start and input checks</span></h2>
<div class="st-scroll st-fit">{render_timeline_svg(report)}</div></section>
<section class="st-section" id="checks"><h2>Edge checks <span class="st-count">{n_pass}/{
        n_eval
    } passed \u00b7 \
{len(report.edges)} in all</span>{_filter("st-edges-table")}</h2>
{edges_table_html(report, base)}</section>
<section class="st-section" id="contracts"><h2>Contracts <span class="st-count">{
        _contract_count(report)
    } finding(s): each script against its step interface</span></h2>
{contracts_html(report)}</section>
<section class="st-section" id="failures"><h2>Errors &amp; logs <span class="st-count">{n_fail}</span>\
{
        '<span class="st-filter"><button type="button" data-toggle-details="#failures">Expand / collapse all</button></span>'
        if n_fail
        else ""
    }</h2>
{failures_html(report, base)}</section>
<footer class="st-footer">Generated by script_testing on {generated} \u00b7 {report_json}</footer>
</div>
<script>
{_asset("report.js")}
</script>
</body>
</html>
"""


def _svg_width(svg: str) -> float:
    try:
        start = svg.index('width="') + 7
        return float(svg[start : svg.index('"', start)])
    except ValueError:
        return 0.0


def summary_html(report: RunReport, *, base_dir: str | os.PathLike | None = None) -> str:
    """A compact HTML fragment (for a notebook's ``_repr_html_``): verdict, nodes, checks, timeline, links.

    Links are absolute ``file://`` URIs unless ``base_dir`` is given. No JavaScript.
    """
    sanitize(report)  # the tool's secrets never reach a notebook
    base = base_dir  # None: absolute links, since a notebook is not next to the run folder
    verdict = "PASSED" if report.success else "FAILED"
    n_eval, n_pass, _n_fail, n_warn = _checks_stats(report)
    rows = []
    for name, node in report.nodes.items():
        status = display_status(name, node, report)
        outs = []
        for out_name, path in node.outputs.items():
            summ = node.output_summary.get(out_name)
            extra = (
                f' <span class="st-muted">({summ.files} file{"s" if summ.files != 1 else ""}, {esc(fmt_bytes(summ.bytes))})</span>'
                if summ and summ.exists
                else ""
            )
            outs.append((link(path, out_name, base) or esc(out_name)) + extra)
        note = ""
        if node.error:
            note = f'<span class="st-err">{esc(first_line(node.error, 160))}</span>'
        elif node.skipped_because:
            note = f'<span class="st-note">{esc(clip(node.skipped_because, 160))}</span>'
        rows.append(
            f'<tr class="row-{status}"><td>{_badge(status)}</td><td class="st-node-name">{esc(name)}</td>'
            f'<td class="num">{esc(fmt_duration(node.duration_s))}</td>'
            f'<td class="num">{esc(fmt_mem(node.peak_memory_mb))}</td>'
            f"<td>{', '.join(outs) or DASH}</td><td>{_logs_cell(node, base)}</td><td>{note}</td></tr>"
        )
    bad = [e for e in report.edges if e.status in ("failed", "warn")]
    checks = [f"<b>{n_pass}/{n_eval}</b> edge checks passed" if n_eval else "no edge checks ran"]
    if n_warn:
        checks.append(f"{n_warn} with warnings")
    items = []
    for e in bad:
        msgs = "; ".join(str(f.get("message", "")) for f in e.failed_expectations[:3]) or (e.summary or "")
        items.append(
            f'<li>{_badge(e.status)} <span class="mono">{esc(e.id)}</span>: {esc(clip(msgs, 300))}</li>'
        )
    links = []
    if report.run_dir:
        html_path = Path(report.run_dir) / "report.html"
        if html_path.exists():
            links.append(link(str(html_path), "full HTML report", base))
        links.append(link(str(Path(report.run_dir) / "report.json"), "report.json", base))
        links.append(link(report.run_dir, "run folder", base))
        if base is None and url_for(report.run_dir) is None:
            links.append(
                '<span class="st-muted">(file:// links; a browser opens them from an http page only when '
                "the runs root is served: <code>script_testing.serve_runs()</code>)</span>"
            )
    err = f'<div class="st-banner err">{esc(first_line(report.error, 300))}</div>' if report.error else ""
    warn = (
        ("<ul>" + "".join(f"<li>{esc(w)}</li>" for w in report.warnings) + "</ul>") if report.warnings else ""
    )
    return (
        f'<div class="st st-summary"><style>{_asset("report.css")}</style>'
        f'<div class="st-sumhead"><span class="st-verdict v-{"passed" if report.success else "failed"}">'
        f'{verdict}</span><b>{esc(report.pipeline)}</b><span class="st-muted mono">{esc(report.run_id)}</span>'
        f'<span class="st-muted">{esc(fmt_duration(report.duration_s))} \u00b7 {esc(_counts_text(report))}'
        f"</span></div>{err}"
        f'<table class="st-table"><thead><tr><th>Status</th><th>Node</th><th>Duration</th><th>Peak mem</th>'
        f"<th>Outputs</th><th>Logs</th><th>Note</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<h4>Edge checks</h4><div>{', '.join(checks)}</div>"
        + (f"<ul>{''.join(items)}</ul>" if items else "")
        + f'<h4>Timeline</h4><div class="st-scroll st-fit">'
        f"{render_timeline_svg(report, width=900, row_h=20, label_w=230, compact=True)}</div>"
        + (f"<h4>Warnings</h4>{warn}" if warn else "")
        + (
            f'<div class="st-small" style="margin-top:8px">{DOT.join(x for x in links if x)}</div>'
            if links
            else ""
        )
        + "</div>"
    )


def write_html(
    report: RunReport, path: str | os.PathLike, edges_dag: list[tuple[str, str]] | None = None
) -> Path:
    """Write the self-contained HTML report; links to logs and outputs are relative to ``path``'s folder."""
    path = Path(path)
    files.write_text(path, render_html(report, edges_dag, base_dir=path.parent.resolve()))
    return path
