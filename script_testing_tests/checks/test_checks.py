"""Edge checks (script_testing.checks) with real GX on real files in tmp_path."""

from __future__ import annotations

import gzip
import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest

from script_testing.checks import EdgeRequirements, SchemaBaseline, validate_edge
from script_testing.checks.edge import DocsBatch
from script_testing.config.project import DataProfile, Expectations
from script_testing.data.tabular import describe_files
from script_testing.errors import ConfigError

pytestmark = pytest.mark.timeout(120)

SRC = "TabularPreprocessing_training.processed_data"
DST = "XGBoostTraining.input_path"


def frame(n: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "label": np.arange(n) % 2,
            "age": rng.integers(18, 90, n),
            "income": rng.normal(50_000, 1_000, n).round(2),
            "country": np.array(["US", "DE", "JP"])[np.arange(n) % 3],
        }
    )


def req(expectations: dict | None = None, **kw) -> EdgeRequirements:
    kw.setdefault("source", SRC)
    kw.setdefault("consumer", DST)
    return EdgeRequirements.from_expectations(Expectations.model_validate(expectations or {}), **kw)


def failures(result, expectation: str | None = None) -> list[dict]:
    out = [f.to_dict() for f in result.failed_expectations]
    return [f for f in out if expectation is None or f["expectation"] == expectation]


@pytest.fixture
def out(tmp_path):
    d = tmp_path / "processed_data"
    d.mkdir()
    return d


# ---- passing -----------------------------------------------------------------------------------


def test_passing_tabular_edge_with_shards_and_markers(out):
    df = frame(30)
    df.iloc[:15].to_csv(out / "part-00000.csv", index=False)
    df.iloc[15:].to_parquet(out / "part-00001.parquet", index=False)
    (out / "_SUCCESS").write_text("")
    (out / ".part-00000.csv.crc").write_bytes(b"\x00garbage")
    r = validate_edge(
        out,
        req(
            {
                "columns": ["id", "label"],
                "not_null": ["label"],
                "types": {"age": "integer", "income": "float", "country": "string", "label": "numeric"},
                "ranges": {"age": {"min": 18, "max": 90}},
                "allowed_values": {"country": ["US", "DE", "JP"]},
                "unique": ["id"],
                "min_rows": 30,
                "max_rows": 30,
            }
        ),
    )
    assert r.status == "passed", r.summary
    assert r.failed_expectations == []
    assert r.schema["rows"] == 30
    assert r.schema["columns"] == {
        "id": "integer",
        "label": "integer",
        "age": "integer",
        "income": "float",
        "country": "string",
    }
    assert [f["path"] for f in r.files] == ["part-00000.csv", "part-00001.parquet"]
    assert r.expectations_evaluated >= 15
    d = r.to_dict()
    json.dumps(d)
    assert d["status"] == "passed" and "passed" in d["summary"]


def test_all_formats_and_gz_variants_read(out):
    df = frame(12)
    df.to_csv(out / "a.csv.gz", index=False, compression="gzip")
    df.to_csv(out / "b.tsv", sep="\t", index=False)
    df.to_json(out / "c.json", orient="records")
    df.to_json(out / "d.jsonl", orient="records", lines=True)
    df.to_json(out / "e.json", orient="records", lines=True)  # JSON lines named .json
    with gzip.open(out / "f.jsonl.gz", "wt") as fh:
        fh.write(df.to_json(orient="records", lines=True))
    (out / "g").write_bytes((out / "a.csv.gz").read_bytes())  # not sniffable: not tabular
    df.to_parquet(out / "part-h", index=False)  # extension-less parquet
    fmts = {f.rel: f.fmt for f in describe_files(out)}
    assert fmts == {
        "a.csv.gz": "csv",
        "b.tsv": "tsv",
        "c.json": "json",
        "d.jsonl": "jsonl",
        "e.json": "jsonl",
        "f.jsonl.gz": "jsonl",
        "g": None,
        "part-h": "parquet",
    }
    r = validate_edge(out, req({"columns": ["id", "label", "country"], "min_rows": 84}))
    assert r.status == "passed", r.summary
    assert r.schema["rows"] == 7 * 12


