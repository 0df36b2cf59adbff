"""Reading and saving ``script_testing.yaml``: only the keys that change are touched.

The user's file is edited with ruamel.yaml's round-trip mode, so comments, key order, quoting,
anchors and flow mappings survive. ruamel re-emits a few constructs in its own layout (a flow mapping
written on the line after its key is joined to it, indentation is normalised); so the text written
is the user's original text with only the lines that carry a change replaced or added: a three-way
merge of (ruamel's dump before the change, ruamel's dump after it) onto the original. New keys go
where they belong: a new source into ``pipelines.<name>.sources``, a new ``sources:`` mapping after
``dag:``/``description:``/``schedule:``, a new pipeline at the end of ``pipelines:``.
"""

from __future__ import annotations

import difflib
import io
import itertools
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from script_testing import files
from script_testing.config.project import Expectations, SourceSpec
from script_testing.errors import ConfigError

PIPELINE_KEY_ORDER = (
    "dag",
    "description",
    "schedule",
    "sources",
    "nodes",
    "bindings",
    "expectations",
    "execution",
)
_FLOW_WIDTH = 100  # a new value shorter than this is written as one flow mapping
_COPY_IGNORE = ("__pycache__", ".script_testing", ".specs", ".dagster_home", "*.pyc", ".ipynb_checkpoints")


@dataclass
class ProjectChanges:
    """What one save changes in a pipeline's entry."""

    pipeline: str
    dag: str | None = None  # write ``dag:`` (new pipeline, copy)
    sources: dict[str, SourceSpec] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # node -> environ_vars/job_args/timeout_s
    expectations: dict[str, Expectations] = field(default_factory=dict)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8") if path.exists() else ""
    except OSError as exc:
        raise ConfigError(f"cannot read the project file ({exc.strerror})", where=str(path)) from None


def updated_text(original: str, changes: ProjectChanges) -> str:
    """The project file's text with ``changes`` applied and everything else kept as it was."""
    if original and not original.endswith("\n"):
        original += "\n"
    rt = _round_trip(original)
    try:
        doc = rt.load(original) if original.strip() else None
        baseline = _dump(rt, rt.load(original)) if original.strip() else ""
    except Exception as exc:  # ruamel's own error types; the file was already parsed once by load_project
        raise ConfigError(f"the project file cannot be edited as YAML ({exc})") from None
    if doc is None:
        doc = CommentedMap()
    _apply(doc, changes)
    modified = _dump(rt, doc)
    merged = "".join(_merge(original.splitlines(True), baseline.splitlines(True), modified.splitlines(True)))
    # a safety net, not a code path: the merge must mean exactly what ruamel wrote
    if yaml.safe_load(merged) != yaml.safe_load(modified):  # pragma: no cover
        return modified
    return merged


def unified_diff(old: str, new: str, path: Path) -> str:
    """The change as ``diff -u`` shows it ('' when nothing changes)."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(True),
            new.splitlines(True),
            fromfile=f"{path} (now)",
            tofile=f"{path} (after configure)",
        )
    )


def write_project_file(target: Path, text: str) -> None:
    """Keep the old file as ``<name>.bak``, then replace it atomically (never half-written)."""
    if target.exists():
        files.copy_file(target, target.with_name(target.name + ".bak"), root=target.parent)
    files.write_text(target, text)


def copy_project(root: Path, dest: Path, project_file: str) -> None:
    """Copy a project folder (without run state) into ``dest``, which must not hold a project yet."""
    if (dest / project_file).exists():
        raise ConfigError(
            "that folder already holds another testing project; not overwritten",
            where=str(dest),
            hint="save into an empty folder, or open that project and configure it there",
        )
    if root.resolve() == dest.resolve() or root.resolve() in dest.resolve().parents:
        raise ConfigError(
            "cannot copy the project into a folder inside itself",
            where=str(dest),
            hint="choose a folder outside the project",
        )
    files.copy_tree(root, dest, root=dest, ignore=shutil.ignore_patterns(*_COPY_IGNORE))


# ----------------------------------------------------------------------------- ruamel editing


def _round_trip(text: str) -> YAML:
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap a long line
    mapping, sequence, offset = _guess_indent(text)
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    return rt


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as the file writes them; 2, 2, 0 by default."""
    mapping = sequence = offset = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for prev, line in itertools.pairwise(lines):
        if not prev.rstrip().endswith(":"):
            continue
        depth = len(prev) - len(prev.lstrip())
        step = len(line) - len(line.lstrip()) - depth
        if step <= 0 and not line.lstrip().startswith("- "):
            continue
        if line.lstrip().startswith("- ") and sequence is None:
            offset = max(step, 0)
            sequence = offset + 2
        elif not line.lstrip().startswith("- ") and mapping is None:
            mapping = step
    return mapping or 2, sequence or 2, offset or 0


def _dump(rt: YAML, doc: Any) -> str:
    buf = io.StringIO()
    rt.dump(doc, buf)
    return buf.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _styled(value: Any, *, top_flow: bool | None = None) -> Any:
    """A new value as ruamel nodes: a short mapping in one flow line, a long one as a block whose
    nested mappings and lists are flow (as the project format's examples write them)."""
    if top_flow is None:
        top_flow = len(yaml.safe_dump(value, default_flow_style=True, width=10**6)) <= _FLOW_WIDTH
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _styled(v, top_flow=True)
        if top_flow:
            out.fa.set_flow_style()
        return out
    if isinstance(value, list):
        seq = CommentedSeq(_styled(v, top_flow=True) for v in value)
        seq.fa.set_flow_style()
        return seq
    return value


