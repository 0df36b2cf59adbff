"""The ``script-testing`` command line: one click group, one error handler.

Commands live in :mod:`.run` (run, validate, test-script, test-compatibility), :mod:`.results`
(list-results, show, report, clean-workspace, ui), :mod:`script_testing.cli.configure` (configure)
and :mod:`.init` (init), :mod:`.over_time` (compare, history).
"""

from __future__ import annotations

import sys

import click

from script_testing.cli import over_time, results, run
from script_testing.cli.configure import configure
from script_testing.cli.init import init
from script_testing.errors import ScriptTestingError
from script_testing.worker.redaction import tool_redactor

__all__ = ["cli", "fail", "main"]


def fail(exc: ScriptTestingError) -> None:
    """Print a user-caused error as one sentence and exit with status 2."""
    click.echo(click.style("error: ", fg="red", bold=True) + tool_redactor().redact(exc.message), err=True)
    sys.exit(2)


class _Cli(click.Group):
    """Turns every error a user can cause into one clear message and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScriptTestingError as exc:
            fail(exc)


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


for _command in (
    run.run,
    run.validate,
    run.test_script_cmd,
    run.test_compatibility_cmd,
    results.list_results,
    results.show,
    results.report,
    results.clean_workspace,
    results.ui,
    over_time.compare,
    over_time.history,
    configure,
    init,
):
    cli.add_command(_command)


def main() -> None:
    run.FAST_EXIT["enabled"] = True  # this process is the CLI: `run` may skip interpreter teardown
    cli(prog_name="script-testing")


if __name__ == "__main__":
    main()
