"""Reports of a run: the ``report.json`` model (:mod:`.model`), plain-text lines (:mod:`.text`), one
self-contained HTML page and a notebook fragment (:mod:`.html`, :mod:`.svg`), CSV and JSON (:mod:`.export`).

::

    from script_testing.reports import export, render_html, summary_html, write_html
    export(".script_testing/runs/tabular_simple/<run id>", "html")   # -> <run dir>/report.html
"""

from __future__ import annotations

from .html import render_html, summary_html, write_html
from .svg import dag_edges, layout_dag, render_dag_svg, render_timeline_svg
from .export import EDGE_COLUMNS, NODE_COLUMNS, export, write_csv, write_edges_csv, write_json

__all__ = ["render_html", "summary_html", "write_html", "write_csv", "write_edges_csv", "write_json", "export",
           "render_dag_svg", "render_timeline_svg", "dag_edges", "layout_dag", "NODE_COLUMNS", "EDGE_COLUMNS"]
