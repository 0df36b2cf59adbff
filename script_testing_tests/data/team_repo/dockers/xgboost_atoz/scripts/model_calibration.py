"""Fit a calibration mapping from model scores to probabilities."""

import json
import os

import pandas as pd

EVAL_DATA = "evaluation_data"
CALIBRATION_OUT = "calibration_output"
METRICS_OUT = "metrics_output"


def _scores(input_paths):
    try:
        extra = input_paths["extra_scores"]
    except KeyError:
        extra = None
    frame = pd.read_csv(os.path.join(input_paths[EVAL_DATA], "val_predictions.csv"))
    if extra:
        frame = pd.concat([frame, pd.read_csv(os.path.join(extra, "scores.csv"))], ignore_index=True)
    return frame


def main(input_paths, output_paths, environ_vars, job_args):
    method = getattr(job_args, "calibration_method", "isotonic")
    frame = _scores(input_paths)
    bins = int(environ_vars.get("NUM_BINS", "10"))
    frame["bin"] = pd.qcut(frame["prob"], q=bins, duplicates="drop", labels=False)
    table = frame.groupby("bin")["label"].mean().to_dict()
    for key in (CALIBRATION_OUT, METRICS_OUT):
        os.makedirs(output_paths[key], exist_ok=True)
    with open(os.path.join(output_paths[CALIBRATION_OUT], "calibration.json"), "w") as fh:
        json.dump({"method": method, "table": table, "job_type": job_args.job_type}, fh)
    with open(os.path.join(output_paths[METRICS_OUT], "metrics.json"), "w") as fh:
        json.dump({"rows": len(frame)}, fh)
