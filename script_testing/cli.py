"""The ``script-testing`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from script_testing.errors import ScriptTestingError


def _fail(exc: ScriptTestingError) -> None:
    click.echo(click.style("error: ", fg="red", bold=True) + exc.message, err=True)
    sys.exit(2)


class _Cli(click.Group):
    """Turns every error a user can cause into one clear message and exit status 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ScriptTestingError as exc:
            _fail(exc)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="script_testing")
def cli() -> None:
    """Test ML pipeline scripts locally, in DAG order, with checks on every edge.

    \b
    Examples:
      script-testing run                         # every bundled example pipeline
      script-testing run ./my_project -p train   # one pipeline of your own project
      script-testing validate ./my_project       # wiring report, nothing runs
    """


def _progress(event: str, data: dict) -> None:
    from script_testing.report import edge_line, node_line
    if event == "node_started":
        if data.get("role") == "script":
            click.echo(f"  ....           {data['node']}", err=True)
    elif event == "node_finished":
        click.echo(node_line(data["node"], data["report"]), err=True)
    elif event == "edge_checked":
        edge = data["edge"]
        if edge.status in ("failed", "warn"):
            click.echo(edge_line(edge), err=True)


@cli.command()
@click.argument("project_dir", required=False, type=click.Path(path_type=Path))
@click.option("-p", "--pipeline", "pipelines", multiple=True, help="Pipeline to run (repeatable); default: all.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the combined result here.")
@click.option("--rows", type=int, help="Override every synthetic profile's row count.")
@click.option("--seed", type=int, help="Override every synthetic profile's seed.")
@click.option("--no-checks", is_flag=True, help="Skip the data checks on edges.")
@click.option("--rebaseline", is_flag=True, help="Record this run's edge schemas as the new drift baseline.")
@click.option("--parallelism", type=int, help="Scripts run side by side (default: the project's runner setting).")
@click.option("--quiet", "-q", is_flag=True, help="Only the final summary lines.")
def run(project_dir, pipelines, json_path, rows, seed, no_checks, rebaseline, parallelism, quiet) -> None:
    """Run pipelines of a testing project; exit 0 only when everything passed.

    PROJECT_DIR defaults to $SCRIPT_TESTING_PROJECT, else the bundled examples.

    \b
    Example:
      script-testing run script_testing/examples --pipeline tabular_simple --json result.json
    """
    from script_testing.api import open_project
    from script_testing.execute import RunOptions, run_pipeline
    from script_testing.plan import load_plan
    from script_testing.report import summary_text
    from script_testing.runner import WorkerPool

    project = open_project(project_dir)
    names = list(pipelines) or list(project.config.pipelines)
    if not names:
        raise ScriptTestingError("the project defines no pipelines", where=str(project.file),
                                 hint="add one under 'pipelines:'")
    plans = [load_plan(project, n) for n in names]      # every config problem before anything runs
    reports = []
    preimport = sorted({m for p in plans for m in _preimports(p)})
    with WorkerPool(preimport=preimport) as pool:
        for plan in plans:
            click.echo(f"pipeline {plan.name}: {len(plan.order)} nodes", err=True)
            opts = RunOptions(rows_override=rows, seed_override=seed, checks=not no_checks, rebaseline=rebaseline,
                              parallelism=parallelism, on_event=None if quiet else _progress)
            report = run_pipeline(plan, opts, pool=pool)
            reports.append(report)
            click.echo(summary_text(report))
    if json_path:
        combined = {"success": all(r.success for r in reports),
                    "runs": [json.loads(r.model_dump_json(by_alias=True)) for r in reports]}
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(combined, indent=2) + "\n")
    sys.exit(0 if all(r.success for r in reports) else 1)


def _preimports(plan):
    from script_testing.execute import preimports_for
    return preimports_for(plan)


@cli.command()
@click.argument("project_dir", required=False, type=click.Path(path_type=Path))
@click.option("-p", "--pipeline", "pipelines", multiple=True, help="Pipeline to validate (repeatable).")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text")
def validate(project_dir, pipelines, output_format) -> None:
    """Load the project and print the wiring report; nothing runs.

    Every problem is listed at once; exit status 1 if there is any.

    \b
    Example:
      script-testing validate ./my_project --pipeline train
    """
    from script_testing.api import open_project
    from script_testing.execute import check_sources
    from script_testing.plan import load_plan

    project = open_project(project_dir)
    names = list(pipelines) or list(project.config.pipelines)
    result = {}
    for name in names:
        entry: dict = {"problems": [], "warnings": [], "wiring": []}
        try:
            plan = load_plan(project, name)
        except ScriptTestingError as exc:
            entry["problems"].append(exc.message)
        else:
            entry["wiring"] = plan.wiring.report_lines()
            entry["warnings"] = [w for n in plan.nodes.values() for w in n.warnings]
            entry["problems"] += check_sources(plan)
            entry["order"] = plan.order
        result[name] = entry
    bad = any(e["problems"] for e in result.values())
    if output_format == "json":
        click.echo(json.dumps({"ok": not bad, "pipelines": result}, indent=2))
    else:
        for name, e in result.items():
            click.echo(f"pipeline {name}: {'PROBLEMS' if e['problems'] else 'ok'}")
            for line in e["wiring"]:
                click.echo(f"  {line}")
            for w in e["warnings"]:
                click.echo(click.style("  warning: ", fg="yellow") + w)
            for p in e["problems"]:
                click.echo(click.style("  problem: ", fg="red") + p)
    sys.exit(1 if bad else 0)


def main() -> None:
    cli(prog_name="script-testing")


if __name__ == "__main__":
    main()
