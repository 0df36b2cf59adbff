"""What runs inside the forked child: isolate, load the script, call ``main()``, record, exit.

:func:`run_job` never returns: whatever happens it ends with :func:`os._exit`, so a child can
never fall back into the zygote's request loop. It reports a small JSON "raw outcome" over an
inherited pipe (the write end kept at a high, close-on-exec fd that no file name leads to), then
exits with code 0; the zygote trusts an outcome only from a child that then exited with 0.

Raw outcome keys: ``outcome`` (``passed``, ``exception``, ``exit``, ``import_error``,
``memory``, ``bad_signature``), ``phase`` (``import`` or ``main``), ``exception_type``,
``exception_message``, ``traceback``, ``location``, ``causes`` (root cause first),
``exit_code``, ``exit_repr``, ``return_value``, ``peak_memory_kb``, ``detail`` (for bad
signatures), ``accessed``/``assigned`` (keys of main's arguments), ``readonly``,
``descendants_killed``, ``main_s`` (seconds inside ``main()``), ``imported`` (library modules a passed
script imported: the zygote may learn them, see :func:`library_modules`).

Standard library only: this runs in the scripts' own interpreter.

Above ~400 lines: everything the forked child does runs in one process image that must import only the
standard library; isolation, loading, calling and reporting are read together.
"""

from __future__ import annotations

import argparse
import ctypes
import faulthandler
import fcntl
import importlib
import importlib.util
import inspect
import io
import json
import os
import random
import resource
import runpy
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from . import procs
from .models import CWD_DIR, DEFAULT_MEMORY_LIMIT_MB, STDERR_FILE, STDOUT_FILE, TMP_DIR, clip

RETURN_REPR_LIMIT = 2048
MESSAGE_LIMIT = 4000
TRACEBACK_LIMIT = 20000
#: Variables of the worker's own environment a script gets (plus TMPDIR); nothing else.
BASE_ENV = ("PATH", "HOME", "LANG", "TZ")


class BadSignature(Exception):
    """``main`` is missing or cannot be called with the four standard arguments."""


class ImportPhaseError(Exception):
    """Wraps an exception raised while preloading or importing the script."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def run_job(job: dict[str, Any], close_fds: list[int], result_fd: int, nonce: str = "") -> None:
    """Run one job in this (freshly forked) process and exit; never returns.

    ``nonce`` goes into the outcome so the zygote can tell ours from bytes a script wrote."""
    _run(lambda: job, close_fds, result_fd, nonce)


def await_job(job_fd: int, close_fds: list[int], result_fd: int, nonce: str) -> None:
    """A spare child, forked before its job is known: detach from the zygote now, then read the job
    (one JSON document, up to EOF) from ``job_fd`` and run it as :func:`run_job` does; never returns.
    EOF with nothing read means the zygote discarded the spare: exit quietly."""
    _run(lambda: _read_job(job_fd), close_fds, result_fd, nonce)


def _read_job(fd: int) -> dict[str, Any] | None:
    data = bytearray()
    while chunk := os.read(fd, 1 << 16):
        data += chunk
    os.close(fd)
    return json.loads(data) if data else None


def _run(
    get_job: Callable[[], dict[str, Any] | None], close_fds: list[int], result_fd: int, nonce: str
) -> None:
    code = 0
    me = os.getpid()
    try:
        result_fd = _hide_fd(result_fd)
        _detach(close_fds)
        job = get_job()
        if job is None:
            os._exit(0)
        readonly = _isolate(job)
        outcome = _execute(job)
        if os.getpid() != me:  # a process the script forked returned through main(): not ours
            os._exit(0)
        outcome["peak_memory_kb"] = _peak_rss_kb()
        outcome["readonly"] = readonly
        _flush_std_streams()
        outcome["descendants_killed"] = procs.kill_and_reap_descendants()
        outcome["nonce"] = nonce
        _report(result_fd, outcome)
    except BaseException:  # our own failure: leave a trace for the zygote's stderr
        code = 70
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        if os.getpid() != me:
            os._exit(0)
        _flush_std_streams()
        os._exit(code)


# --------------------------------------------------------------------------- isolation


def _hide_fd(fd: int) -> int:
    """Move the result pipe to a random high fd, close-on-exec, so a script does not stumble on it."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = max(256, min(soft, 4096) // 2)
    target = random.randrange(low, max(low + 1, min(soft, 4096) - 1))
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, target)
    os.close(fd)
    return moved


