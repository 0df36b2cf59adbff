"""Classification metrics used by the evaluation scripts (binary and multiclass)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, brier_score_loss, f1_score,
                             log_loss, precision_score, recall_score, roc_auc_score)


def expected_calibration_error(y_true: np.ndarray, score: np.ndarray, n_bins: int = 10) -> float:
    """Weighted mean gap between predicted score and observed rate over equal-width bins."""
    y_true = np.asarray(y_true, dtype=float)
    score = np.clip(np.asarray(score, dtype=float), 0.0, 1.0)
    bins = np.minimum((score * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(score[mask].mean() - y_true[mask].mean())
    return float(ece)


def binary_metrics(y_true: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> dict:
    y_true = np.asarray(y_true).astype(int)
    score = np.asarray(score, dtype=float)
    pred = (score >= threshold).astype(int)
    out = {
        "rows": int(len(y_true)),
        "positive_rate": float(y_true.mean()) if len(y_true) else 0.0,
        "accuracy": float(accuracy_score(y_true, pred)),
        "precision": float(precision_score(y_true, pred, zero_division=0)),
        "recall": float(recall_score(y_true, pred, zero_division=0)),
        "f1": float(f1_score(y_true, pred, zero_division=0)),
        "brier": float(brier_score_loss(y_true, score)),
        "ece": expected_calibration_error(y_true, score),
    }
    if len(np.unique(y_true)) == 2:
        out["auc_roc"] = float(roc_auc_score(y_true, score))
        out["average_precision"] = float(average_precision_score(y_true, score))
        out["log_loss"] = float(log_loss(y_true, np.clip(score, 1e-7, 1 - 1e-7), labels=[0, 1]))
    return out


def multiclass_metrics(y_true: np.ndarray, proba: np.ndarray, classes: list) -> dict:
    y_true = np.asarray(y_true)
    pred = np.asarray(classes)[proba.argmax(axis=1)]
    out = {"rows": int(len(y_true)), "accuracy": float(accuracy_score(y_true, pred)),
           "f1_macro": float(f1_score(y_true, pred, average="macro", zero_division=0))}
    if len(np.unique(y_true)) > 1:
        out["auc_roc_ovr"] = float(roc_auc_score(y_true, proba, multi_class="ovr", labels=classes))
        out["log_loss"] = float(log_loss(y_true, proba, labels=classes))
    return out
