"""Parent side: a pool that runs :class:`ScriptJob` objects in a warm zygote worker.

    with WorkerPool(preimport=["pandas"]) as pool:
        result = pool.run(job)                # or: future = pool.submit(job)

The zygote starts on first use, one per interpreter (``ScriptJob.python``: the scripts' own
environment; default: this interpreter). Each job runs in its own forked child, so a crashing
script cannot take the caller or the zygote down. The zygote gets this process's environment
without its secrets; each script gets a minimal one (see :class:`ScriptJob`), and every text in
a result has the tool's secret values masked (:mod:`.redaction`). If the zygote itself dies, jobs in flight resolve to a
``worker_error`` result and the next ``submit`` starts a new zygote. Timeouts are enforced by the
zygote; the pool adds a generous guard deadline of its own in case the zygote stops answering.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..errors import WorkerError
from .models import ScriptJob, ScriptResult
from .redaction import Redactor, scrub_environ
from .results import build_result, redact_result, tail, worker_error_result
from .zygote import BOOTSTRAP, DEFAULT_PREIMPORT_TIMEOUT_S

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # script_testing/
_WORKER_PATH_ROOT = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "script_testing" / "worker_path"
)


def _worker_path() -> str:
    """A folder holding only a link to this ``script_testing`` package, for the worker's
    sys.path: the scripts' interpreter gets our (standard-library-only) worker code and nothing
    else from the tool's installation (not its site-packages, not the repository around it)."""
    import hashlib

    folder = _WORKER_PATH_ROOT / hashlib.sha256(str(_PACKAGE_DIR).encode()).hexdigest()[:16]
    link = folder / "script_testing"
    if not link.is_symlink() or link.resolve() != _PACKAGE_DIR:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".link-{os.getpid()}-{threading.get_ident()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(_PACKAGE_DIR, target_is_directory=True)
        os.replace(tmp, link)
    return str(folder)


_WATCHDOG_INTERVAL_S = 0.5


def guard_deadline_s(timeout_s: float) -> float:
    """How long the parent waits for the zygote's answer before declaring the worker stuck."""
    return timeout_s + max(30.0, 0.1 * timeout_s)


class _Pending:
    __slots__ = ("deadline", "future", "job")

    def __init__(self, future: Future, job: ScriptJob, deadline: float) -> None:
        self.future, self.job, self.deadline = future, job, deadline


