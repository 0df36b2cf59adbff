"""Every bundled pipeline runs with its source data in S3, and the README's deep dive works as written.

A real S3 HTTP endpoint on loopback (moto's ThreadedMotoServer); boto3 talks to it through
``AWS_ENDPOINT_URL_S3`` like to S3; nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    from s3_server import MotoS3, s3_server
except ImportError:  # pragma: no cover
    from script_testing_tests.s3_server import MotoS3, s3_server  # noqa: F401

from script_testing.api import open_project, run
from script_testing.config.state import BUNDLED_EXAMPLES
from script_testing.execution.options import RunOptions

pytestmark = [pytest.mark.e2e, pytest.mark.s3]

BUCKET = "pipeline-data"


def upload_folder(client, folder: Path, prefix: str) -> int:
    n = 0
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            client.upload_file(str(f), BUCKET, f"{prefix}/{f.relative_to(folder).as_posix()}")
            n += 1
    return n


@pytest.fixture(scope="module")
def local_runs(tmp_path_factory, s3_server: MotoS3):
    """Both bundled pipelines run once on synthetic data; their folders are the 'production' data."""
    runs = tmp_path_factory.mktemp("local-runs")
    s3_server.client().create_bucket(Bucket=BUCKET)
    os.environ["SCRIPT_TESTING_RUNS"] = str(runs)
    try:
        reports = {
            name: run(name, options=RunOptions(checks=False))
            for name in open_project(BUNDLED_EXAMPLES).config.pipelines
        }
    finally:
        del os.environ["SCRIPT_TESTING_RUNS"]
    assert all(r.success for r in reports.values()), {n: r.error for n, r in reports.items()}
    return reports


def s3_project(tmp_path: Path, s3_server: MotoS3, local_runs) -> Path:
    """A copy of the bundled project whose data-node sources are S3 prefixes holding the synthetic data."""
    project = tmp_path / "project"
    shutil.copytree(BUNDLED_EXAMPLES, project, ignore=shutil.ignore_patterns("__pycache__"))
    doc = yaml.safe_load((project / "script_testing.yaml").read_text())
    client = s3_server.client()
    for name, pipe in doc["pipelines"].items():
        run_dir = Path(local_runs[name].run_dir)
        for key, spec in list(pipe["sources"].items()):
            node, port = key.split(".", 1)
            if set(spec) & {"synthetic", "signature"}:
                prefix = f"inputs/{name}/{node}/{port}"
                assert upload_folder(client, run_dir / node / port, prefix) > 0
                pipe["sources"][key] = {"s3": f"s3://{BUCKET}/{prefix}/"}
    (project / "script_testing.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return project


@pytest.mark.timeout(240)
def test_every_bundled_pipeline_runs_on_s3_data(tmp_path, monkeypatch, s3_server: MotoS3, local_runs):
    project = s3_project(tmp_path, s3_server, local_runs)
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tmp_path / "runs"))
    for name in local_runs:
        s3_server.reset_counts()
        report = run(name, project)
        assert report.success, [(n, r.error) for n, r in report.nodes.items() if r.error] + [
            e.summary for e in report.edges if e.status == "failed"
        ]
        assert s3_server.count("GetObject") > 0
        data_nodes = [n for n, r in report.nodes.items() if r.role == "data"]
        assert data_nodes and all(report.nodes[n].status == "source" for n in data_nodes)
        assert all("s3://" in (report.nodes[n].source or "") or report.nodes[n].source for n in data_nodes)
        # a second run downloads nothing unchanged: the cache is keyed by ETag and size
        s3_server.reset_counts()
        again = run(name, project)
        assert again.success
        assert s3_server.count("GetObject") == 0


@pytest.mark.timeout(240)
def test_readme_deep_dive_reruns_one_node_from_an_execution(tmp_path, s3_server: MotoS3, local_runs):
    """As in the README: --select ModelEvaluation_calibration --deep-dive s3://.../exec-123."""
    execution = Path(local_runs["tabular_calibrated"].run_dir)
    client = s3_server.client()
    assert upload_folder(client, execution, "executions/exec-123") > 0
    project = tmp_path / "project"
    shutil.copytree(BUNDLED_EXAMPLES, project, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, SCRIPT_TESTING_RUNS=str(tmp_path / "runs"))
    cmd = [
        sys.executable,
        "-m",
        "script_testing.cli",
        "run",
        str(project),
        "-p",
        "tabular_calibrated",
        "--select",
        "ModelEvaluation_calibration",
        "--deep-dive",
        f"s3://{BUCKET}/executions/exec-123",
        "--json",
        str(tmp_path / "result.json"),
    ]
    s3_server.reset_counts()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import json

    result = json.loads((tmp_path / "result.json").read_text())["runs"][0]
    nodes = result["nodes"]
    assert nodes["ModelEvaluation_calibration"]["status"] == "passed"
    assert all(
        n["status"] == "skipped" and n["skipped_because"] == "not selected"
        for name, n in nodes.items()
        if name != "ModelEvaluation_calibration"
    )
    inputs = nodes["ModelEvaluation_calibration"]["inputs"]
    assert set(inputs) >= {"model_input", "processed_data"}
    assert all("/inputs/" in p for p in inputs.values())  # fed from the downloaded execution
    checked = [e for e in result["edges"] if e["to"] == "ModelEvaluation_calibration"]
    assert checked and all(e["status"] == "passed" for e in checked)  # the edge checks ran on the real data
    assert s3_server.count("GetObject") > 0


