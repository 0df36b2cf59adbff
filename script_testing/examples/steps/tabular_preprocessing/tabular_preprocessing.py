"""Tabular preprocessing.

Combines the data shards written by the data loading step (CSV/TSV/Parquet/JSON, optionally
gzipped, possibly several files and sub-folders), applies the column signature when one is given,
cleans the label field and writes:

- job_type ``training``: ``train/``, ``val/`` and ``test/`` sub-folders, each holding
  ``<split>/<split>_processed_data.<ext>`` (stratified on the label);
- any other job type (``calibration``, ``validation``, ``testing``): one folder
  ``<job_type>/<job_type>_processed_data.<ext>``.

Environment: LABEL_FIELD (required), ID_FIELD, OUTPUT_FORMAT (CSV|TSV|PARQUET), TRAIN_RATIO,
TEST_VAL_RATIO, RANDOM_SEED.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

logger = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".tsv", ".parquet", ".json", ".jsonl")


def _data_files(folder: Path) -> list[Path]:
    files = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or p.name.startswith((".", "_")):
            continue
        name = p.name[:-3] if p.name.endswith(".gz") else p.name
        if name.endswith(DATA_SUFFIXES):
            files.append(p)
    return files


def load_signature(signature_dir: str | None) -> list[str] | None:
    """The signature is one line of comma-separated column names, in a file of its own."""
    if not signature_dir:
        return None
    path = Path(signature_dir)
    candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    if not candidates:
        logger.warning("signature folder %s is empty, using the data's own header", path)
        return None
    line = candidates[0].read_text(encoding="utf-8").strip().splitlines()[0]
    columns = [c.strip() for c in line.split(",") if c.strip()]
    logger.info("signature: %d columns from %s", len(columns), candidates[0].name)
    return columns


def load_metadata(metadata_dir: str | None) -> dict:
    if not metadata_dir or not Path(metadata_dir).exists():
        return {}
    path = Path(metadata_dir)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.json"))
    meta: dict = {}
    for f in files:
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            logger.warning("metadata file %s is not JSON, ignored", f)
            continue
        if isinstance(doc, dict):
            meta.update(doc)
    return meta


def _read_delimited(path: Path, sep: str, signature: list[str] | None) -> pd.DataFrame:
    compression = "gzip" if path.name.endswith(".gz") else None
    if signature:
        # Shards may or may not carry a header line: compare the first row with the signature.
        head = pd.read_csv(path, sep=sep, nrows=0, compression=compression)
        if [c.strip() for c in head.columns] == signature:
            return pd.read_csv(path, sep=sep, compression=compression)
        return pd.read_csv(path, sep=sep, header=None, names=signature, compression=compression)
    return pd.read_csv(path, sep=sep, compression=compression)


def read_shard(path: Path, signature: list[str] | None) -> pd.DataFrame:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    if name.endswith(".csv"):
        return _read_delimited(path, ",", signature)
    if name.endswith(".tsv"):
        return _read_delimited(path, "\t", signature)
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    if name.endswith(".jsonl"):
        return pd.read_json(path, lines=True)
    # .json: JSON lines or a records array
    try:
        return pd.read_json(path, lines=True)
    except ValueError:
        return pd.read_json(path)


def combine_shards(data_dir: str, signature: list[str] | None) -> pd.DataFrame:
    files = _data_files(Path(data_dir))
    if not files:
        raise RuntimeError(f"no data files (csv/tsv/parquet/json) found under {data_dir}")
    frames = [read_shard(f, signature) for f in files]
    df = pd.concat(frames, ignore_index=True)
    if signature:
        missing = [c for c in signature if c not in df.columns]
        if missing:
            raise RuntimeError(f"data is missing signature column(s): {missing}")
        df = df[signature]
    logger.info("combined %d shard(s): %d rows x %d columns", len(files), len(df), df.shape[1])
    return df


def clean_label(df: pd.DataFrame, label_field: str) -> pd.DataFrame:
    if label_field not in df.columns:
        raise RuntimeError(f"label field '{label_field}' not found in columns {list(df.columns)}")
    before = len(df)
    df = df[df[label_field].notna()].copy()
    if not pd.api.types.is_numeric_dtype(df[label_field]):
        classes = sorted(df[label_field].astype(str).unique())
        df[label_field] = df[label_field].astype(str).map({c: i for i, c in enumerate(classes)})
    df[label_field] = df[label_field].astype(int)
    if len(df) < before:
        logger.info("dropped %d row(s) with a null label", before - len(df))
    return df


def write_split(df: pd.DataFrame, out_dir: Path, split: str, fmt: str) -> Path:
    folder = out_dir / split
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "PARQUET":
        path = folder / f"{split}_processed_data.parquet"
        df.to_parquet(path, index=False)
    elif fmt == "TSV":
        path = folder / f"{split}_processed_data.tsv"
        df.to_csv(path, sep="\t", index=False)
    else:
        path = folder / f"{split}_processed_data.csv"
        df.to_csv(path, index=False)
    logger.info("wrote %s (%d rows)", path, len(df))
    return path


def main(input_paths: dict[str, str], output_paths: dict[str, str],
         environ_vars: dict[str, str], job_args: argparse.Namespace) -> dict[str, int]:
    job_type = job_args.job_type
    label_field = environ_vars.get("LABEL_FIELD")
    if not label_field:
        raise RuntimeError("LABEL_FIELD environment variable must be set")
    id_field = environ_vars.get("ID_FIELD") or None
    fmt = (environ_vars.get("OUTPUT_FORMAT") or "CSV").upper()
    train_ratio = float(environ_vars.get("TRAIN_RATIO", "0.7"))
    test_val_ratio = float(environ_vars.get("TEST_VAL_RATIO", "0.5"))
    seed = int(environ_vars.get("RANDOM_SEED", "42"))

    signature = load_signature(input_paths.get("SIGNATURE"))
    metadata = load_metadata(input_paths.get("METADATA"))
    if metadata:
        logger.info("metadata keys: %s", sorted(metadata))

    df = combine_shards(input_paths["DATA"], signature)
    df = clean_label(df, label_field)
    if id_field and id_field in df.columns:
        dupes = int(df[id_field].duplicated().sum())
        if dupes:
            logger.warning("dropping %d duplicated id(s) in %s", dupes, id_field)
            df = df.drop_duplicates(subset=[id_field])

    out_dir = Path(output_paths["processed_data"])
    out_dir.mkdir(parents=True, exist_ok=True)

    if job_type == "training":
        stratify = df[label_field] if df[label_field].value_counts().min() >= 2 else None
        train_df, holdout = train_test_split(df, train_size=train_ratio, random_state=seed,
                                             stratify=stratify)
        stratify = holdout[label_field] if holdout[label_field].value_counts().min() >= 2 else None
        test_df, val_df = train_test_split(holdout, test_size=test_val_ratio, random_state=seed,
                                           stratify=stratify)
        splits = {"train": train_df, "val": val_df, "test": test_df}
    else:
        splits = {job_type: df}

    for split, frame in splits.items():
        write_split(frame.reset_index(drop=True), out_dir, split, fmt)
    counts = {split: len(frame) for split, frame in splits.items()}
    print(json.dumps({"job_type": job_type, "rows": counts}))
    return counts


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("--job_type", type=str, required=True,
                        choices=["training", "validation", "testing", "calibration"])
    args = parser.parse_args()

    INPUT_DATA = "/opt/ml/processing/input/data"
    INPUT_SIGNATURE = "/opt/ml/processing/input/signature"
    INPUT_METADATA = "/opt/ml/processing/input/metadata"
    OUTPUT_DIR = "/opt/ml/processing/output"

    input_paths = {"DATA": INPUT_DATA}
    if os.path.exists(INPUT_SIGNATURE):
        input_paths["SIGNATURE"] = INPUT_SIGNATURE
    if os.path.exists(INPUT_METADATA):
        input_paths["METADATA"] = INPUT_METADATA
    output_paths = {"processed_data": OUTPUT_DIR}
    environ_vars = {
        "LABEL_FIELD": os.environ.get("LABEL_FIELD", ""),
        "ID_FIELD": os.environ.get("ID_FIELD", ""),
        "OUTPUT_FORMAT": os.environ.get("OUTPUT_FORMAT", "CSV"),
        "TRAIN_RATIO": os.environ.get("TRAIN_RATIO", "0.7"),
        "TEST_VAL_RATIO": os.environ.get("TEST_VAL_RATIO", "0.5"),
        "RANDOM_SEED": os.environ.get("RANDOM_SEED", "42"),
    }
    try:
        main(input_paths, output_paths, environ_vars, args)
        logger.info("preprocessing complete")
    except Exception:
        logger.exception("preprocessing failed")
        sys.exit(1)