class _Worker:
    """One zygote process, its reader thread and the jobs it has in flight."""

    def __init__(
        self,
        preimport: list[str],
        lock: threading.Lock,
        python: str,
        preimport_timeout_s: float,
        redactor: Redactor,
    ) -> None:
        self.lock = lock  # the pool's lock: guards ``alive`` and ``pending``
        self.pending: dict[int, _Pending] = {}
        self.alive = True
        self.ready: dict[str, Any] | None = None
        self.python = python
        self.redactor = redactor
        fd, self.stderr_path = tempfile.mkstemp(prefix="script_testing_worker_", suffix=".log")
        os.close(fd)
        env = scrub_environ(os.environ)  # the tool's secrets stay with the tool
        if python != sys.executable:  # another environment: none of this one's paths
            env.pop("PYTHONPATH", None)
        with open(self.stderr_path, "ab") as stderr:
            self.proc = subprocess.Popen(
                [
                    python,
                    "-c",
                    BOOTSTRAP,
                    _worker_path(),
                    "--preimport-timeout",
                    str(preimport_timeout_s),
                    *preimport,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                close_fds=True,
                cwd="/",
            )
        self.reader = threading.Thread(target=self._read, name=f"zygote-{self.proc.pid}-reader", daemon=True)
        self.reader.start()

    def send(self, line: bytes) -> bool:
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False  # the reader sees EOF and fails whatever is pending

    def _read(self) -> None:
        for raw in self.proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if message.get("ready"):
                with self.lock:  # the jobs' clocks start now that the worker serves them
                    self.ready = message
                    now = time.monotonic()
                    for pending in self.pending.values():
                        pending.deadline = max(
                            pending.deadline, now + guard_deadline_s(pending.job.timeout_s)
                        )
                continue
            with self.lock:
                pending = self.pending.pop(message.get("id"), None)
            if pending is not None:
                skipped = (self.ready or {}).get("skipped") or {}
                _resolve(
                    pending, lambda p=pending, m=message, s=skipped: build_result(p.job, m, self.redactor, s)
                )
        self._on_exit()

    def _on_exit(self) -> None:
        returncode = self.proc.wait()
        with self.lock:
            self.alive = False
            orphans, self.pending = list(self.pending.values()), {}
        if orphans:
            message = self.death_message(returncode)
            for pending in orphans:
                _resolve(
                    pending,
                    lambda p=pending: redact_result(worker_error_result(p.job, message), self.redactor),
                )

    def death_message(self, returncode: int | None) -> str:
        how = (
            f"was killed by signal {-returncode}"
            if returncode and returncode < 0
            else f"exited with code {returncode}"
        )
        text = (
            f"the script worker process (pid {self.proc.pid}) {how} while the script was "
            "running, so its outcome is unknown; the pool starts a new worker for the next "
            "script."
        )
        worker_tail = tail(Path(self.stderr_path), max_lines=15)
        return text + (f"\nLast lines of the worker's stderr:\n{worker_tail}" if worker_tail else "")

    def fail_pending(self, message: str) -> None:
        with self.lock:
            orphans, self.pending = list(self.pending.values()), {}
        for pending in orphans:
            _resolve(pending, lambda p=pending: worker_error_result(p.job, message))

    def stop(self, grace_s: float = 5.0) -> None:
        """Close stdin (the zygote kills running jobs and exits); kill it if it lingers."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=grace_s)
        try:
            os.unlink(self.stderr_path)
        except OSError:
            pass


def _request_line(request_id: int, job: ScriptJob) -> bytes:
    """One JSON line; values JSON cannot hold (a Path in job_args, say) travel as strings.

    The tool's values of the variables the job names in ``pass_env`` travel with it (as
    ``passed_env``): the worker itself never holds credentials."""
    data = job.to_dict()
    data["passed_env"] = {name: os.environ[name] for name in job.pass_env if name in os.environ}
    return (json.dumps({"id": request_id, "job": data}, default=str) + "\n").encode()


def _resolve(pending: _Pending, make_result) -> None:
    """Set the future's result, turning any failure of our own code into a worker_error."""
    if pending.future.done():
        return
    try:
        result = make_result()
    except Exception as error:
        result = worker_error_result(
            pending.job, f"could not build the result: {type(error).__name__}: {error}"
        )
    try:
        pending.future.set_result(result)
    except Exception:  # already resolved by the watchdog in a race: keep the first result
        pass


