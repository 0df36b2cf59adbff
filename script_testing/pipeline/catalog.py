"""The step catalog: node name -> step type, job type, interface and script.

Interfaces (``*.step.yaml``) and scripts are found by searching the project's workspaces
recursively, in priority order (the first workspace that has a step type wins). A step whose
script is absent is a *data node* (its outputs come from configured sources) or a sink.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from script_testing.config.loading import read_document
from script_testing.config.step_interface import InterfaceFile, StepInterface
from script_testing.errors import CatalogError, ConfigError
from script_testing.text import close_matches

INTERFACE_SUFFIX = ".step.yaml"
_SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    ".script_testing",
    ".specs",
    ".dagster_home",
    ".ipynb_checkpoints",
    ".pytest_cache",
}


@dataclass(frozen=True)
class ResolvedNode:
    """Everything the catalog knows about one DAG node."""

    name: str
    step_type: str
    job_type: str | None
    interface: StepInterface
    interface_path: Path
    script_path: Path | None

    @property
    def missing_script(self) -> str | None:
        """The ``entry_point`` the interface names when no workspace has that file (else ``None``)."""
        entry = self.interface.contract.entry_point
        return entry if entry and self.script_path is None else None

    @property
    def has_script(self) -> bool:
        return self.script_path is not None

    @property
    def is_data_node(self) -> bool:
        return self.script_path is None and bool(self.interface.output_names)

    @property
    def role(self) -> str:
        if self.has_script:
            return "script"
        return "data" if self.interface.output_names else "sink"


def workspace_fingerprint(workspaces: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime, size) of every interface and script the catalog would index: a catalog built
    from the same fingerprint is still true to the files."""
    seen: list[tuple[str, int, int]] = []
    for ws in workspaces:
        root = Path(ws)
        paths = [root] if root.is_file() else []
        if not paths:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
                paths += [Path(dirpath) / fn for fn in sorted(filenames)]
        for path in paths:
            if path.name.endswith(INTERFACE_SUFFIX) or path.suffix == ".py":
                try:
                    st = path.stat()
                except OSError:
                    continue
                seen.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(seen)


class StepCatalog:
    """Index of step interfaces and script files under the workspaces."""

    def __init__(self, workspaces: list[Path]) -> None:
        self.workspaces = [Path(w) for w in workspaces]
        self._interfaces: dict[str, InterfaceFile] = {}
        self._files_by_name: dict[str, list[Path]] = {}
        # interface files that cannot be loaded: every one is kept (never only the first), keyed by
        # the step type the file names when that much can be read, else by its path
        self.errors: dict[str, ConfigError] = {}
        for ws in self.workspaces:
            self._index(ws)

    def _index(self, root: Path) -> None:
        if root.is_file():
            self._add_file(root)
            return
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            for fn in sorted(filenames):
                self._add_file(Path(dirpath) / fn)

    def _add_file(self, path: Path) -> None:
        if path.name.endswith(INTERFACE_SUFFIX):
            try:
                iface = InterfaceFile.load(path)
            except ConfigError as exc:
                self.errors.setdefault(_claimed_step_type(path) or str(path), exc)
                return
            if iface.step_type not in self._interfaces:  # first workspace wins
                self._interfaces[iface.step_type] = iface
        elif path.suffix == ".py":
            self._files_by_name.setdefault(path.name, []).append(path)

    @property
    def step_types(self) -> list[str]:
        return sorted(self._interfaces)

    def interface_file(self, step_type: str) -> InterfaceFile:
        return self._interfaces[step_type]

    def split_node_name(self, node: str) -> tuple[str, str | None]:
        """``TabularPreprocessing_training`` -> (``TabularPreprocessing``, ``training``)."""
        if node in self._interfaces:
            return node, None
        head, sep, tail = node.partition("_")
        if sep and head in self._interfaces and tail:
            return head, tail
        for claimed in (node, head if sep else None):
            if claimed and claimed in self.errors:
                err = self.errors[claimed]
                raise CatalogError(
                    f"node '{node}': its interface file {err.where} cannot be loaded ({err.what})",
                    where=err.where,
                    hint=err.hint or "fix the interface file",
                    details=err.details,
                )
        close = close_matches(head if sep else node, self.step_types, cutoff=0.5)
        hint = (
            f"closest known step types: {', '.join(close)}"
            if close
            else f"known step types: {', '.join(self.step_types) or 'none'}"
        )
        where = ", ".join(str(w) for w in self.workspaces)
        raise CatalogError(
            f"node '{node}' matches no step interface (*.step.yaml) in the workspaces",
            where=where,
            hint=hint + "; add its interface to a workspace or fix the node name",
        )

    def find_script(self, interface_path: Path, entry_point: str | None) -> Path | None:
        """The script file named by ``contract.entry_point``: beside the interface first, then the
        workspaces in order. ``None`` when no workspace has it (a data node or a sink); a file that
        resolves outside every workspace (a symlink out of them) is an error."""
        script = self._find_script(interface_path, entry_point)
        if script is not None:
            real = script.resolve()
            if not any(real == ws or ws in real.parents for ws in (w.resolve() for w in self.workspaces)):
                raise CatalogError(
                    f"the script {script} of entry_point '{entry_point}' resolves to {real}, outside the "
                    f"workspaces",
                    where=str(interface_path),
                    hint="put the script itself in a workspace (not a symlink that leaves them)",
                )
        return script

    def _find_script(self, interface_path: Path, entry_point: str | None) -> Path | None:
        if not entry_point:
            return None
        name = Path(entry_point).name
        candidates = self._files_by_name.get(name, [])
        if not candidates:
            return None
        near = [c for c in candidates if c.parent == interface_path.parent]
        if near:
            return near[0]
        # a script in the interface's folder tree, then in the same workspace, then the first found
        for c in candidates:
            if interface_path.parent in c.parents:
                return c
        for ws in self.workspaces:
            if ws in interface_path.parents:
                for c in candidates:
                    if ws in c.parents:
                        return c
        return candidates[0]

    def resolve(self, node: str) -> ResolvedNode:
        step_type, job_type = self.split_node_name(node)
        iface_file = self._interfaces[step_type]
        interface = iface_file.for_job_type(job_type)
        script = self.find_script(iface_file.path, interface.contract.entry_point)
        return ResolvedNode(
            name=node,
            step_type=step_type,
            job_type=job_type,
            interface=interface,
            interface_path=iface_file.path,
            script_path=script,
        )

    @property
    def unclaimed_errors(self) -> list[ConfigError]:
        """Broken interface files whose step type could not be read (no node can be matched to them)."""
        return [e for key, e in self.errors.items() if key.endswith(INTERFACE_SUFFIX)]

    def resolve_all(self, nodes: list[str]) -> dict[str, ResolvedNode]:
        """Resolve every node; every unknown node is reported at once."""
        resolved: dict[str, ResolvedNode] = {}
        problems: list[CatalogError] = []
        for n in nodes:
            try:
                resolved[n] = self.resolve(n)
            except CatalogError as exc:
                problems.append(exc)
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise CatalogError(
                f"{len(problems)} nodes match no step interface",
                details="\n".join(f"  - {p.message}" for p in problems),
                hint="add their interfaces to a workspace or fix the node names",
            )
        return resolved


def _claimed_step_type(path: Path) -> str | None:
    """The ``step_type`` a broken interface file names, when its document can be read at all."""
    try:
        raw = read_document(path)
    except ConfigError:
        return None
    value = raw.get("step_type") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and value else None
