"""The warm worker: ``python -m script_testing.worker.zygote MODULE...``.

It imports the given modules once (failures ignored), then serves JSON lines on stdin:

- request  ``{"id": 7, "job": {...ScriptJob.to_dict()...}}``
- response ``{"id": 7, "pid": ..., "exit_code": int|null, "signal": int|null,
  "timed_out": bool, "duration_s": float, "maxrss_kb": int, "child": {...}|null}``
  where ``child`` is the raw outcome the child wrote (see :mod:`.child`), or
  ``{"id": 7, "worker_error": "..."}`` if the job could not even be started.

On startup it sends ``{"ready": true, "pid": ..., "imported": [...], "failed": {...}}``.
Responses go to a private dup of the original stdout; fd 1 is pointed at fd 2 so stray prints
(from preimported modules, say) cannot corrupt the protocol. Each job runs in a forked child with
its own session; several children run concurrently. A child past its deadline has its whole
process group, and any descendants that left the group, killed. EOF on stdin shuts down.
"""

from __future__ import annotations

import importlib
import json
import os
import selectors
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

from . import child as child_module

try:  # used to find descendants that left the process group; optional
    import psutil
except ImportError:  # pragma: no cover - psutil is a declared dependency
    psutil = None


@dataclass
class _Running:
    request_id: Any
    pid: int
    pidfd: int
    started: float
    deadline: float
    result_path: str
    timed_out: bool = False


class Zygote:
    """The request loop: fork per job, watch children, answer when each one ends."""

    def __init__(self, in_fd: int, out_fd: int) -> None:
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.selector = selectors.DefaultSelector()
        self.running: dict[int, _Running] = {}  # by pidfd
        self.buffer = b""
        self.stdin_open = True

    def serve(self) -> None:
        os.set_blocking(self.in_fd, False)
        self.selector.register(self.in_fd, selectors.EVENT_READ, "stdin")
        while self.stdin_open or self.running:
            for key, _ in self.selector.select(self._select_timeout()):
                if key.data == "stdin":
                    self._read_requests()
                else:
                    self._reap(self.running[key.fd])
            self._enforce_deadlines()
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
            request_id = request.get("id")
            self._start(request_id, request["job"])
        except Exception as error:  # a bad request or a failed fork: answer, keep serving
            self._send({"id": request_id,
                        "worker_error": f"could not start the job: {type(error).__name__}: {error}"})

    def _start(self, request_id: Any, job: dict[str, Any]) -> None:
        os.makedirs(job["work_dir"], exist_ok=True)
        result_path = os.path.join(job["work_dir"], child_module.RESULT_FILE)
        try:
            os.unlink(result_path)
        except FileNotFoundError:
            pass
        close_in_child = [self.in_fd, self.out_fd, self.selector.fileno(),
                          *(r.pidfd for r in self.running.values())]
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            child_module.run_job(job, close_in_child)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # cannot watch it (out of fds?): do not leave it running untracked
            _kill_group(pid)
            os.waitpid(pid, 0)
            raise
        timeout = float(job.get("timeout_s") or 3600)
        self.running[pidfd] = _Running(request_id, pid, pidfd, started, started + timeout,
                                       result_path)
        self.selector.register(pidfd, selectors.EVENT_READ, "child")

    # ----------------------------------------------------------------- children

    def _select_timeout(self) -> float | None:
        deadlines = [r.deadline for r in self.running.values() if not r.timed_out]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for run in self.running.values():
            if not run.timed_out and now >= run.deadline:
                run.timed_out = True
                _kill_tree(run.pid)

    def _reap(self, run: _Running) -> None:
        # The child has exited but is not reaped yet, so its pid (= its process group id)
        # cannot be reused: kill whatever it left behind in its group, then reap it.
        _kill_group(run.pid)
        _, status, rusage = os.wait4(run.pid, 0)
        duration = time.monotonic() - run.started
        self.selector.unregister(run.pidfd)
        os.close(run.pidfd)
        del self.running[run.pidfd]
        self._send({
            "id": run.request_id,
            "pid": run.pid,
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "timed_out": run.timed_out,
            "duration_s": duration,
            "maxrss_kb": rusage.ru_maxrss,
            "child": _read_json(run.result_path),
        })

    def _shutdown(self) -> None:
        """stdin closed: the parent is gone or done. Kill running jobs; the loop reaps them."""
        self.stdin_open = False
        self.selector.unregister(self.in_fd)
        for run in self.running.values():
            run.timed_out = True
            _kill_tree(run.pid)

    def _send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, default=str) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.out_fd, data):]
        except BrokenPipeError:
            pass  # the parent went away; stdin EOF will end the loop


def _kill_tree(pid: int) -> None:
    """SIGKILL the job's process group and every descendant, even those that left it."""
    descendants = []
    if psutil is not None:
        try:
            descendants = psutil.Process(pid).children(recursive=True)
        except psutil.Error:
            pass
    _kill_group(pid)
    for proc in descendants:
        try:
            proc.kill()
        except psutil.Error:
            pass


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def preimport(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """Import each module, ignoring failures; return (imported, {name: error})."""
    imported, failed = [], {}
    for name in names:
        try:
            importlib.import_module(name)
            imported.append(name)
        except BaseException as error:  # SystemExit or worse from a module must not stop us
            failed[name] = f"{type(error).__name__}: {error}"
    return imported, failed


def main(argv: list[str]) -> int:
    out_fd = os.dup(1)
    os.dup2(2, 1)
    os.set_inheritable(out_fd, False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent; we follow its EOF
    imported, failed = preimport(argv)
    sys.stdout.flush()
    zygote = Zygote(sys.stdin.fileno(), out_fd)
    zygote._send({"ready": True, "pid": os.getpid(), "imported": imported, "failed": failed})
    try:
        zygote.serve()
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
