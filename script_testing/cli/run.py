"""``script-testing`` commands that run things: run, validate, test-script, test-compatibility."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from script_testing import files
from script_testing.api import open_project, record_in_dagster, test_compatibility, test_script
from script_testing.cli.options import output_format, partial_run_options, project_command
from script_testing.cli.progress import progress_for
from script_testing.errors import ScriptTestingError
from script_testing.execution.inputs import check_sources
from script_testing.execution.interrupts import exit_code, signals_as_interrupts
from script_testing.execution.options import RunOptions
from script_testing.execution.scheduler import run_pipeline
from script_testing.execution.steps import preimports_for
from script_testing.pipeline.plan import inspect_plan
from script_testing.pipeline.selection import deep_dive, options_for, select
from script_testing.pipeline.wiring import dag_problems
from script_testing.reports.html import write_html
from script_testing.reports.junit import write_junit
from script_testing.reports.text import summary_text
from script_testing.s3.client import make_s3_client
from script_testing.s3.publish import publish_run
from script_testing.worker.early_start import adopt, remember


@project_command()
@click.option(
    "-p", "--pipeline", "pipelines", multiple=True, help="Pipeline to run (repeatable); default: all."
)
@click.option(
    "--json", "json_path", type=click.Path(path_type=Path), help="Also write the combined result here."
)
@click.option(
    "--junit-xml",
    "junit_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write JUnit XML here (a testcase per node and per edge check), for CI.",
)
@click.option("--rows", type=int, help="Override every synthetic profile's row count.")
@click.option("--seed", type=int, help="Override every synthetic profile's seed.")
@click.option("--no-checks", is_flag=True, help="Skip the data checks on edges.")
@click.option("--rebaseline", is_flag=True, help="Record this run's edge schemas as the new drift baseline.")
@click.option(
    "--parallelism", type=int, help="Scripts run side by side (default: the project's runner setting)."
)
@click.option("--quiet", "-q", is_flag=True, help="Only the final summary lines.")
@click.option(
    "--plain", is_flag=True, help="Plain progress lines even in a terminal (default there: a live view)."
)
@click.option(
    "--select",
    "select_nodes",
    multiple=True,
    help="Run only these nodes (repeatable); other inputs from --deep-dive or an earlier run.",
)
@click.option(
    "--deep-dive",
    "deep_dive_prefix",
    metavar="S3_PREFIX",
    help="Feed the selected nodes' inputs from a production execution's outputs under this S3 prefix.",
)
@click.option(
    "--layout",
    default=None,
    metavar="TEMPLATE",
    help="Where the execution keeps outputs (default '{prefix}/{node}/{output}/').",
)
@click.option(
    "--upload", metavar="S3_URI", help="Copy each run's folder (report and outputs) to S3 afterwards."
)
@click.option(
    "--html/--no-html", default=True, show_default=True, help="Write report.html into each run folder."
)
def run(
    project_dir,
    pipelines,
    json_path,
    junit_path,
    rows,
    seed,
    no_checks,
    rebaseline,
    parallelism,
    quiet,
    plain,
    select_nodes,
    deep_dive_prefix,
    layout,
    upload,
    html,
) -> None:
    """Run pipelines of a testing project; exit 0 only when everything passed.

    PROJECT_DIR defaults to $SCRIPT_TESTING_PROJECT, else the bundled examples.

    \b
    Examples:
      script-testing run script_testing/examples --pipeline tabular_simple --json result.json
      script-testing run ./proj -p train --select ModelEvaluation_calibration \\
          --deep-dive s3://ml-runs/exec-123
    """
    project = open_project(project_dir)
    names = list(pipelines) or list(project.config.pipelines)
    if not names:
        raise ScriptTestingError(
            "the project defines no pipelines", where=str(project.file), hint="add one under 'pipelines:'"
        )
    for n in names:
        project.pipeline(n)  # an unknown --pipeline name is a usage error, before anything else
    checks = [inspect_plan(project, n) for n in names]  # every config problem before anything runs
    plans = [c.plan for c in checks if c.ok]
    broken = [c for c in checks if not c.ok]
    if (select_nodes or deep_dive_prefix) and len(checks) != 1:
        raise ScriptTestingError(
            "--select and --deep-dive need exactly one --pipeline", hint=f"pipelines: {', '.join(names)}"
        )
    if deep_dive_prefix and not select_nodes:
        raise ScriptTestingError("--deep-dive needs the nodes to run", hint="add --select NODE (repeatable)")
    if broken and (not plans or select_nodes or deep_dive_prefix):
        if len(broken) == 1:
            raise broken[0].error()
        raise ScriptTestingError(
            f"none of the {len(broken)} pipelines can run",
            where=str(project.file),
            hint="run 'script-testing validate' for every problem",
            details="\n".join(f"  - {c.error().message.splitlines()[0]}" for c in broken),
        )
    for check in broken:  # one broken pipeline never blocks the others
        click.echo(click.style("not run: ", fg="red") + str(check.error()), err=True)
    reports = []
    preimport = sorted({m for p in plans for m in preimports_for(p)})
    remember(preimport)  # the next run of this command starts its worker before it plans
    with signals_as_interrupts():  # Ctrl-C / SIGTERM: the record is finalised, the worker stopped
        try:
            with adopt(preimport) as pool:
                for plan in plans:
                    click.echo(f"pipeline {plan.name}: {len(plan.order)} nodes", err=True)
                    opts = _run_options(plan, select_nodes, deep_dive_prefix, layout)
                    opts.rows_override, opts.seed_override, opts.checks = rows, seed, not no_checks
                    opts.rebaseline, opts.parallelism = rebaseline, parallelism
                    view = None if quiet else progress_for(plan, live=False if plain else None)
                    opts.on_event = view
                    if view is None:
                        report = run_pipeline(plan, opts, pool=pool)
                    else:
                        with view:
                            report = run_pipeline(plan, opts, pool=pool)
                    reports.append(report)
                    page = _write_html(report) if html else None
                    click.echo(summary_text(report))
                    if page is not None:
                        click.echo(f"  html: {page}")
                    if warning := record_in_dagster(report, "cli"):
                        click.echo(f"warning: {warning}", err=True)
                    if upload:
                        _upload(project, report, upload)
        except KeyboardInterrupt as exc:
            _stopped(exc, html)
            sys.exit(exit_code(exc))
        except ScriptTestingError as exc:
            if getattr(exc, "report", None) is None:
                raise
            _stopped(exc, html)
            sys.exit(1)
        except OSError as exc:
            if getattr(exc, "report", None) is None:
                raise
            _stopped(exc, html)
            sys.exit(1)
    for check in broken:  # repeated after the runs' summaries, where the eye lands last
        click.echo(f"pipeline {check.name}: NOT RUN ({len(check.errors)} problem(s); see above)")
    success = all(r.success for r in reports) and not broken
    if json_path:
        combined = {
            "success": success,
            "runs": [json.loads(r.model_dump_json(by_alias=True)) for r in reports],
            "not_run": {c.name: [p.as_dict() for p in c.problems if p.severity == "error"] for c in broken},
        }
        files.write_text(json_path, json.dumps(combined, indent=2) + "\n")
    if junit_path:
        click.echo(f"junit: {write_junit(reports, junit_path)}", err=True)
    _finish(0 if success else 1)


# Set by ``script_testing.cli.main`` (the ``script-testing`` process itself), never under a test's
# CliRunner, which runs the command inside the test's own interpreter.
FAST_EXIT = {"enabled": False}


def _finish(code: int) -> NoReturn:
    """Exit with ``code`` once everything is written. In the ``script-testing`` process, skip the
    interpreter's teardown (``os._exit``): the reports, JSON and JUnit files are written and closed,
    the worker pool is closed, and tearing down pandas, pyarrow and the rest costs about a second for
    nothing. Elsewhere (a test's CliRunner), a normal ``sys.exit``."""
    observed = sys.gettrace() or sys.getprofile() or os.environ.get("COVERAGE_PROCESS_START")
    if not FAST_EXIT["enabled"] or observed:  # a profiler or coverage writes its data at exit
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code)


