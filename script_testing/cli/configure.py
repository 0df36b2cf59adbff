"""``script-testing configure``: guided configuration of what a pipeline's nodes still need.

Registered in ``script_testing.cli`` with ``cli.add_command(configure)``.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from script_testing.cli.options import project_command
from script_testing.config.state import is_bundled
from script_testing.configurator import InteractiveRuntimeTestingFactory, require_answer, suggested_value
from script_testing.configurator.display import overview_text
from script_testing.errors import ConfigError, ScriptTestingError

MAX_ATTEMPTS = 10


def _fail(exc: ScriptTestingError) -> None:
    click.echo(click.style("error: ", fg="red", bold=True) + exc.message, err=True)
    sys.exit(2)


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str, str]]:
    """``Node.name=value`` -> (node, name, value)."""
    out = []
    for v in values:
        key, sep, value = v.partition("=")
        node, dot, name = key.strip().rpartition(".")
        if not sep or not dot or not node or not name:
            raise click.BadParameter(f"'{v}' must be NODE.NAME=VALUE", param_hint=option)
        out.append((node, name, value))
    return out


@project_command("configure")
@click.option("-p", "--pipeline", help="A pipeline of the project to configure.")
@click.option(
    "--dag",
    "dag_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A *.dag.json (relative to the current folder or to PROJECT_DIR); added to the project as a "
    "new pipeline when it is not one yet.",
)
@click.option("-y", "--yes", is_flag=True, help="Accept every suggested source without asking.")
@click.option(
    "--source",
    "source_answers",
    multiple=True,
    metavar="NODE.PORT=SOURCE",
    help="Answer for one port, e.g. ModelTraining.hyperparameters_s3_uri='json:{label_name: label}' "
    "(repeatable).",
)
@click.option(
    "--env",
    "env_answers",
    multiple=True,
    metavar="NODE.VAR=VALUE",
    help="Value of a node's environment variable (repeatable).",
)
@click.option(
    "--save-to",
    type=click.Path(path_type=Path, file_okay=False),
    help="Save into a copy of the project in this folder (needed for the bundled examples).",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the change to script_testing.yaml as a diff; write nothing."
)
@click.option(
    "--no-reuse",
    is_flag=True,
    help="Do not take sources, env vars, job args and expectations from nodes of the same step type "
    "in the project's other pipelines.",
)
def configure(
    project_dir, pipeline, dag_path, yes, source_answers, env_answers, save_to, dry_run, no_reuse
) -> None:
    """Configure what a pipeline's nodes are missing, validate each answer at once, and save.

    A node of the same step type in another pipeline of the project lends what it has (sources, env
    vars, job args, expectations; the job-type suffix mapped), and the overview says where each reused
    value came from. Then, for each required input that nothing provides, asks where its data comes
    from (the suggestion is the default; answer synthetic:PROFILE, signature:PROFILE, local:PATH,
    json:{...}, s3:s3://bucket/key or a {...} mapping), and a value for each required environment
    variable that is unset. Saves into the project's script_testing.yaml, changing only the keys that
    change (comments and layout are kept; the old file stays as script_testing.yaml.bak); --dry-run
    prints that change as a diff instead.

    \b
    Examples:
      script-testing configure ./my_project --dag dags/new_model.dag.json
      script-testing configure ./my_project --pipeline train --yes --env TabularPreprocessing_training.LABEL_FIELD=label
      script-testing configure ./my_project --dag dags/new_model.dag.json --yes --dry-run
    """
    try:
        _configure(
            project_dir, pipeline, dag_path, yes, source_answers, env_answers, save_to, dry_run, not no_reuse
        )
    except ScriptTestingError as exc:  # also when used outside the main CLI group
        _fail(exc)


def _configure(
    project_dir, pipeline, dag_path, yes, source_answers, env_answers, save_to, dry_run, reuse
) -> None:

    if pipeline and dag_path:
        raise click.UsageError("give --pipeline or --dag, not both")
    if (
        dag_path is not None
        and not dag_path.exists()
        and project_dir is not None
        and (Path(project_dir) / dag_path).exists()
    ):
        dag_path = Path(project_dir) / dag_path
    if dag_path is not None and not dag_path.is_file():
        raise click.BadParameter(f"the DAG file '{dag_path}' does not exist", param_hint="--dag")
    if pipeline or dag_path:
        factory = InteractiveRuntimeTestingFactory(str(dag_path or pipeline), project_dir, reuse=reuse)
    elif project_dir is not None:
        factory = InteractiveRuntimeTestingFactory(project_dir, reuse=reuse)
    else:
        raise click.UsageError("name what to configure: PROJECT_DIR with --pipeline NAME or --dag PATH")
    if is_bundled(factory.project) and save_to is None and not dry_run:
        raise ConfigError(
            "the bundled examples live inside the installed package and cannot be saved in place",
            where=str(factory.project.file),
            hint="pass --save-to DIR: the project is copied there and the configuration saved in the copy",
        )

    click.echo(overview_text(factory))
    initially_pending = [n for n in factory.dag.order if factory.node_status(n).pending]

    # answers given on the command line first: they are validated like typed ones
    for node, port, value in _pairs(source_answers, "--source"):
        click.echo(
            f"  {node}.{port} <- {value}: "
            + _short(factory.configure_script_testing(node, sources={port: value}))
        )
    for node, var, value in _pairs(env_answers, "--env"):
        click.echo(
            f"  {node}: {var}={value}: "
            + _short(factory.configure_script_testing(node, environ_vars={var: value}))
        )

    interactive = not yes
    for item in list(factory.pending_items):
        if item not in factory.pending_items:  # answered meanwhile
            continue
        if item.kind in ("input", "output"):
            _ask_source(factory, item, interactive)
        elif interactive:
            _ask_env(factory, item)

    if interactive:
        for node in initially_pending:
            for key, value in factory.node_requirements(node)["job_args"].items():
                if value is None and factory.nodes[node].has_script:
                    _ask_job_arg(factory, node, key)

    if factory.pending_items:
        click.echo(
            click.style(f"{len(factory.pending_items)} item(s) still pending; nothing saved:", fg="yellow"),
            err=True,
        )
        for p in factory.pending_items:
            click.echo(f"  - {p.describe()}", err=True)
        if yes:
            click.echo(
                "  give them with --source NODE.PORT=SOURCE / --env NODE.VAR=VALUE, or run without --yes",
                err=True,
            )
        sys.exit(1)

    if dry_run:
        diff = factory.preview(save_to)
        click.echo(diff.rstrip("\n") if diff else "no change to the project file")
        click.echo("dry run: nothing written")
        return
    changed = factory.get_testing_factory_summary()["unsaved_changes"] or save_to is not None
    path = factory.save(save_to)
    summary = factory.get_testing_factory_summary()
    c = summary["counts"]
    verb = "saved" if changed else "nothing to change in"
    click.echo(
        f"{verb} pipeline {factory.pipeline} ({path}): "
        f"{c['auto_configured']} auto-configured, {c['configured']} configured, 0 pending"
    )
    for a in summary["advisories"]:
        click.echo(f"  note: {a}")
    click.echo(
        "next: "
        + f"script-testing run {shlex.quote(str(path.parent))} --pipeline {shlex.quote(factory.pipeline)}"
    )


def _ask_source(factory, item, interactive: bool) -> None:
    default = suggested_value(item.suggestion)
    what = "input" if item.kind == "input" else "output (no script)"
    if not interactive:
        try:
            result = factory.configure_script_testing(item.node, sources={item.name: default})
            click.echo(f"  {item.key} <- {default}: {_short(result)}")
        except ConfigError as exc:
            click.echo(f"  {item.key}: the suggestion {default} is not usable: {exc.message}", err=True)
        return
    _ask_until_valid(
        lambda: click.prompt(
            f"source for {item.key} ({what})", default=default or "", show_default=bool(default)
        ),
        lambda answer: factory.configure_script_testing(
            item.node, sources={item.name: require_answer(f"the source of {item.key}", answer, default)}
        ),
        f"no valid source for {item.key}",
    )


def _ask_env(factory, item) -> None:
    _ask_until_valid(
        lambda: click.prompt(
            f"value of {item.name} for {item.node} (required environment variable)",
            default="",
            show_default=False,
        ),
        lambda answer: factory.configure_script_testing(
            item.node, environ_vars={item.name: require_answer(item.name, answer)}
        ),
        f"no valid value for {item.node}.{item.name}",
    )


def _ask_job_arg(factory, node: str, key: str) -> None:
    _ask_until_valid(
        lambda: click.prompt(
            f"--{key} for {node} (optional: the node name has no job type suffix; empty leaves it unset)",
            default="",
            show_default=False,
        ).strip(),
        lambda answer: factory.configure_script_testing(node, job_args={key: answer}),
        f"no valid --{key} for {node}",
        optional=True,
    )


def _ask_until_valid(ask, apply, failure: str, *, optional: bool = False) -> None:
    """Prompt, apply the answer (which validates it at once); every re-prompt says why (an empty
    answer to a required question too: click's own prompt would ask again silently)."""
    for _ in range(MAX_ATTEMPTS):
        answer = ask()
        if optional and not answer:
            return
        try:
            result = apply(answer)
        except ConfigError as exc:
            click.echo(click.style("  invalid: ", fg="red") + exc.message, err=True)
            continue
        click.echo(f"  {_short(result)}")
        return
    raise click.ClickException(f"{failure} after {MAX_ATTEMPTS} attempts")


def _short(result) -> str:
    """``ok, NODE ready`` or ``ok, N item(s) left for NODE``."""
    if result.ready:
        return f"ok, {result.node} ready"
    return f"ok, {len(result.pending)} item(s) left for {result.node}"
