"""Model evaluation: score a held-out dataset with the trained model.

Loads the model folder written by training (``model.pkl`` + ``feature_columns.json``; a
``model.tar.gz`` as SageMaker uploads it is extracted first), reads the evaluation data
(``<job_type>/<job_type>_processed_data.csv`` from preprocessing, or any single data file), and writes

- ``eval_output/eval_predictions.csv``: id, label and ``prob_class_<k>`` per class;
- ``metrics_output/metrics.json``: classification metrics (AUC, AP, Brier, ECE, ...).

Part of the ``evalkit`` package: run as ``python -m evalkit.model_evaluation``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

from .metrics import binary_metrics, multiclass_metrics

logger = logging.getLogger(__name__)


def load_model(model_dir: str):
    folder = Path(model_dir)
    archive = folder / "model.tar.gz"
    if not (folder / "model.pkl").exists() and archive.exists():
        extract_to = Path(tempfile.mkdtemp(prefix="model_"))
        with tarfile.open(archive) as tar:
            tar.extractall(extract_to, filter="data")
        folder = extract_to
    model_file = folder / "model.pkl"
    if not model_file.exists():
        raise FileNotFoundError(f"no model.pkl (or model.tar.gz) in {model_dir}")
    with open(model_file, "rb") as fh:
        model = pickle.load(fh)
    features = json.loads((folder / "feature_columns.json").read_text(encoding="utf-8"))
    return model, features


def find_eval_file(data_dir: str, job_type: str) -> Path:
    folder = Path(data_dir)
    if folder.is_file():
        return folder
    for suffix in (".csv", ".parquet", ".tsv"):
        f = folder / job_type / f"{job_type}_processed_data{suffix}"
        if f.exists():
            return f
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".csv", ".parquet", ".tsv"))
    if len(files) != 1:
        raise FileNotFoundError(
            f"expected {job_type}/{job_type}_processed_data.csv or exactly one data file under "
            f"{data_dir}, found {len(files)}")
    return files[0]


def read_frame(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",")


def prepare_features(df: pd.DataFrame, tab_fields: list[str], cat_fields: list[str]) -> pd.DataFrame:
    """Same transformation as at training time."""
    X = df[tab_fields + cat_fields].copy()
    for c in tab_fields:
        X[c] = pd.to_numeric(X[c], errors="coerce")
    for c in cat_fields:
        X[c] = X[c].astype(object).where(X[c].notna(), "__missing__").astype(str)
    return X


def main(input_paths: dict[str, str], output_paths: dict[str, str],
         environ_vars: dict[str, str], job_args: argparse.Namespace) -> dict:
    job_type = getattr(job_args, "job_type", "calibration")
    id_field = environ_vars["ID_FIELD"]
    label_field = environ_vars["LABEL_FIELD"]
    prefix = environ_vars.get("SCORE_PREFIX", "prob_class_")
    threshold = float(environ_vars.get("DECISION_THRESHOLD", "0.5"))

    model, features = load_model(input_paths["model_input"])
    eval_file = find_eval_file(input_paths["processed_data"], job_type)
    df = read_frame(eval_file)
    logger.info("evaluating %d rows from %s", len(df), eval_file)

    tab_fields, cat_fields = features["tab_field_list"], features["cat_field_list"]
    missing = [c for c in tab_fields + cat_fields + [label_field] if c not in df.columns]
    if missing:
        raise KeyError(f"evaluation data lacks column(s): {missing}")
    proba = model.predict_proba(prepare_features(df, tab_fields, cat_fields))
    classes = [int(c) for c in features.get("classes", range(proba.shape[1]))]

    preds = pd.DataFrame({f"{prefix}{c}": proba[:, i] for i, c in enumerate(classes)})
    preds.insert(0, label_field, df[label_field].to_numpy())
    if id_field in df.columns:
        preds.insert(0, id_field, df[id_field].to_numpy())

    y = df[label_field].astype(int).to_numpy()
    if len(classes) == 2:
        metrics = binary_metrics(y, proba[:, 1], threshold)
    else:
        metrics = multiclass_metrics(y, proba, classes)
    metrics["job_type"] = job_type

    eval_dir = Path(output_paths["eval_output"])
    eval_dir.mkdir(parents=True, exist_ok=True)
    preds.to_csv(eval_dir / "eval_predictions.csv", index=False)
    metrics_dir = Path(output_paths["metrics_output"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    (metrics_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    logger.info("metrics: %s", {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()})
    return metrics


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("--job_type", type=str, required=True)
    args = parser.parse_args()

    input_paths = {
        "model_input": "/opt/ml/processing/input/model",
        "processed_data": "/opt/ml/processing/input/eval_data",
    }
    output_paths = {
        "eval_output": "/opt/ml/processing/output/eval",
        "metrics_output": "/opt/ml/processing/output/metrics",
    }
    environ_vars = {
        "ID_FIELD": os.environ.get("ID_FIELD", "id"),
        "LABEL_FIELD": os.environ.get("LABEL_FIELD", "label"),
        "SCORE_PREFIX": os.environ.get("SCORE_PREFIX", "prob_class_"),
        "DECISION_THRESHOLD": os.environ.get("DECISION_THRESHOLD", "0.5"),
    }
    try:
        main(input_paths, output_paths, environ_vars, args)
    except Exception:
        logger.exception("evaluation failed")
        sys.exit(1)
