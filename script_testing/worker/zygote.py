"""The warm worker: ``python -c <bootstrap> [--preimport-timeout S] MODULE...``.

Two processes. The *supervisor* (the process the pool started) forks the *server*, which
imports the given modules and then serves jobs. The supervisor watches the imports: a module
that hangs longer than the preimport timeout, or kills the process (``os._exit``, a crash in
native code), is left out and a fresh server is forked without it; its reason is recorded and
reported. So one bad module cannot break the worker; only a script that imports it meets it,
in its own child, within its own timeout. When a server is serving, the supervisor just waits
for it and ends the same way it does (same exit code, or same signal). The server dies with the
supervisor (``PR_SET_PDEATHSIG``), and each job's child with the server.

The server speaks JSON lines on stdin/stdout:

- request  ``{"id": 7, "job": {...ScriptJob.to_dict()...}}``
- response ``{"id": 7, "pid": ..., "exit_code": int|null, "signal": int|null,
  "timed_out": bool, "duration_s": float, "maxrss_kb": int, "child": {...}|null}``
  where ``child`` is the raw outcome the child sent over its result pipe (see :mod:`.child`),
  or ``{"id": 7, "worker_error": "..."}`` if the job could not even be started.

On startup it sends ``{"ready": true, "pid": ..., "imported": [...], "failed": {...},
"skipped": {...}}``. Responses go to a private dup of the original stdout; fd 1 is pointed at
fd 2 so stray prints (from preimported modules, say) cannot corrupt the protocol, and fd 0 is
/dev/null while modules import. Each job runs in a forked child with its own session; several
children run concurrently. The server is a child subreaper: a child past its deadline has its
whole tree killed, and processes orphaned by a child that died are killed when it is reaped.
EOF on stdin shuts down.

Standard library only: this runs in the scripts' own interpreter.

A little above ~400 lines: the supervisor and the forking server share the protocol with the pool.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import json
import os
import secrets
import selectors
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import child as child_module
from . import procs

DEFAULT_PREIMPORT_TIMEOUT_S = 120.0


@dataclass
class _Running:
    request_id: Any
    pid: int
    pidfd: int
    result_fd: int
    started: float
    deadline: float
    job: dict[str, Any]
    nonce: str
    timed_out: bool = False
    stopped: bool = False
    data: bytearray = field(default_factory=bytearray)


@dataclass
class _Spare:
    """A child forked ahead of its job (see :func:`child.await_job`): the fork and the job-independent
    isolation are paid while the previous script runs, not between two scripts."""

    pid: int
    pidfd: int
    job_fd: int  # write end: the job's JSON, then EOF
    result_fd: int
    nonce: str


#: Longest a learned import may take in the zygote (an import the child just did; see ``_learn``).
LEARN_TIMEOUT_S = 10.0


class Zygote:
    """The request loop: hand each job to a spare child, watch children, answer when each one ends."""

    def __init__(self, in_fd: int, out_fd: int) -> None:
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.selector = selectors.DefaultSelector()
        self.running: dict[int, _Running] = {}  # by pidfd
        self.by_result_fd: dict[int, _Running] = {}
        self.buffer = b""
        self.stdin_open = True
        self.spare: _Spare | None = None
        self.unlearnable: set[str] = set()
        self.to_learn: list[str] = []
        self.learning = True
        self.started = time.time()

    def serve(self) -> None:
        os.set_blocking(self.in_fd, False)
        self.selector.register(self.in_fd, selectors.EVENT_READ, "stdin")
        gc.collect()  # what the imports left behind is not frozen into every child (see _fork_spare)
        while self.stdin_open or self.running:
            if self.spare is None and self.stdin_open and not self.to_learn:
                self.spare = self._fork_spare()
            events = self.selector.select(0 if self.to_learn else self._select_timeout())
            if not events and self.to_learn:
                self._learn_one()  # only while nothing else is waiting
            for key, _ in events:
                if key.data == "stdin":
                    self._read_requests()
                elif key.data == "result":
                    run = self.by_result_fd.get(key.fd)
                    if run is not None:
                        self._read_result(run)
                else:
                    run = self.running.get(key.fd)
                    if run is not None:
                        self._reap(run)
            self._enforce_deadlines()
        self._discard_spare()
        self.selector.close()

    # ----------------------------------------------------------------- requests

    def _read_requests(self) -> None:
        try:
            chunk = os.read(self.in_fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            self._shutdown()
            return
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self._handle(line)

    def _handle(self, line: bytes) -> None:
        request_id = None
        try:
            request = json.loads(line)
            if "stop" in request:
                self._stop(request["stop"])
                return
            request_id = request.get("id")
            self._start(request_id, request["job"])
        except Exception as error:  # a bad request or a failed fork: answer, keep serving
            self._send(
                {
                    "id": request_id,
                    "worker_error": f"could not start the job: {type(error).__name__}: {error}",
                }
            )

    def _start(self, request_id: Any, job: dict[str, Any]) -> None:
        os.makedirs(job["work_dir"], exist_ok=True)
        data = json.dumps(job).encode()
        for attempt in (1, 2):
            spare, self.spare = self.spare or self._fork_spare(), None
            started = time.monotonic()
            try:
                child_module.write_all(spare.job_fd, data)
                break
            except OSError:  # the spare died waiting (killed from outside?): a fresh one gets all of it
                self._drop(spare)
                if attempt == 2:
                    raise
        os.close(spare.job_fd)
        os.set_blocking(spare.result_fd, False)
        timeout = float(job.get("timeout_s") or 3600)
        run = _Running(
            request_id, spare.pid, spare.pidfd, spare.result_fd, started, started + timeout, job, spare.nonce
        )
        self.running[spare.pidfd] = run
        self.by_result_fd[spare.result_fd] = run
        self.selector.register(spare.pidfd, selectors.EVENT_READ, "child")
        self.selector.register(spare.result_fd, selectors.EVENT_READ, "result")

    def _stop(self, request_id: Any) -> None:
        """The caller no longer wants this job's result: kill its tree now; it is answered when reaped."""
        for run in self.running.values():
            if run.request_id == request_id and not run.timed_out:
                run.stopped = True
                procs.kill_tree(run.pid)

    def _fork_spare(self) -> _Spare:
        job_read, job_write = os.pipe2(os.O_CLOEXEC)
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
        close_in_child = [
            self.in_fd,
            self.out_fd,
            self.selector.fileno(),
            read_fd,
            job_write,
            *(r.pidfd for r in self.running.values()),
            *(r.result_fd for r in self.running.values()),
        ]
        nonce = secrets.token_hex(16)
        gc.freeze()  # the child's collections never touch (and copy) the zygote's objects
        try:
            pid = os.fork()
        except OSError:
            for fd in (job_read, job_write, read_fd, write_fd):
                os.close(fd)
            raise
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            child_module.await_job(job_read, close_in_child, write_fd, nonce)
        os.close(job_read)
        os.close(write_fd)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # cannot watch it (out of fds?): do not leave it running untracked
            procs.kill_tree(pid)
            os.waitpid(pid, 0)
            os.close(read_fd)
            os.close(job_write)
            raise
        return _Spare(pid, pidfd, job_write, read_fd, nonce)

    def _discard_spare(self) -> None:
        if self.spare is not None:
            spare, self.spare = self.spare, None
            self._drop(spare)

    @staticmethod
    def _drop(spare: _Spare) -> None:
        procs.kill_tree(spare.pid)
        for fd in (spare.job_fd, spare.result_fd, spare.pidfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(spare.pid, 0)

    def _learn(self, names: list[str]) -> None:
        """Queue the library modules a passed script imported, to import them here so that the next
        children start with them (a lazily imported pandas writer costs each child milliseconds): only
        modules a child of this very zygote state has just imported without trouble, one at a time while
        nothing else waits (see :meth:`_learn_one`)."""
        if self.learning:
            queued = set(self.to_learn)
            self.to_learn += [n for n in names if n not in sys.modules and n not in self.unlearnable | queued]
        if self.to_learn:
            self._discard_spare()  # it was forked before these imports

    def _learn_one(self) -> None:
        """Import the next queued module, under a timeout; never one whose file appeared or changed after
        this worker started (a script may write files: it must not get code into the worker); learning
        stops for good if an import leaves a thread running (forking a threaded process is not safe)."""
        name = self.to_learn.pop(0)
        if name in sys.modules:
            return
        parent = name.rpartition(".")[0]
        if (parent and parent not in sys.modules) or not _older_than(name, self.started):
            self.unlearnable.add(name)  # (finding a submodule would import its parent unchecked)
            return
        threads = threading.active_count()
        try:
            with _time_limit(LEARN_TIMEOUT_S):
                importlib.import_module(name)
        except BaseException:  # SystemExit or worse from a module must not stop us
            self.unlearnable.add(name)
        if threading.active_count() > threads:
            self.learning, self.to_learn = False, []

    # ----------------------------------------------------------------- children

    def _select_timeout(self) -> float | None:
        deadlines = [r.deadline for r in self.running.values() if not r.timed_out]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for run in self.running.values():
            if not run.timed_out and now >= run.deadline:
                run.timed_out = True
                procs.kill_tree(run.pid)

    def _read_result(self, run: _Running) -> bool:
        """Read what is in the child's result pipe; False once it is closed or drained."""
        while True:
            try:
                chunk = os.read(run.result_fd, 1 << 16)
            except BlockingIOError:
                return True
            except OSError:
                chunk = b""
            if not chunk:
                self.selector.unregister(run.result_fd)
                del self.by_result_fd[run.result_fd]
                os.close(run.result_fd)
                run.result_fd = -1
                return False
            run.data += chunk

    def _reap(self, run: _Running) -> None:
        # The child has exited but is not reaped yet, so its pid (= its process group id)
        # cannot be reused: kill whatever it left behind in its group, then reap it.
        _kill_group(run.pid)
        _, status, rusage = os.wait4(run.pid, 0)
        duration = time.monotonic() - run.started
        if run.result_fd >= 0:
            self._read_result(run)  # everything the child wrote is in the pipe by now
            if run.result_fd >= 0:  # a descendant still holds the write end: stop listening
                self.selector.unregister(run.result_fd)
                del self.by_result_fd[run.result_fd]
                os.close(run.result_fd)
        self.selector.unregister(run.pidfd)
        os.close(run.pidfd)
        del self.running[run.pidfd]
        self._kill_orphans()
        exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        # An outcome counts only from a child that then ended the way run_job ends it.
        ended_by_us = run.timed_out or run.stopped
        child = _parse_outcome(run.data, run.nonce) if exit_code == 0 and not ended_by_us else None
        imported = (child or {}).pop("imported", None) or []
        _clean_work_dir(run.job)  # before answering: the caller may look at the folder at once
        self._send(
            {
                "id": run.request_id,
                "pid": run.pid,
                "exit_code": exit_code,
                "signal": signum,
                "timed_out": run.timed_out,
                "stopped": run.stopped,
                "duration_s": duration,
                "maxrss_kb": rusage.ru_maxrss,
                "child": child,
                "reported_then_died": bool(run.data) and child is None and not ended_by_us,
            }
        )
        if child is not None and child.get("outcome") == "passed":
            self._learn(imported)  # after answering: off the caller's path

    def _kill_orphans(self) -> None:
        """Processes reparented to us (we are a subreaper) belong to children that died."""
        tracked = {r.pid for r in self.running.values()} | ({self.spare.pid} if self.spare else set())
        for pid in procs.children(os.getpid()):
            if pid in tracked:
                continue
            procs.kill_tree(pid)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass

    def _shutdown(self) -> None:
        """stdin closed: the parent is gone or done. Kill running jobs; the loop reaps them."""
        self.stdin_open = False
        self.selector.unregister(self.in_fd)
        self._discard_spare()
        for run in self.running.values():
            run.timed_out = True
            procs.kill_tree(run.pid)

    def _send(self, message: dict[str, Any]) -> None:
        try:
            child_module.write_all(self.out_fd, (json.dumps(message, default=str) + "\n").encode())
        except BrokenPipeError:
            pass  # the parent went away; stdin EOF will end the loop


def _older_than(name: str, when: float) -> bool:
    """Whether module ``name``'s file (as the import system would find it, without running it) exists
    and was last changed before ``when``."""
    try:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        return bool(origin) and os.stat(origin).st_mtime < when  # type: ignore[arg-type]
    except (ImportError, ValueError, OSError):
        return False


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in this (main) thread after ``seconds``."""

    def _expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _parse_outcome(data: bytes, nonce: str) -> dict[str, Any] | None:
    """The child's outcome: the last line, carrying this job's nonce (else ``None``)."""
    lines = bytes(data).strip().splitlines()
    try:
        outcome = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    if not isinstance(outcome, dict) or outcome.pop("nonce", None) != nonce or len(lines) > 1:
        return None
    return outcome


def _clean_work_dir(job: dict[str, Any]) -> None:
    """Remove the script's private cwd and TMPDIR unless the job keeps them."""
    if job.get("keep_work"):
        return
    for name in (child_module.CWD_DIR, child_module.TMP_DIR):
        shutil.rmtree(os.path.join(job["work_dir"], name), ignore_errors=True)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- preimport


def preimport(names: list[str], progress_fd: int | None = None) -> tuple[list[str], dict[str, str]]:
    """Import each module, ignoring failures; return (imported, {name: error}).

    With ``progress_fd``, write ``start NAME`` before each import (for the supervisor)."""
    imported, failed = [], {}
    for name in names:
        if progress_fd is not None:
            os.write(progress_fd, f"start {name}\n".encode())
        try:
            importlib.import_module(name)
            imported.append(name)
        except BaseException as error:  # SystemExit or worse from a module must not stop us
            failed[name] = f"{type(error).__name__}: {error}"
    return imported, failed


def _serve(names: list[str], skipped: dict[str, str], progress_fd: int, out_fd: int) -> int:
    """The server: import, announce, serve. Runs in the forked server process."""
    supervisor = os.getppid()
    procs.die_with_parent()
    if os.getppid() != supervisor:
        return 1
    procs.become_subreaper()
    os.setpgid(0, 0)  # so a hung import and whatever it started can be killed at once
    in_fd = os.dup(0)
    os.set_inheritable(in_fd, False)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # a module that reads stdin at import must not eat our requests
    os.close(devnull)
    imported, failed = preimport(names, progress_fd)
    sys.stdout.flush()
    os.write(progress_fd, b"serving\n")
    os.close(progress_fd)
    zygote = Zygote(in_fd, out_fd)
    zygote._send(
        {
            "ready": True,
            "pid": os.getpid(),
            "supervisor": supervisor,
            "imported": imported,
            "failed": {**failed, **skipped},
            "skipped": skipped,
        }
    )
    try:
        zygote.serve()
    except Exception:
        traceback.print_exc()
        return 1
    return 0


def supervise(names: list[str], timeout_s: float, out_fd: int) -> int:
    """Fork servers until one gets through its imports; then wait for it and end as it ends."""
    skipped: dict[str, str] = {}
    while True:
        todo = [n for n in names if n not in skipped]
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the server
            os.close(read_fd)
            code = 1
            try:
                code = _serve(todo, skipped, write_fd, out_fd)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(write_fd)
        current, serving, hung = _watch_imports(read_fd, pid, timeout_s)
        os.close(read_fd)
        if serving:
            break
        _, status = os.waitpid(pid, 0)
        if current is None:  # died before importing anything: nothing to skip, give up
            return _exit_like(status)
        skipped[current] = (
            f"importing it did not finish within {timeout_s:g} s" if hung else _death_reason(status)
        )
        print(
            f"script_testing worker: not preimporting {current}: {skipped[current]}",
            file=sys.stderr,
            flush=True,
        )
    # The server has the protocol fds now; we keep none, so EOF and broken pipes reach it.
    for fd in (0, out_fd):
        try:
            os.close(fd)
        except OSError:
            pass
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    return _exit_like(status)


def _watch_imports(read_fd: int, pid: int, timeout_s: float) -> tuple[str | None, bool, bool]:
    """Follow the server's progress; kill it if one import takes longer than ``timeout_s``.
    Returns (the module being imported when it stopped, whether it is serving, whether it hung)."""
    current: str | None = None
    buffer = b""
    deadline = time.monotonic() + timeout_s
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ)
    try:
        while True:
            if not selector.select(max(0.0, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    procs.kill_tree(pid)
                    return current, False, True
                continue
            chunk = os.read(read_fd, 4096)
            if not chunk:
                return current, False, False
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                text = line.decode(errors="replace")
                if text == "serving":
                    return None, True, False
                if text.startswith("start "):
                    current = text[len("start ") :]
                    deadline = time.monotonic() + timeout_s
    finally:
        selector.close()


def _death_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        return f"importing it killed the process with signal {signum} ({name})"
    return f"importing it ended the process with exit code {os.WEXITSTATUS(status)}"


def _exit_like(status: int) -> int:
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return 128 + signum
    return os.WEXITSTATUS(status)


def main(argv: list[str]) -> int:
    timeout_s = DEFAULT_PREIMPORT_TIMEOUT_S
    if argv[:1] == ["--preimport-timeout"]:
        timeout_s, argv = float(argv[1]), argv[2:]
    out_fd = os.dup(1)
    os.dup2(2, 1)
    os.set_inheritable(out_fd, False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent; we follow its EOF
    # No __pycache__ written beside the scripts (or any module) in the user's folders: existing bytecode
    # is still read; a script is compiled in its child (milliseconds).
    sys.dont_write_bytecode = True
    return supervise(argv, timeout_s, out_fd)


#: How the pool starts the worker with any interpreter: ``python -c BOOTSTRAP PKG_PARENT ...``.
BOOTSTRAP = (
    "import sys; sys.path[0] = sys.argv.pop(1); "
    "from script_testing.worker.zygote import main; sys.exit(main(sys.argv[1:]))"
)