def _detach(close_fds: list[int]) -> None:
    """What does not depend on the job: a session of its own, tied to the zygote, no fd of the zygote's,
    default signal handling (a spare child does this before its job arrives)."""
    os.setsid()
    procs.die_with_parent()
    procs.become_subreaper()  # daemons the script double-forks stay ours, so we can end them
    for fd in close_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    for signum in (
        signal.SIGTERM,
        signal.SIGHUP,
        signal.SIGQUIT,
        signal.SIGCHLD,
        signal.SIGUSR1,
        signal.SIGUSR2,
        signal.SIGALRM,
        signal.SIGPIPE,
    ):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # as the Python interpreter sets it up


def _isolate(job: dict[str, Any]) -> str | None:
    """What depends on the job: its folders and log files, read-only inputs, memory cap, cwd, environment."""
    work_dir = Path(job["work_dir"])
    cwd, tmp = work_dir / CWD_DIR, work_dir / TMP_DIR
    for folder in (work_dir, cwd, tmp):
        folder.mkdir(parents=True, exist_ok=True)
    _redirect_std_fds(work_dir)
    faulthandler.enable()  # a segfault in native code leaves a Python traceback in stderr.log
    readonly = _make_readonly(job.get("readonly_paths") or [])
    limit = _memory_limit(job)
    if limit:
        _limit_address_space(limit)
    _reset_peak_rss()
    os.chdir(cwd)
    _replace_environ(job, tmp)
    script = str(job["script_path"])
    argv = [str(a) for a in job.get("argv", [])]
    sys.argv = argv if argv and argv[0] == script else [script, *argv]
    return readonly


def _memory_limit(job: dict[str, Any]) -> int | None:
    value = job.get("memory_limit_mb")
    value = DEFAULT_MEMORY_LIMIT_MB if value is None else value
    return int(value) if value else None


def _replace_environ(job: dict[str, Any], tmp: Path) -> None:
    """The script's environment: a minimal base, the job's variables, opted-in credentials."""
    env = {name: os.environ[name] for name in BASE_ENV if name in os.environ}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    if sys.prefix != sys.base_prefix:  # a venv: its tools come first, as if activated
        bin_dir = os.path.dirname(sys.executable)
        env["PATH"] = bin_dir + os.pathsep + env["PATH"]
        env["VIRTUAL_ENV"] = sys.prefix
    env["TMPDIR"] = str(tmp)
    for source in ("env", "environ_vars", "passed_env"):
        env.update({str(k): str(v) for k, v in (job.get(source) or {}).items()})
    os.environ.clear()  # also unsets the variables in the C environment
    os.environ.update(env)
    tempfile.tempdir = None  # forget a /tmp cached before the fork


# mount(2) flags and unshare(2)'s CLONE_NEWNS
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
_CLONE_NEWNS = 0x00020000


def _make_readonly(paths: list[str]) -> str | None:
    """Bind-mount each path read-only in a private mount namespace (needs root)."""
    if not paths:
        return None
    if os.geteuid() != 0:
        return "fallback: not running as root, so the inputs cannot be mounted read-only"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_void_p,
        ]

        def call(what: str, result: int) -> None:
            if result != 0:
                errno = ctypes.get_errno()
                raise OSError(errno, f"{what}: {os.strerror(errno)}")

        call("unshare(CLONE_NEWNS)", libc.unshare(_CLONE_NEWNS))
        call("making / private", libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None))
        for path in paths:
            real = os.path.realpath(path).encode()
            if not os.path.exists(real):
                continue
            call(f"bind-mounting {path}", libc.mount(real, real, None, _MS_BIND | _MS_REC, None))
            call(
                f"remounting {path} read-only",
                libc.mount(None, real, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY, None),
            )
    except (OSError, AttributeError) as error:
        return f"fallback: could not mount the inputs read-only ({error})"
    return "mounted"


def _redirect_std_fds(work_dir: Path) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    if devnull != 0:  # fd 0 was closed just before, so open() may have reused it
        os.dup2(devnull, 0)
        os.close(devnull)
    for target_fd, name in ((1, STDOUT_FILE), (2, STDERR_FILE)):
        fd = os.open(work_dir / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, target_fd)
        os.close(fd)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = _line_buffered(1)
    sys.stderr = _line_buffered(2)
    sys.__stdout__, sys.__stderr__, sys.__stdin__ = sys.stdout, sys.stderr, sys.stdin


def _line_buffered(fd: int) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )


