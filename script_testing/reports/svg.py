"""Inline SVG pictures of a run: the DAG (layered by longest path) and a timeline (Gantt).

The layout is computed here, in Python, so the page needs no JavaScript to draw anything:

* layers: longest path from the sources (nodes without predecessors are layer 0);
* edges that skip layers get invisible "dummy" slots in the layers they cross, so they are routed
  around real nodes instead of through them;
* the order inside each layer is improved with barycenter sweeps, keeping the order with the fewest
  crossings; vertical positions then pull each node towards its neighbours (min separation kept).

About 600 lines, above the ~400 guideline: the DAG layout and the timeline share their
geometry helpers, and splitting the layout from its drawing would scatter one algorithm.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from script_testing.reports.model import EdgeReport, NodeReport, RunReport

from .common import STATUS_GLYPH, STATUS_LABEL, clip, colours, esc, fmt_duration, parse_time, slug

NODE_H = 50
DUMMY_H = 12
MARGIN = 18
EDGE_RANK = {"failed": 5, "warn": 4, "pending": 3, "passed": 2, "skipped": 1, "unchecked": 0}


# --------------------------------------------------------------------------------------------- model


@dataclass
class DagEdge:
    src: str
    dst: str
    checks: list[EdgeReport] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.checks:
            return "unchecked"
        statuses = {c.status for c in self.checks}
        for s in ("failed", "warn", "pending", "passed", "skipped"):
            if s in statuses:
                return s
        return "unchecked"  # pragma: no cover

    @property
    def label(self) -> str:
        if not self.checks:
            return ""
        if len(self.checks) == 1:
            c = self.checks[0]
            return c.output if c.output == c.input else f"{c.output} \u2192 {c.input}"
        failed = sum(c.status == "failed" for c in self.checks)
        warned = sum(c.status == "warn" for c in self.checks)
        text = f"{len(self.checks)} checks"
        text += f", {failed} failed" if failed else ""
        text += f", {warned} warning{'s' if warned > 1 else ''}" if warned else ""
        return text

    @property
    def tooltip(self) -> str:
        lines = [f"{self.src} \u2192 {self.dst}"]
        for c in self.checks:
            lines.append(
                f"  [{c.status}] {c.output} \u2192 {c.input}"
                + (f": {c.summary}" if c.summary and c.status in ("failed", "warn") else "")
            )
        return "\n".join(lines)


def dag_edges(report: RunReport, edges_dag: list[tuple[str, str]] | None = None) -> list[DagEdge]:
    """Edges to draw: ``edges_dag`` when given, else the node-to-node checks of the report."""
    pairs: list[tuple[str, str]] = []
    if edges_dag is None:
        for e in report.edges:
            if e.from_ != "sources" and e.kind != "source":
                pairs.append((e.from_, e.to))
    else:
        pairs = [(str(a), str(b)) for a, b in edges_dag]
    out: dict[tuple[str, str], DagEdge] = {}
    for a, b in pairs:
        if a != b and (a, b) not in out:
            out[(a, b)] = DagEdge(a, b)
    for e in report.edges:
        if (e.from_, e.to) in out:
            out[(e.from_, e.to)].checks.append(e)
    return list(out.values())


def display_status(name: str, node: NodeReport | None, report: RunReport) -> str:
    """The node's status, or ``warn`` for a node that passed with a warning on one of its input checks."""
    if node is None:
        return "pending"
    if node.status == "passed" and any(e.to == name and e.status == "warn" for e in report.edges):
        return "warn"
    return node.status


# -------------------------------------------------------------------------------------------- layout


@dataclass
class Slot:
    key: str  # node name, or a dummy key
    dummy: bool
    layer: int
    rs: float  # size along the rank axis (x for LR, y for TB)
    os: float  # size along the order axis
    r: float = 0.0
    o: float = 0.0
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0

    @property
    def oc(self) -> float:
        return self.o + self.os / 2

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass
class Layout:
    direction: str  # "LR" (layers left to right) or "TB" (top to bottom)
    slots: dict[str, Slot]
    layers: list[list[str]]
    chains: list[tuple[DagEdge, list[str]]]
    width: float
    height: float
    rank_gap: float

    def point(self, r: float, o: float) -> tuple[float, float]:
        return (r, o) if self.direction == "LR" else (o, r)