@pytest.mark.timeout(120)
def test_deep_dive_with_a_missing_execution_output_fails_before_running(tmp_path, s3_server: MotoS3):
    project = tmp_path / "project"
    shutil.copytree(BUNDLED_EXAMPLES, project, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, SCRIPT_TESTING_RUNS=str(tmp_path / "runs"))
    cmd = [
        sys.executable,
        "-m",
        "script_testing.cli",
        "run",
        str(project),
        "-p",
        "tabular_calibrated",
        "--select",
        "ModelPackaging",
        "--deep-dive",
        f"s3://{BUCKET}/executions/does-not-exist",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=100)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (
        "s3://pipeline-data/executions/does-not-exist/ModelTraining/model_output/"
        in proc.stdout + proc.stderr
    )
    assert "before running any script" in proc.stdout + proc.stderr
    assert not list((tmp_path / "runs").glob("*/*/ModelPackaging/_run/stdout.log"))


@pytest.mark.timeout(240)
def test_launchpad_deep_dive_materializes_one_node_from_an_execution(
    tmp_path, monkeypatch, s3_server: MotoS3, local_runs
):
    """The same deep dive from Dagster: select one node's assets, set data_source.deep_dive_prefix in the
    run config; its inputs come from the execution in S3 and are checked, nothing upstream runs."""
    from dagster import AssetKey, DagsterInstance

    from script_testing.orchestration import build_definitions

    execution = Path(local_runs["tabular_calibrated"].run_dir)
    assert upload_folder(s3_server.client(), execution, "executions/exec-dagster") > 0
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tmp_path / "runs"))
    defs = build_definitions(BUNDLED_EXAMPLES)
    job = defs.resolve_job_def("tabular_calibrated")
    node = "ModelEvaluation_calibration"
    selection = [
        k for k in job.asset_layer.selected_asset_keys if list(k.path[:2]) == ["tabular_calibrated", node]
    ]
    assert selection
    config = {
        "resources": {
            "data_source": {"config": {"deep_dive_prefix": f"s3://{BUCKET}/executions/exec-dagster"}}
        }
    }
    s3_server.reset_counts()
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(run_config=config, asset_selection=selection, instance=instance)
        assert result.success
        mats = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()]
        assert {m.asset_key for m in mats} == set(selection)
        lineage = mats[0].metadata["inputs"].value
        assert all(v.get("deep_dive") for v in lineage.values()), lineage
        assert (
            instance.get_latest_materialization_event(
                AssetKey(["tabular_calibrated", "ModelTraining", "model_output__ModelTraining"])
            )
            is None
        )  # nothing upstream ran
    assert s3_server.count("GetObject") > 0
