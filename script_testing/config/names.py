"""The one rule for names that become paths: pipeline, node, input/output, file and shard names,
``entry_point`` and source ``file`` patterns are one plain path segment.

A name is refused when it is empty, longer than :data:`MAX_NAME`, ``.`` or ``..``, holds a ``/`` or
``\\``, a control character, or starts with ``~`` (so it can never be absolute or leave its folder).
``entry_point`` may also name folders (only its file name is searched): each of its parts is a name.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

MAX_NAME = 128
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def name_problem(name: Any) -> str | None:
    """Why ``name`` cannot be a path segment, or ``None`` when it can."""
    if not isinstance(name, str):
        return f"a name must be a string, got {type(name).__name__}"
    if not name:
        return "a name cannot be empty"
    if len(name) > MAX_NAME:
        return f"a name is at most {MAX_NAME} characters (this one has {len(name)})"
    if _CONTROL.search(name):
        return f"{name!r} has a control character"
    if name in (".", ".."):
        return f"{name!r} is not a name"
    if "/" in name or "\\" in name:
        return f"{name!r} has a path separator; a name is one plain path segment"
    if name.startswith("~"):
        return f"{name!r} starts with '~'"
    return None


def check_name(name: Any) -> str:
    """``name`` unchanged, or a ``ValueError`` saying why it cannot be a path segment."""
    problem = name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def check_relative_path(path: Any) -> str:
    """A relative path of safe names joined by ``/`` (``src/pkg/x.py``), or a ``ValueError``."""
    if not isinstance(path, str) or not path:
        return check_name(path)
    if path.startswith("/"):
        raise ValueError(f"{path!r} is absolute; use a path relative to a workspace")
    for part in path.split("/"):
        check_name(part)
    return path


def check_names(mapping: dict) -> dict:
    """Every key of ``mapping`` is a safe name."""
    for key in mapping:
        check_name(key)
    return mapping


SafeName = Annotated[str, AfterValidator(check_name)]
