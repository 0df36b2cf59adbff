"""Every supported tabular file form goes through the same detection, listing, reading, checks and
metadata (one module, :mod:`script_testing.data.tabular`, decides for all of them)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from script_testing.checks import EdgeRequirements, validate_edge
from script_testing.config.project import Expectations
from script_testing.data.tabular import (describe_files, format_from_name, holds_tables, iter_batches, list_data_files,
                                         list_files, read_dataset, sniff_format, write_frame)
from script_testing.orchestration.metadata import output_metadata

FRAME = pd.DataFrame({"id": range(12), "label": [0, 1] * 6, "score": [i / 10 for i in range(12)]})

# file names of one output -> the format every reader must see
CASES = {
    "csv": (["part-0.csv"], "csv"),
    "tsv": (["part-0.tsv"], "tsv"),
    "tab": (["part-0.tab"], "tsv"),
    "parquet": (["part-0.parquet"], "parquet"),
    "pq": (["part-0.pq"], "parquet"),
    "json-array": (["part-0.json"], "json"),
    "json-lines-named-json": (["lines.json"], "jsonl"),
    "jsonl": (["part-0.jsonl"], "jsonl"),
    "ndjson": (["part-0.ndjson"], "jsonl"),
    "csv.gz": (["part-0.csv.gz"], "csv"),
    "csv.gzip": (["part-0.csv.gzip"], "csv"),
    "tsv.gz": (["part-0.tsv.gz"], "tsv"),
    "json.gz": (["part-0.json.gz"], "json"),
    "jsonl.gz": (["part-0.jsonl.gz"], "jsonl"),
    "parquet.gz": (["part-0.parquet.gz"], "parquet"),
    "pq.gz": (["part-0.pq.gz"], "parquet"),
    "csv shards": (["part-0.csv", "part-1.csv", "sub/part-2.csv"], "csv"),
    "parquet shards": (["part-00000.pq", "part-00001.pq"], "parquet"),
}


def _write(path: Path, frame: pd.DataFrame, fmt: str) -> None:
    """Write ``frame`` in the form its name says (whole-file gzip for ``*.gz``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    compressed = path.name.endswith((".gz", ".gzip"))
    plain = path.with_name(path.name.rsplit(".", 1)[0]) if compressed else path
    if fmt == "json":
        plain.write_text(frame.to_json(orient="records"))
    else:
        write_frame(frame, plain, fmt)
    if compressed:
        with open(plain, "rb") as src, gzip.open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
        plain.unlink()


@pytest.fixture(params=sorted(CASES), ids=sorted(CASES))
def output(request, tmp_path) -> tuple[Path, list[str], str]:
    names, fmt = CASES[request.param]
    out = tmp_path / "out"
    shards = [FRAME.iloc[i::len(names)].reset_index(drop=True) for i in range(len(names))]
    for name, shard in zip(names, shards):
        _write(out / name, shard, fmt)
    (out / "_SUCCESS").write_text("")                 # markers are never data
    (out / ".part-0.crc").write_text("x")
    return out, names, fmt


def test_detection_listing_and_reading_agree(output):
    out, names, fmt = output
    assert sorted(p.relative_to(out).as_posix() for p in list_files(out)) == sorted(names)
    assert sorted(p.relative_to(out).as_posix() for p in list_data_files(out)) == sorted(names)
    for name in names:
        assert format_from_name(name)[0] in (fmt, "json")      # json lines may be named .json
        assert sniff_format(out / name)[0] == fmt
    described = describe_files(out)
    assert [f.fmt for f in described] == [fmt] * len(names)
    assert holds_tables(out)
    assert sum(len(b) for f in described for b in iter_batches(f, batch_rows=5)) == len(FRAME)
    frame = read_dataset(out).sort_values("id").reset_index(drop=True)
    assert list(frame.columns) == ["id", "label", "score"] and frame["id"].tolist() == list(range(12))


def test_checks_see_the_columns_the_consumer_names(output):
    out, _, _ = output
    req = EdgeRequirements.from_expectations(Expectations(), env_columns={"LABEL_FIELD": "label"},
                                             source="Up.data", consumer="Down.input")
    result = validate_edge(out, req)
    assert result.status == "passed", result.summary
    missing = EdgeRequirements.from_expectations(Expectations(), env_columns={"LABEL_FIELD": "target"},
                                                 source="Up.data", consumer="Down.input")
    assert validate_edge(out, missing).status == "failed"


def test_metadata_counts_rows_of_every_form(output):
    out, names, _ = output
    md = output_metadata(out)
    assert md["tabular_files"].value == len(names)
    assert md["dagster/row_count"].value == len(FRAME)
    assert [c.name for c in md["dagster/column_schema"].schema.columns] == ["id", "label", "score"]


def test_pq_output_with_label_field_passes_the_blocking_check(tmp_path):
    """The reviewer's case: ``part-0.pq`` consumed with ``LABEL_FIELD=label`` once failed with
    "no tabular file was found" because two modules disagreed about ``.pq``."""
    out = tmp_path / "processed_data"
    write_frame(FRAME, out / "part-0.pq", "parquet")
    assert holds_tables(out)        # the edge checker asks for the env columns only on tables
    req = EdgeRequirements.from_expectations(Expectations(severity="block"), env_columns={"LABEL_FIELD": "label"},
                                             source="TabularPreprocessing.processed_data",
                                             consumer="XGBoostTraining.input_path")
    result = validate_edge(out, req)
    assert result.status == "passed", result.summary
    assert "no tabular file" not in (result.summary or "")


def test_non_tables_stay_non_tables(tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04")
    (tmp_path / "config.json").write_text('{"a": 1}')
    with gzip.open(tmp_path / "model.tar.gz", "wb") as fh:
        fh.write(b"x")
    assert [f.fmt for f in describe_files(tmp_path)] == [None, None, None]
    assert not holds_tables(tmp_path)
