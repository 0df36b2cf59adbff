"""Options shared by several ``script-testing`` commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable)

project_arg = click.option(
    "--project",
    "project_dir",
    type=click.Path(path_type=Path),
    help="Testing project folder (default: $SCRIPT_TESTING_PROJECT, else the bundled examples).",
)
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
                "--project", "project_dir", type=click.Path(path_type=Path), help="Testing project folder."
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
