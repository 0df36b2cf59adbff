"""Sources written from the project file itself: ``signature`` (a profile's column names) and
``json`` (a literal document). Both are tiny; neither imports pandas or numpy.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
from pathlib import Path, PurePosixPath
from typing import Any

from script_testing import files
from script_testing.config.project import DataProfile, SourceSpec
from script_testing.errors import SourceError
from script_testing.sources.base import DataSource, MaterializedData, SourceContext
from script_testing.text import did_you_mean

# ---------------------------------------------------------------------------------------------
# helpers shared by the sources of this package
# ---------------------------------------------------------------------------------------------


def lookup_profile(name: str, ctx: SourceContext, kind: str) -> DataProfile:
    """The data profile ``name`` from ``ctx.profiles``, or a SourceError listing the known ones."""
    try:
        return ctx.profiles[name]
    except KeyError:
        known = ", ".join(sorted(ctx.profiles)) or "none defined"
        hint = (
            f"{did_you_mean(name, ctx.profiles)} " if did_you_mean(name, ctx.profiles) else ""
        ) + f"define it under data_profiles in the project file (known: {known})"
        raise SourceError(f"unknown data profile '{name}'", where=f"{kind} source", hint=hint) from None


def safe_relative(name: str, where: str = "source") -> PurePosixPath:
    """A file name (possibly with sub-folders) that stays inside the destination folder."""
    rel = PurePosixPath(str(name).replace("\\", "/"))
    if not str(name).strip() or rel.is_absolute() or ".." in rel.parts or str(rel) in ("", "."):
        raise SourceError(
            f"'{name}' is not a valid file name",
            where=where,
            hint="use a relative name such as data.csv (sub-folders allowed, no '..')",
        )
    return rel


def write_bytes_atomic(path: Path, data: bytes) -> int:
    """Write ``data`` to ``path`` via a hidden temp file and a rename; returns the size."""
    try:
        files.write_bytes(path, data)
    except OSError as exc:
        raise SourceError(
            f"could not write the file ({exc.strerror or exc})",
            where=str(path),
            hint="check free disk space and the folder's permissions",
        ) from None
    return len(data)


def _result_path(dest: Path, written: Path, default_file: str | None) -> Path:
    return written if default_file else dest


# ---------------------------------------------------------------------------------------------
# signature
# ---------------------------------------------------------------------------------------------


class SignatureSource(DataSource):
    """One line: the profile's column names, comma-separated (no trailing newline)."""

    kind = "signature"

    def check(self, spec: SourceSpec, ctx: SourceContext) -> list[str]:
        try:
            lookup_profile(spec.signature, ctx, self.kind)
            safe_relative(spec.file or "signature", "signature source")
        except SourceError as exc:
            return [str(exc)]
        return []

    def materialize(
        self, spec: SourceSpec, dest: Path, ctx: SourceContext, default_file: str | None = None
    ) -> MaterializedData:
        profile = lookup_profile(spec.signature, ctx, self.kind)
        columns = [c.name for c in profile.columns]
        target = Path(dest) / safe_relative(spec.file or default_file or "signature", "signature source")
        size = write_bytes_atomic(target, ",".join(columns).encode("utf-8"))
        return MaterializedData(
            path=_result_path(Path(dest), target, default_file),
            files=[target],
            description=f"signature of '{spec.signature}': {len(columns)} columns -> {target.name}",
            columns=columns,
            bytes=size,
            extra={"profile": spec.signature},
        )


# ---------------------------------------------------------------------------------------------
# json
# ---------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    # YAML turns 2024-01-01 into a date: write it back as the ISO string the user typed
    if isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"a {type(value).__name__} value cannot be written as JSON")


class JsonSource(DataSource):
    """A literal JSON document from the project file, written to ``file`` (or the consumer's
    expected file name, or ``data.json``)."""

    kind = "json"

    def check(self, spec: SourceSpec, ctx: SourceContext) -> list[str]:
        try:
            safe_relative(spec.file or "data.json", "json source")
            self._encode(spec)
        except SourceError as exc:
            return [str(exc)]
        return []

    @staticmethod
    def _encode(spec: SourceSpec) -> bytes:
        try:
            text = json.dumps(
                spec.json_, indent=2, ensure_ascii=False, default=_json_default, allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise SourceError(
                f"the json literal cannot be written as JSON ({exc})",
                where=f"json source -> {spec.file or 'data.json'}",
                hint="use only strings, numbers, booleans, null, lists and mappings (no NaN/Infinity)",
            ) from None
        return (text + "\n").encode("utf-8")

    def materialize(
        self, spec: SourceSpec, dest: Path, ctx: SourceContext, default_file: str | None = None
    ) -> MaterializedData:
        data = self._encode(spec)
        target = Path(dest) / safe_relative(spec.file or default_file or "data.json", "json source")
        size = write_bytes_atomic(target, data)
        doc = spec.json_
        shape = (
            f"{len(doc)} keys"
            if isinstance(doc, dict)
            else f"{len(doc)} items"
            if isinstance(doc, list)
            else type(doc).__name__
        )
        return MaterializedData(
            path=_result_path(Path(dest), target, default_file),
            files=[target],
            description=f"json literal ({shape}) -> {target.name}",
            bytes=size,
        )
