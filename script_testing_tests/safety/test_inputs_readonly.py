"""What one node produced cannot be changed by another: read-only inputs (mount or private copy),
manifests checked after every consumer and before every reuse.

``MakeData -> Transform -> Consume`` and ``MakeData -> Other``: Transform rewrites (or appends to,
or deletes) its input ``data``; Other, the input's other consumer, must still read the original.
Each case runs both ways: read-only mounts (as root, where the namespace works) and private copies.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from script_testing import api
from script_testing.execution.guard import manifest_path
from script_testing.execution.options import RunOptions
from script_testing.integrity import private_copy, readonly_mounts_work, take_manifest
from script_testing.orchestration.keys import output_key
from script_testing.s3.cache import place
from script_testing.worker import WorkerPool
from script_testing_tests.fixtures.projects import MAKE_DATA, branching_project

pytestmark = [pytest.mark.timeout(120), pytest.mark.e2e]

REWRITE = """
import os

def main(input_paths, output_paths, environ_vars, job_args):
    src = input_paths["data"]
    folder = src if os.path.isdir(src) else os.path.dirname(src)
    try:
        with open(os.path.join(folder, "part-00000.csv"), "w") as fh:
            fh.write("id,label,score\\n0,0,0\\n")
    except OSError:
        pass  # read-only: swallowed, the script "passes" unless we look
    os.makedirs(output_paths["table"], exist_ok=True)
    with open(os.path.join(output_paths["table"], "t.csv"), "w") as fh:
        fh.write("id\\n1\\n")
"""

DELETE = REWRITE.replace(
    'with open(os.path.join(folder, "part-00000.csv"), "w") as fh:\n            fh.write("id,label,score\\\\n0,0,0\\\\n")',
    'os.remove(os.path.join(folder, "part-00000.csv"))',
)

RAISE_ON_WRITE = """
import os

def main(input_paths, output_paths, environ_vars, job_args):
    folder = input_paths["data"]
    folder = folder if os.path.isdir(folder) else os.path.dirname(folder)
    with open(os.path.join(folder, "extra.csv"), "w") as fh:
        fh.write("x\\n")
    os.makedirs(output_paths["table"], exist_ok=True)
    open(os.path.join(output_paths["table"], "t.csv"), "w").write("id\\n1\\n")