def _stopped(exc: BaseException, html: bool) -> None:
    """A run stopped by a signal or an error: its finalised record, written and summed up."""
    report = getattr(exc, "report", None)
    if report is None:
        click.echo("interrupted before any run started", err=True)
        return
    if html:
        _write_html(report)
    click.echo(summary_text(report))


def _run_options(plan, select_nodes, deep_dive_prefix, layout):
    if deep_dive_prefix:
        return deep_dive(plan, list(select_nodes), deep_dive_prefix, layout)
    if select_nodes:
        sel = select(plan, list(select_nodes))
        for note in sel.notes:
            click.echo(f"  note: {note}", err=True)
        return options_for(sel)
    return RunOptions()


def _write_html(report) -> Path | None:
    try:
        return write_html(report, Path(report.run_dir) / "report.html")
    except OSError as exc:
        click.echo(f"warning: could not write report.html ({exc.strerror})", err=True)
        return None


def _upload(project, report, uri: str) -> None:
    target = uri.rstrip("/") + f"/{report.pipeline}/{report.run_id}/"
    keys = publish_run(Path(report.run_dir), target, make_s3_client(project.config.s3))
    click.echo(f"  uploaded {len(keys)} file(s) to {target}")


@project_command()
@click.option("-p", "--pipeline", "pipelines", multiple=True, help="Pipeline to validate (repeatable).")
@output_format
def validate(project_dir, pipelines, output_format) -> None:
    """Load the project and print the wiring report; nothing runs.

    Every problem is listed at once; exit status 1 if there is any.

    \b
    Example:
      script-testing validate ./my_project --pipeline train
    """
    project = open_project(project_dir)
    names = list(pipelines) or list(project.config.pipelines)
    result = {name: validation_entry(project, name) for name in names}
    ok = all(e["ok"] for e in result.values())
    if output_format == "json":
        shown = {n: {k: e[k] for k in ("ok", "problems", "wiring")} for n, e in result.items()}
        click.echo(json.dumps({"ok": ok, "pipelines": shown}, indent=2))
    else:
        for name, e in result.items():
            errors = [p for p in e["problems"] if p["severity"] == "error"]
            click.echo(f"pipeline {name}: {'PROBLEMS' if errors else 'ok'}")
            for line in e["lines"]:
                click.echo(f"  {line}")
            for p in e["problems"]:
                label = (
                    click.style("  problem: ", fg="red")
                    if p in errors
                    else click.style("  warning: ", fg="yellow")
                )
                click.echo(label + f"{p['where']}: {p['message']}")
    sys.exit(0 if ok else 1)


