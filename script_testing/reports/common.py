"""Small shared helpers for the report renderers: escaping, formatting, colours, links."""

from __future__ import annotations

import html
import os
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from script_testing.reports.serve import url_for

# (solid, light fill, dark text) per display status
PALETTE: dict[str, tuple[str, str, str]] = {
    "passed": ("#16a34a", "#dcfce7", "#14532d"),
    "failed": ("#dc2626", "#fee2e2", "#7f1d1d"),
    "skipped": ("#9ca3af", "#f3f4f6", "#374151"),
    "source": ("#2563eb", "#dbeafe", "#1e3a8a"),
    "warn": ("#d97706", "#fef3c7", "#78350f"),
    "pending": ("#94a3b8", "#f8fafc", "#334155"),
    "running": ("#7c3aed", "#ede9fe", "#4c1d95"),
    "unchecked": ("#94a3b8", "#f8fafc", "#334155"),
    "interrupted": ("#b45309", "#fef3c7", "#78350f"),
    "error": ("#dc2626", "#fee2e2", "#7f1d1d"),
}
STATUS_LABEL = {
    "passed": "passed",
    "failed": "failed",
    "skipped": "skipped",
    "source": "source",
    "warn": "warning",
    "pending": "pending",
    "running": "running",
    "unchecked": "no check",
    "interrupted": "interrupted",
    "error": "error",
}
STATUS_GLYPH = {
    "passed": "\u2713",
    "failed": "\u2715",
    "skipped": "\u2013",
    "source": "\u25c6",
    "warn": "!",
    "pending": "\u2026",
    "running": "\u25b8",
    "unchecked": "\u00b7",
    "interrupted": "\u25a0",
    "error": "\u2715",
}


def esc(value: object) -> str:
    """HTML-escape any user text (quotes included, so it is safe in attributes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def colours(status: str) -> tuple[str, str, str]:
    return PALETTE.get(status, PALETTE["pending"])


def first_line(text: str | None, limit: int = 220) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


def clip(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "\u2014"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        m, s = divmod(round(seconds), 60)
        return f"{m}m {s:02d}s"
    h, rest = divmod(round(seconds), 3600)
    return f"{h}h {rest // 60:02d}m"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return "\u2014"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def fmt_mem(mb: float | None) -> str:
    if mb is None:
        return "\u2014"
    return f"{mb / 1024:.2f} GB" if mb >= 1024 else f"{mb:.1f} MB"


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def fmt_time(value: str | None) -> str:
    t = parse_time(value)
    if t is None:
        return value or "\u2014"
    return t.strftime("%Y-%m-%d %H:%M:%S") + (
        " UTC" if t.utcoffset() is not None and not t.utcoffset() else ""
    )


def slug(name: str, index: int) -> str:
    return f"n{index}-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name)[:60]


def href_for(path: str | os.PathLike | None, base_dir: str | os.PathLike | None) -> str | None:
    """A link to a local file: relative to ``base_dir`` when inside it, else its ``http://`` URL when the
    runs root is served (``script-testing ui``, ``script_testing.serve_runs()``), else a ``file://`` URI."""
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute():
        return quote(p.as_posix())
    if base_dir is not None:
        try:
            rel = p.resolve().relative_to(Path(base_dir).resolve())
            return quote(rel.as_posix()) or "."
        except (ValueError, OSError):
            pass
    return url_for(p) or p.as_uri()


def link(path: str | None, label: str, base_dir: str | os.PathLike | None, cls: str = "") -> str:
    href = href_for(path, base_dir)
    if href is None:
        return ""
    c = f' class="{cls}"' if cls else ""
    return f'<a{c} href="{esc(href)}" title="{esc(path)}">{esc(label)}</a>'
