"""``clean-workspace`` deletes only run folders the tool created (marked), lists them first, and a runs
root that is or holds the project's own files is refused when the project loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from script_testing.api import open_project, run
from script_testing.cli import cli
from script_testing.execution.layout import RUN_MARKER, create_run_dir
from script_testing_tests.safety.trees import project_with_sibling, snapshot


def _clean(root: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["clean-workspace", "--project", str(root), *args], input=input)


def _fake_run(runs: Path, pipeline: str, run_id: str) -> Path:
    folder = create_run_dir(runs / pipeline / run_id, run_id, pipeline)
    (folder / "report.json").write_text("{}")
    return folder


@pytest.mark.parametrize(
    ("runs_root", "said"),
    [
        (".", "is the project folder"),
        ("steps", "is a workspace"),
        ("..", "contains the project folder"),
        ("/", "is the file system root"),
        ("~", "your home folder"),
    ],
)
def test_a_runs_root_holding_the_project_is_refused_at_load(tmp_path, runs_root, said):
    p, sibling = project_with_sibling(tmp_path)
    p.config["runs_root"] = runs_root
    root = p.write()
    before = snapshot(root, sibling)
    result = _clean(root, "--yes")
    assert result.exit_code == 2
    assert "runs_root" in result.output and said in result.output
    assert result.output.count("\n") == 1  # one sentence, no traceback
    assert snapshot(root, sibling) == before
    with pytest.raises(Exception, match=said):
        open_project(root)


def test_the_runs_environment_variable_is_checked_too(tmp_path, monkeypatch):
    p, _ = project_with_sibling(tmp_path)
    root = p.write()
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(root / "steps"))
    result = _clean(root, "--dry-run")
    assert result.exit_code == 2 and "$SCRIPT_TESTING_RUNS" in result.output


def test_only_marked_run_folders_are_deleted(tmp_path):
    p, sibling = project_with_sibling(tmp_path)
    p.config["runs_root"] = "runs"
    root = p.write()
    runs = root / "runs"
    old, new = _fake_run(runs, "p", "20200101-000000-aaaaaa"), _fake_run(runs, "p", "20200102-000000-bbbbbb")
    unmarked = runs / "p" / "my-notes"
    unmarked.mkdir()
    (unmarked / "notes.txt").write_text("mine\n")
    (runs / "p" / "linked").symlink_to(sibling / "keep")  # a symlink to a folder outside
    outside_marked = tmp_path / "elsewhere" / "run"
    create_run_dir(outside_marked, "x", "p")
    (runs / "p" / "linked-run").symlink_to(outside_marked)  # marked, but reached through a symlink
    keep = snapshot(root / "steps", root / "dags", sibling, tmp_path / "elsewhere", unmarked)

    listed = _clean(root, "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert "p/20200101-000000-aaaaaa" in listed.output and "p/20200102-000000-bbbbbb" in listed.output
    assert "my-notes" not in listed.output and "linked" not in listed.output
    assert "dry run: nothing deleted" in listed.output
    assert old.exists() and new.exists()

    refused = _clean(root, input="n\n")
    assert "p/20200101-000000-aaaaaa" in refused.output and "nothing deleted" in refused.output
    assert old.exists()

    done = _clean(root, "--keep", "1", "--yes")
    assert done.exit_code == 0, done.output
    assert "deleted 1 run folder(s)" in done.output
    assert not old.exists() and new.exists()
    assert snapshot(root / "steps", root / "dags", sibling, tmp_path / "elsewhere", unmarked) == keep
    assert (runs / "p" / "linked").is_symlink() and (runs / "p" / "linked-run").is_symlink()


def test_a_pipeline_option_with_a_path_is_refused(tmp_path):
    p, sibling = project_with_sibling(tmp_path)
    root = p.write()
    before = snapshot(root, sibling)
    result = _clean(root, "-p", "../..", "--yes")
    assert result.exit_code == 2
    assert snapshot(root, sibling) == before


@pytest.mark.e2e
def test_a_real_run_is_marked_and_cleaned_and_nothing_else(tmp_path):
    p, sibling = project_with_sibling(tmp_path)
    root = p.write()
    report = run("p", root)
    run_dir = Path(report.run_dir)
    assert (run_dir / RUN_MARKER).is_file()
    before = snapshot(root, sibling)
    result = _clean(root, "--yes")
    assert result.exit_code == 0, result.output
    assert "deleted 1 run folder(s)" in result.output
    assert not run_dir.exists()
    assert snapshot(root, sibling) == before