# ---- failing expectations, one at a time ---------------------------------------------------------


def test_required_column_dropped_names_column_file_and_consumer(out):
    (out / "train").mkdir()
    frame().drop(columns=["label"]).to_csv(out / "train" / "train_processed_data.csv", index=False)
    r = validate_edge(out, req(env_columns={"LABEL_FIELD": "label"}))
    assert r.status == "failed"
    [f] = failures(r)
    assert f["expectation"] == "expect_column_to_exist" and f["column"] == "label"
    assert f["message"] == (
        "column 'label' is missing from TabularPreprocessing_training.processed_data "
        "(train/train_processed_data.csv); XGBoostTraining needs it (LABEL_FIELD=label)"
    )
    assert "label" in r.summary


def test_env_columns_empty_value_is_ignored(out):
    frame().to_csv(out / "data.csv", index=False)
    r = validate_edge(
        out, req(env_columns={"LABEL_FIELD": "label", "ID_FIELD": "", "WEIGHT_FIELD": "weight"})
    )
    assert [(f["expectation"], f["column"]) for f in failures(r)] == [("expect_column_to_exist", "weight")]
    assert "WEIGHT_FIELD=weight" in failures(r)[0]["message"]


def test_wrong_type(out):
    df = frame()
    df["age"] = df["age"].astype(str) + " years"
    df.to_csv(out / "data.csv", index=False)
    r = validate_edge(out, req({"types": {"age": "numeric", "label": "integer"}}))
    [f] = failures(r)
    assert f["expectation"] == "expect_column_kind" and f["column"] == "age"
    assert "(string)" in f["observed"] and "expects numeric" in f["message"]


def test_integer_column_with_nulls_in_csv_is_still_integer(out):
    df = frame()
    df["age"] = df["age"].astype("float")
    df.loc[3, "age"] = np.nan
    df.to_csv(out / "data.csv", index=False)
    r = validate_edge(out, req({"types": {"age": "integer", "income": "integer"}}))
    assert [f["column"] for f in failures(r)] == ["income"]  # income has decimals


def test_out_of_range(out):
    df = frame(20)
    df.loc[[2, 5], "age"] = [150, -1]
    df.to_csv(out / "data.csv", index=False)
    r = validate_edge(out, req({"ranges": {"age": {"min": 0, "max": 120}}}))
    [f] = failures(r)
    assert f["expectation"] == "expect_column_values_to_be_between" and f["column"] == "age"
    assert f["unexpected_percent"] == pytest.approx(10.0)
    assert "2 of 20 values" in f["message"] and "[0, 120]" in f["message"]


def test_range_on_text_column_is_a_clear_failure(out):
    frame().to_csv(out / "data.csv", index=False)
    r = validate_edge(out, req({"ranges": {"country": {"min": 0}}}))
    [f] = failures(r)
    assert f["expectation"] == "expect_column_values_to_be_between" and "not numeric" in f["message"]


def test_not_null_aggregated_over_shards(out):
    df = frame(20)
    df["label"] = df["label"].astype("float")
    df.loc[[1, 2, 3], "label"] = np.nan
    df.iloc[:10].to_csv(out / "part-0.csv", index=False)
    df.iloc[10:].to_csv(out / "part-1.csv", index=False)
    r = validate_edge(out, req({"not_null": ["label", "id"]}))
    [f] = failures(r)
    assert f["expectation"] == "expect_column_values_to_not_be_null" and f["column"] == "label"
    assert f["unexpected_percent"] == pytest.approx(15.0)
    assert f["files"] == ["part-0.csv"]


def test_allowed_values(out):
    df = frame(9)
    df.loc[0, "country"] = "FR"
    df.to_parquet(out / "data.parquet")
    r = validate_edge(out, req({"allowed_values": {"country": ["US", "DE", "JP"], "label": [0, 1]}}))
    [f] = failures(r)
    assert f["expectation"] == "expect_column_values_to_be_in_set" and f["column"] == "country"
    assert "'FR'" in f["message"]


