"""The configure session: a new DAG's pending items, immediate validation, save, run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from script_testing import api
from script_testing.config.project import SourceSpec, load_project
from script_testing.config.state import BUNDLED_EXAMPLES
from script_testing.configurator import InteractiveRuntimeTestingFactory
from script_testing.errors import ConfigError
from script_testing.execution.options import RunOptions
from script_testing.pipeline.plan import load_plan
from script_testing_tests.configurator.project_setup import DL, FA, MT, PIPE, TP, configure_all

# ----------------------------------------------------------------------------- discovery


def test_new_dag_is_added_as_a_pipeline_with_its_pending_items(factory, project_dir):
    assert factory.pipeline == PIPE and factory.is_new_pipeline
    assert factory.pipeline_config.dag == f"dags/{PIPE}.dag.json"
    assert factory.get_auto_configured_scripts() == []
    pending = factory.get_pending_script_configurations()
    assert set(pending) == {DL, TP, MT, FA}

    fa = pending[FA]
    assert fa["script"].endswith("feature_audit.py") and fa["role"] == "script"
    assert fa["inputs"]["processed_data"]["provided_by"] == f"edge {TP}.processed_data"
    assert fa["inputs"]["processed_data"]["pending"] is False
    ref = fa["inputs"]["reference_data"]
    assert ref["path"] == "/opt/ml/processing/input/reference" and ref["required"] and ref["pending"]
    assert ref["suggested_source"] == f"{FA}.reference_data: {{synthetic: tabular_binary, format: csv}}"
    assert ref["suggested_spec"] == {"synthetic": "tabular_binary", "format": "csv"}
    assert fa["environ_vars"]["missing"] == ["AUDIT_COLUMN"]
    assert fa["environ_vars"]["optional"] == {"MAX_NULL_FRACTION": "0.5"}
    assert fa["job_args"] == {"job_type": "training"}  # the node name's suffix

    mt = pending[MT]
    assert mt["inputs"]["hyperparameters_s3_uri"]["suggested_spec"] == {
        "json": {},
        "file": "hyperparameters.json",
    }
    assert mt["inputs"]["input_path"]["pending"] is False
    assert mt["job_args"] == {"job_type": None} and mt["advisories"]  # no suffix: advised, not blocking

    dl = pending[DL]
    assert dl["role"] == "data" and dl["outputs"]["DATA"]["pending"] and dl["outputs"]["DATA"]["required"]
    assert pending[TP]["environ_vars"]["missing"] == ["LABEL_FIELD"]

    keys = [(p.node, p.name) for p in factory.pending_items]
    assert keys[:3] == [(DL, "DATA"), (DL, "SIGNATURE"), (DL, "METADATA")]  # in DAG order
    assert (FA, "reference_data") in keys and (FA, "AUDIT_COLUMN") in keys and (TP, "LABEL_FIELD") in keys

    s = factory.get_testing_factory_summary()
    assert s["counts"] == {"auto_configured": 0, "configured": 0, "pending": 4}
    assert any("reference_data" in item for item in s["pending_items"]) and not s["ready"]
    assert "PENDING  FeatureAudit_training" in repr(factory) and "<table>" in factory._repr_html_()


def test_configured_pipeline_is_auto_configured_and_target_forms(project_dir):
    by_name = InteractiveRuntimeTestingFactory("tabular_simple", project_dir)
    assert by_name.get_auto_configured_scripts() == [DL, TP, MT]
    assert by_name.get_pending_script_configurations() == {} and by_name.is_ready
    by_path = InteractiveRuntimeTestingFactory(project_dir / "dags" / "tabular_simple.dag.json")
    assert by_path.pipeline == "tabular_simple" and not by_path.is_new_pipeline
    with pytest.raises(ConfigError, match="pipelines"):  # two pipelines: name one
        InteractiveRuntimeTestingFactory(project_dir)
    with pytest.raises(ConfigError, match="did you mean tabular_simple"):
        InteractiveRuntimeTestingFactory("tabular_simpel", project_dir)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"node": "FeatureAudit_trainig"}, r"not a node .*did you mean FeatureAudit_training"),
        ({"sources": {"reference": "local:data/reference"}}, r"'reference' is not an input .*reference_data"),
        ({"sources": {"audit_report": "local:data/reference"}}, r"is an output of FeatureAudit_training"),
        (
            {"sources": {"reference_data": {"local": "x", "s3": "s3://b/k"}}},
            r"sources\.FeatureAudit_training\.reference_data.*exactly one of",
        ),
        (
            {"sources": {"reference_data": {"synthetic": "tabular_binary", "format": "xlsx"}}},
            r"sources\.FeatureAudit_training\.reference_data\.format",
        ),
        (
            {"sources": {"reference_data": {"synthetic": "tabular_binary", "colour": "red"}}},
            r"reference_data\.colour' is not a known key",
        ),
        ({"sources": {"reference_data": "local:data/nowhere"}}, r"local path 'data/nowhere' does not exist"),
        (
            {"sources": {"reference_data": "synthetic:tabular_binery"}},
            r"profile 'tabular_binery' is not defined.*did you mean tabular_binary",
        ),
        ({"sources": {"reference_data": "s3:bucket/key"}}, r"is not an S3 URI"),
        ({"sources": {"reference_data": "ftp://x"}}, r"is not a source"),
        ({"environ_vars": {"AUDIT_COLUMN": ""}}, r"required environment variable AUDIT_COLUMN .* empty"),
        ({"timeout_s": -1}, r"nodes\.FeatureAudit_training\.timeout_s"),
        (
            {"expectations": {"processed_data": {"min_rows": "many"}}},
            r"expectations\.FeatureAudit_training\.processed_data\.min_rows",
        ),
        ({"expectations": {"nope": {"min_rows": 1}}}, r"'nope' is not a port"),
    ],
)
def test_wrong_configuration_is_rejected_with_its_reason(factory, kwargs, reason):
    kwargs = dict(kwargs)
    node = kwargs.pop("node", FA)
    before = factory.get_testing_factory_summary()
    with pytest.raises(ConfigError, match=reason):
        factory.configure_script_testing(node, **kwargs)
    assert factory.get_testing_factory_summary() == before  # nothing recorded


def test_a_bad_answer_records_nothing_even_when_other_answers_are_right(factory):
    with pytest.raises(ConfigError, match="does not exist"):
        factory.configure_script_testing(
            FA, sources={"reference_data": "local:nope"}, environ_vars={"AUDIT_COLUMN": "label"}
        )
    assert [p.name for p in factory.pending_items if p.node == FA] == ["reference_data", "AUDIT_COLUMN"]


def test_right_configuration_is_accepted_and_the_summary_updates(factory):
    result = factory.configure_script_testing(
        FA, sources={"reference_data": SourceSpec(local="data/reference")}
    )
    assert not result.ready and result.pending == [
        f"{FA}: required environment variable AUDIT_COLUMN is not set"
    ]
    result = factory.configure_script_testing(FA, environ_vars={"AUDIT_COLUMN": "label"})
    assert result.ready and "nothing pending" in str(result)
    s = factory.get_testing_factory_summary()
    assert s["configured"] == [FA] and FA not in s["pending"]
    assert s["counts"] == {"auto_configured": 0, "configured": 1, "pending": 3}
    assert factory.node_requirements(FA)["inputs"]["reference_data"]["provided_by"].startswith("source local")

    configure_all(factory)
    s = factory.get_testing_factory_summary()
    assert s["ready"] and s["counts"] == {"auto_configured": 0, "configured": 4, "pending": 0}
    assert s["advisories"] == []  # ModelTraining's job_type was given


# ----------------------------------------------------------------------------- save and run


def test_execute_refuses_while_pending(factory):
    with pytest.raises(ConfigError, match=r"cannot run yet.*pending") as exc:
        factory.execute_dag_guided_testing()
    assert "reference_data" in str(exc.value) and "AUDIT_COLUMN" in str(exc.value)
    with pytest.raises(ConfigError, match="pending item"):
        factory.save()


@pytest.mark.e2e
def test_save_reloads_and_the_pipeline_runs_and_passes(factory, project_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    original = (project_dir / "script_testing.yaml").read_text()
    configure_all(factory)
    path = factory.save()
    assert path == project_dir / "script_testing.yaml"
    assert (project_dir / "script_testing.yaml.bak").read_text() == original

    project = load_project(project_dir)
    assert set(project.config.pipelines) == {"tabular_calibrated", "tabular_simple", PIPE}  # the rest is kept
    doc = yaml.safe_load(path.read_text())
    assert doc["data_profiles"] == yaml.safe_load(original)["data_profiles"]
    cfg = doc["pipelines"][PIPE]
    assert cfg["dag"] == f"dags/{PIPE}.dag.json"
    assert cfg["sources"][f"{FA}.reference_data"] == {"local": "data/reference"}
    assert cfg["sources"][f"{DL}.SIGNATURE"] == {"signature": "tabular_binary"}
    assert cfg["nodes"][MT] == {"job_args": {"job_type": "training"}, "timeout_s": 300}
    assert cfg["nodes"][FA] == {"environ_vars": {"AUDIT_COLUMN": "label"}}
    assert cfg["expectations"][f"{FA}.processed_data"] == {"min_rows": 10}
    plan = load_plan(project, PIPE)
    assert plan.nodes[FA].environ_vars["AUDIT_COLUMN"] == "label"

    reopened = InteractiveRuntimeTestingFactory(PIPE, project_dir)
    assert reopened.is_ready and set(reopened.get_auto_configured_scripts()) == {DL, TP, MT, FA}

    report = factory.execute_dag_guided_testing(parallelism=2)
    assert report.success, report
    assert report.nodes[FA].status == "passed"
    audit = json.loads((Path(report.nodes[FA].outputs["audit_report"]) / "audit.json").read_text())
    assert audit["column"] == "label" and audit["reference_rows"] == 3 and audit["job_type"] == "training"
    # the same as `script-testing run` would do
    assert api.run(PIPE, project_dir, RunOptions(rows_override=300)).success


def test_bundled_project_saves_only_into_an_explicit_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = InteractiveRuntimeTestingFactory("tabular_simple")
    assert f.project.root == BUNDLED_EXAMPLES
    f.configure_script_testing(TP, environ_vars={"TRAIN_RATIO": "0.8"})
    with pytest.raises(ConfigError, match=r"bundled examples.*save\(path=DIR\)"):
        f.save()
    path = f.save(tmp_path / "copy")
    assert path == tmp_path / "copy" / "script_testing.yaml" and (tmp_path / "copy" / "steps").is_dir()
    assert load_plan(load_project(path), "tabular_simple").nodes[TP].environ_vars["TRAIN_RATIO"] == "0.8"
    assert f.project.file == path
    assert "TRAIN_RATIO" not in (BUNDLED_EXAMPLES / "script_testing.yaml").read_text()


def test_a_wrong_key_in_the_project_is_raised_not_taken_for_a_pending_item(project_dir):
    path = project_dir / "script_testing.yaml"
    path.write_text(
        path.read_text().replace(
            "      DataLoading_training.SIGNATURE: {signature: tabular_binary, file: signature}\n"
            "      DataLoading_training.METADATA:\n"
            "        json: {source: synthetic, job_type: training, dataset: tabular_binary, format: parquet}",
            "      DataLoading_trainig.SIGNATURE: {signature: tabular_binary, file: signature}\n"
            "      DataLoading_training.METADATA:\n"
            "        json: {source: synthetic, job_type: training, dataset: tabular_binary, format: parquet}",
        )
    )
    with pytest.raises(
        ConfigError, match=r"(?s)problem\(s\) in the configuration.*DataLoading_trainig.*not in the DAG"
    ):
        InteractiveRuntimeTestingFactory("tabular_simple", project_dir)
