"""Score calibration.

Fits a calibrator on the calibration predictions (a CSV/Parquet with the label and a score
column, e.g. ``prob_class_1``) so that calibrated scores match observed positive rates:

- ``isotonic``: ``sklearn.isotonic.IsotonicRegression`` (monotone, non-parametric);
- ``platt``: logistic regression on the score's logit (Platt scaling).

Writes ``calibration_output/calibration_model.pkl`` and ``calibration_summary.json``,
``metrics_output/calibration_metrics.json`` (Brier score and ECE before and after) and
``calibrated_data/calibrated_predictions.csv``.
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
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss

logger = logging.getLogger(__name__)
EPS = 1e-6


class PlattCalibrator:
    """Logistic regression on logit(score); exposes ``predict`` like IsotonicRegression."""

    def __init__(self) -> None:
        self.lr = LogisticRegression(C=1e6)

    @staticmethod
    def _logit(score: np.ndarray) -> np.ndarray:
        s = np.clip(np.asarray(score, dtype=float), EPS, 1 - EPS)
        return np.log(s / (1 - s)).reshape(-1, 1)

    def fit(self, score: np.ndarray, y: np.ndarray) -> "PlattCalibrator":
        self.lr.fit(self._logit(score), y)
        return self

    def predict(self, score: np.ndarray) -> np.ndarray:
        return self.lr.predict_proba(self._logit(score))[:, 1]


def ece(y: np.ndarray, score: np.ndarray, n_bins: int) -> float:
    bins = np.minimum((np.clip(score, 0, 1) * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            total += m.mean() * abs(score[m].mean() - y[m].mean())
    return float(total)


def read_predictions(path: str) -> pd.DataFrame:
    p = Path(path)
    files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.suffix in (".csv", ".parquet"))
    if not files:
        raise FileNotFoundError(f"no prediction file (.csv/.parquet) under {path}")
    frames = [pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f) for f in files]
    return pd.concat(frames, ignore_index=True)


def main(input_paths: dict[str, str], output_paths: dict[str, str],
         environ_vars: dict[str, str], job_args: argparse.Namespace) -> dict:
    label_field = environ_vars["LABEL_FIELD"]
    score_field = environ_vars.get("SCORE_FIELD", "prob_class_1")
    method = environ_vars.get("CALIBRATION_METHOD", "isotonic").lower()
    n_bins = int(environ_vars.get("NUM_BINS", "10"))

    df = read_predictions(input_paths["evaluation_data"])
    for col in (label_field, score_field):
        if col not in df.columns:
            raise KeyError(f"column '{col}' not found in evaluation data (columns: {list(df.columns)})")
    df = df[df[label_field].notna() & df[score_field].notna()]
    y = df[label_field].astype(int).to_numpy()
    score = df[score_field].astype(float).to_numpy()
    if len(np.unique(y)) < 2:
        raise ValueError("calibration needs both classes in the calibration data")

    if method == "isotonic":
        calibrator = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(score, y)
    elif method == "platt":
        calibrator = PlattCalibrator().fit(score, y)
    else:
        raise ValueError(f"CALIBRATION_METHOD must be 'isotonic' or 'platt', got '{method}'")
    calibrated = np.clip(calibrator.predict(score), 0.0, 1.0)

    metrics = {
        "job_type": getattr(job_args, "job_type", None), "method": method, "rows": int(len(y)),
        "brier_before": float(brier_score_loss(y, score)),
        "brier_after": float(brier_score_loss(y, calibrated)),
        "ece_before": ece(y, score, n_bins), "ece_after": ece(y, calibrated, n_bins),
    }
    logger.info("calibration: %s", metrics)

    cal_dir = Path(output_paths["calibration_output"])
    cal_dir.mkdir(parents=True, exist_ok=True)
    # Only library objects are pickled so the artifact loads without this script on the path.
    estimator = calibrator.lr if isinstance(calibrator, PlattCalibrator) else calibrator
    with open(cal_dir / "calibration_model.pkl", "wb") as fh:
        pickle.dump({"method": method, "input": "logit" if method == "platt" else "score",
                     "estimator": estimator, "score_field": score_field}, fh)
    grid = np.linspace(0, 1, 21)
    (cal_dir / "calibration_summary.json").write_text(json.dumps({
        "method": method, "score_field": score_field, "label_field": label_field,
        "mapping": {f"{g:.2f}": float(v) for g, v in zip(grid, np.clip(calibrator.predict(grid), 0, 1))},
    }, indent=2))

    metrics_dir = Path(output_paths["metrics_output"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    (metrics_dir / "calibration_metrics.json").write_text(json.dumps(metrics, indent=2))

    out_dir = Path(output_paths["calibrated_data"])
    out_dir.mkdir(parents=True, exist_ok=True)
    out = df.copy()
    out[f"calibrated_{score_field}"] = calibrated
    out.to_csv(out_dir / "calibrated_predictions.csv", index=False)
    return metrics


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("--job_type", type=str, required=True)
    args = parser.parse_args()

    input_paths = {"evaluation_data": "/opt/ml/processing/input/eval_data"}
    output_paths = {
        "calibration_output": "/opt/ml/processing/output/calibration",
        "metrics_output": "/opt/ml/processing/output/metrics",
        "calibrated_data": "/opt/ml/processing/output/calibrated_data",
    }
    environ_vars = {
        "LABEL_FIELD": os.environ.get("LABEL_FIELD", "label"),
        "SCORE_FIELD": os.environ.get("SCORE_FIELD", "prob_class_1"),
        "CALIBRATION_METHOD": os.environ.get("CALIBRATION_METHOD", "isotonic"),
        "NUM_BINS": os.environ.get("NUM_BINS", "10"),
    }
    try:
        main(input_paths, output_paths, environ_vars, args)
    except Exception:
        logger.exception("calibration failed")
        sys.exit(1)
