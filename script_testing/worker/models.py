"""Data passed to and returned by the runner: one job in, one result out.

Both are plain dataclasses that turn into JSON-ready dicts with ``to_dict()`` and back with
``from_dict()``; the job travels to the worker process as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["passed", "failed"]
Kind = Literal[
    "exception",
    "exit",
    "signal",
    "timeout",
    "import_error",
    "memory",
    "worker_error",
    "bad_signature",
    "output_limit",
    "stopped",
]

#: Files the worker writes in a job's work dir.
STDOUT_FILE = "stdout.log"
STDERR_FILE = "stderr.log"
#: Sub-folders of the work dir: the script's cwd and its private TMPDIR.
CWD_DIR = "work"
TMP_DIR = "tmp"

#: Address space a script may add on top of the warm worker when a job sets no limit (MB).
#: ``memory_limit_mb=0`` turns the limit off.
DEFAULT_MEMORY_LIMIT_MB = 4096
#: Output caps, checked after the run (``0`` = no cap).
DEFAULT_MAX_OUTPUT_MB = 20 * 1024
DEFAULT_MAX_OUTPUT_FILES = 100_000


@dataclass
class ScriptJob:
    """Everything needed to call one script's ``main()`` in an isolated process.

    ``module`` is the script's dotted name when it lives in a package (import it by that name,
    with the package root on ``sys_path``); ``None`` loads the file by path. ``preload`` files are
    run with :func:`runpy.run_path` before the script is imported. ``work_dir`` receives
    ``stdout.log`` and ``stderr.log``; the script's cwd is ``work_dir/work`` and its TMPDIR
    ``work_dir/tmp``, both removed after the run unless ``keep_work``.

    ``main`` is called exactly as production calls it: ``main(input_paths, output_paths,
    environ_vars, job_args)``; ``main_kwargs`` are extra keyword arguments, only if a job asks.

    The script's process environment is built from scratch: a minimal base (PATH, HOME, LANG,
    TZ, TMPDIR), then ``env`` (e.g. the project's variables), then ``environ_vars``, then the
    tool's own values of the variables named in ``pass_env`` (credentials: opt-in only).

    ``memory_limit_mb`` is the address space the script may add on top of the warm worker it
    is forked from: ``None`` means :data:`DEFAULT_MEMORY_LIMIT_MB`, ``0`` no limit.
    ``max_output_mb`` / ``max_output_files`` cap what the outputs may hold (``0``: no cap).
    ``python`` is the interpreter of the scripts' own environment (``None``: the tool's).
    ``readonly_paths`` are made read-only for the script (a private mount namespace, as root);
    the result's ``readonly`` says whether that worked.
    """

    node: str
    script_path: Path
    input_paths: dict[str, str]
    output_paths: dict[str, str]
    work_dir: Path
    module: str | None = None
    sys_path: list[Path] = field(default_factory=list)
    preload: list[Path] = field(default_factory=list)
    environ_vars: dict[str, str] = field(default_factory=dict)
    job_args: dict[str, Any] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    timeout_s: float = 3600
    memory_limit_mb: int | None = None
    main_kwargs: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    pass_env: list[str] = field(default_factory=list)
    python: str | None = None
    readonly_paths: list[str] = field(default_factory=list)
    keep_work: bool = False
    max_output_mb: float | None = None
    max_output_files: int | None = None

    @property
    def effective_memory_limit_mb(self) -> int | None:
        """The limit in force: the default when unset, ``None`` when switched off with 0."""
        limit = DEFAULT_MEMORY_LIMIT_MB if self.memory_limit_mb is None else self.memory_limit_mb
        return int(limit) if limit else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "script_path": str(self.script_path),
            "module": self.module,
            "sys_path": [str(p) for p in self.sys_path],
            "preload": [str(p) for p in self.preload],
            "input_paths": dict(self.input_paths),
            "output_paths": dict(self.output_paths),
            "environ_vars": {k: str(v) for k, v in self.environ_vars.items()},
            "job_args": dict(self.job_args),
            "argv": [str(a) for a in self.argv],
            "work_dir": str(self.work_dir),
            "timeout_s": float(self.timeout_s),
            "memory_limit_mb": self.memory_limit_mb,
            "main_kwargs": dict(self.main_kwargs),
            "env": {k: str(v) for k, v in self.env.items()},
            "pass_env": [str(n) for n in self.pass_env],
            "python": self.python,
            "readonly_paths": [str(p) for p in self.readonly_paths],
            "keep_work": bool(self.keep_work),
            "max_output_mb": self.max_output_mb,
            "max_output_files": self.max_output_files,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptJob:
        return cls(
            node=data["node"],
            script_path=Path(data["script_path"]),
            module=data.get("module"),
            sys_path=[Path(p) for p in data.get("sys_path", [])],
            preload=[Path(p) for p in data.get("preload", [])],
            input_paths=dict(data.get("input_paths", {})),
            output_paths=dict(data.get("output_paths", {})),
            environ_vars=dict(data.get("environ_vars", {})),
            job_args=dict(data.get("job_args", {})),
            argv=list(data.get("argv", [])),
            work_dir=Path(data["work_dir"]),
            timeout_s=float(data.get("timeout_s", 3600)),
            memory_limit_mb=data.get("memory_limit_mb"),
            main_kwargs=dict(data.get("main_kwargs") or {}),
            env=dict(data.get("env") or {}),
            pass_env=list(data.get("pass_env") or []),
            python=data.get("python"),
            readonly_paths=[str(p) for p in data.get("readonly_paths") or []],
            keep_work=bool(data.get("keep_work", False)),
            max_output_mb=data.get("max_output_mb"),
            max_output_files=data.get("max_output_files"),
        )

    @property
    def cwd(self) -> Path:
        return Path(self.work_dir) / CWD_DIR

    @property
    def tmp_dir(self) -> Path:
        return Path(self.work_dir) / TMP_DIR

    @property
    def stdout_path(self) -> Path:
        return Path(self.work_dir) / STDOUT_FILE

    @property
    def stderr_path(self) -> Path:
        return Path(self.work_dir) / STDERR_FILE


@dataclass
class OutputInventory:
    """What a script left at one output path after it ran."""

    path: str
    exists: bool
    files: int = 0
    bytes: int = 0
    sample: list[str] = field(default_factory=list)  # up to 20 names relative to ``path``

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "exists": self.exists,
            "files": self.files,
            "bytes": self.bytes,
            "sample": list(self.sample),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputInventory:
        return cls(
            path=data["path"],
            exists=data["exists"],
            files=data.get("files", 0),
            bytes=data.get("bytes", 0),
            sample=list(data.get("sample", [])),
        )


@dataclass
class ScriptResult:
    """The outcome of one script run.

    ``error`` is ``None`` on success; otherwise its first line is one human sentence (what
    happened, where, what to do) and any further lines are details (a traceback, a stderr tail).
    """

    node: str
    status: Status
    kind: Kind | None
    error: str | None
    stdout_path: Path
    stderr_path: Path
    duration_s: float = 0.0
    #: of ``duration_s``, the time inside ``main()`` itself (the rest: starting the process, isolating
    #: it, loading the script, ending it); ``None`` when main() was never called
    main_s: float | None = None
    exception_type: str | None = None
    exception_message: str | None = None
    traceback: str | None = None
    location: str | None = None  # "file.py:42", innermost frame in the user's script
    exit_code: int | None = None
    signal: int | None = None
    peak_memory_mb: float | None = None
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    stderr_tail: str = ""
    return_value: str | None = None
    outputs: dict[str, OutputInventory] = field(default_factory=dict)
    #: keys of each argument of main() the script read (``input_paths``, ``output_paths``,
    #: ``environ_vars``: dict keys; ``job_args``: attribute names), sorted
    accessed: dict[str, list[str]] = field(default_factory=dict)
    #: keys the script set or deleted in those dicts
    assigned: dict[str, list[str]] = field(default_factory=dict)
    #: "mounted" (inputs were read-only), "fallback: <why>" (they were not), None (none asked)
    readonly: str | None = None
    #: the chain of exceptions, root cause first: [{"type", "message", "location"}]
    causes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def headline(self) -> str | None:
        """The first line of ``error``: one sentence fit for a log line or a UI badge."""
        return self.error.splitlines()[0] if self.error else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "status": self.status,
            "kind": self.kind,
            "error": self.error,
            "exception_type": self.exception_type,
            "exception_message": self.exception_message,
            "traceback": self.traceback,
            "location": self.location,
            "exit_code": self.exit_code,
            "signal": self.signal,
            "duration_s": self.duration_s,
            "main_s": self.main_s,
            "peak_memory_mb": self.peak_memory_mb,
            "stdout_path": str(self.stdout_path),
            "stderr_path": str(self.stderr_path),
            "stdout_bytes": self.stdout_bytes,
            "stderr_bytes": self.stderr_bytes,
            "stderr_tail": self.stderr_tail,
            "return_value": self.return_value,
            "outputs": {name: inv.to_dict() for name, inv in self.outputs.items()},
            "accessed": {k: list(v) for k, v in self.accessed.items()},
            "assigned": {k: list(v) for k, v in self.assigned.items()},
            "readonly": self.readonly,
            "causes": [dict(c) for c in self.causes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScriptResult:
        known = dict(data)
        known["stdout_path"] = Path(known["stdout_path"])
        known["stderr_path"] = Path(known["stderr_path"])
        known["outputs"] = {
            name: OutputInventory.from_dict(inv) for name, inv in (known.get("outputs") or {}).items()
        }
        return cls(**known)


def clip(text: str | None, limit: int, marker: str = "\n[... {n} characters cut ...]\n") -> str | None:
    """``text`` at most about ``limit`` characters: its head and its tail, with a marker between."""
    if text is None or len(text) <= limit:
        return text
    keep = max(0, limit // 2)
    cut = len(text) - 2 * keep
    return text[:keep] + marker.format(n=cut) + text[len(text) - keep :]
