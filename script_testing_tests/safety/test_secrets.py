"""Secrets stay with the tool: the values of the tool's credential variables never reach report.json,
report.html, the CLI's output, the notebook view or the Dagster metadata, even when a script that
was given a credential (``pass_env``) prints it or puts it in its exception.

The raw stdout.log / stderr.log files on disk are kept as the script wrote them (documented: raw).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from script_testing import api
from script_testing.execution.options import RunOptions
from script_testing.orchestration.metadata import failure_metadata, headline
from script_testing.reports.html import render_html, summary_html
from script_testing.reports.model import MAX_TEXT_CHARS, NodeReport, RunReport
from script_testing.reports.text import node_line, summary_text
from script_testing.worker import WorkerPool
from script_testing_tests.fixtures.projects import branching_project
from script_testing_tests.helpers import FAKE_SECRET as SECRET

pytestmark = [pytest.mark.timeout(120)]


LEAKY = """
import os, sys

def main(input_paths, output_paths, environ_vars, job_args):
    key = os.environ.get("AWS_SECRET_ACCESS_KEY", "<none>")
    print("the key is", key)
    print("stderr key", key, file=sys.stderr)
    raise RuntimeError(f"cannot connect with {key}")
"""

CURIOUS = """
import os

def main(input_paths, output_paths, environ_vars, job_args):
    os.makedirs(output_paths["table"], exist_ok=True)
    with open(os.path.join(output_paths["table"], "env.txt"), "w") as fh:
        fh.write(repr(sorted(os.environ)))
"""


def _run(root: Path) -> RunReport:
    with WorkerPool() as pool:  # built after the variable is set: its redactor knows the secret
        return api.run("p", project=root, options=RunOptions(checks=False), pool=pool)


@pytest.mark.e2e
def test_a_passed_credential_printed_or_raised_is_masked_everywhere(tmp_path, secret_env):
    nodes = {"Transform": {"pass_env": ["AWS_SECRET_ACCESS_KEY"]}}
    root = branching_project(tmp_path / "proj", LEAKY, nodes=nodes).write()
    report = _run(root)
    t = report.nodes["Transform"]
    assert t.status == "failed" and "cannot connect with ***" in t.error
    on_disk = (Path(report.run_dir) / "report.json").read_text()
    assert SECRET not in on_disk and "***" in on_disk
    assert SECRET not in render_html(report) and SECRET not in summary_html(report)
    assert SECRET not in summary_text(report) and SECRET not in node_line("Transform", t)
    assert SECRET not in repr(api.load_result(report.run_dir))
    assert SECRET not in api.load_result(report.run_dir)._repr_html_()
    # the raw logs stay raw (documented), so nothing the script wrote is lost
    assert SECRET in Path(t.stdout_path).read_text()
    # the rest of the run is intact
    assert report.nodes["Other"].status == "passed"


@pytest.mark.e2e
def test_a_script_without_pass_env_never_sees_the_tool_credentials(tmp_path, secret_env):
    root = branching_project(tmp_path / "proj", CURIOUS).write()
    report = _run(root)
    assert report.nodes["Transform"].status == "passed"
    seen = (Path(report.run_dir) / "Transform" / "table" / "env.txt").read_text()
    assert "AWS_SECRET_ACCESS_KEY" not in seen


@pytest.mark.e2e
def test_cli_output_and_report_hold_no_secret(tmp_path):
    nodes = {"Transform": {"pass_env": ["AWS_SECRET_ACCESS_KEY"]}}
    root = branching_project(tmp_path / "proj", LEAKY, nodes=nodes).write()
    env = {**os.environ, "AWS_SECRET_ACCESS_KEY": SECRET, "SCRIPT_TESTING_RUNS": str(tmp_path / "runs")}
    proc = subprocess.run(
        [sys.executable, "-m", "script_testing.cli", "run", str(root), "--no-checks", "--html"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "cannot connect with ***" in out
    assert SECRET not in out
    reports = list(Path(tmp_path).rglob("report.json"))
    assert reports, out
    for r in reports:
        assert SECRET not in r.read_text()
        html = r.with_name("report.html")
        if html.exists():
            assert SECRET not in html.read_text()


def test_dagster_metadata_and_headlines_are_masked(secret_env):
    rep = NodeReport(
        status="failed",
        error=f"Transform failed: token {SECRET}",
        error_detail=f"Traceback ...\nRuntimeError: {SECRET}",
        stderr_tail=f"key {SECRET}\n",
    )
    md = failure_metadata(rep)
    assert SECRET not in repr(md) and "***" in repr(md)
    assert headline(f"bad {SECRET}", "x") == "bad ***"


def test_long_texts_are_capped_head_and_tail(tmp_path):
    report = RunReport(pipeline="p", run_id="r")
    long = "HEAD" + "x" * (5 * MAX_TEXT_CHARS) + "TAIL"
    report.nodes["n"] = NodeReport(status="failed", error=long, stderr_tail=long, error_detail=long)
    report.write(tmp_path)
    back = RunReport.read(tmp_path).nodes["n"]
    for text in (back.error, back.stderr_tail, back.error_detail):
        assert len(text) < MAX_TEXT_CHARS + 100
        assert text.startswith("HEAD") and text.endswith("TAIL") and "characters cut" in text
