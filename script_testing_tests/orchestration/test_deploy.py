"""The deployment kit loads: deploy/dagster.yaml is a valid instance config, the worker script parses."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV = {
    "DAGSTER_PG_USERNAME": "u",
    "DAGSTER_PG_PASSWORD": "p",
    "DAGSTER_PG_HOST": "db",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_COMPUTE_LOG_BUCKET": "logs",
}


def test_deploy_dagster_yaml_is_a_valid_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip(
        "dagster_postgres", reason="the distributed extra (dagster-postgres) is not installed"
    )
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config
    from dagster._core.instance.ref import InstanceRef
    from dagster._core.storage.config import pg_config
    from dagster_postgres.utils import pg_url_from_config

    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    shutil.copyfile(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    ref = InstanceRef.from_dir(str(tmp_path))
    assert ref.storage_data.class_name == "DagsterPostgresStorage"
    assert ref.compute_logs_data.class_name == "S3ComputeLogManager"
    assert ref.run_coordinator_data.class_name == "QueuedRunCoordinator"
    (limit,) = config["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert limit["key"] == "script_testing/pipeline" and limit["value"] == {"applyLimitPerUniqueValue": True}
    pg = process_config(pg_config(), config["storage"]["postgres"])
    assert pg_url_from_config(pg.value) == "postgresql+psycopg2://u:p@db:5432/dagster"


def test_celery_worker_script_parses_and_asks_for_its_settings(tmp_path: Path) -> None:
    script = DEPLOY / "celery_worker.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    out = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"}
    )
    assert out.returncode != 0 and "set DAGSTER_HOME" in out.stderr