def test_unique_across_shards(out):
    frame(10).to_csv(out / "part-0.csv", index=False)
    frame(10).to_csv(out / "part-1.csv", index=False)  # same ids again
    r = validate_edge(out, req({"unique": ["id"]}))
    [f] = failures(r)
    assert f["expectation"] == "expect_column_values_to_be_unique" and "10 repeated values" in f["message"]


def test_min_rows_counts_all_shards(out):
    frame(6).to_csv(out / "part-0.csv", index=False)
    frame(6).to_csv(out / "part-1.csv", index=False)
    assert validate_edge(out, req({"min_rows": 12})).status == "passed"
    r = validate_edge(out, req({"min_rows": 20}))
    [f] = failures(r)
    assert f["expectation"] == "expect_table_row_count_to_be_between"
    assert f["message"] == (
        "TabularPreprocessing_training.processed_data has 12 rows; "
        "XGBoostTraining needs at least 20 (expectations: min_rows)"
    )


# ---- structure ---------------------------------------------------------------------------------


def test_missing_path(tmp_path):
    r = validate_edge(tmp_path / "nope", req({"columns": ["id"]}))
    assert r.status == "failed"
    assert [f["expectation"] for f in failures(r)] == ["expect_path_to_exist"]


def test_empty_output_folder(out):
    (out / "_SUCCESS").write_text("")
    r = validate_edge(out, req())
    assert r.status == "failed"
    [f] = failures(r)
    assert f["expectation"] == "expect_output_not_empty" and "is empty" in f["message"]


def test_corrupt_csv_and_unreadable_parquet_are_named(out):
    frame(5).to_csv(out / "part-0.csv", index=False)
    (out / "part-1.csv").write_text('id,label,note\n1,0,"unterminated\n2,1,x\n')
    (out / "part-2.csv").write_bytes(b"id,label\n" + os.urandom(512) + b"\xff\xfe\x00")
    (out / "part-3.parquet").write_bytes(os.urandom(256))
    (out / "part-4.csv").write_text("id,label\n1,0\n2,1,9,9\n")
    r = validate_edge(out, req({"columns": ["id"]}))
    bad = failures(r, "expect_file_readable")
    assert sorted(f["files"][0] for f in bad) == ["part-1.csv", "part-2.csv", "part-3.parquet", "part-4.csv"]
    for f in bad:
        assert f"file '{f['files'][0]}'" in f["message"] and "cannot be read as" in f["message"]
    assert r.status == "failed"
    assert r.schema["rows"] == 5  # the readable shard still counted


def test_shards_with_different_columns(out):
    frame(5).to_csv(out / "part-0.csv", index=False)
    frame(5).drop(columns=["income"]).assign(extra=1).to_csv(out / "part-1.csv", index=False)
    r = validate_edge(out, req())
    [f] = failures(r)
    assert f["expectation"] == "expect_shards_to_share_columns"
    assert "part-1.csv lacks ['income'] and has extra ['extra']" in f["message"]


def test_channels_missing(out):
    (out / "train").mkdir()
    frame().to_csv(out / "train" / "train.csv", index=False)
    (out / "val").mkdir()
    r = validate_edge(out, req(channels=["train", "val", "test"]))
    got = {(f["files"][0], f["observed"]) for f in failures(r, "expect_channel_to_exist")}
    assert got == {("val", "empty"), ("test", "missing")}
    assert r.schema["channels"] == {"train": 20, "val": 0, "test": 0}


def test_non_tabular_output_passes_structurally(out):
    (out / "model.pkl").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    (out / "config.json").write_text(json.dumps({"eta": 0.1, "depth": 3}, indent=2))
    r = validate_edge(out, req())
    assert r.status == "passed", r.summary
    assert r.schema == {"columns": {}, "rows": None}
    assert any("tabular expectations skipped" in n for n in r.notes)
    r2 = validate_edge(out, req(env_columns={"LABEL_FIELD": "label"}))
    [f] = failures(r2)
    assert f["expectation"] == "expect_tabular_data"
    assert "no tabular file was found" in f["message"] and "model.pkl" in f["message"]