def _node_width(name: str) -> float:
    return max(172.0, min(330.0, 7.3 * len(name) + 58))


def _layers(names: list[str], edges: list[DagEdge]) -> dict[str, int]:
    preds: dict[str, list[str]] = {n: [] for n in names}
    succs: dict[str, list[str]] = {n: [] for n in names}
    for e in edges:
        preds[e.dst].append(e.src)
        succs[e.src].append(e.dst)
    indeg = {n: len(preds[n]) for n in names}
    layer = dict.fromkeys(names, 0)
    ready = [n for n in names if indeg[n] == 0]
    done: set[str] = set()
    while len(done) < len(names):
        if not ready:  # a cycle (should not happen in a valid DAG): break it at the first node left
            ready = [next(n for n in names if n not in done)]
        n = ready.pop(0)
        if n in done:
            continue
        done.add(n)
        for s in succs[n]:
            if s in done:
                continue
            layer[s] = max(layer[s], layer[n] + 1)
            indeg[s] -= 1
            if indeg[s] <= 0:
                ready.append(s)
    return layer


def layout_dag(
    names: list[str],
    edges: list[DagEdge],
    direction: str = "auto",
    max_width: float = 1300,
    widths: dict[str, float] | None = None,
) -> Layout:
    """Place ``names`` in layers (longest path from the sources). ``direction``: LR, TB or auto
    (left to right when that fits in ``max_width``, else whichever is narrower)."""
    if direction == "auto":
        lr = _layout(names, edges, "LR", widths)
        if lr.width <= max_width:
            return lr
        tb = _layout(names, edges, "TB", widths)
        return tb if tb.width < lr.width else lr
    return _layout(names, edges, direction, widths)


