"""Train an XGBoost model on the preprocessed splits."""

import json
import os
import pickle

import pandas as pd

from . import constants as C
from .utils import read_frames
from .utils.config import load_hyperparameters


def _train(train, val, params, label):
    import xgboost as xgb
    dtrain = xgb.DMatrix(train.drop(columns=[label]), label=train[label])
    dval = xgb.DMatrix(val.drop(columns=[label]), label=val[label])
    return xgb.train(params, dtrain, num_boost_round=params.pop("num_round", 50), evals=[(dval, "val")])


def main(input_paths, output_paths, environ_vars, job_args, logger=None):
    log = logger.info if logger else print
    params = load_hyperparameters(input_paths)
    label = params.get("label_name", "label")
    data = input_paths["input_path"]
    train = read_frames(os.path.join(data, "train"))
    val = read_frames(os.path.join(data, "val"))
    if environ_vars.get("USE_PRECOMPUTED_IMPUTATION", "false") == "true":
        with open(os.path.join(input_paths["model_artifacts_input"], "impute_dict.pkl"), "rb") as fh:
            fill = pickle.load(fh)
        train, val = train.fillna(fill), val.fillna(fill)
    model = _train(train, val, dict(params), label)
    os.makedirs(output_paths[C.MODEL_OUTPUT], exist_ok=True)
    model.save_model(os.path.join(output_paths[C.MODEL_OUTPUT], "xgboost_model.bst"))
    preds = pd.DataFrame({"label": val[label], "prob": model.predict(__import__("xgboost").DMatrix(
        val.drop(columns=[label])))})
    out = output_paths[C.EVALUATION_OUTPUT]
    os.makedirs(out, exist_ok=True)
    preds.to_csv(os.path.join(out, "val_predictions.csv"), index=False)
    with open(os.path.join(out, "run.json"), "w") as fh:
        json.dump({"job_type": job_args.job_type, "region": environ_vars.get("REGION", "NA")}, fh)
    log(f"trained on {len(train)} rows")
