"""``script-testing`` commands about runs over time: compare (two runs side by side) and history
(a pipeline over its last runs). The cores are :mod:`script_testing.reports.compare` and
:mod:`script_testing.reports.history`."""

from __future__ import annotations

from pathlib import Path

import click

from script_testing.cli.options import project_command
from script_testing.cli.results import all_runs, find_run, project_runs_root
from script_testing.files import write_text
from script_testing.reports import compare as compare_report
from script_testing.reports import history as history_report
from script_testing.reports.model import RunReport

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True
)
_OUTPUT = click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of printing."
)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
        return
    write_text(output, text if text.endswith("\n") else text + "\n")
    click.echo(str(output), err=True)


@project_command()
@click.argument("run_a")
@click.argument("run_b")
@_FORMAT
@_OUTPUT
@click.option("--differences", "only_differences", is_flag=True, help="Text: only the rows that differ.")
def compare(project_dir, run_a, run_b, fmt, output, only_differences) -> None:
    """Two runs side by side: statuses, durations, peak memory, rows, columns, failed expectations.

    RUN_A and RUN_B are run ids (or their start), PIPELINE/latest, or run folders; differences are
    marked '*' (text), counted (json) or highlighted (html).

    \b
    Example:
      script-testing compare tabular_simple/20260101-0900 tabular_simple/latest --format html -o cmp.html
    """
    root = project_runs_root(project_dir)
    a = RunReport.read(find_run(root, run_a))
    b = RunReport.read(find_run(root, run_b))
    c = compare_report.compare_runs(a, b)
    text = (
        compare_report.comparison_text(c, only_differences=only_differences)
        if fmt == "text"
        else compare_report.render(c, fmt)
    )
    _emit(text, output)


@project_command()
@click.argument("pipeline")
@click.option("-n", "--last", "limit", type=int, default=20, show_default=True, help="How many runs.")
@_FORMAT
@_OUTPUT
def history(project_dir, pipeline, limit, fmt, output) -> None:
    """A pipeline over its last runs: pass rate, and per node its duration and peak memory.

    \b
    Example:
      script-testing history tabular_simple -n 10 --format html -o history.html
    """
    root = project_runs_root(project_dir)
    h = history_report.load_history(all_runs(root, pipeline), pipeline, limit)
    if not h.runs and not h.unreadable:
        click.echo(f"no runs of pipeline {pipeline} under {root}", err=True)
    _emit(history_report.render(h, fmt), output)
