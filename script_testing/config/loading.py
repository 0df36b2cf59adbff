"""Read a YAML or JSON file into a pydantic model, with errors that name the file and key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from script_testing.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_document(path: Path) -> Any:
    """Parse ``path`` as YAML (``.yaml``/``.yml``) or JSON; syntax errors name the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "file not found",
            where=str(path),
            hint="check the path, relative paths are relative to the file that names it",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", where=str(path)) from None
    if path.suffix in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            loc = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError(
                f"invalid YAML ({problem})", where=loc, hint="fix the YAML syntax at that line"
            ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"invalid JSON ({exc.msg})",
            where=f"{path}:{exc.lineno}:{exc.colno}",
            hint="fix the JSON syntax at that line",
        ) from None


def key_path(loc: tuple[Any, ...]) -> str:
    """``('pipelines', 'x', 'sources', 0)`` -> ``pipelines.x.sources[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def validation_error(path: Path | str, exc: ValidationError, prefix: tuple[Any, ...] = ()) -> ConfigError:
    """One message naming the file, every bad key path and what was expected."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in prefix + tuple(err["loc"]) if p not in ("function-after", "function-before"))
        # drop pydantic's union/tag markers such as 'list[str]' that are not keys of the file
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function"))))
        msg = err["msg"]
        got = err.get("input")
        if err["type"] == "missing":
            text = f"'{key_path(loc)}' is required"
        elif err["type"] == "extra_forbidden":
            text = f"'{key_path(loc)}' is not a known key"
        else:
            shown = repr(got)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            text = f"'{key_path(loc)}': {(msg[:1].lower() + msg[1:]).rstrip('.')}"
            if loc:  # a model-level problem names its own keys; the whole document is no help
                text += f" (got {shown})"
            else:
                text = (msg[:1].lower() + msg[1:]).rstrip(".").removeprefix("value error, ")
        problems.append(text)
    first = problems[0]
    more = "" if len(problems) == 1 else f" (and {len(problems) - 1} more problem(s))"
    return ConfigError(
        first + more,
        where=str(path),
        hint="fix the key as described",
        details="\n".join(f"  - {p}" for p in problems) if len(problems) > 1 else None,
    )


def load_model(model: type[M], path: Path, data: Any = None, *, context: dict | None = None) -> M:
    """Read ``path`` (unless ``data`` is given) and validate it as ``model``."""
    if data is None:
        data = read_document(path)
    if data is None:
        data = {}
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_error(path, exc) from None