def _layout(
    names: list[str], edges: list[DagEdge], direction: str, widths: dict[str, float] | None
) -> Layout:
    lr = direction == "LR"
    rank_gap = 112.0 if lr else 70.0
    order_gap = 24.0 if lr else 30.0
    layer = _layers(names, edges)
    n_layers = max(layer.values(), default=-1) + 1
    slots: dict[str, Slot] = {}
    for n in names:
        w = (widths or {}).get(n) or _node_width(n)
        slots[n] = Slot(n, False, layer[n], rs=w if lr else NODE_H, os=NODE_H if lr else w)
    layers: list[list[str]] = [[] for _ in range(n_layers)]
    for n in names:
        layers[layer[n]].append(n)
    chains: list[tuple[DagEdge, list[str]]] = []
    links: list[tuple[str, str]] = []  # consecutive-layer segments
    for i, e in enumerate(edges):
        la, lb = layer[e.src], layer[e.dst]
        if lb <= la:  # a back edge (only with a cycle): drawn straight, not used for ordering
            chains.append((e, [e.src, e.dst]))
            continue
        chain = [e.src]
        for k in range(la + 1, lb):
            key = f"\x00d{i}.{k}"
            slots[key] = Slot(key, True, k, rs=0.0, os=DUMMY_H)
            layers[k].append(key)
            chain.append(key)
        chain.append(e.dst)
        chains.append((e, chain))
        links += list(itertools.pairwise(chain))

    preds: dict[str, list[str]] = {k: [] for k in slots}
    succs: dict[str, list[str]] = {k: [] for k in slots}
    for a, b in links:
        succs[a].append(b)
        preds[b].append(a)

    def positions() -> dict[str, int]:
        return {k: i for lay in layers for i, k in enumerate(lay)}

    def crossings() -> int:
        pos = positions()
        total = 0
        for li in range(n_layers - 1):
            segs = [(pos[a], pos[b]) for a in layers[li] for b in succs[a]]
            for i in range(len(segs)):
                for j in range(i + 1, len(segs)):
                    if (segs[i][0] - segs[j][0]) * (segs[i][1] - segs[j][1]) < 0:
                        total += 1
        return total

    # order inside layers: barycenter sweeps, keep the order with the fewest crossings
    best = [list(lay) for lay in layers]
    best_x = crossings()
    for sweep in range(12):
        if best_x == 0:
            break
        down = sweep % 2 == 0
        for li in range(1, n_layers) if down else range(n_layers - 2, -1, -1):
            pos = positions()
            lay = layers[li]
            cur = {k: i for i, k in enumerate(lay)}

            def key(k: str, pos=pos, cur=cur, down=down) -> float:
                nb = preds[k] if down else succs[k]
                return sum(pos[x] for x in nb) / len(nb) if nb else float(cur[k])

            lay.sort(key=key)
        c = crossings()
        if c < best_x:
            best, best_x = [list(lay) for lay in layers], c
    layers[:] = best

    # rank axis: each layer as deep as its largest node
    layer_rs = [max([slots[k].rs for k in lay if not slots[k].dummy] or [40.0]) for lay in layers]
    r = MARGIN
    for li, lay in enumerate(layers):
        for k in lay:
            s = slots[k]
            if s.dummy:
                s.rs = layer_rs[li]
            s.r = r + (layer_rs[li] - s.rs) / 2
        r += layer_rs[li] + rank_gap
    rank_extent = (r - rank_gap + MARGIN) if layers else 2 * MARGIN

    # order axis: stack, then pull each slot towards its neighbours keeping order and a minimum gap
    def sep(a: Slot, b: Slot) -> float:
        return (a.os + b.os) / 2 + (order_gap if not (a.dummy and b.dummy) else 8)

    def extent(lay: list[str]) -> float:
        return sum(slots[k].os for k in lay) + order_gap * (len(lay) - 1)

    tallest = max((extent(lay) for lay in layers), default=0)
    for lay in layers:
        o = (tallest - extent(lay)) / 2
        for k in lay:
            slots[k].o = o
            o += slots[k].os + order_gap
    for it in range(16):
        for li in range(n_layers) if it % 2 == 0 else range(n_layers - 1, -1, -1):
            lay = layers[li]
            if not lay:
                continue
            want = []
            for k in lay:
                nb = preds[k] + succs[k]
                want.append(sum(slots[x].oc for x in nb) / len(nb) if nb else slots[k].oc)
            cs = list(want)
            for i in range(1, len(lay)):
                cs[i] = max(cs[i], cs[i - 1] + sep(slots[lay[i - 1]], slots[lay[i]]))
            for i in range(len(lay) - 2, -1, -1):
                cs[i] = min(cs[i], cs[i + 1] - sep(slots[lay[i]], slots[lay[i + 1]]))
            shift = (sum(want) - sum(cs)) / len(cs)
            for k, c in zip(lay, cs, strict=False):
                slots[k].o = c + shift - slots[k].os / 2
    lo = min((s.o for s in slots.values()), default=0.0)
    hi = max((s.o + s.os for s in slots.values()), default=0.0)
    pad = MARGIN + (14 if lr else 10)
    for s in slots.values():
        s.o += pad - lo
        s.x, s.y = (s.r, s.o) if lr else (s.o, s.r)
        s.w, s.h = (s.rs, s.os) if lr else (s.os, s.rs)
    order_extent = hi - lo + 2 * pad
    width, height = (rank_extent, order_extent) if lr else (order_extent, rank_extent)
    return Layout(direction, slots, layers, chains, width, height, rank_gap)


# ------------------------------------------------------------------------------------------ DAG SVG


def _markers(prefix: str) -> str:
    out = []
    for status in ("passed", "failed", "warn", "skipped", "pending", "unchecked"):
        solid = colours(status)[0]
        out.append(
            f'<marker id="{prefix}-arrow-{status}" viewBox="0 0 10 10" refX="9.5" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{solid}"/></marker>'
        )
    return "<defs>" + "".join(out) + "</defs>"


def _ports(count: int, size: float, step_max: float) -> list[float]:
    if count <= 1:
        return [size / 2]
    step = min(step_max, (size - 16) / (count - 1))
    return [size / 2 + (i - (count - 1) / 2) * step for i in range(count)]


