"""Evaluate a trained model on held-out predictions."""

import json
import os

import pandas as pd
from sklearn.metrics import roc_auc_score


def main(input_paths, output_paths, environ_vars, job_args):
    preds = pd.read_csv(os.path.join(input_paths["eval_data_input"], "val_predictions.csv"))
    id_field = environ_vars["ID_FIELD"]
    label = environ_vars.get("LABEL_FIELD") or "label"
    metrics = {"auc": float(roc_auc_score(preds[label], preds["prob"])),
               "ids": int(preds[id_field].nunique()) if id_field in preds else 0}
    os.makedirs(output_paths["metrics_output"], exist_ok=True)
    with open(os.path.join(output_paths["metrics_output"], "metrics.json"), "w") as fh:
        json.dump(metrics, fh)
