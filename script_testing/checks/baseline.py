"""Schema drift: a JSON file of edge schemas recorded from a first passing run.

File layout (``<project>/baselines/<pipeline>.json`` by convention; the caller chooses)::

    {"version": 1,
     "edges": {"A.out->B.in": {"columns": {"id": "integer", "label": "integer"},
                               "rows": {"min": 1000, "max": 1000},
                               "recorded_at": "2026-11-21T02:40:00+00:00"}}}

:meth:`SchemaBaseline.compare` reports columns added, removed and retyped (kind changed), and a row
count outside the recorded range (a warning). :meth:`SchemaBaseline.record` stores an edge's schema
(widening the row range when the columns are unchanged); :meth:`SchemaBaseline.rebaseline` clears
one edge or all. Writes are atomic (temp file + rename) and merge with what is on disk under a lock,
so parallel runs do not lose each other's edges.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from script_testing import files
from script_testing.errors import ConfigError

VERSION = 1


@dataclass(frozen=True)
class DriftItem:
    """One difference between a baseline and a new schema."""

    drift: Literal["added", "removed", "retyped", "rows"]
    column: str | None
    baseline: Any
    observed: Any

    @property
    def expectation(self) -> str:
        return {
            "added": "expect_schema_no_added_columns",
            "removed": "expect_schema_no_removed_columns",
            "retyped": "expect_schema_column_kinds_unchanged",
            "rows": "expect_row_count_within_baseline",
        }[self.drift]

    @property
    def severity(self) -> str:
        """'warn' for row counts; column drift follows the edge's severity."""
        return "warn" if self.drift == "rows" else "edge"

    def describe(self) -> str:
        if self.drift == "added":
            return f"column '{self.column}' ({self.observed}) is new since the baseline"
        if self.drift == "removed":
            return f"column '{self.column}' ({self.baseline}) was in the baseline and is gone"
        if self.drift == "retyped":
            return f"column '{self.column}' changed kind from {self.baseline} to {self.observed}"
        lo, hi = self.baseline
        return f"{self.observed} rows, outside the baseline range {lo}-{hi}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SchemaBaseline:
    """Edge schemas in one JSON file, keyed by edge id."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    # ---- reading -------------------------------------------------------------------------------

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
        return self._load()["edges"]

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
        rows, rng = schema.get("rows"), base.get("rows") or {}
        if rows is not None and rng.get("min") is not None and rng.get("max") is not None:
            if not rng["min"] <= rows <= rng["max"]:
                items.append(DriftItem("rows", None, (rng["min"], rng["max"]), rows))
        return items

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
                edges[edge_id] = {
                    "columns": columns,
                    "rows": {"min": rows, "max": rows},
                    "recorded_at": _now(),
                }
            elif rows is not None:
                rng = entry.setdefault("rows", {"min": rows, "max": rows})
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
            data = self._load()
            data["version"] = VERSION
            yield data
            files.write_json(self.path, data, sort_keys=True)


def _kind_changed(old: str, new: str) -> bool:
    """A change of kind that matters: integer<->float and anything<->null do not count."""
    if old == new or "null" in (old, new):
        return False
    return {old, new} != {"integer", "float"}


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
