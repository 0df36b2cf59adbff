"""A local cache of downloaded S3 objects, keyed by bucket, key, ETag and size.

An object is downloaded once per version: a later run that finds the same (bucket, key, ETag, size)
copies the cached file into its run folder without a GetObject (a reflink where the filesystem can,
else a byte copy; never a hardlink: a script that changed its input would change the cache). Entries are written
atomically (temp file + rename), so concurrent runs never see half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from script_testing.integrity import clone_file
from script_testing.s3.transfer import S3Object, download_object

ENV_VAR = "SCRIPT_TESTING_S3_CACHE"


def default_cache_dir() -> Path:
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(base).expanduser() / "script_testing" / "s3"


_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class S3Cache:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root).expanduser() if root else default_cache_dir()

    def __repr__(self) -> str:
        return f"S3Cache({str(self.root)!r})"

    def path_for(self, obj: S3Object) -> Path:
        digest = hashlib.sha256(obj.key.encode("utf-8")).hexdigest()
        name = obj.key.rsplit("/", 1)[-1][-60:]
        entry = f"{_SAFE.sub('_', obj.etag) or 'noetag'}-{obj.size}-{_SAFE.sub('_', name)}"
        return self.root / _SAFE.sub("_", obj.bucket) / digest[:2] / digest[2:24] / entry

    def lookup(self, obj: S3Object) -> Path | None:
        path = self.path_for(obj)
        try:
            if path.stat().st_size == obj.size:
                return path
        except FileNotFoundError:
            return None
        path.unlink(missing_ok=True)  # a damaged entry: drop it
        return None

    def fetch(self, client: Any, obj: S3Object) -> tuple[Path, bool]:
        """The cached file for ``obj`` (downloading it if needed) and whether it was downloaded now."""
        hit = self.lookup(obj)
        if hit is not None:
            return hit, False
        path = self.path_for(obj)
        download_object(client, obj, path)
        return path, True


def place(src: Path, dest: Path, *, link: str = "copy") -> None:
    """Put a cached file at ``dest`` with its own inode: a reflink or a copy.

    ``link="hardlink"`` (an older setting) is accepted and also copies: a hardlink would share the
    inode, so a script changing its input would change the cache and every later run."""
    clone_file(Path(src), Path(dest))
