"""Data Docs rendered by a process of its own, started when a run starts.

Checks evaluate with pandas (:mod:`script_testing.checks.pandas_engine`); only the Data Docs site
needs Great Expectations, whose import and context cost ~3 s of CPU. :class:`DocsProcess` starts
``python -m script_testing.checks.docs_process`` at the beginning of a run: the child imports GX and
builds its context at once, on another core, while the scripts run; at the end the run hands it the
collected results (pickled, parent to child through a pipe, nothing else reads them) and gets back the
index path or the error, as one JSON line. The run never waits for GX before a script or a check.
"""

from __future__ import annotations

import atexit
import html
import json
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from script_testing import files
from script_testing.checks import gx_engine

BUILD_TIMEOUT_S = 300  # the most one Data Docs build may take, GX's import included
DEBOUNCE_S = 1.0  # BackgroundDocs: a site build (its cost grows with the site) at most about this often
_HEADER = struct.Struct(">Q")


class DocsError(RuntimeError):
    """The Data Docs process failed; the message says why."""


class DocsProcess:
    """One child process that imports GX at once and then builds Data Docs sites on request.

    One per parent process (:func:`shared_docs_process`): a notebook or a test session that runs many
    pipelines pays GX's import once, as it did when GX lived in the parent.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._stderr: Any = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "script_testing.checks.docs_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        return self._proc

    def build(self, docs_dir: Path, items: list[tuple[str, list[tuple[str, Any]]]]) -> str:
        """Build the site for ``items`` (suite name, [(label, ShardRows)]); returns its index path."""
        payload = pickle.dumps((str(docs_dir), items))
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None  # both are pipes (``_start``)
            try:
                proc.stdin.write(_HEADER.pack(len(payload)) + payload)
                proc.stdin.flush()
                ready, _, _ = select.select([proc.stdout], [], [], BUILD_TIMEOUT_S)
                line = proc.stdout.readline() if ready else b""
            except OSError:
                line = b""
            if not line:
                why = self._stop(proc) or f"no answer within {BUILD_TIMEOUT_S} s"
                raise DocsError(f"the Data Docs process stopped: {why}")
        try:
            answer = json.loads(line)
        except ValueError:
            answer = {}
        if "index" in answer:
            return answer["index"]
        raise DocsError(answer.get("error") or f"unexpected answer {line[:200]!r}")

    def _stop(self, proc: subprocess.Popen) -> str:
        """Kill the child; returns the last line it wrote to stderr."""
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self._proc = None
        try:
            self._stderr.seek(0)
            lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        except (OSError, AttributeError):
            lines = []
        return lines[-1] if lines else ""

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                try:
                    if self._proc.stdin is not None:
                        self._proc.stdin.close()  # the child ends on end of input
                    self._proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
                self._stop(self._proc)


_SHARED: list[DocsProcess] = []


def shared_docs_process() -> DocsProcess:
    """This process's Data Docs process (started by the caller, closed at exit)."""
    if not _SHARED:
        _SHARED.append(DocsProcess())
        atexit.register(_SHARED[0].close)
    return _SHARED[0]


class BackgroundDocs:
    """Data Docs built behind the checks: :meth:`build` queues the items and returns the index path at
    once; one thread hands the queue to the :class:`DocsProcess`, merging what queued up meanwhile (one
    site build per folder for many checks). For the Dagster layer, where a check's ``data_docs`` link
    is recorded with its result and no later step of ours closes the run: a check never waits for GX
    nor for a site build. Until the site lands (seconds; at most ``BUILD_TIMEOUT_S``) the link opens a
    page of ours saying it is being built, which reloads itself; a failed build is told in
    :attr:`errors`, on stderr and, when no site was built there yet, on that page. :meth:`drain` waits
    for the queue; the thread is joined before the process exits (pending builds land).
    """

    def __init__(self, process: DocsProcess) -> None:
        self.process = process
        self.errors: list[str] = []
        self._pending: dict[str, list] = {}
        self._cond = threading.Condition()
        self._running = False  # a thread is (about to be) draining the queue

    def build(self, docs_dir: Path, items: list[tuple[str, list[tuple[str, Any]]]]) -> str:
        index = Path(docs_dir) / "index.html"
        if not index.exists():  # the link opens at once, and says what is going on
            _write_page(
                index, "Data Docs are being built", "This page is replaced by the site in a few seconds."
            )
        with self._cond:
            self._pending.setdefault(str(docs_dir), []).extend(items)
            if not self._running:
                self._running = True
                # not a daemon: the interpreter joins it at exit, so queued builds are written
                threading.Thread(target=self._loop, name="data-docs").start()
        return str(Path(docs_dir) / "index.html")

    def _loop(self) -> None:
        while True:
            time.sleep(DEBOUNCE_S)  # let the checks of the next steps queue up: one site build for them
            with self._cond:
                if not self._pending:
                    self._running = False
                    self._cond.notify_all()
                    return  # the next build starts a new thread
                docs_dir, items = self._pending.popitem()
            try:
                self.process.build(Path(docs_dir), items)
            except Exception as exc:  # a view of the results: say it, never fail a check for it
                message = f"Data Docs in {docs_dir} not built: {exc}"
                self.errors.append(message)
                print(f"script_testing: {message}", file=sys.stderr)
                index = Path(docs_dir) / "index.html"
                if _is_ours(index):  # no site yet: the page the link opens says why
                    _write_page(index, "Data Docs could not be built", message)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued build has landed; False if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._running, timeout)


_MARK = "<!-- script_testing: Data Docs placeholder -->"


def _write_page(index: Path, title: str, text: str) -> None:
    """A small page of ours where the site's index will be (until it is)."""
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        files.write_text(
            index,
            f"<!doctype html>{_MARK}<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta http-equiv='refresh' content='3'></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(text)}</p></body></html>\n",
        )
    except OSError:  # the link then does not open; the error is in BackgroundDocs.errors if any
        pass


def _is_ours(index: Path) -> bool:
    try:
        return _MARK in index.read_text(encoding="utf-8", errors="replace")[:200]
    except OSError:
        return True


_BACKGROUND: list[BackgroundDocs] = []


def background_docs() -> BackgroundDocs:
    """This process's background builder, on :func:`shared_docs_process` (started here)."""
    if not _BACKGROUND:
        process = shared_docs_process()
        process.start()
        _BACKGROUND.append(BackgroundDocs(process))
    return _BACKGROUND[0]


def _serve() -> int:
    stdout = os.fdopen(os.dup(1), "wb")  # the answers; whatever GX prints goes to stderr
    os.dup2(2, 1)
    gx_engine.gx_context()
    stdin = sys.stdin.buffer
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return 0
        docs_dir, items = pickle.loads(stdin.read(_HEADER.unpack(header)[0]))
        try:
            index = gx_engine.build_docs_many(
                Path(docs_dir), [(name, gx_engine.shard_results(name, shards)) for name, shards in items]
            )
            answer = {"index": index}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        stdout.write(json.dumps(answer).encode() + b"\n")
        stdout.flush()


if __name__ == "__main__":
    sys.exit(_serve())
