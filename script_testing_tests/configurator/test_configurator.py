"""The guided configurator: a new DAG's pending items, immediate validation, save, run, and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from script_testing import api
from script_testing.cli_configure import configure
from script_testing.configurator import InteractiveRuntimeTestingFactory, parse_source_answer
from script_testing.errors import ConfigError
from script_testing.execution.options import RunOptions
from script_testing.config.project import SourceSpec, load_project
from script_testing.pipeline.plan import load_plan
from script_testing.config.state import BUNDLED_EXAMPLES

PIPE = "audited_simple"
DL, TP, MT, FA = "DataLoading_training", "TabularPreprocessing_training", "ModelTraining", "FeatureAudit_training"

FEATURE_AUDIT_INTERFACE = """\
step_type: FeatureAudit
node_type: internal
registry: {sagemaker_step_type: Processing, description: Audits one column of the processed data}
contract:
  entry_point: feature_audit.py
  inputs:
    processed_data: {path: /opt/ml/processing/input/data, required: true}
    reference_data: {path: /opt/ml/processing/input/reference, required: true}
  outputs:
    audit_report: {path: /opt/ml/processing/output/audit}
  job_arguments:
  - {flag: --job_type, source: job_type}
  env_vars:
    required: [AUDIT_COLUMN]
    optional: {MAX_NULL_FRACTION: '0.5'}
spec:
  dependencies:
    processed_data:
      type: processing_output
      required: true
      compatible_sources: [TabularPreprocessing]
      semantic_keywords: [processed, data]
    reference_data:
      type: reference_table
      required: true
      compatible_sources: [ReferenceLoading]
      semantic_keywords: [reference, baseline]
  outputs:
    audit_report: {type: processing_output}
