"""Schema drift: a JSON file of edge schemas recorded from a first passing run.

File layout (``<project>/baselines/<pipeline>.json`` by convention; the caller chooses)::

    {"version": 1,
     "row_tolerance": 0.2,                     # optional, the file's own tolerance (default 0.2)
     "edges": {"A.out->B.in": {"columns": {"id": "integer", "label": "integer"},
                               "order": ["id", "label"],
                               "rows": {"min": 1000, "max": 1000},
                               "rows_at": {"600": {"min": 600, "max": 600}},   # runs with --rows 600
                               "files": ["model.pkl", "summary.json"],          # non-tabular file names
                               "recorded_at": "2026-11-21T02:40:00+00:00"}}}

:meth:`SchemaBaseline.compare` reports columns added, removed, retyped (kind changed) and reordered,
non-tabular files that are gone (names compared with their digits masked, so timestamps and shard
numbers do not count), and a row count outside the recorded range: a warning within ``row_tolerance``
(a fraction of the range's bounds; an edge entry may carry its own ``rows.tolerance``), a blocking
drift beyond it. Row ranges are kept per row scale (a run's ``--rows`` override), so a run at another
scale is never compared with them. :meth:`SchemaBaseline.record` stores an edge's schema (widening the
row range when the columns are unchanged); :meth:`SchemaBaseline.rebaseline` clears one edge or all.
Writes are atomic (temp file + rename) and merge with what is on disk under a lock, so parallel runs do
not lose each other's edges.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from script_testing import files
from script_testing.errors import ConfigError

VERSION = 1
#: Row counts this far (a fraction) outside the recorded range fail the edge; closer ones warn.
DEFAULT_ROW_TOLERANCE = 0.2


@dataclass(frozen=True)
class DriftItem:
    """One difference between a baseline and a new schema."""

    drift: Literal["added", "removed", "retyped", "reordered", "file_removed", "rows"]
    column: str | None  # the column (or file name) concerned
    baseline: Any
    observed: Any
    blocking: bool = True  # False: a warning (row counts within the tolerance)

    @property
    def expectation(self) -> str:
        return {
            "added": "expect_schema_no_added_columns",
            "removed": "expect_schema_no_removed_columns",
            "retyped": "expect_schema_column_kinds_unchanged",
            "reordered": "expect_schema_column_order_unchanged",
            "file_removed": "expect_schema_no_removed_files",
            "rows": "expect_row_count_within_baseline",
        }[self.drift]

    @property
    def severity(self) -> str:
        """'warn' for row counts within the tolerance; other drift follows the edge's severity."""
        return "edge" if self.blocking else "warn"

    def describe(self) -> str:
        if self.drift == "added":
            return f"column '{self.column}' ({self.observed}) is new since the baseline"
        if self.drift == "removed":
            return f"column '{self.column}' ({self.baseline}) was in the baseline and is gone"
        if self.drift == "retyped":
            return f"column '{self.column}' changed kind from {self.baseline} to {self.observed}"
        if self.drift == "reordered":
            return (
                f"column '{self.column}' moved from position {self.baseline.index(self.column) + 1} to "
                f"{self.observed.index(self.column) + 1} (order was {', '.join(self.baseline)}); positional "
                f"readers (header-less CSV, built-in algorithms) now read other columns"
            )
        if self.drift == "file_removed":
            return f"file '{self.column}' was in the baseline and is gone (files now: {', '.join(self.observed) or 'none'})"
        lo, hi = self.baseline
        if self.blocking:
            return f"{self.observed} rows, far outside the baseline range {lo}-{hi} (more than the row tolerance)"
        return f"{self.observed} rows, outside the baseline range {lo}-{hi}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SchemaBaseline:
    """Edge schemas in one JSON file, keyed by edge id."""

    def __init__(
        self, path: str | Path, *, scale: int | None = None, row_tolerance: float | None = None
    ) -> None:
        """``scale``: the run's row override (``--rows``), which row ranges are kept under;
        ``row_tolerance``: overrides the file's ``row_tolerance`` (and the default)."""
        self.path = Path(path)
        self.scale = scale
        self.row_tolerance = row_tolerance
        self._cached: tuple[tuple[int, int, int], dict[str, Any]] | None = None

    # ---- reading -------------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        """The file's content, parsed again only when the file changed (another run may write it): every
        edge check of a run reads it, and it holds every edge, so parsing it each time grew with the run."""
        try:
            st = self.path.stat()
        except OSError:
            return self._load()
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._cached is None or self._cached[0] != stamp:
            self._cached = (stamp, self._load())
        return self._cached[1]

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": VERSION, "edges": {}}
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"the schema baseline is not valid JSON ({exc})",
                where=str(self.path),
                hint="fix it, or delete the file to record a new baseline",
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("edges"), dict):
            data = {"version": VERSION, "edges": {}}
        return data

    def edges(self) -> dict[str, Any]:
        return self._read()["edges"]

    def get(self, edge_id: str) -> dict[str, Any] | None:
        return self.edges().get(edge_id)

    def __contains__(self, edge_id: str) -> bool:
        return edge_id in self.edges()

    # ---- comparing -----------------------------------------------------------------------------

    def compare(self, edge_id: str, schema: dict[str, Any]) -> list[DriftItem]:
        """Differences of ``schema`` ({"columns": {name: kind}, "rows": n}) from the recorded one.

        Returns [] when the edge has no baseline yet. Order: removed, added, retyped, rows.
        """
        base = self.get(edge_id)
        if base is None:
            return []
        old: dict[str, str] = base.get("columns") or {}
        new: dict[str, str] = schema.get("columns") or {}
        items: list[DriftItem] = []
        items += [DriftItem("removed", c, old[c], None) for c in old if c not in new]
        items += [DriftItem("added", c, None, new[c]) for c in new if c not in old]
        for c in old:
            if c in new and _kind_changed(old[c], new[c]):
                items.append(DriftItem("retyped", c, old[c], new[c]))
        old_order = [c for c in base.get("order") or [] if c in new]
        new_order = [c for c in new if c in old_order]
        if old_order and new_order != old_order:
            moved = next(c for c, d in zip(old_order, new_order, strict=True) if c != d)
            items.append(DriftItem("reordered", moved, list(base.get("order")), list(new)))
        if schema.get("files") is not None:
            now = {_mask(f) for f in schema["files"]}
            for f in base.get("files") or []:
                if _mask(f) not in now:
                    items.append(DriftItem("file_removed", f, base.get("files"), list(schema["files"])))
        rows, rng = schema.get("rows"), self._rows_entry(base) or {}
        known = rng.get("min") is not None and rng.get("max") is not None
        if rows is not None and known and not rng["min"] <= rows <= rng["max"]:
            tol = rng.get("tolerance", self._tolerance())
            far = rows < rng["min"] * (1 - tol) or rows > rng["max"] * (1 + tol)
            items.append(DriftItem("rows", None, (rng["min"], rng["max"]), rows, blocking=far))
        return items

    def has_rows(self, edge_id: str) -> bool:
        """Whether the edge has a row range at this baseline's scale."""
        entry = self.get(edge_id)
        return entry is not None and bool(self._rows_entry(entry))

    def _tolerance(self) -> float:
        if self.row_tolerance is not None:
            return self.row_tolerance
        value = self._read().get("row_tolerance")
        return float(value) if isinstance(value, (int, float)) and value >= 0 else DEFAULT_ROW_TOLERANCE

    def _rows_entry(self, entry: dict[str, Any], create: bool = False) -> dict[str, Any] | None:
        """The row range of ``entry`` for this baseline's scale (``rows`` when no override)."""
        if self.scale is None:
            return entry.get("rows") if not create else entry.setdefault("rows", {})
        at = entry.setdefault("rows_at", {}) if create else entry.get("rows_at") or {}
        return at.setdefault(str(self.scale), {}) if create else at.get(str(self.scale))

    # ---- writing -------------------------------------------------------------------------------

    def record(self, edge_id: str, schema: dict[str, Any], *, replace: bool = False) -> None:
        """Store an edge's schema. An existing entry keeps its columns and gets its row range
        widened to include ``schema['rows']``; ``replace=True`` overwrites it."""
        rows = schema.get("rows")
        columns = dict(schema.get("columns") or {})
        with self._locked() as data:
            edges = data["edges"]
            entry = edges.get(edge_id)
            if entry is None or replace:
                entry = edges[edge_id] = {"columns": columns, "order": list(columns), "recorded_at": _now()}
                if schema.get("files") is not None:
                    entry["files"] = sorted(schema["files"])
            if rows is not None:
                rng = self._rows_entry(entry, create=True)
                rng["min"] = rows if rng.get("min") is None else min(rng["min"], rows)
                rng["max"] = rows if rng.get("max") is None else max(rng["max"], rows)

    def rebaseline(self, edge_id: str | None = None) -> None:
        """Forget one edge's baseline, or every edge's (the next passing run records anew)."""
        with self._locked() as data:
            if edge_id is None:
                data["edges"].clear()
            else:
                data["edges"].pop(edge_id, None)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name("." + self.path.name + ".lock")
        with open(lock_path, "a+") as lock:
            try:
                import fcntl  # here: POSIX only; the ImportError below is the fallback

                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            except (ImportError, OSError):  # no flock (Windows, some network mounts): best effort
                pass
            data = self._load()  # a fresh copy to change (the cached one is only read)
            data["version"] = VERSION
            yield data
            files.write_json(self.path, data, sort_keys=True)
            self._cached = None


def _kind_changed(old: str, new: str) -> bool:
    """A change of kind that matters: integer<->float and anything<->null do not count."""
    if old == new or "null" in (old, new):
        return False
    return {old, new} != {"integer", "float"}


def _mask(name: str) -> str:
    """A file name with its digit runs masked: timestamps, versions and shard numbers do not count."""
    return re.sub(r"\d+", "#", name)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
