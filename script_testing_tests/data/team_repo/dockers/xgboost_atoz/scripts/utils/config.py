"""Hyper-parameters for training."""

import json
import os

DEFAULTS = {"num_round": 50, "max_depth": 4, "eta": 0.3}


def load_hyperparameters(input_paths):
    path = input_paths["hyperparameters_s3_uri"]
    if os.path.isdir(path):
        path = os.path.join(path, "hyperparameters.json")
    with open(path) as fh:
        params = dict(DEFAULTS)
        params.update(json.load(fh))
    return params
