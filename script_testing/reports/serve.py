"""A read-only static file server for the runs root, on loopback, so links to reports, logs and Data Docs open.

Browsers do not follow ``file://`` links from an ``http://`` page (the Dagster UI, Jupyter). ``script-testing
ui`` starts :func:`start` next to Dagster and exports :data:`URL_ENV` / :data:`ROOT_ENV`; :func:`url_for`
then turns a path under the runs root into an ``http://`` link (the Dagster layer records it as a URL
metadata value). Without the server, links stay ``file://`` paths.

The server answers GET and HEAD only, serves nothing outside the root (symbolic links that leave it
included) and lists folders; it never writes.
"""

from __future__ import annotations

import http.server
import os
import threading
import urllib.parse
from functools import partial
from pathlib import Path
from typing import ClassVar

URL_ENV = "SCRIPT_TESTING_FILES_URL"
ROOT_ENV = "SCRIPT_TESTING_FILES_ROOT"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ReadOnlyHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files under ``directory`` only; every other method is refused by the base class (501)."""

    server_version = "script-testing-files"
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".log": "text/plain; charset=utf-8",
        ".json": "application/json",
        ".csv": "text/plain; charset=utf-8",
    }

    def translate_path(self, path: str) -> str:
        root = Path(self.directory).resolve()
        target = Path(super().translate_path(path)).resolve()
        if target != root and root not in target.parents:
            return str(root / "__outside_the_runs_root__")  # a path that does not exist: 404
        return str(target)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # quiet: Dagster's own output stays readable
        pass


def start(root: str | os.PathLike, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    """Serve ``root`` read-only on ``host:port`` (0: any free port) in a daemon thread; returns the server."""
    if host not in LOOPBACK:
        raise ValueError(f"the files server listens on loopback only, not {host!r}")
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer((host, port), partial(ReadOnlyHandler, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="script-testing-files", daemon=True).start()
    return server


def base_url(server: http.server.ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/"


def url_for(path: str | os.PathLike, env: dict[str, str] | None = None) -> str | None:
    """The served URL of ``path``, or ``None`` when no server runs or ``path`` is not under its root."""
    env = os.environ if env is None else env
    base, root = env.get(URL_ENV), env.get(ROOT_ENV)
    if not base or not root:
        return None
    p, r = Path(path).resolve(), Path(root).resolve()
    if p != r and r not in p.parents:
        return None
    rel = p.relative_to(r).as_posix()
    rel = "" if rel == "." else rel
    return base.rstrip("/") + "/" + urllib.parse.quote(rel) + ("/" if p.is_dir() and rel else "")
