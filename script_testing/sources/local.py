"""The ``local`` source: a file or folder on this machine copied into the run.

Relative paths resolve against the project folder (``ctx.project_root``); ``~`` is expanded.
A folder's tree is copied as is (hidden files included); a file is copied under its own name,
or under ``file`` / the consumer's expected file name when given.
"""

from __future__ import annotations

import os
from pathlib import Path

from script_testing import files as write_files
from script_testing.config.project import SourceSpec
from script_testing.errors import SourceError
from script_testing.sources.base import DataSource, MaterializedData, SourceContext
from script_testing.sources.literal import safe_relative


def resolve_local(spec: SourceSpec, ctx: SourceContext) -> Path:
    """The absolute path a ``local`` spec names."""
    p = Path(os.path.expandvars(str(spec.local))).expanduser()
    return p if p.is_absolute() else (Path(ctx.project_root) / p).resolve()


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


class LocalSource(DataSource):
    kind = "local"

    def _missing(self, spec: SourceSpec, ctx: SourceContext, src: Path) -> SourceError:
        return SourceError(
            f"the path does not exist: {src}",
            where=f"local source '{spec.local}'",
            hint=f"relative paths are relative to the project folder {Path(ctx.project_root).resolve()}; "
            "fix the path or create the data there",
        )

    def check(self, spec: SourceSpec, ctx: SourceContext) -> list[str]:
        src = resolve_local(spec, ctx)
        if not src.exists():
            return [str(self._missing(spec, ctx, src))]
        if not os.access(src, os.R_OK):
            return [
                str(
                    SourceError(
                        f"cannot read {src}",
                        where=f"local source '{spec.local}'",
                        hint="check its permissions",
                    )
                )
            ]
        if src.is_file() and spec.file:
            try:
                safe_relative(spec.file, f"local source '{spec.local}'")
            except SourceError as exc:
                return [str(exc)]
        return []

    def materialize(
        self, spec: SourceSpec, dest: Path, ctx: SourceContext, default_file: str | None = None
    ) -> MaterializedData:
        src = resolve_local(spec, ctx)
        dest = Path(dest)
        where = f"local source '{spec.local}'"
        if not src.exists():
            raise self._missing(spec, ctx, src)
        try:
            if src.is_dir():
                files = self._copy_tree(src, dest)
                expected = dest / default_file if default_file else None
                path = expected if expected is not None and expected.exists() else dest
                what = f"folder, {len(files)} file{'s' if len(files) != 1 else ''}"
            else:
                target = dest / safe_relative(spec.file or default_file or src.name, where)
                write_files.copy_file(src, target, root=dest)
                files = [target]
                path = target if default_file else dest
                what = f"file -> {target.name}"
        except OSError as exc:
            raise SourceError(
                f"could not copy {src} ({exc.strerror or exc})",
                where=where,
                hint="check permissions and free disk space",
            ) from None
        size = sum(f.stat().st_size for f in files)
        return MaterializedData(
            path=path,
            files=files,
            bytes=size,
            description=f"local '{spec.local}' ({what}, {_size(size)})",
            extra={"source_path": str(src)},
        )

    @staticmethod
    def _copy_tree(src: Path, dest: Path) -> list[Path]:
        dest_resolved = dest.resolve()

        def ignore(folder: str, names: list[str]) -> set[str]:
            # never copy the run's own folder into itself (e.g. local: . with runs inside the project)
            skipped = set()
            for name in names:
                candidate = (Path(folder) / name).resolve()
                if candidate == dest_resolved or candidate in dest_resolved.parents:
                    skipped.add(name)
            return skipped

        write_files.copy_tree(src, dest, root=dest, ignore=ignore)
        return sorted(p for p in dest.rglob("*") if p.is_file())
