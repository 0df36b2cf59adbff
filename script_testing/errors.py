"""Errors a user can cause, each with what happened, where, and what to do.

Every error raised on purpose by script_testing derives from :class:`ScriptTestingError`.
The CLI and the Dagster layer print ``str(error)``: one short sentence first, details after.
"""

from __future__ import annotations


class ScriptTestingError(Exception):
    """Base class: ``what`` happened, ``where`` (a file, node or URI) and ``hint`` (what to do)."""

    def __init__(
        self, what: str, *, where: str | None = None, hint: str | None = None, details: str | None = None
    ) -> None:
        self.what = what
        self.where = where
        self.hint = hint
        self.details = details
        super().__init__(self.message)

    @property
    def message(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        parts = [head.rstrip(".")]
        if self.hint:  # "what happened; what to do."
            parts.append(self.hint.rstrip("."))
        text = "; ".join(parts)
        text += "" if text.endswith(("?", "!")) else "."
        if self.details:
            text += "\n" + self.details
        return text


class ConfigError(ScriptTestingError):
    """A file the user wrote (DAG, step interface, testing project, spec) is invalid."""


class DagError(ConfigError):
    """A DAG is malformed: unknown node in an edge, duplicate node, cycle."""


class CatalogError(ConfigError):
    """A node cannot be resolved to a step interface or script."""


class WiringError(ConfigError):
    """Inputs cannot be wired; lists every unprovided required input at once."""


class SourceError(ScriptTestingError):
    """A data source could not produce its data."""


class WorkerError(ScriptTestingError):
    """The isolated script worker itself failed (not the user's script)."""


class UnsafePathError(ScriptTestingError):
    """A write, copy or delete would reach outside the folder it is meant for."""


class DiskFullError(ScriptTestingError, OSError):
    """The disk (or quota) is full while script_testing writes a file (still an ``OSError``, ENOSPC)."""

    def __init__(self, what: str, **kwargs) -> None:
        super().__init__(what, **kwargs)
        self.errno, self.strerror = 28, "No space left on device"  # errno.ENOSPC

    def __str__(self) -> str:  # OSError's own would show only "[Errno 28] ..."
        return self.message
