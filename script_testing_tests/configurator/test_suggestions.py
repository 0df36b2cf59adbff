"""Reuse: a node of the same step type in another pipeline lends what it has, saying where from."""

from __future__ import annotations

from script_testing.config.project import load_project
from script_testing.configurator import InteractiveRuntimeTestingFactory
from script_testing.pipeline.plan import load_plan
from script_testing_tests.configurator.project_setup import DL, FA, MT, PIPE, TP, new_dag


def test_a_dag_reusing_tabular_simple_node_names_is_auto_configured_from_it(project_dir):
    path = new_dag(project_dir, "tabular_copy", [DL, TP, MT], [[DL, TP], [TP, MT]])
    f = InteractiveRuntimeTestingFactory(path)
    assert f.is_new_pipeline and f.is_ready
    assert f.get_auto_configured_scripts() == [DL, TP, MT]
    assert f.get_testing_factory_summary()["advisories"] == []  # ModelTraining's job_type reused too
    simple = f.project.config.pipelines["tabular_simple"]
    config = f.pipeline_config
    for port in (
        "DATA",
        "SIGNATURE",
        "METADATA",
    ):  # the most similar DAG wins: tabular_simple, not _calibrated
        assert config.sources[f"{DL}.{port}"] == simple.sources[f"{DL}.{port}"]
    assert config.sources[f"{MT}.hyperparameters_s3_uri"] == simple.sources[f"{MT}.hyperparameters_s3_uri"]
    assert config.nodes[TP].environ_vars == {"LABEL_FIELD": "label", "ID_FIELD": "id"}
    assert config.nodes[MT].job_args == {"job_type": "training"}
    assert config.expectations[f"{MT}.input_path"] == simple.expectations[f"{MT}.input_path"]
    reused = f.get_testing_factory_summary()["reused"]
    assert any(
        r.startswith(f"{DL}.DATA <- ") and r.endswith(f"(reused from pipeline tabular_simple, node {DL})")
        for r in reused
    ), reused
    assert f"{TP}: LABEL_FIELD=label (reused from pipeline tabular_simple, node {TP})" in reused
    assert f.node_requirements(MT)["reused"]

    f.save()
    project = load_project(project_dir)
    assert load_plan(project, "tabular_copy").nodes[TP].environ_vars["LABEL_FIELD"] == "label"
    assert (
        InteractiveRuntimeTestingFactory("tabular_copy", project_dir).reused == []
    )  # nothing needed any more


def test_the_job_type_suffix_is_mapped(project_dir):
    dl, tp = "DataLoading_validation", "TabularPreprocessing_validation"
    f = InteractiveRuntimeTestingFactory(new_dag(project_dir, "validation_only", [dl, tp], [[dl, tp]]))
    assert f.is_ready and f.get_auto_configured_scripts() == [dl, tp]
    meta = f.pipeline_config.sources[f"{dl}.METADATA"]
    assert meta.json_["job_type"] == "validation" and meta.json_["source"] == "synthetic"
    assert f.pipeline_config.nodes[tp].environ_vars["LABEL_FIELD"] == "label"
    assert any(
        r.startswith(f"{dl}.METADATA <- json") and r.endswith(f"node {DL})")
        for r in f.get_testing_factory_summary()["reused"]
    )


def test_only_what_no_other_pipeline_has_stays_pending(project_dir):
    f = InteractiveRuntimeTestingFactory(project_dir / "dags" / f"{PIPE}.dag.json")
    assert f.get_auto_configured_scripts() == [DL, TP, MT]
    assert [(p.node, p.name) for p in f.pending_items] == [(FA, "reference_data"), (FA, "AUDIT_COLUMN")]
    assert "reused:" in f.summary_text() and "<th>reused</th>" in f._repr_html_()
    off = InteractiveRuntimeTestingFactory(project_dir / "dags" / f"{PIPE}.dag.json", reuse=False)
    assert off.get_auto_configured_scripts() == [] and off.reused == []
