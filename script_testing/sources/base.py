"""The one interface every data source implements (synthetic, signature, json, local, s3).

A source *materializes* its data into a local folder of the run, so a script only ever sees
local paths. ``check`` finds problems (a missing local path, an unreachable bucket) before any
script runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from script_testing.config.project import DataProfile, SourceSpec


@dataclass
class SourceContext:
    """What a source may need besides its own spec."""

    project_root: Path  # relative local paths resolve against it
    profiles: dict[str, DataProfile] = field(default_factory=dict)
    rows_override: int | None = None  # per-run override of every profile's row count
    seed_override: int | None = None
    cache_dir: Path | None = None  # for downloads (S3)
    options: dict[str, Any] = field(default_factory=dict)  # source-kind specific settings (S3 client ...)


@dataclass
class MaterializedData:
    """What a source wrote: ``path`` is what the script receives (the folder, or one file)."""

    path: Path
    files: list[Path]
    description: str
    rows: int | None = None
    columns: list[str] | None = None
    bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class DataSource(ABC):
    kind: ClassVar[str]

    @abstractmethod
    def materialize(
        self, spec: SourceSpec, dest: Path, ctx: SourceContext, default_file: str | None = None
    ) -> MaterializedData:
        """Write the data into the (existing, empty) folder ``dest``.

        ``default_file`` is the file name the consumer expects when its contract path names a file
        (``hyperparameters.json``); the returned ``path`` is then that file, else the folder.
        Raise :class:`script_testing.errors.SourceError` with a clear message on failure.
        """

    def check(self, spec: SourceSpec, ctx: SourceContext) -> list[str]:
        """Problems that would make ``materialize`` fail, found cheaply before any script runs."""
        return []