def test_broken_json_is_unreadable(out):
    (out / "data.json").write_text('[{"a": 1}, {"a": ')
    r = validate_edge(out, req())
    [f] = failures(r)
    assert f["expectation"] == "expect_file_readable" and "data.json" in f["message"]


# ---- profile -----------------------------------------------------------------------------------

PROFILE = DataProfile.model_validate(
    {
        "rows": 40,
        "columns": [
            {"name": "id", "kind": "id"},
            {"name": "label", "kind": "label", "classes": [0, 1]},
            {"name": "age", "kind": "numeric", "min": 18, "max": 90, "nulls": 0.1},
            {"name": "country", "kind": "categorical", "values": ["US", "DE", "JP"]},
            {"name": "signup", "kind": "datetime"},
            {"name": "note", "kind": "text"},
        ],
    }
)


def profile_frame(n: int = 40) -> pd.DataFrame:
    df = frame(n).drop(columns=["income"])
    df["age"] = df["age"].astype(float)
    df.loc[:3, "age"] = np.nan  # 10% nulls, as the profile says
    df["signup"] = pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d")
    df["note"] = "some words"
    return df


def test_profile_schema_passes_on_matching_data(out):
    profile_frame().to_csv(out / "part-00000.csv", index=False)
    r = validate_edge(out, req(profile=PROFILE, profile_name="tabular_binary"))
    assert r.status == "passed", [f.message for f in r.failed_expectations]


def test_profile_schema_violations(out):
    df = profile_frame()
    df.loc[:11, "age"] = np.nan  # 30% > 10% + 5%
    df.loc[0, "country"] = "FR"
    df.loc[1, "label"] = 7
    df["signup"] = "not a date"
    df = df.drop(columns=["note"])
    df.to_csv(out / "part-00000.csv", index=False)
    r = validate_edge(out, req(profile=PROFILE, profile_name="tabular_binary"))
    got = {(f["expectation"], f["column"]) for f in failures(r)}
    assert got == {
        ("expect_column_to_exist", "note"),
        ("expect_column_values_to_not_be_null", "age"),
        ("expect_column_values_to_be_in_set", "country"),
        ("expect_column_values_to_be_in_set", "label"),
        ("expect_column_kind", "signup"),
    }
    msg = {f["column"]: f["message"] for f in failures(r)}
    assert "data profile 'tabular_binary'" in msg["note"]
    assert "30.00% null" in msg["age"]


# ---- severity, drift, docs -----------------------------------------------------------------------


def test_severity_warn_gives_status_warn(out):
    frame(5).to_csv(out / "data.csv", index=False)
    r = validate_edge(out, req({"min_rows": 100, "severity": "warn"}))
    assert r.status == "warn" and not r.blocking
    assert failures(r)[0]["severity"] == "warn"
    assert "severity warn" in r.summary


def test_drift_added_removed_retyped_exactly(out, tmp_path):
    base_file = tmp_path / "baselines" / "xgboost_simple.json"
    frame(20).to_csv(out / "data.csv", index=False)
    r1 = validate_edge(out, req(), baseline=base_file)
    assert r1.status == "passed"
    stored = json.loads(base_file.read_text())["edges"][f"{SRC}->{DST}"]
    assert stored["columns"]["country"] == "string" and stored["rows"] == {"min": 20, "max": 20}

    df = frame(20).drop(columns=["income"]).assign(segment="a")
    df["age"] = df["age"].astype(str) + "y"
    df.to_csv(out / "data.csv", index=False)
    r2 = validate_edge(out, req(), baseline=base_file)
    assert r2.status == "failed"
    got = sorted((f["expectation"], f["column"], f["observed"]) for f in failures(r2))
    assert got == [
        ("expect_schema_column_kinds_unchanged", "age", "integer -> string"),
        ("expect_schema_no_added_columns", "segment", "added (string)"),
        ("expect_schema_no_removed_columns", "income", "removed"),
    ]

    frame(23).to_csv(out / "data.csv", index=False)  # same columns, a few more rows: a warning
    r3 = validate_edge(out, req(), baseline=base_file)
    assert r3.status == "warn"
    assert [f["expectation"] for f in failures(r3)] == ["expect_row_count_within_baseline"]

    b = SchemaBaseline(base_file)
    b.rebaseline()
    assert b.edges() == {}
    assert validate_edge(out, req(), baseline=b).status == "passed"
    assert b.get(f"{SRC}->{DST}")["rows"] == {"min": 23, "max": 23}


