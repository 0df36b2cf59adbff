"""An S3 runs root: Dagster steps exchange their data through S3, report fragments per node and edge.

Real Dagster runs against moto's S3 server on loopback (nothing mocked). A "second worker" is simulated
honestly: its scratch folder is emptied between runs, so a step can only read what is in S3.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

try:
    from s3_server import MotoS3, s3_server
except ImportError:  # pragma: no cover
    from script_testing_tests.s3_server import MotoS3, s3_server  # noqa: F401

from script_testing.api import open_project
from script_testing.config.state import object_store_root, runs_root
from script_testing.errors import ConfigError
from script_testing.execution.s3_run_folder import read_report
from script_testing.orchestration import build_definitions, runs
from script_testing.vocabulary import RunStatus
from script_testing_tests.orchestration.projects import copy_count_project, materializations, run_config

pytestmark = [pytest.mark.s3, pytest.mark.timeout(600)]

BUCKET = "runs-bucket"
ROOT = f"s3://{BUCKET}/team/runs"
COPY = dg.AssetKey(["rows", "Copy", "data__Copy"])
COUNT = dg.AssetKey(["rows", "Count", "rows__Count"])


def _keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


@pytest.fixture
def project(tmp_path: Path, s3_server: MotoS3, monkeypatch: pytest.MonkeyPatch) -> Path:
    client = s3_server.client()
    if BUCKET not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=BUCKET)
    monkeypatch.setenv("SCRIPT_TESTING_SCRATCH", str(tmp_path / "scratch"))
    return copy_count_project(tmp_path / "proj")


@pytest.mark.e2e
def test_a_job_with_an_s3_runs_root_uploads_its_data_and_reads_it_back(
    project: Path, tmp_path: Path, s3_server: MotoS3
) -> None:
    job = build_definitions(project).resolve_job_def("rows")
    client = s3_server.client()
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, run_config=run_config(ROOT, rows=120))
        assert result.success
        run_id = result.run_id
        mats = materializations(instance, run_id)
        copy, count = mats["rows/Copy/data__Copy"].metadata, mats["rows/Count/rows__Count"].metadata
        run_uri = f"{ROOT}/rows/{run_id}/"
        # the materializations name the data in S3, and say where this worker wrote it
        assert copy["path"].value == f"{run_uri}Copy/data/"
        assert count["path"].value == f"{run_uri}Count/rows/"
        assert str(tmp_path / "scratch") in count["local_path"].value
        assert count["inputs"].value["data"]["input_source"] == "this run"
        assert count["s3_transfers"].value["uploads"] > 0
        keys = _keys(client, f"team/runs/rows/{run_id}/")
        assert f"team/runs/rows/{run_id}/run.json" in keys
        assert f"team/runs/rows/{run_id}/nodes/Copy.json" in keys
        assert f"team/runs/rows/{run_id}/nodes/Count.json" in keys
        assert any(k.startswith(f"team/runs/rows/{run_id}/edges/") for k in keys)
        assert any(k.startswith(f"team/runs/rows/{run_id}/Count/_run/") for k in keys)  # the logs
        assert any(k.startswith(f"team/runs/rows/{run_id}/Count/rows/") for k in keys)
        assert "team/runs/baselines/rows.json" in _keys(client, "team/runs/baselines/")  # beside the runs

        # whoever reads the run assembles the fragments into one report
        report = read_report(run_uri)
        assert report.status == RunStatus.PASSED and report.success
        assert report.nodes["Count"].outputs["rows"] == f"{run_uri}Count/rows/"
        assert report.nodes["Count"].stdout_path.startswith(run_uri)
        assert report.edges and all(e.status == "passed" for e in report.edges)

        # another worker (an empty scratch folder) runs Count alone: it downloads Copy's output
        shutil.rmtree(tmp_path / "scratch")
        alone = job.execute_in_process(
            instance=instance, asset_selection=[COUNT], run_config=run_config(ROOT)
        )
        assert alone.success
        again = materializations(instance, alone.run_id)["rows/Count/rows__Count"].metadata
        assert again["input_source"].value == f"run {run_id} (not selected)"
        assert again["s3_transfers"].value["bytes_down"] > 0
        downloaded = tmp_path / "scratch" / "rows" / run_id / "Copy" / "data"
        assert sorted(p.name for p in downloaded.iterdir()) == sorted(
            Path(k).name for k in keys if f"/{run_id}/Copy/data/" in k
        )
        assert again["dagster/row_count"].value == 120  # the data of the first run, read from S3


@pytest.mark.e2e
def test_a_local_path_from_another_worker_names_the_s3_runs_root(project: Path, tmp_path: Path) -> None:
    """A materialization recorded on another host whose path does not exist here."""
    job = build_definitions(project).resolve_job_def("rows")
    with dg.instance_for_test() as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                asset_key=COPY,
                metadata={
                    "path": dg.MetadataValue.path(str(tmp_path / "elsewhere" / "Copy" / "data")),
                    runs.HOST_KEY: dg.MetadataValue.text("worker-on-another-machine"),
                },
            )
        )
        result = job.execute_in_process(
            instance=instance,
            asset_selection=[COUNT],
            run_config=run_config(str(tmp_path / "runs")),
            raise_on_error=False,
        )
        assert not result.success
        (failure,) = [e.step_failure_data for e in result.all_events if e.is_step_failure]
    text = failure.user_failure_data.description
    assert "is on another worker's disk: use an s3:// runs root" in text, text
    assert "worker-on-another-machine" in text


@pytest.mark.e2e
def test_a_url_runs_root_that_is_not_s3_is_refused_in_one_sentence(project: Path, tmp_path: Path) -> None:
    job = build_definitions(project).resolve_job_def("rows")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, run_config=run_config("gs://bucket/runs"), raise_on_error=False
        )
    assert not result.success
    failures = [e.step_failure_data for e in result.all_events if e.is_step_failure]
    assert failures
    text = failures[0].user_failure_data.description
    assert "is a URL but not an s3:// one" in text and "\n" not in text


def test_the_cli_and_notebook_runs_refuse_an_s3_runs_root_in_one_sentence(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", ROOT)
    proj = open_project(project)  # opening the project (and the Dagster code location) works
    assert object_store_root(proj) == ROOT + "/"
    with pytest.raises(ConfigError) as exc:
        runs_root(proj)
    assert "is in S3, which only the Dagster jobs write to" in exc.value.message
    assert "script-testing run --upload" in exc.value.message


@pytest.mark.e2e
def test_the_project_runs_root_can_be_s3(project: Path, s3_server: MotoS3) -> None:
    """``runs_root: s3://...`` in script_testing.yaml: the resource uses it without run config."""
    text = (project / "script_testing.yaml").read_text(encoding="utf-8")
    (project / "script_testing.yaml").write_text(text + f"runs_root: {ROOT}\n", encoding="utf-8")
    job = build_definitions(project).resolve_job_def("rows")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance)
        assert result.success
        path = materializations(instance, result.run_id)["rows/Count/rows__Count"].metadata["path"].value
    assert path == f"{ROOT}/rows/{result.run_id}/Count/rows/"
    header = json.loads(
        s3_server.client()
        .get_object(Bucket=BUCKET, Key=f"team/runs/rows/{result.run_id}/run.json")["Body"]
        .read()
    )
    assert header["run_id"] == result.run_id and header["pipeline"] == "rows"