def _limit_address_space(extra_mb: int) -> None:
    """Cap virtual memory at what this process maps now plus ``extra_mb``."""
    limit = _current_vm_size_bytes() + extra_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _current_vm_size_bytes() -> int:
    return _status_field_kb("VmSize") * 1024


def _reset_peak_rss() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _peak_rss_kb() -> int | None:
    value = _status_field_kb("VmHWM")
    return value or None


def _status_field_kb(name: str) -> int:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


# --------------------------------------------------------------------------- key access


class AccessDict(dict):
    """A ``dict`` that records which keys were read and which were set.

    Reads: ``d[k]``, ``get``, ``in``, ``setdefault``, ``pop``, and iterating (``keys()``,
    ``items()``, ``values()``, ``for k in d``, ``dict(d)``, ``json.dumps(d)``) marks every key.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read: set[str] = set()
        self._set: set[str] = set()

    def _r(self, key: Any) -> None:
        self._read.add(str(key))

    def _all(self) -> None:
        self._read.update(str(k) for k in dict.keys(self))

    def __getitem__(self, key: Any) -> Any:
        self._r(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._r(key)
        return super().get(key, default)

    def __contains__(self, key: Any) -> bool:
        self._r(key)
        return super().__contains__(key)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._r(key)
        if not super().__contains__(key):
            self._set.add(str(key))
        return super().setdefault(key, default)

    def pop(self, key: Any, *default: Any) -> Any:
        self._r(key)
        self._set.add(str(key))
        return super().pop(key, *default)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._set.add(str(key))
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        self._set.add(str(key))
        super().__delitem__(key)

    def update(self, *args: Any, **kwargs: Any) -> None:
        new = dict(*args, **kwargs)
        self._set.update(str(k) for k in new)
        super().update(new)

    def keys(self):  # type: ignore[override]
        self._all()
        return super().keys()

    def items(self):  # type: ignore[override]
        self._all()
        return super().items()

    def values(self):  # type: ignore[override]
        self._all()
        return super().values()

    def __iter__(self):
        self._all()
        return super().__iter__()

    def copy(self) -> dict:
        self._all()
        return dict(super().items())

    def __reduce__(self):  # pickles (multiprocessing) as a plain dict
        return (dict, (dict(super().items()),))

    def accessed(self) -> list[str]:
        return sorted(self._read)

    def assigned(self) -> list[str]:
        return sorted(self._set)


class AccessNamespace(argparse.Namespace):
    """``argparse.Namespace`` that records which attributes were read."""

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_st_read", set())
        object.__setattr__(self, "_st_set", set())
        super().__init__(**kwargs)
        object.__getattribute__(self, "_st_set").clear()

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_") and not hasattr(AccessNamespace, name):
            object.__getattribute__(self, "_st_read").add(name)
        elif name == "__dict__":  # vars(job_args): every argument
            object.__getattribute__(self, "_st_read").update(
                k for k in object.__getattribute__(self, "__dict__") if not k.startswith("_st_")
            )
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_st_set").add(name)
        object.__setattr__(self, name, value)

    def __contains__(self, key: Any) -> bool:
        object.__getattribute__(self, "_st_read").add(str(key))
        return key in object.__getattribute__(self, "__dict__")

    def _get_kwargs(self):
        return [
            (k, v)
            for k, v in sorted(object.__getattribute__(self, "__dict__").items())
            if not k.startswith("_st_")
        ]

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, argparse.Namespace):
            return NotImplemented
        return dict(self._get_kwargs()) == vars(other)

    def __reduce__(self):
        return (argparse.Namespace, (), dict(self._get_kwargs()))

    def accessed(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_st_read"))

    def assigned(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_st_set"))


# --------------------------------------------------------------------------- execution


def _execute(job: dict[str, Any]) -> dict[str, Any]:
    script_path = str(Path(job["script_path"]).resolve())
    user_roots = _user_roots(job)
    modules_before = set(sys.modules)
    try:
        main = _load_main(job)
    except BadSignature as error:
        return {"outcome": "bad_signature", "phase": "import", "detail": str(error)}
    except ImportPhaseError as wrapped:
        return _describe_failure(wrapped.original, "import", script_path, user_roots)

    arguments = {
        "input_paths": AccessDict(job.get("input_paths", {})),
        "output_paths": AccessDict(job.get("output_paths", {})),
        "environ_vars": AccessDict(job.get("environ_vars", {})),
        "job_args": AccessNamespace(**job.get("job_args", {})),
    }
    kwargs = dict(job.get("main_kwargs") or {})
    try:
        _check_signature(main, kwargs)
    except BadSignature as error:
        return {"outcome": "bad_signature", "phase": "main", "detail": str(error)}

    started = time.perf_counter()
    try:
        value = main(*arguments.values(), **kwargs)
    except BaseException as error:  # the user's script failed: record it, do not propagate
        outcome = _describe_failure(error, "main", script_path, user_roots)
    else:
        outcome = {"outcome": "passed", "phase": "main", "return_value": _safe_repr(value)}
        outcome["imported"] = library_modules(set(sys.modules) - modules_before)
    outcome["main_s"] = round(time.perf_counter() - started, 6)
    outcome["accessed"] = {name: arg.accessed() for name, arg in arguments.items()}
    outcome["assigned"] = {name: arg.assigned() for name, arg in arguments.items() if arg.assigned()}
    return outcome


def _load_main(job: dict[str, Any]) -> Callable[..., Any]:
    script = Path(job["script_path"])
    module_name = job.get("module")
    extra_paths = [str(p) for p in job.get("sys_path", [])]
    if module_name:
        root = _package_root(script, module_name)
        if root and root not in extra_paths:
            extra_paths.append(root)
    else:
        extra_paths.append(str(script.parent))
    sys.path[:0] = [p for p in extra_paths if p not in sys.path]

    try:
        for preload in job.get("preload", []):
            runpy.run_path(str(preload), run_name="__script_testing_preload__")
        module = _import_script(script, module_name)
    except BaseException as error:
        raise ImportPhaseError(error) from None

    main = getattr(module, "main", None)
    if main is None:
        raise BadSignature(f"the script {script.name} defines no main() function")
    if not callable(main):
        raise BadSignature(f"main in {script.name} is not a function")
    return main


def library_modules(names: set[str], limit: int = 2000) -> list[str]:
    """The installed-library modules among ``names`` (the interpreter's own, site-packages), parents
    first: what the zygote may import so that the next children find them imported. Never a user's
    module (as in :func:`_is_user_file`: nothing outside those folders), never one without a file."""
    found = []
    for name in names:
        file = getattr(sys.modules.get(name), "__file__", None)
        if not isinstance(file, str) or name.startswith("_script_testing_"):
            continue
        real = os.path.realpath(file)
        if real.startswith(_LIBRARY_DIRS) or "site-packages" in real:
            found.append(name)
    return sorted(found, key=lambda n: (n.count("."), n))[:limit]


def _package_root(script: Path, module_name: str) -> str | None:
    depth = len(module_name.split("."))
    parents = script.resolve().parents
    return str(parents[depth - 1]) if depth - 1 < len(parents) else None


def _import_script(script: Path, module_name: str | None) -> Any:
    if module_name:
        return importlib.import_module(module_name)
    unique_name = f"_script_testing_user_{script.stem}"
    spec = importlib.util.spec_from_file_location(unique_name, script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {script} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique_name] = module
    spec.loader.exec_module(module)
    return module


def _check_signature(main: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    """Production calls ``main(input_paths, output_paths, environ_vars, job_args)``: can we?"""
    try:
        signature = inspect.signature(main)
    except (TypeError, ValueError):
        return  # builtins or C callables: just try the call
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_var_positional = any(p.kind == p.VAR_POSITIONAL for p in params)
    if len(positional) < 4 and not has_var_positional:
        names = ", ".join(p.name for p in positional) or "nothing"
        raise BadSignature(
            f"main() takes {len(positional)} positional parameter(s) ({names}); production "
            "calls it with four: (input_paths, output_paths, environ_vars, job_args)"
        )
    for param in positional[4:] + [p for p in params if p.kind == p.KEYWORD_ONLY]:
        if param.default is param.empty and param.name not in kwargs:
            raise BadSignature(
                f"main() has a required parameter '{param.name}' besides the four standard ones, "
                "but production passes only those four; give it a default value or set it in "
                "the node's main_kwargs"
            )
    try:
        signature.bind(None, None, None, None, **kwargs)
    except TypeError as error:
        raise BadSignature(
            f"main() cannot take the keyword argument(s) {', '.join(sorted(kwargs))} given in "
            f"main_kwargs ({error}); remove them from the node's main_kwargs"
        ) from None


def _user_roots(job: dict[str, Any]) -> list[str]:
    """Folders holding the user's code (the script's, its package root, sys_path, preloads)."""
    roots = [os.path.dirname(os.path.realpath(job["script_path"]))]
    roots += [os.path.realpath(p) for p in job.get("sys_path", [])]
    roots += [os.path.dirname(os.path.realpath(p)) for p in job.get("preload", [])]
    return roots


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and what caused it, outermost first (``__cause__``, else ``__context__``)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not e for e in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def _describe_failure(
    error: BaseException, phase: str, script_path: str, user_roots: list[str]
) -> dict[str, Any]:
    chain = _chain(error)
    causes = [
        {
            "type": type(e).__name__,
            "message": clip(_safe_str(e), MESSAGE_LIMIT),
            "location": _location(e, script_path, user_roots),
        }
        for e in reversed(chain)
    ]
    root = causes[0]
    outcome: dict[str, Any] = {
        "phase": phase,
        "exception_type": root["type"],
        "exception_message": root["message"],
        "location": root["location"] or _location(error, script_path, user_roots),
        "causes": causes,
    }
    if isinstance(error, SystemExit):
        outcome.update(
            exception_type="SystemExit",
            exception_message=_safe_str(error),
            location=_location(error, script_path, user_roots),
            causes=[],
        )
        return {**outcome, **_describe_exit(error.code, phase)}

    formatted = "".join(traceback.format_exception(type(error), error, _user_frames(error.__traceback__)))
    # What the interpreter prints for an uncaught exception, so stderr.log tells it too.
    print(formatted, end="", file=sys.stderr)
    outcome["traceback"] = clip(formatted, TRACEBACK_LIMIT)
    if any(isinstance(e, MemoryError) for e in chain):
        outcome["outcome"] = "memory"
    else:
        outcome["outcome"] = "exception" if phase == "main" else "import_error"
    return outcome


def _describe_exit(code: Any, phase: str) -> dict[str, Any]:
    """``sys.exit(code)``: 0 or None after main started is a pass; anything else a failure."""
    exit_code = code if isinstance(code, int) else (0 if code is None else 1)
    if not isinstance(code, (int, type(None))):
        print(code, file=sys.stderr)  # what the interpreter itself does with sys.exit("text")
    kind = "passed" if exit_code == 0 and phase == "main" else "exit" if phase == "main" else "import_error"
    return {"outcome": kind, "exit_code": exit_code, "exit_repr": clip(repr(code), 300), "traceback": None}


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """Skip the leading frames that are the runner's or the import machinery's, not the user's."""
    while tb is not None and _is_machinery(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb


def _is_machinery(filename: str) -> bool:
    return (
        filename == __file__
        or filename.startswith("<frozen importlib")
        or filename in (runpy.__file__, importlib.__file__)
    )


_LIBRARY_DIRS = tuple(
    {
        os.path.realpath(p) + os.sep
        for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__))
    }
)