"""

FEATURE_AUDIT_SCRIPT = '''\
import json
from pathlib import Path

import pandas as pd


def main(input_paths, output_paths, environ_vars, job_args):
    column = environ_vars["AUDIT_COLUMN"]
    max_nulls = float(environ_vars.get("MAX_NULL_FRACTION", "0.5"))
    files = sorted(Path(input_paths["processed_data"]).rglob("*_processed_data.csv"))
    if not files:
        raise FileNotFoundError("no processed data under " + input_paths["processed_data"])
    df = pd.concat([pd.read_csv(f) for f in files])
    ref = pd.read_csv(next(Path(input_paths["reference_data"]).rglob("*.csv")))
    if column not in df.columns or column not in ref.columns:
        raise KeyError(column)
    nulls = float(df[column].isna().mean())
    if nulls > max_nulls:
        raise ValueError(f"{column}: {nulls:.2f} nulls")
    out = Path(output_paths["audit_report"])
    out.mkdir(parents=True, exist_ok=True)
    report = {"column": column, "rows": int(len(df)), "reference_rows": int(len(ref)), "job_type": job_args.job_type}
    (out / "audit.json").write_text(json.dumps(report))
    return report
'''

HYPERPARAMETERS = {"label_name": "label", "id_name": "id",
                   "tab_field_list": ["age", "income", "tenure_months"], "cat_field_list": ["country"],
                   "is_binary": True, "num_classes": 2, "max_iter": 20, "learning_rate": 0.1, "max_depth": 3,
                   "min_samples_leaf": 20, "random_state": 0}


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """The bundled examples copied, plus a new step type and a new DAG that is not configured yet."""
    root = tmp_path / "proj"
    shutil.copytree(BUNDLED_EXAMPLES, root, ignore=shutil.ignore_patterns("__pycache__", ".script_testing"))
    step = root / "steps" / "feature_audit"
    step.mkdir()
    (step / "feature_audit.step.yaml").write_text(FEATURE_AUDIT_INTERFACE)
    (step / "feature_audit.py").write_text(FEATURE_AUDIT_SCRIPT)
    dag = json.loads((root / "dags" / "tabular_simple.dag.json").read_text())
    dag["dag"]["nodes"].append(FA)
    dag["dag"]["edges"].append([TP, FA])
    dag["metadata"]["name"] = PIPE
    (root / "dags" / f"{PIPE}.dag.json").write_text(json.dumps(dag, indent=2))
    ref = root / "data" / "reference"
    ref.mkdir(parents=True)
    (ref / "reference.csv").write_text("id,label\n1,0\n2,1\n3,0\n")
    return root


@pytest.fixture
def factory(project_dir: Path) -> InteractiveRuntimeTestingFactory:
    return InteractiveRuntimeTestingFactory(project_dir / "dags" / f"{PIPE}.dag.json")


def configure_all(f: InteractiveRuntimeTestingFactory) -> None:
    f.configure_script_testing(DL, sources={
        "DATA": {"synthetic": "tabular_binary", "format": "csv", "rows": 400},
        "SIGNATURE": "signature:tabular_binary",
        "METADATA": {"json": {"source": "synthetic"}, "file": "metadata.json"}})
    f.configure_script_testing(TP, environ_vars={"LABEL_FIELD": "label", "ID_FIELD": "id"})
    f.configure_script_testing(MT, sources={"hyperparameters_s3_uri": {"json": HYPERPARAMETERS,
                                                                       "file": "hyperparameters.json"}},
                               job_args={"job_type": "training"}, timeout_s=300)
    f.configure_script_testing(FA, sources={"reference_data": "local:data/reference"},
                               environ_vars={"AUDIT_COLUMN": "label"},
                               expectations={"processed_data": {"min_rows": 10}})


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
    assert fa["job_args"] == {"job_type": "training"}          # the node name's suffix

    mt = pending[MT]
    assert mt["inputs"]["hyperparameters_s3_uri"]["suggested_spec"] == {"json": {}, "file": "hyperparameters.json"}
    assert mt["inputs"]["input_path"]["pending"] is False
    assert mt["job_args"] == {"job_type": None} and mt["advisories"]   # no suffix: advised, not blocking

    dl = pending[DL]
    assert dl["role"] == "data" and dl["outputs"]["DATA"]["pending"] and dl["outputs"]["DATA"]["required"]
    assert pending[TP]["environ_vars"]["missing"] == ["LABEL_FIELD"]

    keys = [(p.node, p.name) for p in factory.pending_items]
    assert keys[:3] == [(DL, "DATA"), (DL, "SIGNATURE"), (DL, "METADATA")]     # in DAG order
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
    with pytest.raises(ConfigError, match="pipelines"):     # two pipelines: name one
        InteractiveRuntimeTestingFactory(project_dir)
    with pytest.raises(ConfigError, match="did you mean tabular_simple"):
        InteractiveRuntimeTestingFactory("tabular_simpel", project_dir)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs, reason", [
    ({"node": "FeatureAudit_trainig"}, r"not a node .*did you mean FeatureAudit_training"),
    ({"sources": {"reference": "local:data/reference"}}, r"'reference' is not an input .*reference_data"),
    ({"sources": {"audit_report": "local:data/reference"}}, r"is an output of FeatureAudit_training"),
    ({"sources": {"reference_data": {"local": "x", "s3": "s3://b/k"}}},
     r"sources\.FeatureAudit_training\.reference_data.*exactly one of"),
    ({"sources": {"reference_data": {"synthetic": "tabular_binary", "format": "xlsx"}}},
     r"sources\.FeatureAudit_training\.reference_data\.format"),
    ({"sources": {"reference_data": {"synthetic": "tabular_binary", "colour": "red"}}},
     r"reference_data\.colour' is not a known key"),
    ({"sources": {"reference_data": "local:data/nowhere"}}, r"local path 'data/nowhere' does not exist"),
    ({"sources": {"reference_data": "synthetic:tabular_binery"}},
     r"profile 'tabular_binery' is not defined.*did you mean tabular_binary"),
    ({"sources": {"reference_data": "s3:bucket/key"}}, r"is not an S3 URI"),
    ({"sources": {"reference_data": "ftp://x"}}, r"is not a source"),
    ({"environ_vars": {"AUDIT_COLUMN": ""}}, r"required environment variable AUDIT_COLUMN .* empty"),
    ({"timeout_s": -1}, r"nodes\.FeatureAudit_training\.timeout_s"),
    ({"expectations": {"processed_data": {"min_rows": "many"}}}, r"expectations\.FeatureAudit_training\.processed_data\.min_rows"),
    ({"expectations": {"nope": {"min_rows": 1}}}, r"'nope' is not a port"),
])
def test_wrong_configuration_is_rejected_with_its_reason(factory, kwargs, reason):
    kwargs = dict(kwargs)
    node = kwargs.pop("node", FA)
    before = factory.get_testing_factory_summary()
    with pytest.raises(ConfigError, match=reason):
        factory.configure_script_testing(node, **kwargs)
    assert factory.get_testing_factory_summary() == before      # nothing recorded


def test_a_bad_answer_records_nothing_even_when_other_answers_are_right(factory):
    with pytest.raises(ConfigError, match="does not exist"):
        factory.configure_script_testing(FA, sources={"reference_data": "local:nope"},
                                         environ_vars={"AUDIT_COLUMN": "label"})
    assert [p.name for p in factory.pending_items if p.node == FA] == ["reference_data", "AUDIT_COLUMN"]


def test_right_configuration_is_accepted_and_the_summary_updates(factory):
    result = factory.configure_script_testing(FA, sources={"reference_data": SourceSpec(local="data/reference")})
    assert not result.ready and result.pending == [f"{FA}: required environment variable AUDIT_COLUMN is not set"]
    result = factory.configure_script_testing(FA, environ_vars={"AUDIT_COLUMN": "label"})
    assert result.ready and "nothing pending" in str(result)
    s = factory.get_testing_factory_summary()
    assert s["configured"] == [FA] and FA not in s["pending"]
    assert s["counts"] == {"auto_configured": 0, "configured": 1, "pending": 3}
    assert factory.node_requirements(FA)["inputs"]["reference_data"]["provided_by"].startswith("source local")

    configure_all(factory)
    s = factory.get_testing_factory_summary()
    assert s["ready"] and s["counts"] == {"auto_configured": 0, "configured": 4, "pending": 0}
    assert s["advisories"] == []       # ModelTraining's job_type was given


def test_parse_source_answer_forms():
    assert parse_source_answer("synthetic:p") == {"synthetic": "p"}
    assert parse_source_answer("local: data/x") == {"local": "data/x"}
    assert parse_source_answer("json:{a: 1}") == {"json": {"a": 1}}
    assert parse_source_answer("s3:s3://b/k/") == {"s3": "s3://b/k/"}
    assert parse_source_answer("s3://b/k") == {"s3": "s3://b/k"}
    assert parse_source_answer("{synthetic: p, format: csv}") == {"synthetic": "p", "format": "csv"}
    with pytest.raises(ConfigError, match="not a source"):
        parse_source_answer("tabular_binary")


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
    assert set(project.config.pipelines) == {"tabular_calibrated", "tabular_simple", PIPE}   # the rest is kept
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
    with pytest.raises(ConfigError, match="bundled examples.*save\\(path=DIR\\)"):
        f.save()
    path = f.save(tmp_path / "copy")
    assert path == tmp_path / "copy" / "script_testing.yaml" and (tmp_path / "copy" / "steps").is_dir()
    assert load_plan(load_project(path), "tabular_simple").nodes[TP].environ_vars["TRAIN_RATIO"] == "0.8"
    assert f.project.file == path
    assert "TRAIN_RATIO" not in (BUNDLED_EXAMPLES / "script_testing.yaml").read_text()


# ----------------------------------------------------------------------------- CLI


def test_cli_yes_accepts_suggestions_and_needs_env_values(project_dir):
    runner = CliRunner()
    dag = str(project_dir / "dags" / f"{PIPE}.dag.json")
    result = runner.invoke(configure, [str(project_dir), "--dag", dag, "--yes"])
    assert result.exit_code == 1, result.output
    assert "LABEL_FIELD" in result.output and "nothing saved" in result.output
    assert PIPE not in load_project(project_dir).config.pipelines

    result = runner.invoke(configure, [str(project_dir), "--dag", dag, "--yes",
                                       "--env", f"{TP}.LABEL_FIELD=label", "--env", f"{FA}.AUDIT_COLUMN=label",
                                       "--source", f"{FA}.reference_data=local:data/reference"])
    assert result.exit_code == 0, result.output
    assert f"pending  {FA}" in result.output
    assert f"script-testing run {project_dir} --pipeline {PIPE}" in result.output
    project = load_project(project_dir)
    cfg = project.config.pipelines[PIPE]
    assert cfg.sources[f"{DL}.DATA"].synthetic == "tabular_binary"
    assert cfg.sources[f"{MT}.hyperparameters_s3_uri"].kind == "json"
    assert cfg.sources[f"{FA}.reference_data"].local == "data/reference"
    load_plan(project, PIPE)


def test_cli_interactive_prompts_validate_and_reprompt(project_dir):
    f = InteractiveRuntimeTestingFactory(project_dir / "dags" / f"{PIPE}.dag.json")
    answers = []
    for item in f.pending_items:
        if (item.node, item.name) == (FA, "reference_data"):
            answers += ["local:data/missing", "synthetic:nope", "local:data/reference"]   # two wrong, then right
        elif item.kind == "env":
            answers += ["label"]
        else:
            answers += [""]          # accept the suggestion
    answers += ["training"]          # ModelTraining's job_type (optional prompt: no suffix in its name)
    runner = CliRunner()
    result = runner.invoke(configure, [str(project_dir), "--dag", str(project_dir / "dags" / f"{PIPE}.dag.json")],
                           input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "does not exist" in result.output and "profile 'nope' is not defined" in result.output
    assert f"source for {FA}.reference_data" in result.output and "value of AUDIT_COLUMN" in result.output
    project = load_project(project_dir)
    cfg = project.config.pipelines[PIPE]
    assert cfg.sources[f"{FA}.reference_data"].local == "data/reference"
    assert cfg.nodes[FA].environ_vars == {"AUDIT_COLUMN": "label"}
    assert cfg.nodes[TP].environ_vars == {"LABEL_FIELD": "label"}
    assert cfg.nodes[MT].job_args == {"job_type": "training"}
    assert load_plan(project, PIPE).nodes[MT].job_args == {"job_type": "training"}


def test_cli_bundled_project_needs_save_to(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(configure, ["--pipeline", "tabular_simple"])
    assert result.exit_code == 2 and "--save-to" in result.output
    result = CliRunner().invoke(configure, ["--pipeline", "tabular_simple", "--save-to", str(tmp_path / "mine")])
    assert result.exit_code == 0, result.output
    assert load_plan(load_project(tmp_path / "mine"), "tabular_simple")
