"""``script-testing`` commands about past runs: list-results, show, report, clean-workspace, ui."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from script_testing import files
from script_testing.api import open_project
from script_testing.cli.options import output_format, project_command
from script_testing.config.names import name_problem
from script_testing.config.state import runs_root
from script_testing.errors import ScriptTestingError
from script_testing.execution.interrupts import run_in_own_group
from script_testing.execution.layout import RUN_MARKER, is_run_dir
from script_testing.execution.outcome import settled
from script_testing.reports import serve
from script_testing.reports.export import export
from script_testing.reports.model import REPORT_FILE, RunReport
from script_testing.reports.text import edge_line, node_line, summary_text


def project_runs_root(project_dir) -> Path:
    return runs_root(open_project(project_dir))


def all_runs(root: Path, pipeline: str | None = None) -> list[Path]:
    if not root.is_dir():
        return []
    runs = [p.parent for p in root.glob(f"{pipeline or '*'}/*/{REPORT_FILE}")]
    return sorted(runs, key=lambda p: (p / REPORT_FILE).stat().st_mtime, reverse=True)


def find_run(root: Path, run: str) -> Path:
    """A run folder from a path, a run id (or its start), ``latest``, ``latest~N`` (the Nth before the
    latest), or ``PIPELINE/latest`` / ``PIPELINE/latest~N``."""
    p = Path(run)
    if (p / REPORT_FILE).exists():
        return p
    if p.name == REPORT_FILE and p.exists():
        return p.parent
    pipeline, _, rid = run.rpartition("/")
    runs = all_runs(root, pipeline or None)
    back = rid.partition("~")[2] if rid.startswith("latest~") else None
    if rid == "latest" and runs:
        return runs[0]
    if back is not None and back.isdigit():
        if int(back) < len(runs):
            return runs[int(back)]
        raise ScriptTestingError(
            f"no run '{run}': only {len(runs)} run(s) under {root}",
            hint="list runs with 'script-testing list-results'",
        )
    matches = [r for r in runs if r.name == rid or r.name.startswith(rid)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ScriptTestingError(
            f"no run '{run}' under {root}",
            hint="list runs with 'script-testing list-results', or pass a run folder",
        )
    raise ScriptTestingError(
        f"'{run}' matches {len(matches)} runs",
        hint="give more of the run id: " + ", ".join(m.name for m in matches[:5]),
    )


@project_command("list-results")
@click.option("-p", "--pipeline", help="Only this pipeline's runs.")
@click.option("-n", "--limit", type=int, default=20, show_default=True)
@output_format
def list_results(project_dir, pipeline, limit, output_format) -> None:
    """List past runs, newest first.

    \b
    Example:
      script-testing list-results -p tabular_simple -n 5
    """
    root = project_runs_root(project_dir)
    rows = []
    for run in all_runs(root, pipeline)[:limit]:
        try:
            r = settled(RunReport.read(run))
        except ScriptTestingError as exc:
            rows.append(
                {
                    "run_id": run.name,
                    "pipeline": run.parent.name,
                    "status": "unreadable",
                    "path": str(run),
                    "error": exc.message,
                }
            )
            continue
        rows.append(
            {
                "run_id": r.run_id,
                "pipeline": r.pipeline,
                "status": r.status,
                "success": r.success,
                "started_at": r.started_at,
                "duration_s": r.duration_s,
                "counts": r.counts(),
                "path": str(run),
            }
        )
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"no runs under {root}")
        return
    for row in rows:
        dur = f"{row['duration_s']:.1f}s" if row.get("duration_s") is not None else "-"
        counts = ", ".join(f"{v} {k}" for k, v in (row.get("counts") or {}).items())
        click.echo(f"{row['status'].upper():7} {row['pipeline']:24} {row['run_id']:24} {dur:>7}  {counts}")


@project_command()
@click.argument("run")
@output_format
def show(run, project_dir, output_format) -> None:
    """Show one run: RUN is a run id (or its start), PIPELINE/latest, latest, or a run folder.

    \b
    Example:
      script-testing show tabular_simple/latest
    """
    folder = find_run(project_runs_root(project_dir), run)
    report = settled(RunReport.read(folder))
    if output_format == "json":
        click.echo(report.model_dump_json(indent=2, by_alias=True))
        return
    click.echo(summary_text(report))
    for name, node in report.nodes.items():
        click.echo(node_line(name, node))
    for edge in report.edges:
        if edge.status in ("failed", "warn"):
            click.echo(edge_line(edge))
            for f in edge.failed_expectations[:10]:
                click.echo(f"        - {f.get('message') or f.get('expectation')}")
    for w in report.warnings:
        click.echo(f"  warning: {w}")


@project_command()
@click.argument("run")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "json", "csv"]), default="html", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Where to write (default: in the run folder)."
)
def report(run, project_dir, fmt, output) -> None:
    """Write a run's report as one self-contained HTML file, JSON or CSV.

    \b
    Example:
      script-testing report tabular_simple/latest --format html -o report.html
    """
    folder = find_run(project_runs_root(project_dir), run)
    click.echo(str(export(folder, fmt, output)))


@project_command("clean-workspace")
@click.option("-p", "--pipeline", help="Only this pipeline's runs.")
@click.option(
    "--keep", type=int, default=0, show_default=True, help="Keep the newest N runs of each pipeline."
)
@click.option("--dry-run", is_flag=True, help="List what would be deleted, delete nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def clean_workspace(project_dir, pipeline, keep, dry_run, yes) -> None:
    """Delete past run folders: only folders script_testing created for a run (they carry a marker
    file), only under the runs root.

    \b
    Example:
      script-testing clean-workspace --keep 3 --dry-run
    """
    if keep < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--keep")
    root = project_runs_root(project_dir).resolve()
    if pipeline and name_problem(pipeline):
        raise click.BadParameter(name_problem(pipeline), param_hint="--pipeline")
    victims = run_folders_to_delete(root, pipeline, keep)
    if not victims:
        click.echo(f"nothing to delete under {root} (only run folders script_testing created are deleted)")
        return
    size = sum(f.stat().st_size for v in victims for f in v.rglob("*") if f.is_file() and not f.is_symlink())
    click.echo(f"{len(victims)} run folder(s), {size / 1e6:.1f} MB under {root}:")
    for v in victims:
        click.echo(f"  {v.relative_to(root)}")
    if dry_run:
        click.echo("dry run: nothing deleted")
        return
    if not yes and not click.confirm("Delete them?", default=False):
        click.echo("nothing deleted")
        sys.exit(1)
    for v in victims:
        files.remove_tree(v, root=root)
    click.echo(f"deleted {len(victims)} run folder(s)")


def run_folders_to_delete(root: Path, pipeline: str | None, keep: int) -> list[Path]:
    """The marked run folders ``<root>/<pipeline>/<run>`` beyond the newest ``keep`` of each pipeline;
    never a symlink, never a folder without the run marker, never anything outside ``root``."""
    if not root.is_dir():
        return []
    pipelines = [root / pipeline] if pipeline else sorted(p for p in root.iterdir() if p.is_dir())
    victims: list[Path] = []
    for pdir in pipelines:
        if pdir.is_symlink() or not pdir.is_dir():
            continue
        runs = sorted(
            (r for r in pdir.iterdir() if is_run_dir(r)),
            key=lambda r: (r / RUN_MARKER).stat().st_mtime,
            reverse=True,
        )
        victims += runs[keep:]
    return [v for v in victims if root in v.resolve().parents]


@project_command()
@click.option("--port", type=int, default=3000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--files-port",
    type=int,
    default=3100,
    show_default=True,
    help="Port of the read-only server of the runs root (reports, logs, Data Docs); 0: any free port.",
)
def ui(project_dir, port, host, files_port) -> None:
    """Start the Dagster UI (`dagster dev`) on this project, with its own Dagster home ($DAGSTER_HOME, else
    the project's .dagster_home written by `init`, else ./.dagster_home), and a read-only http server of the runs root on loopback so links to reports, logs and Data Docs open in the browser.

    \b
    Example:
      script-testing ui --project ./my_project --port 3001
    """
    project = open_project(project_dir)
    env = dict(os.environ, SCRIPT_TESTING_PROJECT=str(project.root))
    own_home = project.root / ".dagster_home"  # the one `script-testing init` wrote, if any
    default_home = own_home if (own_home / "dagster.yaml").exists() else Path.cwd() / ".dagster_home"
    home = Path(env.get("DAGSTER_HOME") or default_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    repo_yaml = Path(__file__).resolve().parents[2] / "dagster.yaml"
    if not (home / "dagster.yaml").exists() and repo_yaml.exists():
        files.copy_file(repo_yaml, home / "dagster.yaml", root=home)
    env["DAGSTER_HOME"] = str(home)
    root = runs_root(project)
    try:
        server = serve.start(root, port=files_port)
    except OSError as exc:
        raise click.ClickException(
            f"could not serve the runs root {root} on 127.0.0.1:{files_port} ({exc.strerror}); "
            f"pass --files-port with a free port (or 0 for any)"
        ) from None
    env[serve.URL_ENV], env[serve.ROOT_ENV] = serve.base_url(server), str(root)
    click.echo(f"runs root {root} served read-only at {serve.base_url(server)}")
    dagster = Path(sys.executable).with_name("dagster")
    cmd = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-m",
        "script_testing.definitions",
        "-h",
        host,
        "-p",
        str(port),
    ]
    click.echo(f"DAGSTER_HOME={home} {' '.join(cmd)}")
    sys.exit(run_in_own_group(cmd, env=env))
