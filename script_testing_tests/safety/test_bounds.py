"""Bounded edge checks and reports: a file with one enormous line fails its check with a sentence
instead of exhausting the runner; huge errors and stderr are capped in reports (head and tail kept,
the full text on disk).

The huge line is a sparse file (a header, then hundreds of MB of one "line" that takes no disk space).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from script_testing import api
from script_testing.data.tabular import MAX_LINE_BYTES, describe_files, iter_batches, longest_line_over
from script_testing.execution.options import RunOptions
from script_testing.reports.model import MAX_TEXT_CHARS
from script_testing.worker import WorkerPool
from script_testing_tests.fixtures.projects import branching_project

pytestmark = [pytest.mark.timeout(300)]

HUGE = 400 * 1024 * 1024  # bytes in the single line: far above what the reader may hold


def sparse_csv(path: Path, size: int = HUGE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"id,label\n1,")
        fh.truncate(size)
    return path


def test_the_line_scan_finds_long_lines_and_passes_normal_files(tmp_path):
    ok = tmp_path / "ok.csv"
    ok.write_bytes(b"a,b\n" + b"1,2\n" * 100_000)
    assert longest_line_over(ok, False) is None
    assert longest_line_over(sparse_csv(tmp_path / "big.csv", 3 * (1 << 20)), False, limit=1 << 20) == 2


def test_a_huge_single_line_fails_in_bounded_memory(tmp_path):
    folder = tmp_path / "data"
    sparse_csv(folder / "part-00000.csv")
    probe = (
        "import json, resource, sys\n"
        "from script_testing.data.tabular import describe_files, iter_batches, UnreadableFile\n"
        "import pandas\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"f = [x for x in describe_files({str(folder)!r}) if x.tabular][0]\n"
        "try:\n"
        "    list(iter_batches(f))\n"
        "    reason = None\n"
        "except UnreadableFile as exc:\n"
        "    reason = exc.reason\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'reason': reason, 'grew_kb': after - before}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["reason"] and "line 2 is longer than" in result["reason"]
    assert result["grew_kb"] < 64 * 1024, result  # one scan block, not the 400 MB line
    assert MAX_LINE_BYTES < HUGE


def test_a_short_file_still_reads(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("id,label\n1,0\n2,1\n")
    f = next(x for x in describe_files(tmp_path / "d") if x.tabular)
    assert sum(len(b) for b in iter_batches(f)) == 2


HUGE_OUTPUT = f"""
import os

def main(input_paths, output_paths, environ_vars, job_args):
    out = output_paths["data"]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "part-00000.csv"), "wb") as fh:
        fh.write(b"id,label\\n1,")
        fh.truncate({HUGE})
"""

HUGE_ERROR = """
import sys

def main(input_paths, output_paths, environ_vars, job_args):
    sys.stderr.write("E" * 3_000_000 + "STDERR-END\\n")
    raise RuntimeError("HEAD-" + "x" * 3_000_000 + "-MESSAGE-END")
"""


@pytest.mark.e2e
def test_an_edge_check_on_a_huge_line_fails_with_a_sentence(tmp_path):
    p = branching_project(tmp_path / "proj")
    p.step("MakeData", HUGE_OUTPUT, outputs=["data"])
    root = p.write()
    with WorkerPool() as pool:
        report = api.run("p", project=root, options=RunOptions(checks=True), pool=pool)
    edge = next(e for e in report.edges if e.to == "Transform")
    assert edge.status == "failed", edge
    text = json.dumps(list(edge.failed_expectations)) + (edge.summary or "")
    assert "line 2 is longer than" in text and "part-00000.csv" in text
    assert report.nodes["MakeData"].status == "passed"  # what was produced is kept
    assert (Path(report.run_dir) / "MakeData" / "data" / "part-00000.csv").stat().st_size == HUGE
    assert report.nodes["Transform"].status == "skipped"
    assert report.status == "failed"


@pytest.mark.e2e
def test_huge_errors_and_stderr_are_capped_in_reports(tmp_path):
    root = branching_project(tmp_path / "proj", HUGE_ERROR).write()
    with WorkerPool() as pool:
        report = api.run("p", project=root, options=RunOptions(checks=False), pool=pool)
    t = report.nodes["Transform"]
    assert t.status == "failed"
    on_disk = json.loads((Path(report.run_dir) / "report.json").read_text())["nodes"]["Transform"]
    for key in ("error", "error_detail", "stderr_tail"):
        text = on_disk[key] or ""
        assert len(text) <= MAX_TEXT_CHARS + 100, (key, len(text))
    assert on_disk["error"].startswith("Transform") or "RuntimeError" in on_disk["error"].splitlines()[0]
    assert "MESSAGE-END" in (on_disk["error"] + (on_disk["error_detail"] or ""))  # the tail is kept
    assert (Path(report.run_dir) / "report.json").stat().st_size < 200_000
    # the full text stays on disk
    assert "STDERR-END" in Path(t.stderr_path).read_text()
