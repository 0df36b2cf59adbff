"""Drop the rows with a missing value."""

from pathlib import Path

import pandas as pd


def main(input_paths, output_paths, environ_vars, job_args):
    files = sorted(Path(input_paths["input_data"]).rglob("*.csv"))
    frame = pd.concat([pd.read_csv(f) for f in files]).dropna()
    out = Path(output_paths["cleaned"])
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "cleaned.csv", index=False)
