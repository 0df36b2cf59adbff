"""THE atomic file writer: every file script_testing writes goes through a hidden temp file in the
same folder and one ``os.replace``, so a reader never sees half a file and a failed write leaves the
old file (and no temp file) behind.

    from script_testing import files
    files.write_json(run_dir / "report.json", {"ok": True})
    with files.atomic_path(target) as tmp:     # for writers that need a path (pandas, pyarrow, shutil)
        frame.to_csv(tmp)

(The worker's child process keeps its own copy: it must not import the package's modules.)
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def temp_path_for(path: Path, suffix: str = ".tmp") -> Path:
    """A hidden, unique sibling of ``path``; data listings skip hidden files."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{suffix}")


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces ``path``, on any failure it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path, suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, data: bytes) -> int:
    """Write ``data`` atomically; returns its size."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return len(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, data: Any, *, sort_keys: bool = False) -> None:
    """Write ``data`` as indented JSON (non-JSON values as ``str``) atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=sort_keys, default=str) + "\n")


def copy_file(src: str | os.PathLike, dest: str | os.PathLike) -> None:
    """Copy ``src`` (content and mode/times) to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)
        shutil.copystat(src, tmp)
