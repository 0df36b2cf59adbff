"""Reports of a run: the ``report.json`` model (:mod:`.model`), plain-text lines (:mod:`.text`), one
self-contained HTML page and a notebook fragment (:mod:`.html`, :mod:`.svg`), CSV and JSON (:mod:`.export`).

::

    from script_testing.reports import export, render_html, summary_html, write_html
    export(".script_testing/runs/tabular_simple/<run id>", "html")   # -> <run dir>/report.html
"""

from __future__ import annotations

from .export import EDGE_COLUMNS, NODE_COLUMNS, export, write_csv, write_edges_csv, write_json
from .html import render_html, summary_html, write_html
from .svg import dag_edges, layout_dag, render_dag_svg, render_timeline_svg

__all__ = [
    "EDGE_COLUMNS",
    "NODE_COLUMNS",
    "dag_edges",
    "export",
    "layout_dag",
    "render_dag_svg",
    "render_html",
    "render_timeline_svg",
    "summary_html",
    "write_csv",
    "write_edges_csv",
    "write_html",
    "write_json",
]
