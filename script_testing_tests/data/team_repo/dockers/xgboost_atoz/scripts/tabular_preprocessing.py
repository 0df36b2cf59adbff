#!/usr/bin/env python
"""Combine shards, clean the label, split train/val/test."""

import argparse
import os

import numpy as np

from .utils.io import read_frames, write_splits


def _log(logger, msg):
    if logger is not None:
        logger.info(msg)
    else:
        print(msg)


def _split(df, job_type, train_ratio, seed=42):
    if job_type != "training":
        return {"train": df.iloc[:0], "val": df.iloc[:0], "test": df}
    rng = np.random.default_rng(seed)
    mask = rng.random(len(df)) < train_ratio
    rest = df[~mask]
    half = len(rest) // 2
    return {"train": df[mask], "val": rest.iloc[:half], "test": rest.iloc[half:]}


def main(input_paths, output_paths, environ_vars, job_args, logger=None):
    _log(logger, f"input paths: {input_paths}")
    df = read_frames(input_paths["DATA"])
    if "SIGNATURE" in input_paths:
        sig_file = os.path.join(input_paths["SIGNATURE"], "signature")
        if os.path.exists(sig_file):
            with open(sig_file) as fh:
                df.columns = fh.read().strip().split(",")
    label = environ_vars["LABEL_FIELD"] or "label"
    df = df.dropna(subset=[label])
    train_ratio = float(environ_vars.get("TRAIN_RATIO", "0.7"))
    frames = _split(df, job_args.job_type, train_ratio)
    write_splits(frames, output_paths)
    _log(logger, f"wrote {sum(len(f) for f in frames.values())} rows")
    return frames


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--job_type", required=True)
    args = parser.parse_args()
    main({"DATA": "/opt/ml/processing/input/data", "SIGNATURE": "/opt/ml/processing/input/signature"},
         {"processed_data": "/opt/ml/processing/output"},
         {"LABEL_FIELD": os.environ.get("LABEL_FIELD", ""), "TRAIN_RATIO": os.environ.get("TRAIN_RATIO", "0.7")},
         args)
