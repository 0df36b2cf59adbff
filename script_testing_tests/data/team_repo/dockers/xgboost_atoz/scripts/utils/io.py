"""Reading shards and writing splits, shared by the xgboost_atoz scripts."""

import glob
import os

import pandas as pd

from ..constants import PROCESSED_DATA, SPLITS


def read_frames(folder):
    files = sorted(glob.glob(os.path.join(folder, "**", "*.csv"), recursive=True))
    if not files:
        raise FileNotFoundError(f"no CSV shards under {folder}")
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def write_splits(frames, output_paths):
    out = output_paths[PROCESSED_DATA]
    for split in SPLITS:
        os.makedirs(os.path.join(out, split), exist_ok=True)
        frames[split].to_csv(os.path.join(out, split, f"{split}_processed_data.csv"), index=False)