def test_rows_far_outside_the_baseline_fail_and_the_tolerance_is_configurable(out, tmp_path):
    base_file = tmp_path / "baselines" / "p.json"
    frame(100).to_csv(out / "data.csv", index=False)
    assert validate_edge(out, req(), baseline=base_file).status == "passed"
    frame(65).to_csv(out / "data.csv", index=False)  # a third of the rows dropped
    r = validate_edge(out, req(), baseline=base_file)
    assert r.status == "failed"
    assert failures(r)[0]["expectation"] == "expect_row_count_within_baseline"
    assert "far outside the baseline range 100-100" in failures(r)[0]["message"]
    assert validate_edge(out, req(), baseline=SchemaBaseline(base_file, row_tolerance=0.5)).status == "warn"
    doc = json.loads(base_file.read_text())
    doc["row_tolerance"] = 0.4  # the file's own tolerance
    base_file.write_text(json.dumps(doc))
    assert validate_edge(out, req(), baseline=base_file).status == "warn"


def test_row_ranges_are_kept_per_row_scale(out, tmp_path):
    base_file = tmp_path / "baselines" / "p.json"
    frame(100).to_csv(out / "data.csv", index=False)
    assert validate_edge(out, req(), baseline=SchemaBaseline(base_file, scale=100)).status == "passed"
    frame(600).to_csv(out / "data.csv", index=False)  # a run with --rows 600: another scale
    assert validate_edge(out, req(), baseline=SchemaBaseline(base_file, scale=600)).status == "passed"
    entry = SchemaBaseline(base_file).get(f"{SRC}->{DST}")
    assert entry["rows_at"] == {"100": {"min": 100, "max": 100}, "600": {"min": 600, "max": 600}}
    frame(300).to_csv(out / "data.csv", index=False)
    assert validate_edge(out, req(), baseline=SchemaBaseline(base_file, scale=600)).status == "failed"


def test_reordered_columns_fail_as_drift(out, tmp_path):
    base_file = tmp_path / "baselines" / "p.json"
    frame(20).to_csv(out / "data.csv", index=False)
    assert validate_edge(out, req(), baseline=base_file).status == "passed"
    df = frame(20)
    df[["label", "id", "age", "income", "country"]].to_csv(out / "data.csv", index=False)
    r = validate_edge(out, req(), baseline=base_file)
    assert r.status == "failed"
    (f,) = failures(r)
    assert (f["expectation"], f["column"]) == ("expect_schema_column_order_unchanged", "id")
    assert "column 'id' moved from position 1 to 2" in f["message"]


def test_artifact_files_gone_since_the_baseline_fail_as_drift(out, tmp_path):
    base_file = tmp_path / "baselines" / "p.json"
    (out / "calibrator.pkl").write_bytes(b"\x80\x04N.")
    (out / "summary_20261130.json").write_text("{}")
    assert validate_edge(out, req(), baseline=base_file).status == "passed"
    assert SchemaBaseline(base_file).get(f"{SRC}->{DST}")["files"] == [
        "calibrator.pkl",
        "summary_20261130.json",
    ]
    (out / "summary_20261130.json").rename(out / "summary_20261201.json")  # digits do not count
    assert validate_edge(out, req(), baseline=base_file).status == "passed"
    (out / "calibrator.pkl").unlink()
    r = validate_edge(out, req(), baseline=base_file)
    assert r.status == "failed"
    (f,) = failures(r)
    assert (f["expectation"], f["column"]) == ("expect_schema_no_removed_files", "calibrator.pkl")
    assert "file 'calibrator.pkl' was in the baseline and is gone" in f["message"]


