"""What runs inside the forked child: isolate, load the script, call ``main()``, record, exit.

:func:`run_job` never returns: whatever happens it ends with :func:`os._exit`, so a child can
never fall back into the zygote's request loop. It writes a small JSON "raw outcome" to
``RESULT_FILE`` in the work dir; the parent turns it into a :class:`ScriptResult`.

Raw outcome keys: ``outcome`` (``passed``, ``exception``, ``exit``, ``import_error``,
``memory``, ``bad_signature``), ``phase`` (``import`` or ``main``), ``exception_type``,
``exception_message``, ``traceback``, ``location``, ``exit_code``, ``exit_repr``,
``return_value``, ``peak_memory_kb``, ``detail`` (for bad signatures).
"""

from __future__ import annotations

import argparse
import ctypes
import faulthandler
import importlib
import importlib.util
import inspect
import io
import json
import os
import resource
import runpy
import signal
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any, Callable

from .models import RESULT_FILE, STDERR_FILE, STDOUT_FILE

RETURN_REPR_LIMIT = 2048
_PR_SET_PDEATHSIG = 1


class BadSignature(Exception):
    """``main`` is missing or cannot be called with the four standard arguments."""


class ImportPhaseError(Exception):
    """Wraps an exception raised while preloading or importing the script."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def run_job(job: dict[str, Any], close_fds: list[int]) -> None:
    """Run one job in this (freshly forked) process and exit; never returns."""
    code = 0
    try:
        _isolate(job, close_fds)
        outcome = _execute(job)
        outcome["peak_memory_kb"] = _peak_rss_kb()
        _write_json_atomically(Path(job["work_dir"]) / RESULT_FILE, outcome)
    except BaseException:  # our own failure: leave a trace for the zygote's stderr
        code = 70
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        _flush_std_streams()
        os._exit(code)


# --------------------------------------------------------------------------- isolation

def _isolate(job: dict[str, Any], close_fds: list[int]) -> None:
    os.setsid()
    _die_with_parent()
    for fd in close_fds:
        try:
            os.close(fd)
        except OSError:
            pass
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD, signal.SIGUSR1,
                   signal.SIGUSR2, signal.SIGALRM):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    work_dir = Path(job["work_dir"])
    work_dir.mkdir(parents=True, exist_ok=True)
    _redirect_std_fds(work_dir)
    faulthandler.enable()  # a segfault in native code leaves a Python traceback in stderr.log
    if job.get("memory_limit_mb"):
        _limit_address_space(int(job["memory_limit_mb"]))
    _reset_peak_rss()
    os.chdir(work_dir)
    os.environ.update({k: str(v) for k, v in job.get("environ_vars", {}).items()})
    sys.argv = [job["script_path"], *job.get("argv", [])]


def _die_with_parent() -> None:
    """Ask the kernel to SIGKILL this child if the zygote dies (no orphaned scripts)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


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
    return io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding="utf-8",
                            errors="backslashreplace", line_buffering=True)


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


# --------------------------------------------------------------------------- execution

def _execute(job: dict[str, Any]) -> dict[str, Any]:
    script_path = str(Path(job["script_path"]).resolve())
    try:
        main = _load_main(job)
    except BadSignature as error:
        return {"outcome": "bad_signature", "phase": "import", "detail": str(error)}
    except ImportPhaseError as wrapped:
        return _describe_failure(wrapped.original, "import", script_path,
                                 job.get("memory_limit_mb"))

    try:
        args, kwargs = _arguments_for(main, job)
    except BadSignature as error:
        return {"outcome": "bad_signature", "phase": "main", "detail": str(error)}

    try:
        value = main(*args, **kwargs)
    except BaseException as error:  # the user's script failed: record it, do not propagate
        return _describe_failure(error, "main", script_path, job.get("memory_limit_mb"))
    return {"outcome": "passed", "phase": "main", "return_value": _safe_repr(value)}


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


