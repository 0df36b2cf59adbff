"""Count the rows per label; a script inside a package (relative import)."""

import json
from pathlib import Path

import pandas as pd

from .stats import counts


def main(input_paths, output_paths, environ_vars, job_args):
    frame = pd.read_csv(Path(input_paths["cleaned_data"]) / "cleaned.csv")
    config = json.loads(Path(input_paths["config"]).read_text())
    label = config.get("label", environ_vars.get("LABEL_FIELD", "label"))
    out = Path(output_paths["summary"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps({"rows": len(frame), "per_label": counts(frame, label)}))