def _location(error: BaseException, script_path: str, user_roots: list[str]) -> str | None:
    """``file.py:line`` of the innermost frame in the user's code: the script itself or another
    file of the user's (its folder, package root, sys_path; not installed libraries)."""
    if isinstance(error, SyntaxError) and error.filename:
        real = _real(error.filename)
        if real == script_path or (real and _is_user_file(real, user_roots)):
            return f"{Path(error.filename).name}:{error.lineno}"
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        real = _real(frame.filename)
        if real == script_path or (real and _is_user_file(real, user_roots)):
            found = f"{Path(frame.filename).name}:{frame.lineno}"
    return found


def _is_user_file(real: str, user_roots: list[str]) -> bool:
    if real.startswith(_LIBRARY_DIRS) or "site-packages" in real or real == __file__:
        return False
    return any(real.startswith(root.rstrip(os.sep) + os.sep) for root in user_roots)


def _real(name: str) -> str | None:
    try:
        return os.path.realpath(name)
    except (OSError, ValueError):
        return None


def _safe_repr(value: Any) -> str | None:
    if value is None:
        return None
    try:
        text = repr(value)
    except BaseException as error:  # a broken __repr__ must not fail the run
        text = f"<unrepresentable {type(value).__name__}: {type(error).__name__}>"
    return text if len(text) <= RETURN_REPR_LIMIT else text[: RETURN_REPR_LIMIT - 3] + "..."


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except BaseException:
        return f"<unprintable {type(error).__name__}>"


# --------------------------------------------------------------------------- exit


def _report(fd: int, data: dict[str, Any]) -> None:
    write_all(fd, (json.dumps(data, default=str) + "\n").encode())
    os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (a pipe may take it in parts)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _flush_std_streams() -> None:
    if "logging" in sys.modules:
        try:
            sys.modules["logging"].shutdown()
        except BaseException:
            pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