def render_dag_svg(
    report: RunReport,
    edges_dag: list[tuple[str, str]] | None = None,
    *,
    id_prefix: str = "st",
    node_href: dict[str, str] | None = None,
    direction: str = "auto",
    max_width: float = 1300,
) -> str:
    edges = dag_edges(report, edges_dag)
    names = list(report.nodes)
    for e in edges:
        for n in (e.src, e.dst):
            if n not in names:
                names.append(n)
    if not names:
        return '<p class="st-muted">No nodes.</p>'
    subs = {
        n: _node_subtitle(report.nodes.get(n), display_status(n, report.nodes.get(n), report)) for n in names
    }
    widths = {n: max(_node_width(n), min(330.0, 6.1 * len(subs[n]) + 60)) for n in names}
    lay = layout_dag(names, edges, direction, max_width, widths)
    S = lay.slots
    lr = lay.direction == "LR"
    pt = lay.point

    # where each edge leaves / enters its real nodes: spread over the side, sorted by the other end
    out_port: dict[int, float] = {}
    in_port: dict[int, float] = {}
    by_src: dict[str, list[int]] = {}
    by_dst: dict[str, list[int]] = {}
    for i, (e, _chain) in enumerate(lay.chains):
        by_src.setdefault(e.src, []).append(i)
        by_dst.setdefault(e.dst, []).append(i)
    step_max = 11.0 if lr else 22.0
    for n, idx in by_src.items():
        idx.sort(key=lambda i: S[lay.chains[i][1][1]].oc)
        for i, off in zip(idx, _ports(len(idx), S[n].os, step_max), strict=False):
            out_port[i] = off
    for n, idx in by_dst.items():
        idx.sort(key=lambda i: S[lay.chains[i][1][-2]].oc)
        for i, off in zip(idx, _ports(len(idx), S[n].os, step_max), strict=False):
            in_port[i] = off

    paths: list[str] = []
    labels: list[tuple[float, float, str, str, str]] = []  # x, y, text, colour, tooltip
    label_chars = int((lay.rank_gap - 10) / 5.9) if lr else 30
    for i, (e, chain) in enumerate(lay.chains):
        status = e.status
        solid = colours(status)[0]
        a, b = S[e.src], S[e.dst]
        # points in (rank, order) coordinates
        pts: list[tuple[str, float, float]] = [("M", a.r + a.rs, a.o + out_port[i])]
        for k in chain[1:-1]:
            d = S[k]
            pts.append(("C", d.r, d.oc))
            pts.append(("L", d.r + d.rs, d.oc))
        pts.append(("C", b.r - 1.5, b.o + in_port[i]))

        def xy(r: float, o: float) -> str:
            x, y = pt(r, o)
            return f"{x:.1f},{y:.1f}"

        d_attr = "M" + xy(pts[0][1], pts[0][2])
        pr, po = pts[0][1], pts[0][2]
        for kind, r, o in pts[1:]:
            if kind == "L":
                d_attr += " L" + xy(r, o)
            else:
                dr = max(24.0, (r - pr) / 2) if r > pr else 60.0
                d_attr += f" C{xy(pr + dr, po)} {xy(r - dr, o)} {xy(r, o)}"
            pr, po = r, o
        dash = ' stroke-dasharray="5 4"' if status in ("skipped", "pending", "unchecked") else ""
        width = 2.4 if status in ("failed", "warn") else 1.7
        paths.append(
            f'<path class="dag-edge edge-{status}" data-from="{esc(e.src)}" data-to="{esc(e.dst)}" '
            f'data-status="{status}" d="{d_attr}" fill="none" stroke="{solid}" stroke-width="{width}"'
            f'{dash} marker-end="url(#{id_prefix}-arrow-{status})"><title>{esc(e.tooltip)}</title></path>'
        )
        if e.label:
            text = e.label
            if len(text) > label_chars and len(e.checks) == 1:
                text = e.checks[0].output
            text = clip(text, label_chars)
            nxt = pts[1]
            lx, ly = pt((a.r + a.rs + nxt[1]) / 2, (a.o + out_port[i] + nxt[2]) / 2)
            if lr and abs(nxt[2] - (a.o + out_port[i])) < 4:
                ly -= 8  # a straight edge: the label sits just above the line
            labels.append((lx, ly, text, colours(status)[2] if status != "passed" else "#334155", e.tooltip))

    # keep labels from overlapping each other: push them along the order axis
    labels.sort(key=lambda t: (t[1], t[0]) if lr else (t[0], t[1]))
    placed: list[tuple[float, float, float, str, str, str]] = []
    for lx, ly, text, col, tip in labels:
        w = 5.9 * len(text) + 8
        for _ in range(len(placed) + 1):
            hit = next((p for p in placed if abs(p[0] - lx) < (p[2] + w) / 2 and abs(p[1] - ly) < 14), None)
            if hit is None:
                break
            if lr:
                ly = hit[1] + 14
            else:
                lx = hit[0] + (hit[2] + w) / 2 + 4
        placed.append((lx, ly, w, text, col, tip))
    label_svg = [
        f'<text class="dag-edge-label" x="{lx:.1f}" y="{ly + 3.5:.1f}" text-anchor="middle" '
        f'font-size="10.5" fill="{col}" stroke="#ffffff" stroke-width="4" paint-order="stroke" '
        f'stroke-linejoin="round">{esc(text)}<title>{esc(tip)}</title></text>'
        for lx, ly, _w, text, col, tip in placed
    ]

    nodes_svg: list[str] = []
    for idx, name in enumerate(names):
        s = S[name]
        node = report.nodes.get(name)
        status = display_status(name, node, report)
        solid, light, dark = colours(status)
        sub = _node_subtitle(node, status)
        tip = _node_tooltip(name, node, status, report)
        href = (node_href or {}).get(name)
        open_a, close_a = (f'<a href="{esc(href)}">', "</a>") if href else ("", "")
        bad_src = [
            c for c in report.edges if c.to == name and c.kind == "source" and c.status in ("failed", "warn")
        ]
        badge = ""
        if bad_src:
            bcol = colours("failed" if any(c.status == "failed" for c in bad_src) else "warn")[0]
            badge = (
                f'<circle cx="{s.w - 4:.1f}" cy="4" r="8" fill="{bcol}" stroke="#fff" stroke-width="2"/>'
                f'<text x="{s.w - 4:.1f}" y="8" text-anchor="middle" font-size="11" font-weight="700" '
                f'fill="#fff">!</text>'
            )
        dash = ' stroke-dasharray="5 3"' if status in ("skipped", "pending") else ""
        nodes_svg.append(
            f'{open_a}<g class="dag-node node-{status}" id="{id_prefix}-dag-{slug(name, idx)}" '
            f'data-node="{esc(name)}" data-status="{status}" transform="translate({s.x:.1f},{s.y:.1f})">'
            f"<title>{esc(tip)}</title>"
            f'<rect class="dag-box" width="{s.w:.1f}" height="{s.h:.1f}" rx="9" fill="{light}" stroke="{solid}" '
            f'stroke-width="{2.2 if status == "failed" else 1.5}"{dash}/>'
            f'<rect width="6" height="{s.h:.1f}" rx="3" fill="{solid}"/>'
            f'<circle cx="{s.w - 17:.1f}" cy="{s.h / 2:.1f}" r="9" fill="{solid}"/>'
            f'<text x="{s.w - 17:.1f}" y="{s.h / 2 + 4:.1f}" text-anchor="middle" font-size="11.5" '
            f'font-weight="700" fill="#ffffff">{esc(STATUS_GLYPH.get(status, "?"))}</text>'
            f'<text class="dag-name" x="16" y="21" font-size="12.5" font-weight="600" fill="{dark}">'
            f"{esc(clip(name, int((s.w - 52) / 7.1)))}</text>"
            f'<text class="dag-sub" x="16" y="38" font-size="11" fill="{dark}" fill-opacity="0.78">'
            f"{esc(clip(sub, int((s.w - 52) / 6.0)))}</text>"
            f"{badge}</g>{close_a}"
        )

    return (
        f'<svg class="st-dag" role="img" aria-label="pipeline graph" data-direction="{lay.direction}" '
        f'width="{lay.width:.0f}" height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        f'font-family="-apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, Liberation Sans, sans-serif">'
        f'{_markers(id_prefix)}<g class="dag-edges">{"".join(paths)}</g>'
        f'<g class="dag-edge-labels">{"".join(label_svg)}</g>'
        f'<g class="dag-nodes">{"".join(nodes_svg)}</g></svg>'
    )


