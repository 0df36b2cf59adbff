"""Gradient boosting training for tabular binary/multiclass classification.

Reads ``train/`` and ``val/`` (and ``test/`` when present) from the preprocessing output,
the hyperparameters JSON (label_name, id_name, tab_field_list, cat_field_list, model settings),
fits a scikit-learn ``HistGradientBoostingClassifier`` with native categorical support, and writes

- ``model_output/``: ``model.pkl`` (the fitted pipeline), ``feature_columns.json``,
  ``hyperparameters.json`` (what was actually used);
- ``evaluation_output/``: ``<split>/predictions.csv`` and ``metrics.json`` for val and test.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

try:  # optional experiment tracking, only installed on the training image
    from experiment_tracker import log_metrics
except ImportError:  # pragma: no cover - depends on the environment
    log_metrics = None

logger = logging.getLogger(__name__)

DEFAULTS = {
    "is_binary": True,
    "num_classes": 2,
    "max_iter": 100,
    "learning_rate": 0.1,
    "max_depth": None,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 20,
    "l2_regularization": 0.0,
    "early_stopping": False,
    "random_state": 0,
}
REQUIRED = ("label_name", "tab_field_list", "cat_field_list")


def load_hyperparameters(path: str) -> dict:
    p = Path(path)
    if p.is_dir():  # a channel folder holding the file
        p = p / "hyperparameters.json"
    if not p.exists():
        raise FileNotFoundError(f"hyperparameters file not found: {p}")
    hp = {**DEFAULTS, **json.loads(p.read_text(encoding="utf-8"))}
    missing = [k for k in REQUIRED if k not in hp]
    if missing:
        raise ValueError(f"hyperparameters.json lacks required key(s): {missing}")
    return hp


def read_split(input_dir: Path, split: str) -> pd.DataFrame | None:
    folder = input_dir / split
    for suffix, reader in ((".csv", pd.read_csv), (".parquet", pd.read_parquet),
                           (".tsv", lambda f: pd.read_csv(f, sep="\t"))):
        f = folder / f"{split}_processed_data{suffix}"
        if f.exists():
            df = reader(f)
            logger.info("%s: %d rows from %s", split, len(df), f)
            return df
    return None


def build_pipeline(hp: dict, tab_fields: list[str], cat_fields: list[str]) -> Pipeline:
    encoder = ColumnTransformer(
        [("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                encoded_missing_value=-1), cat_fields),
         ("num", "passthrough", tab_fields)],
        remainder="drop", verbose_feature_names_out=False)
    categorical_mask = [True] * len(cat_fields) + [False] * len(tab_fields)
    clf = HistGradientBoostingClassifier(
        max_iter=int(hp["max_iter"]), learning_rate=float(hp["learning_rate"]),
        max_depth=hp["max_depth"], max_leaf_nodes=int(hp["max_leaf_nodes"]),
        min_samples_leaf=int(hp["min_samples_leaf"]),
        l2_regularization=float(hp["l2_regularization"]),
        early_stopping=bool(hp["early_stopping"]), random_state=int(hp["random_state"]),
        categorical_features=categorical_mask or None,
        class_weight=hp.get("class_weight"))
    return Pipeline([("encode", encoder), ("model", clf)])


def prepare_features(df: pd.DataFrame, tab_fields: list[str], cat_fields: list[str]) -> pd.DataFrame:
    X = df[tab_fields + cat_fields].copy()
    for c in tab_fields:
        X[c] = pd.to_numeric(X[c], errors="coerce")
    for c in cat_fields:
        X[c] = X[c].astype(object).where(X[c].notna(), "__missing__").astype(str)
    return X


def compute_metrics(y: np.ndarray, proba: np.ndarray) -> dict:
    metrics = {"rows": int(len(y)), "accuracy": float(accuracy_score(y, proba.argmax(axis=1)))}
    if len(np.unique(y)) > 1:
        if proba.shape[1] == 2:
            metrics["auc_roc"] = float(roc_auc_score(y, proba[:, 1]))
        else:
            metrics["auc_roc_ovr"] = float(roc_auc_score(y, proba, multi_class="ovr"))
        metrics["log_loss"] = float(log_loss(y, proba, labels=list(range(proba.shape[1]))))
    return metrics


def main(input_paths: dict[str, str], output_paths: dict[str, str],
         environ_vars: dict[str, str], job_args: argparse.Namespace) -> dict:
    hp = load_hyperparameters(input_paths["hyperparameters_s3_uri"])
    label, id_name = hp["label_name"], hp.get("id_name")
    tab_fields, cat_fields = list(hp["tab_field_list"]), list(hp["cat_field_list"])
    if environ_vars.get("USE_CLASS_WEIGHTS", "false").lower() == "true":
        hp["class_weight"] = "balanced"

    input_dir = Path(input_paths["input_path"])
    train_df = read_split(input_dir, "train")
    val_df = read_split(input_dir, "val")
    if train_df is None or val_df is None:
        raise FileNotFoundError(f"expected train/ and val/ splits under {input_dir}")
    test_df = read_split(input_dir, "test")

    missing = [c for c in [label] + tab_fields + cat_fields if c not in train_df.columns]
    if missing:
        raise KeyError(f"training data lacks column(s) named in hyperparameters: {missing}")

    pipeline = build_pipeline(hp, tab_fields, cat_fields)
    pipeline.fit(prepare_features(train_df, tab_fields, cat_fields), train_df[label].astype(int))
    classes = [int(c) for c in pipeline.classes_]
    logger.info("trained on %d rows, classes %s", len(train_df), classes)

    model_dir = Path(output_paths["model_output"])
    model_dir.mkdir(parents=True, exist_ok=True)
    with open(model_dir / "model.pkl", "wb") as fh:
        pickle.dump(pipeline, fh)
    (model_dir / "feature_columns.json").write_text(json.dumps(
        {"tab_field_list": tab_fields, "cat_field_list": cat_fields, "label_name": label,
         "id_name": id_name, "classes": classes}, indent=2))
    (model_dir / "hyperparameters.json").write_text(json.dumps(hp, indent=2, default=str))

    eval_dir = Path(output_paths["evaluation_output"])
    eval_dir.mkdir(parents=True, exist_ok=True)
    all_metrics = {}
    for split, df in (("val", val_df), ("test", test_df)):
        if df is None or df.empty:
            continue
        proba = pipeline.predict_proba(prepare_features(df, tab_fields, cat_fields))
        preds = pd.DataFrame({f"prob_class_{c}": proba[:, i] for i, c in enumerate(classes)})
        if id_name and id_name in df.columns:
            preds.insert(0, id_name, df[id_name].to_numpy())
        preds.insert(1 if id_name in preds.columns else 0, label, df[label].to_numpy())
        (eval_dir / split).mkdir(exist_ok=True)
        preds.to_csv(eval_dir / split / "predictions.csv", index=False)
        all_metrics[split] = compute_metrics(df[label].astype(int).to_numpy(), proba)
        logger.info("%s metrics: %s", split, all_metrics[split])
    (eval_dir / "metrics.json").write_text(json.dumps(all_metrics, indent=2))

    if log_metrics is not None:
        log_metrics({f"{s}/{k}": v for s, m in all_metrics.items() for k, v in m.items()})
    return all_metrics


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("--job_type", type=str, default="training")
    args = parser.parse_args()

    input_paths = {
        "input_path": "/opt/ml/input/data",
        "hyperparameters_s3_uri": "/opt/ml/code/hyperparams/hyperparameters.json",
    }
    output_paths = {
        "model_output": "/opt/ml/model",
        "evaluation_output": "/opt/ml/output/data",
    }
    environ_vars = {
        "USE_CLASS_WEIGHTS": os.environ.get("USE_CLASS_WEIGHTS", "false"),
        "REGION": os.environ.get("REGION", "NA"),
    }
    try:
        main(input_paths, output_paths, environ_vars, args)
    except Exception:
        logger.exception("training failed")
        sys.exit(1)