def _child(
    parent: CommentedMap, key: str, order: tuple[str, ...] = (), *, flow: bool = False
) -> CommentedMap:
    """``parent[key]`` as a mapping, created at its natural place (by ``order``) when missing."""
    child = parent.get(key)
    if isinstance(child, dict):
        return child
    child = CommentedMap()
    if flow:
        child.fa.set_flow_style()
    if key in order:
        rank = order.index(key)
        keys = list(parent.keys())
        pos = max((i + 1 for i, k in enumerate(keys) if k in order and order.index(k) < rank), default=None)
        if pos is not None and pos < len(keys):
            parent.insert(pos, key, child)
            return child
    parent[key] = child
    return child


def _set(parent: CommentedMap, key: str, value: Any, *, same=None) -> None:
    """Set ``parent[key]`` unless it already means ``value`` (so an unchanged key keeps its text)."""
    if key in parent and (same or (lambda a, b: _plain(a) == _plain(b)))(parent[key], value):
        return
    parent[key] = _styled(value)


def _same_source(existing: Any, new: Any) -> bool:
    try:
        return SourceSpec.model_validate(_plain(existing)).model_dump(
            mode="json", by_alias=True
        ) == SourceSpec.model_validate(new).model_dump(mode="json", by_alias=True)
    except Exception:
        return False


def _apply(doc: CommentedMap, changes: ProjectChanges) -> None:
    pipelines = _child(doc, "pipelines")
    entry = pipelines.get(changes.pipeline)
    if not isinstance(entry, dict):
        entry = pipelines[changes.pipeline] = CommentedMap()
    if changes.dag is not None and entry.get("dag") != changes.dag:
        if "dag" in entry:
            entry["dag"] = changes.dag
        else:
            entry.insert(0, "dag", changes.dag)
    if changes.sources:
        sources = _child(entry, "sources", PIPELINE_KEY_ORDER)
        for key, spec in changes.sources.items():
            _set(
                sources,
                key,
                spec.model_dump(mode="json", by_alias=True, exclude_unset=True),
                same=_same_source,
            )
    if changes.settings:
        nodes = _child(entry, "nodes", PIPELINE_KEY_ORDER)
        for node, update in changes.settings.items():
            settings = _child(nodes, node)
            for k, v in update.items():
                if k in ("environ_vars", "job_args"):
                    sub = _child(settings, k, flow=True)
                    for name, value in v.items():
                        _set(sub, name, str(value) if k == "environ_vars" else value)
                else:
                    _set(settings, k, v)
    if changes.expectations:
        exps = _child(entry, "expectations", PIPELINE_KEY_ORDER)
        for key, exp in changes.expectations.items():
            value = exp.model_dump(mode="json", exclude_unset=True)
            if key not in exps or _plain(exps[key]) != value:
                exps[key] = _styled(value, top_flow=False)


# ----------------------------------------------------------------------------- keeping the user's text


def _merge(original: list[str], baseline: list[str], modified: list[str]) -> list[str]:
    """Apply the baseline->modified change to the original text.

    ``baseline`` is ruamel's rendering of the original, ``modified`` its rendering after the change.
    Lines the change does not touch are taken from ``original``; a region where ruamel's layout
    differs from the original is taken from ``modified`` only when the change touches it.
    """
    touched = [False] * len(baseline)
    replacement: dict[int, list[str]] = {}
    inserted: dict[int, list[str]] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, baseline, modified, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:
            inserted.setdefault(i1, []).extend(modified[j1:j2])
            continue
        for k in range(i1, i2):
            touched[k] = True
            replacement[k] = []
        replacement[i1] = modified[j1:j2]
    out: list[str] = []

    def insert_at(pos: int, following: str | None) -> None:
        """Lines the change adds at ``pos``. A nested key goes before the blank lines and the less
        indented comments that end its section (ruamel attaches them to the section's last key: they
        head what follows), not after them."""
        block = inserted.pop(pos, [])
        if not block:
            return
        depth = _indent(block[0])
        tail = 0
        while tail < len(out) and (
            not out[-1 - tail].strip()
            or (out[-1 - tail].lstrip().startswith("#") and _indent(out[-1 - tail]) < depth)
        ):
            tail += 1
        if tail and block[0].strip() and depth > (_indent(following) if following else 0):
            out[len(out) - tail : len(out) - tail] = block
        else:
            out.extend(block)

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, baseline, original, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                insert_at(i1 + k, original[j1 + k])
                if not touched[i1 + k]:
                    out.append(original[j1 + k])
                elif len(replacement[i1 + k]) == 1:  # a changed value keeps its comment's column
                    out.append(_keep_comment_gap(original[j1 + k], replacement[i1 + k][0]))
                else:
                    out.extend(replacement[i1 + k])
            continue
        insert_at(i1, original[j1] if j1 < j2 else None)
        if any(touched[i1:i2]) or any(p in inserted for p in range(i1 + 1, i2)):
            for k in range(i1, i2):
                insert_at(k, baseline[k])
                out.extend(replacement[k] if touched[k] else [baseline[k]])
        else:
            out.extend(original[j1:j2])
    insert_at(len(baseline), None)
    return out


_COMMENT = re.compile(r"(\s+)(#.*)$")


def _keep_comment_gap(old: str, new: str) -> str:
    """``{a: 1, b: 2} # note`` -> ``{a: 1, b: 2}   # note`` when the old line had three spaces."""
    m_old, m_new = _COMMENT.search(old.rstrip("\n")), _COMMENT.search(new.rstrip("\n"))
    if not (m_old and m_new and m_old.group(2) == m_new.group(2)):
        return new
    return new[: m_new.start()] + m_old.group(1) + m_new.group(2) + ("\n" if new.endswith("\n") else "")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
