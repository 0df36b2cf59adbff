"""``reports/serve.py``: the read-only, loopback-only server of the runs root, and links into it."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from script_testing.api import TestResult, serve_runs
from script_testing.reports import serve
from script_testing.reports.model import NodeReport, RunReport


@pytest.fixture
def served(tmp_path: Path):
    root = tmp_path / "runs"
    (root / "p" / "run 1" / "Train" / "_run").mkdir(parents=True)
    (root / "p" / "run 1" / "report.html").write_text("<h1>report</h1>", encoding="utf-8")
    (root / "p" / "run 1" / "Train" / "_run" / "stderr.log").write_text("boom\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not yours", encoding="utf-8")
    (root / "p" / "escape").symlink_to(tmp_path)
    server = serve.start(root)
    yield root, serve.base_url(server), server.server_address[1]
    server.shutdown()
    server.server_close()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_files_under_the_root_are_served(served) -> None:
    root, base, _ = served
    env = {serve.URL_ENV: base, serve.ROOT_ENV: str(root)}
    report = serve.url_for(root / "p" / "run 1" / "report.html", env)
    assert report == f"{base}p/run%201/report.html"
    assert _get(report) == (200, b"<h1>report</h1>")
    log = serve.url_for(root / "p" / "run 1" / "Train" / "_run" / "stderr.log", env)
    with urllib.request.urlopen(log, timeout=10) as r:
        assert r.read() == b"boom\n" and r.headers["Content-Type"].startswith("text/plain")
    status, listing = _get(serve.url_for(root / "p" / "run 1", env))
    assert status == 200 and b"report.html" in listing


def test_nothing_outside_the_root_is_served(served) -> None:
    _, base, port = served
    assert _get(f"{base}p/escape/secret.txt")[0] == 404  # a symbolic link leaving the root
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/../secret.txt")
    assert conn.getresponse().status == 404
    conn.close()


def test_the_server_never_writes(served) -> None:
    root, base, _ = served
    for method in ("PUT", "POST", "DELETE"):
        req = urllib.request.Request(f"{base}p/run%201/report.html", data=b"x", method=method)
        assert _get(req)[0] == 501
    assert (root / "p" / "run 1" / "report.html").read_text(encoding="utf-8") == "<h1>report</h1>"


def test_links_stay_paths_without_a_server_or_outside_the_root(tmp_path: Path) -> None:
    assert serve.url_for(tmp_path / "x", {}) is None
    env = {serve.URL_ENV: "http://127.0.0.1:1/", serve.ROOT_ENV: str(tmp_path / "runs")}
    assert serve.url_for(tmp_path / "elsewhere" / "x.html", env) is None


def test_the_server_listens_on_loopback_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback only"):
        serve.start(tmp_path, host="0.0.0.0")


def test_a_notebook_result_links_over_http_once_the_runs_are_served(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "runs"
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(root))
    for name in (serve.URL_ENV, serve.ROOT_ENV):  # restored after the test: serve_runs sets them
        monkeypatch.delenv(name, raising=False)
    run_dir = root / "p" / "r1"
    (run_dir / "Train" / "_run").mkdir(parents=True)
    (run_dir / "Train" / "_run" / "stderr.log").write_text("boom\n", encoding="utf-8")
    (run_dir / "report.html").write_text("<h1>report</h1>", encoding="utf-8")
    report = RunReport(pipeline="p", run_id="r1", run_dir=str(run_dir))
    report.nodes["Train"] = NodeReport(stderr_path=str(run_dir / "Train" / "_run" / "stderr.log"))
    result = TestResult(report)

    before = result._repr_html_()
    assert (run_dir / "report.html").as_uri() in before and "serve_runs()" in before

    base = serve_runs()
    assert base.startswith("http://127.0.0.1:") and serve_runs() == base  # once per runs root
    after = result._repr_html_()
    assert f'href="{base}p/r1/report.html"' in after and "file://" not in after
    assert _get(f"{base}p/r1/report.html") == (200, b"<h1>report</h1>")
    assert _get(f"{base}p/r1/Train/_run/stderr.log") == (200, b"boom\n")
