"""The code location as users drive it: ``dagster job execute`` and the webserver's GraphQL API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from script_testing_tests.helpers import free_port

pytestmark = [pytest.mark.timeout(300), pytest.mark.e2e]

BIN = Path(sys.executable).parent
JOBS = ["tabular_simple", "tabular_calibrated"]


def _home(path: Path, *, default_run_coordinator: bool = False) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    text = "telemetry:\n  enabled: false\n"
    if default_run_coordinator:  # the webserver alone has no daemon to dequeue runs: start them at once
        text += "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n"
    (path / "dagster.yaml").write_text(text, encoding="utf-8")
    return path


def _env(home: Path, runs: Path) -> dict[str, str]:
    env = {**os.environ, "DAGSTER_HOME": str(home), "SCRIPT_TESTING_RUNS": str(runs)}
    env.pop("SCRIPT_TESTING_PROJECT", None)
    return env


def _runs(home: Path):
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        return [(r.job_name, r.status.value, r.run_id) for r in instance.get_runs()]


def test_dagster_job_execute_runs_every_bundled_job_into_the_instance(tmp_path: Path) -> None:
    home, runs = _home(tmp_path / "home"), tmp_path / "runs"
    assert _runs(home) == []  # create the storage once: two processes creating it at once race in alembic
    procs = {
        job: subprocess.Popen(
            [str(BIN / "dagster"), "job", "execute", "-m", "script_testing.definitions", "-j", job],
            cwd=tmp_path,
            env=_env(home, runs),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for job in JOBS
    }
    outputs = {job: p.communicate(timeout=280)[0] for job, p in procs.items()}
    for job, p in procs.items():
        assert p.returncode == 0, outputs[job][-4000:]
    recorded = _runs(home)
    for job in JOBS:
        mine = [r for r in recorded if r[0] == job]
        assert len(mine) == 1 and mine[0][1] == "SUCCESS", recorded
        assert (runs / job / mine[0][2] / "report.json").exists()


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        data = json.loads(resp.read())
    assert "errors" not in data, data["errors"]
    return data["data"]


ASSETS_QUERY = """
{ assetNodes { assetKey { path } groupName dependencyKeys { path } } }
"""
REPOS_QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } jobs { name } } } } }
"""
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
RUN_QUERY = """
query Run($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }
"""


def test_webserver_graphql_lineage_and_launched_run(tmp_path: Path) -> None:
    home, runs = _home(tmp_path / "home", default_run_coordinator=True), tmp_path / "runs"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "webserver.log", "w")  # noqa: SIM115  (the server writes to it until the test ends)
    proc = subprocess.Popen(
        [
            str(BIN / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            "script_testing.definitions",
        ],
        cwd=tmp_path,
        env=_env(home, runs),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                    break
            except OSError:
                assert proc.poll() is None, (tmp_path / "webserver.log").read_text()[-3000:]
                assert time.time() < deadline, "the webserver did not come up in 90 s"
                time.sleep(0.5)
        nodes = _graphql(url, ASSETS_QUERY)["assetNodes"]
        deps = {
            "/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]} for n in nodes
        }
        assert (
            "tabular_calibrated/sources/DataLoading_training/DATA__DataLoading_training"
            in deps[
                "tabular_calibrated/TabularPreprocessing_training/processed_data__TabularPreprocessing_training"
            ]
        )
        assert deps["tabular_calibrated/ModelPackaging/packaged_model__ModelPackaging"] == {
            "tabular_calibrated/ModelTraining/model_output__ModelTraining",
            "tabular_calibrated/ModelCalibration_calibration/calibration_output__ModelCalibration_calibration",
        }
        repos = _graphql(url, REPOS_QUERY)["repositoriesOrError"]["nodes"]
        (repo,) = [r for r in repos if any(j["name"] == "tabular_simple" for j in r["jobs"])]
        params = {
            "selector": {
                "repositoryLocationName": repo["location"]["name"],
                "repositoryName": repo["name"],
                "pipelineName": "tabular_simple",
            },
            "runConfigData": {},
            "mode": "default",
        }
        launched = _graphql(url, LAUNCH, {"params": params})["launchPipelineExecution"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        deadline, status = time.time() + 200, None
        while time.time() < deadline:
            status = _graphql(url, RUN_QUERY, {"id": run_id})["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(1)
        assert status == "SUCCESS", (tmp_path / "webserver.log").read_text()[-3000:]
        assert (runs / "tabular_simple" / run_id / "report.json").exists()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
