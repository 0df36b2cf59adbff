"""THE atomic file writer: every file script_testing writes goes through a hidden temp file in the
same folder and one ``os.replace``, so a reader never sees half a file and a failed write leaves the
old file (and no temp file) behind.

    from script_testing import files
    files.write_json(run_dir / "report.json", {"ok": True})
    with files.atomic_path(target) as tmp:     # for writers that need a path (pandas, pyarrow, shutil)
        frame.to_csv(tmp)

Every write, copy and delete is also *confined*: ``root=`` names the folder the target must be inside
(after resolving symlinks and ``..``); anything else raises :class:`UnsafePathError` and touches nothing.

    target = files.confined(run_dir, node, output)     # run_dir/node/output, or an error
    files.remove_tree(target, root=run_dir)
    files.copy_tree(src, dest, root=run_dir)

(The worker's child process keeps its own copy: it must not import the package's modules.)
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from script_testing.errors import DiskFullError, UnsafePathError

PathLike = str | os.PathLike


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def check_inside(path: PathLike, root: PathLike, *, what: str = "write to") -> Path:
    """``path`` resolved (symlinks and ``..`` followed); an :class:`UnsafePathError` when it is not
    ``root`` itself or inside it."""
    resolved_root = Path(root).resolve()
    resolved = Path(path).resolve()
    if not _inside(resolved, resolved_root):
        raise UnsafePathError(
            f"refused to {what} {path}: it resolves to {resolved}, outside {resolved_root}",
            hint="a name in the configuration leads outside the run folder; use plain names without "
            "'/', '..' or symlinks that leave the folder",
        )
    return resolved


def confined(root: PathLike, *parts: PathLike) -> Path:
    """``root / part / ...``, refused unless it stays strictly inside ``root``."""
    base = Path(root)
    for part in parts:
        text = os.fspath(part)
        if not text or Path(text).is_absolute() or "\x00" in text:
            raise UnsafePathError(
                f"refused path part {text!r} under {base}: it is empty, absolute or has a NUL character",
                hint="use plain names",
            )
    target = base.joinpath(*parts)
    resolved = check_inside(target, base)
    if parts and resolved == base.resolve():
        raise UnsafePathError(
            f"refused path {target}: it is the folder {base} itself", hint="use plain names"
        )
    return target


def _disk_full(path: PathLike, exc: OSError) -> DiskFullError:
    return DiskFullError(
        f"the disk is full while writing {path} ({exc.strerror})",
        hint="free some space (for example `script-testing clean-workspace`) or point the runs root "
        "elsewhere, then run again",
    )


@contextmanager
def disk_errors(path: PathLike) -> Iterator[None]:
    """Turn ENOSPC/EDQUOT raised inside the block into one :class:`DiskFullError` sentence."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _disk_full(path, exc) from None
        raise


def make_dir(path: PathLike, *, root: PathLike) -> Path:
    """Create ``path`` (and parents) inside ``root``."""
    check_inside(path, root, what="create")
    with disk_errors(path):
        Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


def remove_tree(path: PathLike, *, root: PathLike) -> None:
    """Delete the folder (or file, or symlink) ``path``, strictly inside ``root``; a symlink is removed
    as a link, never followed."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    parent = check_inside(path.parent, root, what="delete")
    if path.is_symlink() or path.is_file():
        (parent / path.name).unlink()
        return
    resolved = check_inside(path, root, what="delete")
    if resolved == Path(root).resolve():
        raise UnsafePathError(f"refused to delete {path}: it is the folder {root} itself")
    shutil.rmtree(resolved)


def empty_dir(path: PathLike, *, root: PathLike) -> Path:
    """``path`` as a new empty folder inside ``root`` (what was there is deleted)."""
    remove_tree(path, root=root)
    return make_dir(path, root=root)


def copy_tree(
    src: PathLike, dst: PathLike, *, root: PathLike, ignore: Callable[..., Any] | None = None
) -> Path:
    """Copy the folder ``src`` into ``dst`` (merged), ``dst`` inside ``root``; symlinks in ``src`` are
    copied as their content, never as links out of the folder."""
    check_inside(dst, root, what="copy to")
    with disk_errors(dst):
        shutil.copytree(src, dst, ignore=ignore, dirs_exist_ok=True)
    return Path(dst)


def temp_path_for(path: Path, suffix: str = ".tmp") -> Path:
    """A hidden, unique sibling of ``path``; data listings skip hidden files."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{suffix}")


@contextmanager
def atomic_path(path: PathLike, *, suffix: str = ".tmp", root: PathLike | None = None) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces ``path``, on any failure it is removed.
    With ``root``, ``path`` must be inside it; a full disk is a :class:`DiskFullError`."""
    path = Path(path)
    if root is not None:
        check_inside(path, root)
    tmp = temp_path_for(path, suffix)
    try:
        with disk_errors(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            yield tmp
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink(missing_ok=True)


def write_bytes(path: PathLike, data: bytes, *, root: PathLike | None = None) -> int:
    """Write ``data`` atomically; returns its size."""
    with atomic_path(path, root=root) as tmp:
        tmp.write_bytes(data)
    return len(data)


def write_text(path: PathLike, text: str, *, root: PathLike | None = None) -> None:
    """Write ``text`` (UTF-8) atomically."""
    with atomic_path(path, root=root) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: PathLike, data: Any, *, sort_keys: bool = False, root: PathLike | None = None) -> None:
    """Write ``data`` as indented JSON (non-JSON values as ``str``) atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=sort_keys, default=str) + "\n", root=root)


def copy_file(src: PathLike, dest: PathLike, *, root: PathLike | None = None) -> None:
    """Copy ``src`` (content and mode/times) to ``dest`` atomically."""
    with atomic_path(dest, root=root) as tmp:
        shutil.copyfile(src, tmp)
        shutil.copystat(src, tmp)