WIRE_KEYS = ("to", "input", "from", "output", "kind", "score", "reason")


def validation_entry(project, name: str) -> dict:
    """One pipeline's validation: every problem (planning, sources, contracts) and every wire."""
    check = inspect_plan(project, name)
    # a producer outside the consumer's compatible_sources runs as in production, but breaks the
    # interface's declared contract: it fails validate
    problems = [
        {**p.as_dict(), "severity": "error"} if p.category == "compatible_sources" else p.as_dict()
        for p in check.problems
    ]
    wiring = []
    if check.wiring is not None:
        wiring = [{k: w[k] for k in WIRE_KEYS} for w in check.wiring.as_json()]
        for w in wiring:
            w["kind"] = str(w["kind"])
    lines = check.wiring.report_lines() if check.wiring is not None else []
    if check.plan is not None:
        for text in check_sources(check.plan):
            where, _, message = text.partition(": ")
            problems.append({"severity": "error", "where": where, "message": message})
        nodes = {n: np.resolved for n, np in check.plan.nodes.items()}
        for p in dag_problems(check.plan.dag, nodes, check.plan.wiring):
            problems.append({"severity": p.severity, "where": p.where, "message": p.message})
        for node, found in check.plan.contract_problems.items():
            for p in found:
                problems.append(
                    {"severity": p.severity, "where": f"{node} ({p.where})", "message": p.message}
                )
    ok = check.plan is not None and not any(p["severity"] == "error" for p in problems)
    return {"ok": ok, "problems": problems, "wiring": wiring, "lines": lines}


@project_command("test-script")
@click.argument("node")
@partial_run_options
def test_script_cmd(node, pipeline, project_dir, reuse_run, output_format) -> None:
    """Run one node alone; its inputs from sources, the latest run, or synthesized from its expectations.

    \b
    Example:
      script-testing test-script ModelTraining -p tabular_simple
    """
    _print_result(test_script(node, pipeline, project_dir, reuse_run=reuse_run), output_format)


@project_command("test-compatibility")
@click.argument("upstream")
@click.argument("downstream")
@partial_run_options
def test_compatibility_cmd(upstream, downstream, pipeline, project_dir, reuse_run, output_format) -> None:
    """Run UPSTREAM, check the data on the edge, then run DOWNSTREAM on it.

    \b
    Example:
      script-testing test-compatibility TabularPreprocessing_training ModelTraining
    """
    _print_result(
        test_compatibility(upstream, downstream, pipeline, project_dir, reuse_run=reuse_run), output_format
    )


def _print_result(result, output_format: str) -> None:
    if output_format == "json":
        click.echo(result.report.model_dump_json(indent=2, by_alias=True))
    else:
        click.echo(repr(result))
    sys.exit(0 if result.success else 1)
