"""Start the warm worker before the CLI has planned anything, from what the same command needed last time.

The warm worker's imports (pandas, scikit-learn, ...: seconds) are on the path to the first script; the
CLI only knows them once it has imported itself and planned the pipelines (about half a second). So the
``script-testing`` process starts, at its very beginning, a worker with the modules this very command
(same working directory, same arguments) preimported on its previous run, recorded in
``~/.cache/script_testing/early_workers.json``. Once the CLI has planned, :func:`adopt` hands it that
worker only if it preimports exactly what the plan asks for (else it is closed and a fresh one started):
an early worker is never different from the one the run would have started, only earlier.

    early_start(sys.argv[1:])            # the console entry point, before importing the CLI
    with adopt(preimport) as pool: ...   # the run command, once it knows what to preimport
    remember(preimport)                  # for the next run of the same command

Standard library, :mod:`script_testing.files` and (for ``run`` only) :mod:`.pool`: this runs before
anything heavy is imported, on every command.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from script_testing import files
from script_testing.errors import ScriptTestingError

if TYPE_CHECKING:
    from .pool import WorkerPool

#: Commands that run scripts in the warm worker.
COMMANDS = ("run",)
MAX_ENTRIES = 50

_early: dict[str, object] = {"key": None, "pool": None}


def cache_file() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "script_testing" / "early_workers.json"


def _key(args: list[str]) -> str:
    return hashlib.sha256(json.dumps([os.getcwd(), args]).encode()).hexdigest()[:32]


def _load() -> dict[str, dict]:
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def early_start(args: list[str]) -> None:
    """In the ``script-testing`` process, before the CLI imports: for a command that runs scripts, start
    the worker it needed last time (if any) and remember which command this is."""
    if not args or args[0] not in COMMANDS or {"-h", "--help"} & set(args):
        return
    _early["key"] = key = _key(args)
    entry = _load().get(key)
    preimport = entry.get("preimport") if isinstance(entry, dict) else None
    if not isinstance(preimport, list) or not all(isinstance(m, str) for m in preimport):
        return
    from .pool import WorkerPool  # why: only `run` needs it; `--help`, `validate`... do not pay its import

    pool = WorkerPool(preimport=preimport)
    try:
        pool.start()
    except Exception:  # the run starts its own worker as usual
        pool.close(wait=False)
        return
    _early["pool"] = pool


def adopt(preimport: list[str]) -> WorkerPool:
    """The worker pool for a run that preimports ``preimport``: the early one if it preimports exactly
    that, else a new one (an early one that does not fit is closed)."""
    from .pool import WorkerPool  # why: as in early_start

    pool = _early["pool"]
    _early["pool"] = None
    if isinstance(pool, WorkerPool):
        if pool.preimport == list(dict.fromkeys(preimport)):
            return pool
        pool.close(wait=False)
    return WorkerPool(preimport=preimport)


def remember(preimport: list[str]) -> None:
    """Record what this command preimports, for its next run (only in a process :func:`early_start`
    recognised; never fails the run)."""
    key = _early["key"]
    if not isinstance(key, str):
        return
    entries = {k: v for k, v in _load().items() if isinstance(v, dict) and isinstance(v.get("used"), float)}
    entries[key] = {"preimport": list(dict.fromkeys(preimport)), "used": time.time()}
    kept = dict(sorted(entries.items(), key=lambda kv: -kv[1]["used"])[:MAX_ENTRIES])
    path = cache_file()
    with contextlib.suppress(OSError, ScriptTestingError):
        files.write_text(path, json.dumps(kept), root=path.parent)
