"""Read a YAML or JSON file into a pydantic model, with errors that name the file and key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from script_testing.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


MAX_FILE_BYTES = 10 * 1024 * 1024  # a configuration file larger than this is refused unread
MAX_DEPTH = 64  # nesting of mappings/lists
MAX_ALIASES = 200  # YAML aliases (``*name``) in one file
MAX_NODES = 1_000_000  # values after expanding aliases (a "billion laughs" file has 10**9)


def _too_big(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"the file is too {what} to be a configuration file",
        where=str(path),
        hint=f"configuration files are at most {MAX_FILE_BYTES // (1024 * 1024)} MB, {MAX_DEPTH} levels "
        f"deep and {MAX_NODES:,} values (aliases expanded); keep data in data files, not here",
    )


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting depth and an alias count limit (checked while composing)."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Bound("aliased")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Bound("deeply nested")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Bound(Exception):
    """A limit of :class:`_BoundedLoader` was crossed (``args[0]``: the adjective for the message)."""


def _expanded_size(data: Any) -> int:
    """How many values ``data`` has with shared (aliased) containers counted each time they appear;
    memoized by identity, so it costs one visit per distinct container."""
    memo: dict[int, int] = {}

    def size(value: Any, depth: int) -> int:
        if depth > MAX_DEPTH + 1:
            raise _Bound("deeply nested")
        if not isinstance(value, dict | list):
            return 1
        key = id(value)
        if key not in memo:
            children = value.values() if isinstance(value, dict) else value
            memo[key] = 1 + sum(size(v, depth + 1) for v in children)
            if memo[key] > MAX_NODES:
                raise _Bound("large (after expanding its aliases)")
        return memo[key]

    return size(data, 0)


def read_document(path: Path) -> Any:
    """Parse ``path`` as YAML (``.yaml``/``.yml``) or JSON; syntax errors name the line. Bounded: at
    most :data:`MAX_FILE_BYTES`, :data:`MAX_DEPTH` levels, :data:`MAX_ALIASES` aliases and
    :data:`MAX_NODES` values once aliases are expanded (a larger file is a :class:`ConfigError`)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            "file not found",
            where=str(path),
            hint="check the path, relative paths are relative to the file that names it",
        ) from None
    except IsADirectoryError:
        raise ConfigError("this is a folder, not a file", where=str(path), hint="name the file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", where=str(path)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise _too_big(path, "large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"the file is not UTF-8 text (byte {exc.start})", where=str(path), hint="save it as UTF-8"
        ) from None
    try:
        data = _parse(path, text)
        _expanded_size(data)
    except _Bound as exc:
        raise _too_big(path, exc.args[0]) from None
    except RecursionError:
        raise _too_big(path, "deeply nested") from None
    return data


def _parse(path: Path, text: str) -> Any:
    if path.suffix in (".yaml", ".yml"):
        try:
            return yaml.load(text, Loader=_BoundedLoader)
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
