"""The real thing: a bundled pipeline on PostgreSQL + Redis + two Celery workers that share no disk,
launched through the webserver's GraphQL ``launchRun``, the queue and the daemon (``deploy/`` as shipped).

Marked ``distributed`` (deselected by default; ``.ci/run`` runs it as a step of its own): it needs
PostgreSQL's and Redis's servers, root for the workers' mount namespaces, and the ``distributed`` extra.
"""

from __future__ import annotations

import os

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

try:
    from s3_server import MotoS3, s3_server
except ImportError:  # pragma: no cover
    from script_testing_tests.s3_server import MotoS3, s3_server  # noqa: F401

from script_testing.execution.s3_run_folder import read_report
from script_testing.orchestration import runs
from script_testing_tests.orchestration import deployment as deploy

pytestmark = [pytest.mark.distributed, pytest.mark.e2e, pytest.mark.s3, pytest.mark.timeout(420)]

JOB = "tabular_simple"
LOCAL_JOB = "tabular_calibrated"
SOURCE = "tabular_simple/sources/DataLoading_training"
RUNS_BUCKET, LOGS_BUCKET = "st-runs", "st-logs"
S3_ROOT = f"s3://{RUNS_BUCKET}/nightly"


@pytest.fixture(scope="module")
def deployed(s3_server: MotoS3):
    missing = deploy.missing_tools()
    if missing:
        message = "the distributed test needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them (.ci/run): never a silent skip there
        pytest.skip(message)
    client = s3_server.client()
    for bucket in (RUNS_BUCKET, LOGS_BUCKET):
        client.create_bucket(Bucket=bucket)
    with deploy.deployment(dict(os.environ), workers=2, limit_per_pipeline=3, logs_bucket=LOGS_BUCKET) as dep:
        yield dep


def _config(dep: deploy.Deployment, runs_root: str, rows: int | None = None) -> dict:
    config: dict = {
        "execution": dep.celery_config(),
        "resources": {"runner": {"config": {"runs_root": runs_root}}},
    }
    if rows is not None:
        config["resources"]["data_source"] = {"config": {"rows": rows}}
    return config


def _instance(dep: deploy.Deployment, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    for key, value in dep.env.items():
        if key.startswith(("DAGSTER_", "AWS_")):
            monkeypatch.setenv(key, value)
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dep.home)))


def _mats(instance, run_id: str) -> dict[str, dict]:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return {
        r.event_log_entry.dagster_event.asset_key.to_user_string(): {
            k: v.value for k, v in r.event_log_entry.asset_materialization.metadata.items()
        }
        for r in records
    }


def _failures(instance, run_id: str) -> list[str]:
    out = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        data = entry.dagster_event.step_failure_data
        desc = data.user_failure_data.description if data.user_failure_data else None
        out.append(desc or (data.error.to_string()[-2000:] if data.error else ""))
    return out


def test_a_bundled_pipeline_on_celery_workers_that_share_no_disk(
    deployed: deploy.Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    dep = deployed
    # two runs of one pipeline at once, each with its own row count, in the S3 runs root; and one with
    # the local runs root, which cannot work when the workers share no disk
    s3_runs = {rows: dep.launch(JOB, _config(dep, S3_ROOT, rows)) for rows in (600, 900)}
    # the local-root run uses the 8-node pipeline: its two branches run at once, so its steps land on
    # both workers (a 3-step chain may land on one worker by chance, and then rightly succeeds)
    local = dep.launch(LOCAL_JOB, _config(dep, str(dep.disk / "runs"), 700))
    statuses = dep.wait([*s3_runs.values(), local], timeout=360)

    instance = _instance(dep, monkeypatch)
    try:
        assert {statuses[r] for r in s3_runs.values()} == {"SUCCESS"}, {
            r: _failures(instance, r) for r in s3_runs.values()
        }
        hosts: set[str] = set()
        for rows, run_id in s3_runs.items():
            mats = _mats(instance, run_id)
            source = next(v for k, v in mats.items() if k.startswith(SOURCE))
            assert source["dagster/row_count"] == rows  # this run's configuration
            scripts = {k: v for k, v in mats.items() if "/sources/" not in k}
            assert scripts, mats.keys()
            for key, meta in {**scripts, SOURCE: source}.items():
                assert meta["path"].startswith(f"{S3_ROOT}/{JOB}/{run_id}/"), (key, meta["path"])
                hosts.add(meta[runs.HOST_KEY])
            for key, meta in scripts.items():
                assert meta["input_source"] == "this run", key
                assert {i["run_id"] for i in meta["inputs"].values()} == {run_id}, key
            report = read_report(f"{S3_ROOT}/{JOB}/{run_id}/")
            assert report.success and report.run_id == run_id
        assert hosts == {"st-worker-1", "st-worker-2"}  # the steps really ran on both workers

        assert statuses[local] == "FAILURE"
        failures = _failures(instance, local)
        assert any("is on another worker's disk: use an s3:// runs root" in f for f in failures), failures
    finally:
        instance.dispose()
