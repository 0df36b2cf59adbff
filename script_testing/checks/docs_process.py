"""Data Docs rendered by a process of its own, started when a run starts.

Checks evaluate with pandas (:mod:`script_testing.checks.pandas_engine`); only the Data Docs site
needs Great Expectations, whose import and context cost ~3 s of CPU. :class:`DocsProcess` starts
``python -m script_testing.checks.docs_process`` at the beginning of a run: the child imports GX and
builds its context at once, on another core, while the scripts run; at the end the run hands it the
collected results (pickled, parent to child, nothing else reads them) and gets back the index path or
the error, as one JSON line. The run never waits for GX before a script or a check.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

from script_testing.checks import gx_engine

START_TIMEOUT_S = 300  # the most a Data Docs build may take, import included


class DocsError(RuntimeError):
    """The Data Docs process failed; the message says why."""


class DocsProcess:
    """One child process that imports GX now and builds one Data Docs site later."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None

    def start(self) -> None:
        if self._proc is None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "script_testing.checks.docs_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )

    def build(self, docs_dir: Path, items: list[tuple[str, list[tuple[str, Any]]]]) -> str:
        """Build the site for ``items`` (suite name, [(label, ShardRows)]); returns its index path."""
        self.start()
        proc = self._proc
        assert proc is not None
        self._proc = None
        try:
            out, err = proc.communicate(pickle.dumps((str(docs_dir), items)), timeout=START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise DocsError(f"building the Data Docs took more than {START_TIMEOUT_S} s") from None
        lines = out.decode(errors="replace").strip().splitlines()
        try:
            answer = json.loads(lines[-1]) if lines else {}
        except ValueError:
            answer = {}
        if "index" in answer:
            return answer["index"]
        why = answer.get("error") or (err.decode(errors="replace").strip().splitlines() or ["no answer"])[-1]
        raise DocsError(why)

    def close(self) -> None:
        """Stop the child if it was never asked to build (a run without checks, or an error)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.communicate()


def _serve() -> int:
    gx_engine.gx_context()
    docs_dir, items = pickle.loads(sys.stdin.buffer.read())
    try:
        index = gx_engine.build_docs_many(
            Path(docs_dir), [(name, gx_engine.shard_results(name, shards)) for name, shards in items]
        )
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(json.dumps({"index": index}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
