"""The test project of the configurator tests: the bundled examples plus a new step type (FeatureAudit)
and a new DAG (audited_simple = tabular_simple + FeatureAudit_training) that is not configured yet."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from script_testing.config.state import BUNDLED_EXAMPLES
from script_testing.configurator import InteractiveRuntimeTestingFactory

PIPE = "audited_simple"
DL, TP, MT, FA = (
    "DataLoading_training",
    "TabularPreprocessing_training",
    "ModelTraining",
    "FeatureAudit_training",
)

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

FEATURE_AUDIT_SCRIPT = """\
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
"""

HYPERPARAMETERS = {
    "label_name": "label",
    "id_name": "id",
    "tab_field_list": ["age", "income", "tenure_months"],
    "cat_field_list": ["country"],
    "is_binary": True,
    "num_classes": 2,
    "max_iter": 20,
    "learning_rate": 0.1,
    "max_depth": 3,
    "min_samples_leaf": 20,
    "random_state": 0,
}


def make_project(tmp_path: Path) -> Path:
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


def configure_all(f: InteractiveRuntimeTestingFactory) -> None:
    f.configure_script_testing(
        DL,
        sources={
            "DATA": {"synthetic": "tabular_binary", "format": "csv", "rows": 400},
            "SIGNATURE": "signature:tabular_binary",
            "METADATA": {"json": {"source": "synthetic"}, "file": "metadata.json"},
        },
    )
    f.configure_script_testing(TP, environ_vars={"LABEL_FIELD": "label", "ID_FIELD": "id"})
    f.configure_script_testing(
        MT,
        sources={"hyperparameters_s3_uri": {"json": HYPERPARAMETERS, "file": "hyperparameters.json"}},
        job_args={"job_type": "training"},
        timeout_s=300,
    )
    f.configure_script_testing(
        FA,
        sources={"reference_data": "local:data/reference"},
        environ_vars={"AUDIT_COLUMN": "label"},
        expectations={"processed_data": {"min_rows": 10}},
    )


def new_dag(root: Path, name: str, nodes: list[str], edges: list[list[str]]) -> Path:
    """A DAG file ``dags/<name>.dag.json`` in the format of the bundled ones."""
    dag = json.loads((root / "dags" / "tabular_simple.dag.json").read_text())
    dag["dag"] = {**dag["dag"], "nodes": nodes, "edges": edges}
    dag["metadata"]["name"] = name
    path = root / "dags" / f"{name}.dag.json"
    path.write_text(json.dumps(dag, indent=2))
    return path
