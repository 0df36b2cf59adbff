"""Snapshots of folder trees for the hostile-input suite: what exists, with sizes and mtimes, so a
test can assert that nothing outside a run changed and nothing already produced was lost."""

from __future__ import annotations

import os
from pathlib import Path

from script_testing_tests.fixtures.projects import COPY, MAKE_DATA, ProjectBuilder


def snapshot(
    *roots: Path, skip: tuple[str, ...] = (".script_testing", ".specs", "baselines")
) -> dict[str, tuple]:
    """``{path: (kind, size, mtime_ns, link target)}`` of every entry under ``roots`` (symlinks not
    followed); the tool's own state folders named in ``skip`` (runs root, pinned specs, drift baselines) are left
    out."""
    out: dict[str, tuple] = {}
    for root in roots:
        root = Path(root)
        if not root.exists() and not root.is_symlink():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in skip]
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                st = p.lstat()
                link = os.readlink(p) if p.is_symlink() else None
                kind = "link" if link else ("dir" if p.is_dir() else "file")
                size = 0 if kind == "dir" else st.st_size
                out[str(p)] = (kind, size, st.st_mtime_ns, link)
    return out


def project_with_sibling(tmp_path: Path) -> tuple[ProjectBuilder, Path]:
    """A two-step project ``MakeData -> Transform`` and a sibling folder holding a precious file."""
    sibling = tmp_path / "sibling"
    (sibling / "keep").mkdir(parents=True)
    (sibling / "keep" / "precious.txt").write_text("do not touch\n")
    p = ProjectBuilder(tmp_path / "proj")
    p.step("MakeData", MAKE_DATA, outputs=["data"])
    p.step("Transform", COPY, inputs=["data"], outputs=["table"])
    p.pipeline("p", ["MakeData", "Transform"], [("MakeData", "Transform")])
    return p, sibling