def test_data_docs_site_is_built(out, tmp_path):
    frame(10).to_csv(out / "part-0.csv", index=False)
    frame(10).to_csv(out / "part-1.csv", index=False)
    docs = tmp_path / "docs"
    r = validate_edge(out, req({"not_null": ["label"]}), docs_dir=docs)
    assert r.docs_path == str(docs.resolve() / "index.html")
    index = (docs / "index.html").read_text()
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) == 2  # one page per shard
    r2 = validate_edge(out, req({"not_null": ["id"]}, consumer="Other.input"), docs_dir=docs)
    assert r2.docs_path == r.docs_path
    assert len(list((docs / "validations").rglob("*.html"))) == 4
    assert "validations/" in index


def test_batches_of_a_large_file_give_the_same_result(out):
    df = frame(1000)
    df.loc[[10, 990], "age"] = 500
    df.to_csv(out / "big.csv", index=False)
    spec = {"ranges": {"age": {"min": 0, "max": 120}}, "unique": ["id"], "min_rows": 1000}
    whole = validate_edge(out, req(spec), batch_rows=None)
    batched = validate_edge(out, req(spec), batch_rows=300)
    assert [f.to_dict() for f in batched.failed_expectations] == [
        f.to_dict() for f in whole.failed_expectations
    ]
    assert {f.expectation for f in whole.failed_expectations} == {"expect_column_values_to_be_between"}
    assert batched.schema == whole.schema and batched.schema["rows"] == 1000


def test_structural_failures_block_even_with_severity_warn(tmp_path):
    r = validate_edge(tmp_path / "missing", req({"severity": "warn", "columns": ["id"]}))
    assert r.status == "failed" and failures(r)[0]["severity"] == "block"


def test_zero_byte_part_files_are_skipped_not_failed(out):
    (out / "part-0.csv").write_bytes(b"")
    frame(4).to_csv(out / "part-1.csv", index=False)
    r = validate_edge(out, req({"columns": ["id"]}))
    assert r.status == "passed" and any("0-byte" in n for n in r.notes)


def test_importing_checks_does_not_import_great_expectations():
    import subprocess
    import sys

    code = (
        "import sys, script_testing.checks as c; "
        "assert 'great_expectations' not in sys.modules, 'GX imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_data_docs_for_failures_only_page_only_what_did_not_pass(out, tmp_path):
    """``runner.data_docs: failures`` (the default): a passed check gets no page, and a run of passes
    builds no site (nothing waits for Great Expectations)."""
    frame(10).to_csv(out / "part-0.csv", index=False)
    batch = DocsBatch(tmp_path / "docs", failures_only=True)
    passed = validate_edge(out, req({"not_null": ["id"]}), docs=batch)
    assert passed.status == "passed" and passed.docs_path is None and batch.build() is None
    broken = frame(10)
    broken.loc[0, "label"] = None
    broken.to_csv(out / "part-0.csv", index=False)
    failed = validate_edge(out, req({"not_null": ["label"]}), docs=batch)
    assert failed.status == "failed" and failed.docs_path == str(batch.index)
    assert batch.build() == str(batch.index) and (tmp_path / "docs" / "index.html").is_file()
    everything = DocsBatch(tmp_path / "all")
    assert validate_edge(out, req({"not_null": ["id"]}), docs=everything).docs_path == str(everything.index)


def test_a_baseline_read_by_one_run_sees_what_another_run_records(tmp_path):
    """Reads are served from the parsed file until it changes on disk (another run may record into it)."""
    path = tmp_path / "schema_baseline.json"
    ours, theirs = SchemaBaseline(path), SchemaBaseline(path)
    ours.record("A.out->B.in", {"columns": {"id": "integer"}, "rows": 10})
    assert "A.out->B.in" in ours and "C.out->D.in" not in ours
    theirs.record("C.out->D.in", {"columns": {"x": "float"}, "rows": 5})
    assert "C.out->D.in" in ours, "a change of the file by another writer was not seen"
    assert ours.compare("C.out->D.in", {"columns": {}, "rows": 5})[0].drift == "removed"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        ours.get("A.out->B.in")