def _arguments_for(main: Callable[..., Any], job: dict[str, Any]) -> tuple[list, dict]:
    """The call to make: the four standard arguments, plus ``logger`` if main asks for one."""
    standard = [dict(job.get("input_paths", {})), dict(job.get("output_paths", {})),
                dict(job.get("environ_vars", {})), argparse.Namespace(**job.get("job_args", {}))]
    try:
        params = list(inspect.signature(main).parameters.values())
    except (TypeError, ValueError):
        return standard, {}  # builtins or C callables: just try the standard call

    positional = [p for p in params
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_var_positional = any(p.kind == p.VAR_POSITIONAL for p in params)
    if len(positional) < 4 and not has_var_positional:
        names = ", ".join(p.name for p in positional) or "nothing"
        raise BadSignature(
            f"main() takes {len(positional)} positional parameter(s) ({names}); it must accept "
            "(input_paths, output_paths, environ_vars, job_args)")

    kwargs: dict[str, Any] = {}
    extras = positional[4:] + [p for p in params if p.kind == p.KEYWORD_ONLY]
    for param in extras:
        if param.name == "logger":
            kwargs["logger"] = _logger
        elif param.default is param.empty:
            raise BadSignature(
                f"main() has a required parameter '{param.name}' besides the four standard ones; "
                "give it a default value")
    return standard, kwargs


def _logger(*args: Any, **kwargs: Any) -> None:
    """The ``logger`` callable handed to scripts that accept one: prints to stdout.log."""
    kwargs.setdefault("flush", True)
    print(*args, **kwargs)


def _describe_failure(error: BaseException, phase: str, script_path: str,
                      memory_limit_mb: int | None) -> dict[str, Any]:
    outcome: dict[str, Any] = {
        "phase": phase,
        "exception_type": type(error).__name__,
        "exception_message": _safe_str(error),
        "location": _location_in_script(error, script_path),
        "memory_limit_mb": memory_limit_mb,
    }
    if isinstance(error, SystemExit):
        return {**outcome, **_describe_exit(error.code, phase)}

    formatted = "".join(traceback.format_exception(type(error), error,
                                                   _user_frames(error.__traceback__)))
    # What the interpreter prints for an uncaught exception, so stderr.log tells it too.
    print(formatted, end="", file=sys.stderr)
    outcome["traceback"] = formatted
    if isinstance(error, MemoryError):
        outcome["outcome"] = "memory"
    else:
        outcome["outcome"] = "exception" if phase == "main" else "import_error"
    return outcome


def _describe_exit(code: Any, phase: str) -> dict[str, Any]:
    """``sys.exit(code)``: 0 or None after main started is a pass; anything else a failure."""
    exit_code = code if isinstance(code, int) else (0 if code is None else 1)
    if not isinstance(code, (int, type(None))):
        print(code, file=sys.stderr)  # what the interpreter itself does with sys.exit("text")
    if exit_code == 0 and phase == "main":
        kind = "passed"
    else:
        kind = "exit" if phase == "main" else "import_error"
    return {"outcome": kind, "exit_code": exit_code, "exit_repr": repr(code), "traceback": None}


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """Skip the leading frames that are the runner's or the import machinery's, not the user's."""
    while tb is not None and _is_machinery(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb


def _is_machinery(filename: str) -> bool:
    return (filename == __file__ or filename.startswith("<frozen importlib")
            or filename in (runpy.__file__, importlib.__file__))


def _location_in_script(error: BaseException, script_path: str) -> str | None:
    """``file.py:line`` of the innermost frame inside the user's script, if any."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        if _same_file(frame.filename, script_path):
            found = f"{Path(frame.filename).name}:{frame.lineno}"
    if found is None and isinstance(error, SyntaxError) and error.filename:
        if _same_file(error.filename, script_path):
            found = f"{Path(error.filename).name}:{error.lineno}"
    return found


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.realpath(a) == b
    except (OSError, ValueError):
        return False


def _safe_repr(value: Any) -> str | None:
    if value is None:
        return None
    try:
        text = repr(value)
    except BaseException as error:  # a broken __repr__ must not fail the run
        text = f"<unrepresentable {type(value).__name__}: {type(error).__name__}>"
    return text if len(text) <= RETURN_REPR_LIMIT else text[:RETURN_REPR_LIMIT - 3] + "..."


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except BaseException:
        return f"<unprintable {type(error).__name__}>"


# --------------------------------------------------------------------------- exit

def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, default=str)
        handle.flush()
    os.replace(tmp, path)


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
