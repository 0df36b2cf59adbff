"""The HTML / CSV / JSON reports of a run (``script_testing.reports``).

A hand-made report covers every status (passed, failed with a traceback, skipped, source, a warning)
and hostile text; a real run of the bundled ``tabular_simple`` pipeline covers what the runner writes.
The HTML is opened in headless Chromium when it is installed; the screenshot is kept under
``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from script_testing.reports import (
    dag_edges,
    export,
    layout_dag,
    render_dag_svg,
    render_html,
    summary_html,
    write_csv,
    write_edges_csv,
    write_html,
    write_json,
)
from script_testing.reports.common import PALETTE
from script_testing.reports.model import EdgeReport, NodeReport, OutputSummary, RunReport

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
HOSTILE = '<script>alert("pwned")</script>'
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


# --------------------------------------------------------------------------------------- fixtures


def _hand_report(run_dir: Path) -> RunReport:
    run_dir.mkdir(parents=True, exist_ok=True)
    logs = run_dir / "Train" / "_run"
    logs.mkdir(parents=True)
    (logs / "stdout.log").write_text("epoch 1\n")
    (logs / "stderr.log").write_text("boom\n")
    data = run_dir / "Load" / "DATA"
    data.mkdir(parents=True)
    (data / "part-0.csv").write_text("id,label\n1,0\n")
    tb = (
        'Traceback (most recent call last):\n  File "train.py", line 3, in main\n'
        f'    raise ValueError("{HOSTILE}")\nValueError: bad & worse {HOSTILE}\n'
    )
    nodes = {
        "Load": NodeReport(
            status="source",
            role="data",
            step_type="DataLoading",
            job_type="training",
            started_at="2026-01-01T10:00:00.000+00:00",
            finished_at="2026-01-01T10:00:00.400+00:00",
            duration_s=0.4,
            outputs={"DATA": str(data)},
            output_summary={"DATA": OutputSummary(path=str(data), files=1, bytes=14, rows=1)},
            source="DATA: synthetic 'tabular' 1 row",
        ),
        "Prep": NodeReport(
            status="passed",
            step_type="TabularPreprocessing",
            job_type="training",
            script="/proj/steps/prep.py",
            started_at="2026-01-01T10:00:01.000+00:00",
            finished_at="2026-01-01T10:00:03.500+00:00",
            duration_s=2.1,
            peak_memory_mb=151.25,
            outputs={"processed": str(run_dir / "Prep" / "processed")},
            output_summary={
                "processed": OutputSummary(path=str(run_dir / "Prep" / "processed"), files=3, bytes=2_500_000)
            },
        ),
        "Train": NodeReport(
            status="failed",
            step_type="XGBoostTraining",
            script="/proj/steps/train.py",
            started_at="2026-01-01T10:00:04.000+00:00",
            finished_at="2026-01-01T10:00:09.000+00:00",
            duration_s=4.5,
            peak_memory_mb=2048.0,
            error=f"Train: main() raised ValueError: bad & worse {HOSTILE}\n{tb}",
            error_detail=tb,
            error_kind="exception",
            exit_code=1,
            stdout_path=str(logs / "stdout.log"),
            stderr_path=str(logs / "stderr.log"),
            stderr_tail=f"loading <b>data</b>\n{tb}",
        ),
        "Package": NodeReport(
            status="skipped", step_type="Packaging", skipped_because="upstream Train failed"
        ),
    }
    edges = [
        EdgeReport(
            **{"from": "Load"},
            output="DATA",
            to="Prep",
            input="DATA",
            status="passed",
            summary="Load.DATA -> Prep.DATA: 12 expectations passed.",
            expectations_evaluated=12,
            duration_s=0.8,
            docs_path=str(run_dir / "data_docs" / "index.html"),
        ),
        EdgeReport(
            **{"from": "sources"},
            output="Prep.hyperparameters",
            to="Prep",
            input="hyperparameters",
            status="warn",
            severity="warn",
            kind="source",
            summary="1 of 2 expectations failed",
            failed_expectations=[
                {
                    "expectation": "expect_file_to_exist",
                    "column": None,
                    "observed": "missing",
                    "message": "no params.json",
                    "severity": "warn",
                }
            ],
            expectations_evaluated=2,
        ),
        EdgeReport(
            **{"from": "Prep"},
            output="processed",
            to="Train",
            input="input_path",
            status="failed",
            summary=f"Prep.processed -> Train.input_path: 1 of 9 expectations failed {HOSTILE}",
            expectations_evaluated=9,
            duration_s=0.3,
            failed_expectations=[
                {
                    "expectation": "expect_column_values_to_not_be_null",
                    "column": "label",
                    "observed": "12 nulls",
                    "message": f"label has nulls {HOSTILE}",
                    "unexpected_percent": 12.5,
                    "severity": "block",
                    "files": ["train/part-0.csv"],
                }
            ],
        ),
        EdgeReport(
            **{"from": "Train"},
            output="model",
            to="Package",
            input="model",
            status="skipped",
            summary="upstream Train failed",
        ),
    ]
    return RunReport(
        pipeline="hand_made",
        run_id="20260101-100000-abc123",
        success=False,
        status="failed",
        project="/proj",
        run_dir=str(run_dir),
        started_at="2026-01-01T10:00:00.000+00:00",
        finished_at="2026-01-01T10:00:09.200+00:00",
        duration_s=9.2,
        nodes=nodes,
        edges=edges,
        warnings=[f"a warning with {HOSTILE}"],
    )


@pytest.fixture
def hand_report(tmp_path: Path) -> RunReport:
    return _hand_report(tmp_path / "run")


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    """One real run of the bundled ``tabular_simple`` pipeline, in a temporary runs root."""
    from script_testing.api import run

    runs = tmp_path_factory.mktemp("runs")
    mp = pytest.MonkeyPatch()
    mp.setenv("SCRIPT_TESTING_RUNS", str(runs))
    mp.delenv("SCRIPT_TESTING_PROJECT", raising=False)
    try:
        report = run("tabular_simple")
    finally:
        mp.undo()
    assert report.run_dir and (Path(report.run_dir) / "report.json").exists()
    return report


def _assert_offline(html: str) -> None:
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)
    assert "@import" not in html and "url(http" not in html
    assert "<link " not in html  # no stylesheets or fonts from anywhere


# ------------------------------------------------------------------------------------ hand-made report


def test_html_has_the_dag_with_one_coloured_node_per_node(hand_report: RunReport) -> None:
    html = render_html(hand_report)
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 2
    assert html.count('class="dag-node ') == 4
    for name, status in (("Load", "source"), ("Prep", "warn"), ("Train", "failed"), ("Package", "skipped")):
        m = re.search(rf'<g class="dag-node node-{status}"[^>]*data-node="{name}"', html)
        assert m, (name, status)
    # colours: passed-with-warning amber, failed red, skipped grey, source blue
    for status in ("warn", "failed", "skipped", "source"):
        assert f'fill="{PALETTE[status][1]}" stroke="{PALETTE[status][0]}"' in html
    # edges: node to node only (the configured-source check is not an arrow), coloured by check status
    assert html.count('class="dag-edge edge-') == 3
    assert 'data-from="Prep" data-to="Train" data-status="failed"' in html
    assert f'stroke="{PALETTE["failed"][0]}"' in html
    assert 'data-from="Load" data-to="Prep" data-status="passed"' in html


def test_html_tables_timeline_details_and_links(hand_report: RunReport) -> None:
    html = render_html(hand_report)
    assert len(re.findall(r'<tr id="node-n\d+-', html)) == 4
    assert 'class="row-failed row-problem" data-node="Train"' in html
    assert 'class="st-timeline"' in html and html.count('class="tl-bar ') == 3  # Package never ran
    assert "not run \u2014 upstream Train failed" in html
    # failed expectations, with unexpected percent, and the Data Docs link (relative to the run folder)
    assert "expect_column_values_to_not_be_null" in html and "12.50 %" in html and "12 nulls" in html
    assert 'href="data_docs/index.html"' in html
    # logs: relative links; script outside the run folder: an absolute file:// link
    assert 'href="Train/_run/stderr.log"' in html and 'href="Train/_run/stdout.log"' in html
    assert 'href="file:///proj/steps/train.py"' in html
    # tracebacks and stderr in collapsible blocks, the failed node's opened
    assert re.search(r'<details id="fail-n2-Train" class="d-failed" open>', html)
    assert "Traceback (most recent call last)" in html and "stderr (last lines)" in html
    assert "2.00 GB" in html and "2.4 MB" in html and "9.20 s" in html
    assert "warnings" in html.lower() and "a warning with" in html


def test_html_escapes_all_user_text(hand_report: RunReport) -> None:
    html = render_html(hand_report)
    assert HOSTILE not in html and "<b>data</b>" not in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;data&lt;/b&gt;" in html and "bad &amp; worse" in html
    assert html.count("<script>") == 1  # ours, the inline one
    _assert_offline(html)


def test_edges_dag_argument_and_unknown_nodes(hand_report: RunReport) -> None:
    svg = render_dag_svg(
        hand_report, [("Load", "Prep"), ("Prep", "Train"), ("Train", "Package"), ("Train", "Extra")]
    )
    assert svg.count('class="dag-node ') == 5
    assert 'class="dag-node node-pending"' in svg and 'data-node="Extra"' in svg
    assert 'data-from="Train" data-to="Extra" data-status="unchecked"' in svg


def test_layout_of_a_large_dag_has_layers_and_no_overlaps() -> None:
    rnd = random.Random(3)
    names = [f"Step_{i:02d}_{'x' * rnd.randint(3, 20)}" for i in range(26)]
    pairs = sorted({(names[a], names[b]) for b in range(1, 26) for a in rnd.sample(range(b), min(b, 2))})
    report = RunReport(pipeline="big", run_id="r", nodes={n: NodeReport(status="passed") for n in names})
    edges = dag_edges(report, pairs)
    lay = layout_dag(names, edges)
    # longest-path layers: every edge goes forward
    for a, b in pairs:
        assert lay.slots[a].layer < lay.slots[b].layer
    assert lay.slots[names[0]].layer == 0
    real = [lay.slots[n] for n in names]
    for i, s in enumerate(real):
        for t in real[i + 1 :]:
            apart = s.x + s.w <= t.x or t.x + t.w <= s.x or s.y + s.h <= t.y or t.y + t.h <= s.y
            assert apart, (s.key, t.key)
    svg = render_dag_svg(report, pairs)
    assert svg.count('class="dag-node ') == 26 and svg.count('class="dag-edge ') == len(pairs)
    assert render_dag_svg(report, pairs) == svg  # deterministic


def test_csv_json_and_export(hand_report: RunReport, tmp_path: Path) -> None:
    rows = list(csv.DictReader(write_csv(hand_report, tmp_path / "n.csv").open()))
    assert [r["node"] for r in rows] == ["Load", "Prep", "Train", "Package"]
    assert (
        rows[2]["status"] == "failed" and rows[2]["pipeline"] == "hand_made" and rows[2]["exit_code"] == "1"
    )
    assert rows[1]["peak_memory_mb"] == "151.25" and rows[3]["duration_s"] == ""
    assert HOSTILE in rows[2]["error"]
    erows = list(csv.DictReader(write_edges_csv(hand_report, tmp_path / "e.csv").open()))
    assert len(erows) == 4 and erows[2]["status"] == "failed" and erows[2]["failed_expectations"] == "1"
    assert erows[2]["failures"].startswith("expect_column_values_to_not_be_null(label): label has nulls")
    assert erows[1]["kind"] == "source" and erows[1]["from"] == "sources"
    back = RunReport.read(write_json(hand_report, tmp_path / "r.json"))
    assert back == hand_report

    run_dir = Path(hand_report.run_dir)
    hand_report.write(run_dir)
    assert export(run_dir, "html") == run_dir / "report.html"
    assert 'class="dag-node ' in (run_dir / "report.html").read_text()
    out = export(run_dir, "csv", tmp_path)
    assert out == tmp_path / "report.csv" and (tmp_path / "report.edges.csv").exists()
    assert (
        json.loads(export(run_dir, "json", tmp_path / "x.json").read_text())["run_id"] == hand_report.run_id
    )
    with pytest.raises(Exception, match="unknown report format"):
        export(run_dir, "pdf")  # type: ignore[arg-type]


def test_write_html_links_relative_to_where_it_is_written(hand_report: RunReport, tmp_path: Path) -> None:
    inside = write_html(hand_report, Path(hand_report.run_dir) / "report.html").read_text()
    assert 'href="Train/_run/stderr.log"' in inside
    elsewhere = write_html(hand_report, tmp_path / "elsewhere" / "report.html").read_text()
    assert f'href="{(Path(hand_report.run_dir) / "Train/_run/stderr.log").as_uri()}"' in elsewhere


def test_summary_fragment_for_notebooks(hand_report: RunReport) -> None:
    frag = summary_html(hand_report)
    assert frag.startswith('<div class="st st-summary">') and frag.endswith("</div>")
    assert "<html" not in frag and "<script" not in frag
    assert "FAILED" in frag and all(n in frag for n in hand_report.nodes)
    assert 'class="st-timeline"' in frag and "1/3</b> edge checks passed" in frag
    assert HOSTILE not in frag and "label has nulls &lt;script&gt;" in frag
    assert (Path(hand_report.run_dir) / "Train/_run/stderr.log").as_uri() in frag
    _assert_offline(frag)


# ------------------------------------------------------------------------------------------- real run


@pytest.mark.e2e
def test_report_of_a_real_run(real_report: RunReport, tmp_path: Path) -> None:
    path = write_html(real_report, Path(real_report.run_dir) / "report.html")
    html = path.read_text()
    assert html.count('class="dag-node ') == len(real_report.nodes)
    for name, _node in real_report.nodes.items():
        assert f'data-node="{name}"' in html
        assert re.search(rf'class="dag-node node-(passed|source|warn)"[^>]*data-node="{name}"', html), name
    pairs = {(e.from_, e.to) for e in real_report.edges if e.kind == "edge"}
    assert html.count('class="dag-edge ') == len(pairs)
    assert len(re.findall(r'<tr id="node-', html)) == len(real_report.nodes)
    assert 'class="st-timeline"' in html
    # Data Docs pages exist for checks that did not pass only (runner.data_docs: failures)
    assert ("Data Docs" in html) == any(e.docs_path for e in real_report.edges)
    _assert_offline(html)
    rows = list(csv.DictReader(export(Path(real_report.run_dir), "csv", tmp_path).open()))
    assert {r["node"] for r in rows} == set(real_report.nodes)
    assert summary_html(real_report).count("<tr") == len(real_report.nodes) + 1


# ------------------------------------------------------------------------------------ headless browser


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "headless Chromium is not installed (apt-get install chromium): the browser rendering is not checked"
    )


def _browser(html_path: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1400,1800",
        *extra,
        html_path.resolve().as_uri(),
    ]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish in 120 s: {' '.join(cmd)}")


def _render_in_browser(report: RunReport, html_path: Path, png: Path, tmp_path: Path) -> None:
    write_html(report, html_path)
    dom = _browser(html_path, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = dom.stdout
    assert text.count('class="dag-node ') == len(report.nodes), text[:500]
    assert "<svg" in text and 'id="st-nodes-table"' in text and 'id="st-edges-table"' in text
    assert len(re.findall(r'<tr id="node-', text)) == len(report.nodes)
    assert "<script>alert" not in text
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    shot = _browser(html_path, tmp_path, f"--screenshot={png}")
    assert shot.returncode == 0 and png.exists() and png.stat().st_size > 20_000, shot.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_hand_made_report_renders_in_chromium(hand_report: RunReport, tmp_path: Path) -> None:
    _render_in_browser(
        hand_report, Path(hand_report.run_dir) / "report.html", ARTIFACTS / "report.png", tmp_path
    )


@pytest.mark.e2e
@pytest.mark.browser
@pytest.mark.timeout(300)
def test_real_report_renders_in_chromium(real_report: RunReport, tmp_path: Path) -> None:
    _render_in_browser(
        real_report,
        Path(real_report.run_dir) / "report.html",
        ARTIFACTS / "report-tabular_simple.png",
        tmp_path,
    )