class WorkerPool:
    """Runs scripts in forked children of one warm worker process; thread-safe."""

    def __init__(
        self,
        preimport: Iterable[str] = (),
        python: str | None = None,
        preimport_timeout_s: float = DEFAULT_PREIMPORT_TIMEOUT_S,
    ) -> None:
        """``python``: the default interpreter for jobs that name none (default: this one).
        ``preimport_timeout_s``: a module whose import takes longer is left out of the worker."""
        self._preimport = list(dict.fromkeys(preimport))
        self._python = python or sys.executable
        self._preimport_timeout_s = preimport_timeout_s
        self._redactor = Redactor.from_environ()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._workers: dict[str, _Worker] = {}
        self._closed = False
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    @property
    def preimport(self) -> list[str]:
        return list(self._preimport)

    @property
    def redactor(self) -> Redactor:
        """Masks the tool's secret values (from its environment when the pool was made)."""
        return self._redactor

    @property
    def worker_pid(self) -> int | None:
        """The default interpreter's zygote pid, or ``None`` before it starts or after it ends."""
        return self.worker_pid_for(None)

    def worker_pid_for(self, python: str | None) -> int | None:
        worker = self._workers.get(python or self._python)
        return worker.proc.pid if worker is not None and worker.alive else None

    def worker_info(self, python: str | None = None) -> dict[str, Any] | None:
        """The zygote's ready message: ``imported``, ``failed`` and ``skipped`` preimports."""
        worker = self._workers.get(python or self._python)
        return dict(worker.ready) if worker is not None and worker.ready else None

    def start(self, python: str | None = None) -> None:
        """Start the warm worker now (it imports ``preimport`` in its own process, in the background),
        so that work overlaps whatever the caller does before the first :meth:`submit`."""
        with self._lock:
            self._ensure_worker("start", python)

    def _ensure_worker(self, node: str, python: str | None = None) -> _Worker:
        if self._closed:
            raise WorkerError("the worker pool is closed", where=node, hint="create a new WorkerPool")
        python = python or self._python
        worker = self._workers.get(python)
        if worker is None or not worker.alive:
            worker = self._workers[python] = _Worker(
                self._preimport, self._lock, python, self._preimport_timeout_s, self._redactor
            )
            self._start_watchdog()
        return worker

    def submit(self, job: ScriptJob) -> Future[ScriptResult]:
        """Start ``job``; the future resolves to its :class:`ScriptResult` (never raises)."""
        future: Future[ScriptResult] = Future()
        future.set_running_or_notify_cancel()
        deadline = time.monotonic() + guard_deadline_s(job.timeout_s)
        with self._lock:
            worker, request_id = self._ensure_worker(job.node, job.python), next(self._ids)
            line = _request_line(request_id, job)
            worker.pending[request_id] = _Pending(future, job, deadline)
        worker.send(line)
        return future

    def stop(self, future: Future[ScriptResult]) -> None:
        """Stop the job of ``future`` if it is still running: the worker kills its whole process tree and
        answers as usual (the result says the job was stopped); a no-op for a finished job."""
        with self._lock:
            found = [
                (w, rid) for w in self._workers.values() for rid, p in w.pending.items() if p.future is future
            ]
        for worker, request_id in found:
            worker.send((json.dumps({"stop": request_id}) + "\n").encode())

    def run(self, job: ScriptJob) -> ScriptResult:
        """Run ``job`` and wait for its result."""
        return self.submit(job).result()

    def close(self, wait: bool = True) -> None:
        """Shut the worker down; with ``wait``, let jobs in flight finish first."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers.values())
            in_flight = [p.future for w in workers for p in w.pending.values()]
        if wait:
            for future in in_flight:
                future.exception()
        self._stop.set()
        for worker in workers:
            worker.stop()
            worker.fail_pending("the worker pool was closed before the script finished.")

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(wait=exc_info[0] is None)

    # ----------------------------------------------------------------- watchdog

    def _start_watchdog(self) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="worker-pool-watchdog", daemon=True)
            self._watchdog.start()

    def _watch(self) -> None:
        """Fail jobs whose zygote stopped answering long past their timeout; restart it."""
        while not self._stop.wait(_WATCHDOG_INTERVAL_S):
            with self._lock:
                now = time.monotonic()
                # a worker still importing has its own per-module deadline; clocks start at ready
                overdue = [
                    (w, [p for p in w.pending.values() if p.deadline <= now])
                    for w in self._workers.values()
                    if w.ready is not None
                ]
            for worker, late in overdue:
                if not late:
                    continue
                for pending in late:
                    _resolve(
                        pending,
                        lambda p=pending: worker_error_result(
                            p.job,
                            f"the script worker did not report back within "
                            f"{guard_deadline_s(p.job.timeout_s):g} s although timeout_s was "
                            f"{p.job.timeout_s:g} s; the worker was restarted.",
                        ),
                    )
                worker.proc.kill()  # the reader fails the rest; the next submit restarts


_shared_pool: WorkerPool | None = None
_shared_lock = threading.Lock()


def shared_pool(preimport: Iterable[str] = ()) -> WorkerPool:
    """A process-wide pool, reused across calls and closed at exit.

    If ``preimport`` names a module the current pool does not preimport, a new pool with the
    union is made; the old one finishes its jobs in flight in the background, then closes.
    """
    global _shared_pool
    wanted = list(dict.fromkeys(preimport))
    with _shared_lock:
        current = _shared_pool
        if current is not None and not current._closed and set(wanted) <= set(current.preimport):
            return current
        union = (current.preimport if current is not None else []) + wanted
        _shared_pool = WorkerPool(union)
        if current is not None:
            threading.Thread(target=current.close, kwargs={"wait": True}, daemon=True).start()
        return _shared_pool


@atexit.register
def _close_shared_pool() -> None:
    if _shared_pool is not None:
        _shared_pool.close(wait=False)
