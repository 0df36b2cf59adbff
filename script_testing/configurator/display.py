"""The configure session as text (terminal, ``repr``) and HTML (notebooks): what is auto-configured,
what was reused from another pipeline, what is configured, and what is still pending."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the session renders itself through these functions
    from script_testing.configurator.session import InteractiveRuntimeTestingFactory


def summary_text(factory: InteractiveRuntimeTestingFactory) -> str:
    s = factory.get_testing_factory_summary()
    c = s["counts"]
    lines = [
        f"pipeline {s['pipeline']} ({s['nodes']} nodes){' [new]' if s['new_pipeline'] else ''}: "
        f"{c['auto_configured']} auto-configured, {c['configured']} configured, {c['pending']} pending",
        f"  project: {s['project']}",
    ]
    lines += [f"  auto     {n}" for n in s["auto_configured"]]
    lines += [f"  set      {n}" for n in s["configured"]]
    lines += [f"  PENDING  {n}" for n in s["pending"]]
    lines += [f"    - {item}" for item in s["pending_items"]]
    lines += [f"    reused: {r}" for r in s["reused"]]
    lines += [f"    note: {a}" for a in s["advisories"]]
    return "\n".join(lines)


def summary_html(factory: InteractiveRuntimeTestingFactory) -> str:
    s = factory.get_testing_factory_summary()
    c = s["counts"]
    e = html.escape
    rows = []
    for n in factory.dag.order:
        status = (
            "pending" if n in s["pending"] else "configured" if n in s["configured"] else "auto-configured"
        )
        items = "<br>".join(e(p.describe()) for p in factory.pending_items if p.node == n)
        reused = "<br>".join(e(r.describe()) for r in factory.reused if r.node == n)
        rows.append(
            f"<tr><td>{e(n)}</td><td>{e(factory.nodes[n].role)}</td><td>{status}</td>"
            f"<td>{items}</td><td>{reused}</td></tr>"
        )
    return (
        f"<div><b>{e(s['pipeline'])}</b> &mdash; {c['auto_configured']} auto-configured, "
        f"{c['configured']} configured, {c['pending']} pending"
        f"<table><tr><th>node</th><th>role</th><th>status</th><th>pending</th><th>reused</th></tr>"
        f"{''.join(rows)}</table><small>{e(s['project'])}</small></div>"
    )


def overview_text(factory: InteractiveRuntimeTestingFactory) -> str:
    """What ``script-testing configure`` shows first."""
    s = factory.get_testing_factory_summary()
    lines = [
        f"pipeline {s['pipeline']}{' (new)' if s['new_pipeline'] else ''} in {s['project']}: "
        f"{s['nodes']} nodes, {s['counts']['auto_configured']} auto-configured, "
        f"{s['counts']['pending']} pending"
    ]
    for n in s["auto_configured"]:
        lines.append(f"  ok       {n}")
        lines += [f"           reused: {r.describe()}" for r in factory.reused if r.node == n]
    for n in s["pending"]:
        lines.append(f"  pending  {n}")
        lines += [f"           - {p}" for p in factory.node_status(n).pending]
        lines += [f"           reused: {r.describe()}" for r in factory.reused if r.node == n]
    return "\n".join(lines)
