"""Options shared by several ``script-testing`` commands.

Every command names its testing project the same way: ``PROJECT_DIR`` as its optional first argument,
or ``--project PROJECT_DIR`` (both kept working). Commands that take other arguments too
(``show RUN``, ``compare RUN_A RUN_B``) read a leading extra argument as the project folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable)

_PROJECT_LAST = "script_testing.project_last"


class ProjectCommand(click.Command):
    """A command whose optional first argument (or ``--project``) is the testing project folder."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        if not ctx.meta.get(_PROJECT_LAST):
            return params
        project = [p for p in params if p.name == "project_dir"]
        return [p for p in params if p.name != "project_dir"] + project

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        last = ctx.meta.pop(_PROJECT_LAST, None)  # usage always shows [PROJECT_DIR] first
        try:
            return super().collect_usage_pieces(ctx)
        finally:
            ctx.meta[_PROJECT_LAST] = last

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # A first pass with PROJECT_DIR last: it is filled only when every positional was given,
        # and then the first of them is the project folder.
        ctx.meta[_PROJECT_LAST] = True
        try:
            opts, _, _ = self.make_parser(ctx).parse_args(args=list(args))
            given = isinstance(opts.get("project_dir"), str)
        except click.UsageError:
            given = True  # let the real pass report it
        ctx.meta[_PROJECT_LAST] = not given
        rest = super().parse_args(ctx, args)
        option = ctx.params.pop("project_opt", None)
        argument = ctx.params.get("project_dir")
        if option is not None and argument is not None and Path(option) != Path(argument):
            raise click.UsageError(
                f"two project folders given ({argument} and --project {option}); pass only one", ctx
            )
        ctx.params["project_dir"] = argument if argument is not None else option
        return rest


def project_command(name: str | None = None, **kwargs) -> Callable[[F], click.Command]:
    """``@click.command`` taking ``[PROJECT_DIR]`` first and ``--project``; the function gets ``project_dir``."""

    def decorate(func: F) -> click.Command:
        func = click.option(
            "--project",
            "project_opt",
            type=click.Path(path_type=Path),
            help="Testing project folder, same as PROJECT_DIR.",
        )(func)
        func = click.argument("project_dir", required=False, type=click.Path(path_type=Path))(func)
        return click.command(name, cls=ProjectCommand, **kwargs)(func)

    return decorate


output_format = click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def partial_run_options(func: F) -> F:
    """Options shared by the commands that run part of a pipeline."""
    for option in reversed(
        [
            click.option(
                "-p", "--pipeline", help="Pipeline holding the node(s) (default: the first that has them)."
            ),
            click.option(
                "--reuse-run",
                type=click.Path(path_type=Path),
                help="Take upstream outputs from this run folder (default: the latest run that has them).",
            ),
            output_format,
        ]
    ):
        func = option(func)
    return func
