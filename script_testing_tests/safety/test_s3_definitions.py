"""Item 11: the Dagster definitions load with an ``s3:`` source while AWS credentials are in the
environment (the s3 resource is added then, and the source asset requires it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import yaml

from script_testing.config.state import BUNDLED_EXAMPLES
from script_testing.orchestration import build_definitions


def _project_with_s3_source(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(BUNDLED_EXAMPLES, root, ignore=shutil.ignore_patterns("__pycache__"))
    file = root / "script_testing.yaml"
    data = yaml.safe_load(file.read_text())
    data["pipelines"]["tabular_simple"]["sources"]["DataLoading_training.DATA"] = {
        "s3": "s3://example-bucket/exec-1/DataLoading_training/DATA/",
        "format": "csv",
    }
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    return root


def test_definitions_load_with_an_s3_source_and_aws_credentials(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    monkeypatch.delenv("SCRIPT_TESTING_S3_ENDPOINT", raising=False)
    defs = build_definitions(_project_with_s3_source(tmp_path))
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    job = repo.get_job("tabular_simple")
    required = {n.name: n.definition.required_resource_keys for n in job.graph.node_dict.values()}
    assert required["tabular_simple__sources__DataLoading_training"] >= {"s3", "data_source", "runner"}
    assert "s3" not in required["tabular_simple__sources__ModelTraining"]  # only where an s3: source is
    assert "s3" in repo.get_top_level_resources()