"""

MODES = ["copy"] + (["mount"] if readonly_mounts_work() else [])


@pytest.fixture(scope="module")
def pool():
    with WorkerPool() as p:
        yield p


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    if request.param == "copy":  # as a non-root user would: no mount namespace, private copies
        monkeypatch.setattr("script_testing.execution.guard.readonly_mounts_work", lambda: False)
    return request.param


def run(root: Path, pool, **options):
    options.setdefault("checks", False)
    return api.run("p", project=root, options=RunOptions(**options), pool=pool)


def original_rows(report) -> list[str]:
    data = Path(report.run_dir) / "MakeData" / "data" / "part-00000.csv"
    return data.read_text().splitlines()


@pytest.mark.parametrize("script", [REWRITE, DELETE, RAISE_ON_WRITE], ids=["rewrite", "delete", "add"])
def test_a_consumer_cannot_change_what_another_reads(tmp_path, pool, mode, script):
    root = branching_project(tmp_path / "proj", script).write()
    report = run(root, pool)
    t = report.nodes["Transform"]
    if mode == "mount" and script is not RAISE_ON_WRITE:
        # the write was refused (EROFS) and the script swallowed it: nothing changed, nothing to blame
        assert t.status == "passed", t.error
    else:
        assert t.status == "failed", f"{mode}: Transform changed its input yet {t.status}"
        assert t.error_kind == "modified_input"
        first = t.error.splitlines()[0]
        assert first.startswith("Transform") and "input" in first, first
        if mode == "copy":
            assert "`data`" in first and ("part-00000.csv" in first or "extra.csv" in first), first
    # containment: the original is intact and the other consumer read it
    assert len(original_rows(report)) == 21
    assert report.nodes["Other"].status == "passed"
    other = Path(report.run_dir) / "Other" / "other" / "part-00000.csv"
    assert len(other.read_text().splitlines()) == 21
    assert not (Path(report.run_dir) / "MakeData" / "data" / "extra.csv").exists()
    assert report.success == (t.status == "passed")
    # nothing already produced was lost; the private copies were removed
    assert (Path(report.run_dir) / "MakeData" / "_run" / "manifest.data.json").is_file()
    assert not (Path(report.run_dir) / "Transform" / "_run" / "inputs").exists()


def test_a_well_behaved_pipeline_passes_and_records_manifests(tmp_path, pool, mode):
    root = branching_project(tmp_path / "proj").write()
    report = run(root, pool)
    assert report.success, report.model_dump_json(indent=1)
    manifest = json.loads((Path(report.run_dir) / "MakeData" / "_run" / "manifest.data.json").read_text())
    data = Path(report.run_dir) / "MakeData" / "data" / "part-00000.csv"
    assert manifest["part-00000.csv"]["size"] == data.stat().st_size
    assert len(manifest["part-00000.csv"]["sha256"]) == 64
    assert manifest_path(Path(report.run_dir) / "Transform" / "table").is_file()


def test_reuse_of_changed_data_is_refused(tmp_path, pool, mode):
    root = branching_project(tmp_path / "proj").write()
    first = run(root, pool)
    assert first.success
    data = Path(first.run_dir) / "MakeData" / "data" / "part-00000.csv"
    data.write_text("id,label,score\n9,9,9\n")  # changed behind our back after it was produced
    again = run(root, pool, select=["Transform"], reuse_run=Path(first.run_dir))
    t = again.nodes["Transform"]
    assert t.status == "failed" and t.error_kind == "changed_input"
    assert "changed after it was produced" in t.error and "part-00000.csv" in t.error
    assert not again.success
    # the earlier run's own record stays as it was
    assert (Path(first.run_dir) / "Transform" / "table").exists()


def test_reuse_of_intact_data_runs(tmp_path, pool, mode):
    root = branching_project(tmp_path / "proj").write()
    first = run(root, pool)
    again = run(root, pool, select=["Transform"], reuse_run=Path(first.run_dir))
    assert again.nodes["Transform"].status == "passed", again.nodes["Transform"].error


def test_private_copies_and_the_s3_cache_never_share_inodes(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.csv").write_text("a\n1\n")
    (src / "sub" / "b.csv").write_text("b\n2\n")
    copy = private_copy(src, tmp_path / "copy")
    assert take_manifest(copy) == take_manifest(src)
    for rel in ("a.csv", "sub/b.csv"):
        assert os.stat(src / rel).st_ino != os.stat(copy / rel).st_ino
    (copy / "a.csv").write_text("changed\n")
    assert (src / "a.csv").read_text() == "a\n1\n"
    for link in ("copy", "hardlink"):  # even when a project asks for hardlinks
        dest = tmp_path / f"placed-{link}.csv"
        place(src / "a.csv", dest, link=link)
        assert os.stat(dest).st_ino != os.stat(src / "a.csv").st_ino
        assert os.stat(src / "a.csv").st_nlink == 1


def test_make_data_is_unchanged_by_fixture():  # the module's scripts are what they say
    assert "part-00000.csv" in MAKE_DATA and "part-00000.csv" in REWRITE


def _runner_config(runs_root: Path) -> dict:
    return {"resources": {"runner": {"config": {"runs_root": str(runs_root)}}}}


def test_a_partial_dagster_run_refuses_changed_upstream_data(tmp_path, mode):
    import dagster as dg  # why: Dagster is heavy; only this test of the module needs it

    from script_testing.orchestration import build_definitions

    root = branching_project(tmp_path / "proj").write()
    defs = build_definitions(root)
    job = defs.resolve_job_def("p")
    with dg.instance_for_test() as instance:
        first = job.execute_in_process(instance=instance, run_config=_runner_config(tmp_path / "runs"))
        assert first.success
        data = tmp_path / "runs" / "p" / first.run_id / "MakeData" / "data" / "part-00000.csv"
        assert data.is_file() and (data.parent.parent / "_run" / "manifest.data.json").is_file()
        data.write_text("id,label,score\n9,9,9\n")  # changed behind our back
        second = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            asset_selection=[output_key("p", "Transform", "table")],
            run_config=_runner_config(tmp_path / "runs"),
        )
    assert not second.success
    (failure,) = [e.step_failure_data for e in second.all_events if e.is_step_failure]
    description = failure.user_failure_data.description
    assert "changed after it was produced" in description and "part-00000.csv" in description
