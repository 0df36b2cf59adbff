"""What ``run`` shows: a live view in a terminal, plain lines elsewhere, and where report.html is."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from script_testing.cli.progress import LiveProgress, PlainProgress, progress_for
from script_testing.config.project import load_project
from script_testing.execution.options import RunOptions
from script_testing.execution.scheduler import run_pipeline
from script_testing.pipeline.plan import load_plan
from script_testing.reports.model import NodeReport
from script_testing_tests.cli.test_cli_run import cli, output
from script_testing_tests.fixtures.projects import RAISE, branching_project

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _plan(root: Path, transform: str | None = None):
    project = branching_project(root, **({"transform": transform} if transform else {})).write()
    return load_plan(load_project(project), "p")


def _terminal() -> tuple[Console, StringIO]:
    buffer = StringIO()
    return Console(force_terminal=True, file=buffer, width=100), buffer


def test_live_view_updates_running_nodes_in_place_and_prints_finished_lines(tmp_path):
    console, buffer = _terminal()
    view = LiveProgress(_plan(tmp_path / "proj"), console)
    with view:
        view("node_started", {"node": "MakeData", "role": "script"})
        view("node_started", {"node": "Other", "role": "script"})
        assert "MakeData" in ANSI.sub("", buffer.getvalue())  # the running line, drawn live
        view("node_finished", {"node": "MakeData", "report": NodeReport(status="passed", duration_s=0.25)})
        frame = ANSI.sub("", buffer.getvalue())
    assert ANSI.search(buffer.getvalue())  # cursor movement: lines redrawn in place
    assert "PASS    0.25s" in frame and "1/4 nodes" in frame and "RUN" in frame
    assert view.running.keys() == {"Other"} and view.done == 1


def test_plain_lines_when_not_a_terminal(tmp_path, capsys):
    plan = _plan(tmp_path / "proj")
    view = progress_for(plan)  # pytest's stderr is no terminal
    assert isinstance(view, PlainProgress)
    view("node_finished", {"node": "MakeData", "report": NodeReport(status="passed", duration_s=0.25)})
    err = capsys.readouterr().err
    assert err == "  PASS    0.25s             MakeData\n"


@pytest.mark.e2e
def test_live_view_of_a_real_run(tmp_path):
    console, buffer = _terminal()
    plan = _plan(tmp_path / "proj", RAISE)
    with LiveProgress(plan, console) as view:
        report = run_pipeline(plan, RunOptions(on_event=view))
    text = ANSI.sub("", buffer.getvalue())
    assert not report.success
    assert "FAIL" in text and "see stderr.log: " in text and "4/4 nodes" in text


@pytest.mark.e2e
def test_plain_run_in_a_subprocess_has_no_escape_codes_and_says_where_the_html_is(tmp_path):
    root = branching_project(tmp_path / "proj").write()
    proc = cli("run", str(root), cwd=tmp_path)
    assert proc.returncode == 0, output(proc)
    assert not ANSI.search(output(proc))
    assert "  PASS " in proc.stderr and "Transform" in proc.stderr
    html = re.search(r"^  html: (.+)$", proc.stdout, re.M)
    assert html and Path(html.group(1)).name == "report.html" and Path(html.group(1)).is_file()