def _node_subtitle(node: NodeReport | None, status: str) -> str:
    if node is None:
        return "not in the report"
    parts = [STATUS_LABEL.get(status, status)]
    if node.status == "source":
        n = len(node.outputs or node.output_summary)
        parts.append(f"{n} output{'s' if n != 1 else ''}")
    elif node.duration_s is not None:
        parts.append(fmt_duration(node.duration_s))
    if node.status == "failed":
        if node.exit_code not in (None, 0):
            parts.append(f"exit {node.exit_code}")
        elif node.error_kind:
            parts.append(node.error_kind)
    if node.job_type and node.status not in ("failed", "source"):
        parts.append(node.job_type)
    return " \u00b7 ".join(parts)


def _node_tooltip(name: str, node: NodeReport | None, status: str, report: RunReport) -> str:
    if node is None:
        return f"{name}\nnot in the report"
    lines = [name, f"status: {STATUS_LABEL.get(status, status)}"]
    if node.step_type:
        lines.append(f"step type: {node.step_type}")
    if node.duration_s is not None:
        lines.append(f"duration: {fmt_duration(node.duration_s)}")
    if node.error:
        lines.append("error: " + node.error.strip().splitlines()[0])
    if node.skipped_because:
        lines.append("skipped: " + node.skipped_because)
    for c in report.edges:
        if c.to == name and c.kind == "source":
            lines.append(f"source check {c.input}: {c.status}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------- timeline SVG


def _nice_step(span: float, target: int = 8) -> float:
    raw = span / max(target, 1)
    for step in (
        0.05,
        0.1,
        0.2,
        0.25,
        0.5,
        1,
        2,
        5,
        10,
        15,
        30,
        60,
        120,
        300,
        600,
        900,
        1800,
        3600,
        7200,
        14400,
        28800,
        86400,
    ):
        if step >= raw:
            return float(step)
    return 86400.0 * max(1, round(raw / 86400))


def _tick_label(sec: float) -> str:
    if sec == 0:
        return "0"
    if sec < 60:
        return f"{sec:g}s"
    if sec < 3600:
        m, s = divmod(int(sec), 60)
        return f"{m}m" if not s else f"{m}m{s:02d}"
    h, rest = divmod(int(sec), 3600)
    return f"{h}h" if not rest else f"{h}h{rest // 60:02d}"


def render_timeline_svg(
    report: RunReport, *, width: int = 1290, row_h: int = 26, label_w: int = 250, compact: bool = False
) -> str:
    rows: list[tuple[str, NodeReport, datetime | None, datetime | None]] = []
    for name, node in report.nodes.items():
        rows.append((name, node, parse_time(node.started_at), parse_time(node.finished_at)))
    if not rows:
        return '<p class="st-muted">No nodes.</p>'
    starts = [r[2] for r in rows if r[2]] + [t for t in [parse_time(report.started_at)] if t]
    ends = [r[3] for r in rows if r[3]] + [t for t in [parse_time(report.finished_at)] if t]
    if not starts:
        return '<p class="st-muted">No node ran, so there is no timeline.</p>'
    t0 = min(starts)
    t1 = max([*ends, t0])
    ran = sorted([r for r in rows if r[2]], key=lambda r: (r[2], r[0]))
    not_run = [r for r in rows if not r[2]]
    ordered = ran + not_run
    span = max((t1 - t0).total_seconds(), 0.001)
    axis_h = 26
    right = 70
    chart_w = width - label_w - right
    height = axis_h + row_h * len(ordered) + 8
    scale = chart_w / span
    fs = 11 if compact else 12
    out = [
        f'<svg class="st-timeline" role="img" aria-label="timeline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" '
        f'font-family="-apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, Liberation Sans, sans-serif">'
    ]
    for i, _ in enumerate(ordered):
        if i % 2 == 0:
            out.append(
                f'<rect x="0" y="{axis_h + i * row_h}" width="{width}" height="{row_h}" fill="#f8fafc"/>'
            )
    step = _nice_step(span, 6 if compact else 10)
    t = 0.0
    while t <= span + 1e-9:
        x = label_w + t * scale
        out.append(f'<line x1="{x:.1f}" y1="{axis_h - 6}" x2="{x:.1f}" y2="{height - 8}" stroke="#e2e8f0"/>')
        out.append(
            f'<text x="{x:.1f}" y="{axis_h - 10}" text-anchor="middle" font-size="10.5" '
            f'fill="#64748b">{_tick_label(round(t, 3))}</text>'
        )
        t += step
    out.append(
        f'<line x1="{label_w}" y1="{axis_h - 2}" x2="{label_w + chart_w}" y2="{axis_h - 2}" stroke="#cbd5e1"/>'
    )
    for i, (name, node, ts, te) in enumerate(ordered):
        y = axis_h + i * row_h
        cy = y + row_h / 2
        status = display_status(name, node, report)
        solid, light, _dark = colours(status)
        out.append(
            f'<text class="tl-label" x="{label_w - 10}" y="{cy + 4:.1f}" text-anchor="end" '
            f'font-size="{fs}" fill="#1f2937">{esc(clip(name, int((label_w - 14) / 6.6)))}'
            f"<title>{esc(name)}</title></text>"
        )
        if ts is None:
            why = node.skipped_because or STATUS_LABEL.get(node.status, node.status)
            out.append(
                f'<text x="{label_w + 6}" y="{cy + 4:.1f}" font-size="{fs - 1}" fill="#94a3b8" '
                f'font-style="italic">not run \u2014 {esc(clip(why, 90))}</text>'
            )
            continue
        te = te or ts
        x0 = label_w + (ts - t0).total_seconds() * scale
        x1 = label_w + (te - t0).total_seconds() * scale
        wall = (te - ts).total_seconds()
        bh = row_h - 10
        checks = [e for e in report.edges if e.to == name and e.duration_s is not None]
        checks_s = sum(e.duration_s or 0 for e in checks)
        tip = (
            f"{name}: {STATUS_LABEL.get(status, status)}\nstarted {node.started_at}\nfinished {node.finished_at}"
            + (f"\nscript {fmt_duration(node.duration_s)}" if node.duration_s is not None else "")
            + f"\nwall {fmt_duration(wall)}"
            + (f" (input checks {fmt_duration(checks_s)})" if checks else "")
        )
        out.append(f'<g class="tl-bar tl-{status}" data-node="{esc(name)}"><title>{esc(tip)}</title>')
        script_s = node.duration_s if node.duration_s is not None and node.status != "source" else None
        if script_s is not None and wall - script_s > 0.05:
            xs = max(x0, x1 - script_s * scale)
            out.append(
                f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(xs - x0, 1):.1f}" height="{bh}" rx="3" '
                f'fill="{light}" stroke="{solid}" stroke-opacity="0.55" stroke-dasharray="3 2"/>'
            )
            out.append(
                f'<rect x="{xs:.1f}" y="{y + 5}" width="{max(x1 - xs, 2.5):.1f}" height="{bh}" rx="3" '
                f'fill="{solid}"/>'
            )
        else:
            out.append(
                f'<rect x="{x0:.1f}" y="{y + 5}" width="{max(x1 - x0, 2.5):.1f}" height="{bh}" rx="3" '
                f'fill="{solid}"/>'
            )
        # the node's input checks, one mark each, side by side before its script (they run first)
        cx = x0
        for e in checks:
            w = max((e.duration_s or 0) * scale, 2.0)
            c_solid = colours(
                "failed" if e.status == "failed" else "passed" if e.status == "passed" else "pending"
            )[0]
            summary = f": {clip(e.summary, 160)}" if e.summary and e.status != "passed" else ""
            out.append(
                f'<rect class="tl-check tl-check-{esc(e.status)}" x="{cx:.1f}" y="{y + row_h - 7}" '
                f'width="{w:.1f}" height="3" fill="{c_solid}"><title>'
                f"{esc(f'check {e.id}: {e.status}, {fmt_duration(e.duration_s)}{summary}')}</title></rect>"
            )
            cx += w
        # the label is the figure of the nodes table (the script's duration), wall time for sources
        label = fmt_duration(script_s if script_s is not None else wall)
        if x1 + 6 + 7 * len(label) < width:
            out.append(
                f'<text class="tl-duration" x="{max(x1, x0 + 2.5) + 6:.1f}" y="{cy + 4:.1f}" font-size="{fs - 1}" '
                f'fill="#475569">{esc(label)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)
