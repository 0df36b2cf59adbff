"""Every command names its project the same way: ``[PROJECT_DIR]`` first, or ``--project``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from script_testing.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    "command",
    [
        "run",
        "validate",
        "configure",
        "test-script",
        "test-compatibility",
        "list-results",
        "show",
        "report",
        "clean-workspace",
        "ui",
    ],
)
def test_every_command_takes_project_dir_first_and_as_option(command):
    usage = invoke(command, "--help").output.splitlines()[0]
    assert usage.startswith(f"Usage: cli {command} [OPTIONS] [PROJECT_DIR]"), usage
    assert "--project" in invoke(command, "--help").output


def test_project_dir_argument_and_option_reach_the_command(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["list-results", str(empty)], ["list-results", "--project", str(empty)]):
        result = invoke(*args)
        assert result.exit_code == 2 and "no testing project here" in result.output, result.output
    # with another argument: a leading extra argument is the project, otherwise the run
    shown = invoke("show", str(empty), "latest")
    assert shown.exit_code == 2 and "no testing project here" in shown.output
    bundled = invoke("show", "no-such-run")
    assert bundled.exit_code == 2 and "no run 'no-such-run'" in bundled.output


def test_two_different_project_folders_are_refused(tmp_path):
    result = invoke("list-results", str(tmp_path / "a"), "--project", str(tmp_path / "b"))
    assert result.exit_code == 2 and "two project folders given" in result.output
