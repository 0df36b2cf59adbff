"""What a node produced, pinned down: manifests (files, sizes, sha256) and private copies.

A manifest is written when an output is produced and compared after every consumer and before every
reuse, so a script that changes data it was given is caught and named. A private copy (a reflink
where the filesystem can, else a byte copy; never a hardlink, which would share the inode) is what a
consumer gets when its inputs cannot be mounted read-only.

    manifest = take_manifest(folder)
    changed = changed_files(manifest, take_manifest(folder))   # [] when nothing changed

Standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from script_testing import files

#: ``ioctl(FICLONE)``: a copy-on-write clone of a whole file (btrfs, xfs, overlayfs on them).
_FICLONE = 0x40049409
_CHUNK = 1 << 20

Manifest = dict[str, dict[str, int | str]]  # relative path -> {"size", "sha256"}


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def take_manifest(path: Path) -> Manifest:
    """Every regular file under ``path`` (or ``path`` itself) with its size and sha256."""
    path = Path(path)
    if path.is_file():
        return {path.name: {"size": path.stat().st_size, "sha256": _digest(path)}}
    out: Manifest = {}
    if not path.is_dir():
        return out
    for root, dirs, names in os.walk(path):
        dirs.sort()
        for name in sorted(names):
            p = Path(root) / name
            if p.is_symlink() or not p.is_file():
                out[str(p.relative_to(path))] = {"size": -1, "sha256": "not a regular file"}
                continue
            out[str(p.relative_to(path))] = {"size": p.stat().st_size, "sha256": _digest(p)}
    return out


def changed_files(before: Manifest, after: Manifest) -> list[str]:
    """Files added, removed or changed between two manifests, sorted."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def manifest_file(logs: Path, name: str) -> Path:
    """Where the manifest of ``name`` (an output or an input) is kept in a node's run folder."""
    return Path(logs) / f"manifest.{name}.json"


def save_manifest(target: Path, manifest: Manifest) -> None:
    files.write_text(target, json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def load_manifest(target: Path) -> Manifest | None:
    try:
        data = json.loads(Path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe_changes(changed: list[str], limit: int = 3) -> str:
    shown = ", ".join(changed[:limit])
    return shown + (f" and {len(changed) - limit} more" if len(changed) > limit else "")


def clone_file(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` as a reflink when the filesystem can, else byte by byte.

    Never a hardlink: the copy has its own inode, so changing one never changes the other."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() or dest.is_symlink():
        dest.unlink()
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        try:
            fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
            return
        except OSError:
            pass  # not a reflink-capable filesystem: a plain copy
    shutil.copyfile(src, dest)


def private_copy(src: Path, dest: Path) -> Path:
    """A private copy of the file or folder ``src`` at ``dest`` (emptied first)."""
    src, dest = Path(src), Path(dest)
    if dest.exists():
        shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
    if src.is_file():
        clone_file(src, dest)
        return dest
    dest.mkdir(parents=True)
    for root, dirs, names in os.walk(src):
        rel = Path(root).relative_to(src)
        for d in dirs:
            (dest / rel / d).mkdir(exist_ok=True)
        for name in names:
            p = Path(root) / name
            if p.is_file() and not p.is_symlink():
                clone_file(p, dest / rel / name)
    return dest


_PROBE = (
    "import ctypes,os,sys\n"
    "libc=ctypes.CDLL(None,use_errno=True)\n"
    "sys.exit(0 if os.geteuid()==0 and libc.unshare(0x00020000)==0 "
    "and libc.mount(None,b'/',None,16384|(1<<18),None)==0 else 1)\n"
)


@cache
def readonly_mounts_work() -> bool:
    """Whether the worker can mount inputs read-only here (root and a private mount namespace).

    Tried once per process in a throwaway interpreter, so a refusal costs nothing but the answer."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run([sys.executable, "-c", _PROBE], timeout=30, capture_output=True).returncode == 0
    return False
