"""``script-testing init [REPO]``: a first testing project for a repository (core in :mod:`script_testing.scaffold`)."""

from __future__ import annotations

from pathlib import Path

import click

from script_testing.scaffold import scaffold


@click.command("init")
@click.argument("repo", required=False, default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--into",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the testing project into this folder (default: REPO itself).",
)
def init(repo, into) -> None:
    """Write script_testing.yaml and a Dagster home for the pipelines of REPO (default: here).

    Finds every *.dag.json and *.step.yaml, adds every pipeline, and writes what each still needs
    (sources, environment variables) as commented placeholders. Never overwrites a file.

    \b
    Example:
      script-testing init ~/src/our-pipelines
    """
    done = scaffold(repo, into)
    ok = [p for p in done.pipelines if p.problem is None]
    click.echo(
        f"wrote {done.project_file}: {len(ok)} pipeline(s), {done.interfaces} step interface(s) "
        f"found in {done.repo}"
    )
    for p in done.pipelines:
        if p.problem is not None:
            click.echo(click.style("  not added: ", fg="yellow") + f"{p.name} ({p.problem})")
        else:
            needs = f"{len(p.pending)} item(s) to configure" if p.pending else "nothing to configure"
            click.echo(f"  {p.name}: {needs}")
    click.echo(f"wrote {done.dagster_home / 'dagster.yaml'} (Dagster home: SQLite, telemetry off)")
    click.echo("next:")
    for line in done.next_commands():
        click.echo(f"  {line}")
