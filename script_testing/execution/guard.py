"""What one node produced cannot be changed by another.

An output's manifest (files, sizes, sha256) is recorded when it is produced, in the node's run
folder (``<node>/_run/manifest.<output>.json``). A consumer gets its inputs read-only: the worker
bind-mounts them read-only (as root, in a private mount namespace), or, where that cannot work, the
consumer gets a private copy (a reflink or a byte copy, never a hardlink). Before the script runs
each input is compared with its manifest (data changed since it was produced is refused), and after
it runs both the data and the copy are compared again: a change fails the consumer with a sentence
naming it, the input and the file.

    guard = InputGuard(node, logs_dir(run_dir, node))
    given = guard.add("data", Path(".../Upstream/data"))   # the path to hand to the script
    problems = guard.verify()                              # sentences; [] when nothing changed
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from script_testing.integrity import (
    Manifest,
    changed_files,
    describe_changes,
    load_manifest,
    private_copy,
    readonly_mounts_work,
    save_manifest,
    take_manifest,
)

COPIES_DIR = "inputs"  # <node>/_run/inputs/<port>: private copies, removed after the run


def manifest_path(data: Path) -> Path:
    """Where the manifest of a data folder of a run lives: ``<node>/_run/manifest.<name>.json``
    (``manifest.inputs.<port>.json`` for a materialized source ``<node>/inputs/<port>``)."""
    data = Path(data)
    if data.parent.name == "inputs":
        return data.parent.parent / "_run" / f"manifest.inputs.{data.name}.json"
    return data.parent / "_run" / f"manifest.{data.name}.json"


def record_manifest(data: Path) -> Manifest:
    """Record the manifest of the data just produced at ``data``."""
    manifest = take_manifest(data)
    try:
        save_manifest(manifest_path(data), manifest)
    except OSError:
        pass  # the check still runs in memory for this run; a reuse will re-take it
    return manifest


def forget_manifest(data: Path) -> None:
    manifest_path(data).unlink(missing_ok=True)


@dataclass
class _Guarded:
    port: str
    folder: Path  # the data as produced
    copy: Path | None  # the private copy handed to the script, if any
    expected: Manifest


class InputGuard:
    """The inputs of one consumer: read-only mounts or private copies, and their manifests."""

    def __init__(self, node: str, logs: Path, *, mounts: bool | None = None) -> None:
        self.node = node
        self.logs = Path(logs)
        self.mounts = readonly_mounts_work() if mounts is None else mounts
        self._inputs: list[_Guarded] = []

    @property
    def readonly_paths(self) -> list[str]:
        return [str(g.folder) for g in self._inputs if g.copy is None]

    def add(self, port: str, given: Path) -> tuple[Path, str | None]:
        """(the path to hand to the script, a problem sentence if the data changed since it was made).

        ``given`` is the input path (a data folder, or a file in one when the contract names a file)."""
        given = Path(given)
        if not given.exists():  # nothing there (an optional input): nothing to protect or copy
            return given, None
        folder = given if given.is_dir() else given.parent
        current = take_manifest(folder)
        recorded = load_manifest(manifest_path(folder))
        problem = None
        if recorded is not None:
            changed = changed_files(recorded, current)
            if changed:
                problem = (
                    f"{self.node}: input `{port}` ({folder}) was changed after it was produced "
                    f"({describe_changes(changed)}); re-run the node that produced it"
                )
        copy = None
        if not self.mounts:
            copy = private_copy(folder, self.logs / COPIES_DIR / port)
        self._inputs.append(_Guarded(port, folder, copy, current))
        if copy is None:
            return given, problem
        return (copy if folder == given else copy / given.name), problem

    def verify(self) -> list[str]:
        """One sentence per input the script changed (in place or in its copy); [] when none."""
        problems = []
        for g in self._inputs:
            changed = changed_files(g.expected, take_manifest(g.folder))
            if changed:
                problems.append(
                    f"{self.node} modified its input `{g.port}` ({describe_changes(changed)}) and the "
                    f"data other consumers read changed; scripts must write to their outputs only"
                )
                continue
            if g.copy is not None:
                changed = changed_files(g.expected, take_manifest(g.copy))
                if changed:
                    problems.append(
                        f"{self.node} modified its input `{g.port}` ({describe_changes(changed)}); "
                        f"inputs are read-only: write to an output instead (the original is unchanged)"
                    )
        return problems

    def cleanup(self) -> None:
        shutil.rmtree(self.logs / COPIES_DIR, ignore_errors=True)
