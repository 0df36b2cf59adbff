"""A run reads its own data: two runs at once, a failed upstream, a re-execution (real jobs, no mocks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from script_testing.orchestration import build_definitions, runs
from script_testing_tests.orchestration.projects import copy_count_project, materializations, run_config

pytestmark = pytest.mark.timeout(600)

BIN = Path(sys.executable).parent
COUNT = dg.AssetKey(["rows", "Count", "rows__Count"])
COPY = dg.AssetKey(["rows", "Copy", "data__Copy"])


@pytest.mark.e2e  # Dagster jobs in processes of their own: the full suite runs it, not the fast loop
def test_two_concurrent_runs_of_one_pipeline_each_read_their_own_data(tmp_path: Path) -> None:
    """Two `dagster job execute` processes, 600 and 3,000 rows, their Copy steps finishing together:
    each Count receives its own run's rows and says it read this run's data."""
    project = copy_count_project(tmp_path / "proj")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    from dagster._core.instance.ref import InstanceRef

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        assert list(instance.get_runs()) == []  # create the storage before two processes race to
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SCRIPT_TESTING_PROJECT": str(project),
        "ST_TEST_BARRIER": str(barrier),
    }
    procs = {}
    for rows in (600, 3000):
        cfg = tmp_path / f"run_{rows}.yaml"
        cfg.write_text(yaml.safe_dump(run_config(tmp_path / "runs", rows)), encoding="utf-8")
        procs[rows] = subprocess.Popen(
            [
                str(BIN / "dagster"),
                "job",
                "execute",
                "-m",
                "script_testing.definitions",
                "-j",
                "rows",
                "-c",
                str(cfg),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    outputs = {rows: p.communicate(timeout=500)[0] for rows, p in procs.items()}
    for rows, p in procs.items():
        assert p.returncode == 0, outputs[rows][-4000:]
    assert len(os.listdir(barrier)) == 2  # both Copy steps met: the runs really overlapped
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        recorded = list(instance.get_runs())
        assert len(recorded) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in recorded)
        seen = {}
        for run in recorded:
            mats = materializations(instance, run.run_id)
            source_rows = mats["rows/sources/Copy/raw__Copy"].metadata["dagster/row_count"].value
            count = mats["rows/Count/rows__Count"].metadata
            assert count["input_source"].value == "this run"
            assert count["inputs"].value["data"]["run_id"] == run.run_id
            assert str(tmp_path / "runs" / "rows" / run.run_id) in count["inputs"].value["data"]["path"]
            seen[source_rows] = count["dagster/row_count"].value
    assert seen == {600: 600, 3000: 3000}


@pytest.fixture
def failed_after_success(tmp_path: Path):
    """A successful run (whose materializations are stale afterwards), then a run whose Copy fails."""
    project = copy_count_project(tmp_path / "proj")
    job = build_definitions(project).resolve_job_def("rows")
    with dg.instance_for_test() as instance:
        good = job.execute_in_process(instance=instance, run_config=run_config(tmp_path / "runs"))
        assert good.success
        (project / "steps" / "FAIL").touch()
        bad = job.execute_in_process(
            instance=instance, run_config=run_config(tmp_path / "runs"), raise_on_error=False
        )
        assert not bad.success
        yield job, instance, good, bad, tmp_path


def test_a_failed_upstream_never_lets_its_consumer_run_on_stale_data(failed_after_success) -> None:
    _job, instance, _good, bad, _tmp_path = failed_after_success
    failed = {e.step_key for e in bad.all_events if e.is_step_failure}
    assert failed == {"rows__Copy"}
    assert "rows/Count/rows__Count" not in materializations(instance, bad.run_id)
    # whatever executor runs Count next in this run (one that keeps going after a failure), the lookup
    # of its input refuses the earlier run's data and says why
    with pytest.raises(dg.Failure) as exc:
        runs.upstream_data(instance, bad.run_id, COPY, needed_by="Count.data")
    assert (
        "needs rows/Copy/data__Copy from this run, but this run has not materialized it"
        in exc.value.description
    )
    assert "not used in its place" in exc.value.description


def test_reexecuting_only_the_consumer_of_a_failed_run_does_not_read_stale_data(failed_after_success) -> None:
    _job, instance, _good, bad, tmp_path = failed_after_success
    (tmp_path / "proj" / "steps" / "FAIL").unlink()
    options = dg.ReexecutionOptions(parent_run_id=bad.run_id, step_selection=["rows__Count"])
    with dg.execute_job(
        dg.reconstructable(_rows_job),
        instance=instance,
        reexecution_options=options,
        run_config=run_config(tmp_path / "runs"),
        raise_on_error=False,
    ) as result:
        assert not result.success
        (failure,) = [e.step_failure_data for e in result.all_events if e.is_step_failure]
    text = failure.user_failure_data.description
    assert f"run {bad.run_id} (re-executed by this run) did not materialize" in text, text
    assert "rows/Count/rows__Count" not in materializations(instance, result.run_id)


def test_a_run_of_the_consumer_alone_reads_the_latest_data_and_says_which_run(failed_after_success) -> None:
    job, instance, good, _bad, tmp_path = failed_after_success
    alone = job.execute_in_process(
        instance=instance, asset_selection=[COUNT], run_config=run_config(tmp_path / "runs")
    )
    assert alone.success
    count = materializations(instance, alone.run_id)["rows/Count/rows__Count"].metadata
    assert count["input_source"].value == f"run {good.run_id} (not selected)"
    assert count["inputs"].value["data"]["run_id"] == good.run_id


def _rows_job():
    """The job for dg.reconstructable (a re-execution needs a job it can rebuild)."""
    return build_definitions(os.environ["ST_TEST_PROJECT"]).resolve_job_def("rows")


@pytest.fixture(autouse=True)
def _project_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_TEST_PROJECT", str(tmp_path / "proj"))
