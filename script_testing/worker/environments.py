"""The scripts' own Python environment: which interpreter runs the worker.

A project (or one node) says ``environment:`` with one of

- ``{python: PATH}``: an existing interpreter (a venv's ``bin/python``, a conda env's, ...);
- ``{requirements: FILE}``: a venv built with ``uv`` (``uv venv`` + ``uv pip install -r FILE``),
  cached under ``cache_dir`` keyed by the file's content hash and the Python version, reused
  across runs and rebuilt when the file changes. ``python:`` next to ``requirements:`` picks
  the base interpreter (a path or a version such as ``"3.11"``); default: this interpreter.

:func:`resolve_environment` returns the interpreter path to put in ``ScriptJob.python`` (``None``
means the tool's own). Runs in the tool's process, not in the worker.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: Written into a venv once it is complete; a venv without it is rebuilt.
COMPLETE_MARKER = ".script_testing_complete"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "script_testing" / "envs"


def resolve_environment(
    spec: Mapping[str, Any] | Any | None,
    root: Path | str = ".",
    cache_dir: Path | str | None = None,
    log: Callable[[str], None] = print,
    where: str | None = None,
) -> str | None:
    """The interpreter for ``spec`` (a mapping or a model with ``python``/``requirements``).

    Relative paths are resolved against ``root``. Raises :class:`ConfigError` with one sentence
    when the interpreter is missing or the environment cannot be built."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        spec = {k: getattr(spec, k, None) for k in ("python", "requirements")}
    python, requirements = spec.get("python"), spec.get("requirements")
    root = Path(root)
    if requirements:
        return str(
            build_venv(
                _resolve(root, requirements),
                python,
                root,
                Path(cache_dir) if cache_dir else default_cache_dir(),
                log,
                where,
            )
        )
    if python:
        return str(_interpreter(python, root, where))
    return None


def _resolve(root: Path, value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (root / path)


def _interpreter(python: str, root: Path, where: str | None) -> Path:
    """An existing interpreter: a path (relative to ``root``) or a name/version on PATH."""
    candidate = _resolve(root, python) if os.sep in str(python) else None
    if candidate is None:
        found = shutil.which(python) or shutil.which(f"python{python}")
        candidate = Path(found) if found else None
    if candidate is None or not candidate.exists():
        raise ConfigError(
            f"the environment's python '{python}' does not exist",
            where=where,
            hint="point environment.python at an interpreter (e.g. a venv's "
            "bin/python) or install that Python version",
        )
    if not os.access(candidate, os.X_OK):
        raise ConfigError(
            f"the environment's python '{candidate}' is not executable",
            where=where,
            hint="fix its permissions or point at another interpreter",
        )
    return candidate.absolute()


def python_version(python: str | Path) -> str:
    """``"3.11"`` for the interpreter at ``python``."""
    if str(python) == sys.executable:
        return f"{sys.version_info[0]}.{sys.version_info[1]}"
    out = subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if out.returncode != 0:
        raise ConfigError(
            f"the interpreter {python} does not run ({out.stderr.strip()[-200:]})",
            hint="point environment.python at a working interpreter",
        )
    return out.stdout.strip()


def build_venv(
    requirements: Path,
    python: str | None,
    root: Path,
    cache_dir: Path,
    log: Callable[[str], None] = print,
    where: str | None = None,
) -> Path:
    """The ``bin/python`` of a cached venv with ``requirements`` installed; builds it if needed."""
    where = where or str(requirements)
    if not requirements.is_file():
        raise ConfigError(
            f"the requirements file {requirements} does not exist",
            where=where,
            hint="fix environment.requirements (relative to the project file)",
        )
    uv = shutil.which("uv")
    if uv is None:
        raise ConfigError(
            "building an environment from a requirements file needs 'uv', which is not on PATH",
            where=where,
            hint="install uv (pip install uv) or use environment.python instead",
        )
    base = str(_interpreter(python, root, where)) if python else sys.executable
    version = python_version(base)
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    venv = cache_dir / f"{digest}-py{version}"
    interpreter = venv / "bin" / "python"
    if (venv / COMPLETE_MARKER).is_file() and interpreter.exists():
        return interpreter

    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building the same one
        if (venv / COMPLETE_MARKER).is_file() and interpreter.exists():
            return interpreter
        shutil.rmtree(venv, ignore_errors=True)
        log(f"Building the scripts' environment from {requirements.name} (Python {version}) in {venv} ...")
        _run([uv, "venv", "--quiet", "--python", base, str(venv)], requirements, where, log)
        _run(
            [uv, "pip", "install", "--python", str(interpreter), "-r", str(requirements)],
            requirements,
            where,
            log,
        )
        (venv / COMPLETE_MARKER).write_text(str(requirements) + "\n")
        log(f"Environment ready: {interpreter}")
    return interpreter


def _run(command: list[str], requirements: Path, where: str, log: Callable[[str], None]) -> None:
    """Run a uv command, printing its progress; one sentence if it fails."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)  # uv must not target the tool's own venv
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line:
            lines.append(line)
            log(f"  {line}")
    if proc.wait() != 0:
        last = next((line for line in reversed(lines) if line.strip()), "no output")
        raise ConfigError(
            f"could not build the scripts' environment from {requirements.name}: "
            f"'{' '.join(command[:3])}' failed ({last.strip()[:300]})",
            where=where,
            hint="fix the requirements file (package names, versions) or the network, then run again",
            details="\n".join(lines[-30:]) or None,
        )
