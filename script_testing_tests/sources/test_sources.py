"""Data sources (synthetic, signature, json, local) and the tabular file helpers.

Offline and fast: real files in tmp_path, no mocks.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from script_testing.config.project import DataProfile, SourceSpec
from script_testing.data.tabular import (
    detect_format,
    is_compressed,
    list_data_files,
    read_dataset,
    read_frame,
    write_frame,
)
from script_testing.errors import SourceError
from script_testing.sources import check, get_source, materialize
from script_testing.sources.base import SourceContext
from script_testing.sources.synthetic import VOCABULARY, generate_frame, profile_problems

PROFILE = {
    "rows": 2000,
    "seed": 7,
    "columns": [
        {"name": "id", "kind": "id"},
        {"name": "label", "kind": "label", "classes": [0, 1]},
        {"name": "age", "kind": "numeric", "min": 18, "max": 90, "dtype": "int", "nulls": 0.05},
        {"name": "income", "kind": "numeric", "dtype": "float", "min": 1000, "max": 5000, "nulls": 0.1},
        {"name": "country", "kind": "categorical", "values": ["US", "DE", "JP"]},
        {"name": "signup", "kind": "datetime"},
        {"name": "note", "kind": "text"},
        {"name": "active", "kind": "boolean"},
    ],
}
COLUMNS = [c["name"] for c in PROFILE["columns"]]


def profile(**changes) -> DataProfile:
    return DataProfile.model_validate({**PROFILE, **changes})


def one_column(rows: int = 1000, seed: int = 1, **column) -> pd.Series:
    column.setdefault("name", "c")
    return generate_frame(DataProfile(rows=rows, seed=seed, columns=[column]))[column["name"]]


@pytest.fixture
def ctx(tmp_path: Path) -> SourceContext:
    root = tmp_path / "project"
    root.mkdir()
    return SourceContext(project_root=root, profiles={"tabular_binary": profile()})


def spec(**data) -> SourceSpec:
    return SourceSpec.model_validate(data)


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------
# generate_frame
# ---------------------------------------------------------------------------------------------


def test_same_seed_same_frame_and_different_seeds_differ():
    a = generate_frame(profile())
    b = generate_frame(profile())
    pd.testing.assert_frame_equal(a, b)
    c = generate_frame(profile(), seed=8)
    assert list(c.columns) == COLUMNS and len(c) == 2000
    for name in ("age", "income", "country", "signup", "note", "active"):
        assert not a[name].equals(c[name]), name
    assert a["id"].equals(c["id"])  # ids are 0..n-1 whatever the seed


def test_rows_and_seed_default_to_the_profile():
    df = generate_frame(profile(rows=123, seed=3))
    assert len(df) == 123
    pd.testing.assert_frame_equal(df, generate_frame(profile(), rows=123, seed=3))


def test_columns_are_independent_of_each_other():
    base = generate_frame(profile())
    more = profile(columns=[{"name": "extra", "kind": "numeric"}] + PROFILE["columns"])
    pd.testing.assert_frame_equal(generate_frame(more)[COLUMNS], base)


def test_dtypes_of_each_kind():
    df = generate_frame(profile())
    dtypes = {k: str(v) for k, v in df.dtypes.items()}
    assert dtypes["id"] == "int64"
    assert dtypes["label"] == "int64"
    assert dtypes["age"] == "Int64"  # int with nulls: pandas nullable
    assert dtypes["income"] == "float64"
    assert pd.api.types.is_string_dtype(df["country"])
    assert dtypes["signup"].startswith("datetime64")
    assert pd.api.types.is_string_dtype(df["note"])
    assert dtypes["active"] == "bool"
    assert str(one_column(kind="numeric", dtype="int").dtype) == "int64"
    assert str(one_column(kind="boolean", nulls=0.1).dtype) == "boolean"
    assert str(one_column(kind="label", classes=[0.5, 1.5]).dtype) == "float64"
    assert str(one_column(kind="label", classes=[True, False]).dtype) == "bool"


def test_numeric_ranges_and_null_rates():
    df = generate_frame(profile(rows=10_000))
    age, income = df["age"].dropna(), df["income"].dropna()
    assert age.min() >= 18 and age.max() <= 90
    assert age.min() == 18 and age.max() == 90  # both ends reachable for ints
    assert (age == age.round()).all()
    assert income.min() >= 1000 and income.max() < 5000
    assert abs(income.mean() - 3000) < 50
    assert df["age"].isna().sum() == 500  # exactly round(n * nulls)
    assert df["income"].isna().sum() == 1000
    assert df[["id", "label", "country", "signup", "note", "active"]].notna().all().all()


def test_numeric_defaults_to_zero_one():
    s = one_column(kind="numeric")
    assert s.min() >= 0 and s.max() < 1
    assert set(one_column(kind="numeric", dtype="int")) == {0, 1}
    only_min = one_column(kind="numeric", min=18)
    assert only_min.min() >= 18 and only_min.max() <= 19


@pytest.mark.parametrize("kind", ["label", "categorical", "numeric", "datetime", "text", "boolean"])
def test_nulls_apply_to_every_kind_but_id(kind):
    extra = {"values": ["a", "b"]} if kind == "categorical" else {}
    s = one_column(rows=2000, kind=kind, nulls=0.25, **extra)
    assert s.isna().sum() == 500


def test_null_positions_do_not_change_the_other_values():
    plain = one_column(kind="numeric", rows=500)
    holed = one_column(kind="numeric", rows=500, nulls=0.3)
    kept = holed.notna()
    assert (plain[kept] == holed[kept]).all()


def test_categorical_values_and_weights():
    s = one_column(
        rows=20_000, kind="categorical", values=["US", "DE", "JP"], weights=[0.7, 0.2, 0.1], nulls=0.1
    )
    assert set(s.dropna()) == {"US", "DE", "JP"}
    shares = s.dropna().value_counts(normalize=True)
    assert abs(shares["US"] - 0.7) < 0.02 and abs(shares["JP"] - 0.1) < 0.02
    ints = one_column(kind="categorical", values=[10, 20, 30])
    assert set(ints) <= {10, 20, 30} and str(ints.dtype) == "int64"
    assert str(one_column(kind="categorical", values=[10, 20], nulls=0.1).dtype) == "Int64"


def test_label_classes():
    assert set(one_column(kind="label")) == {0, 1}  # default classes
    s = one_column(rows=10_000, kind="label", classes=["cat", "dog", "eel"], weights=[1, 1, 2])
    assert set(s) == {"cat", "dog", "eel"}
    assert abs((s == "eel").mean() - 0.5) < 0.03
    assert set(one_column(kind="label", classes=[1])) == {1}


def test_ids_are_unique():
    df = generate_frame(profile(rows=5000))
    assert df["id"].is_unique and df["id"].tolist() == list(range(5000))
    s = one_column(rows=1500, kind="id", prefix="cust")
    assert s.is_unique and s.iloc[0] == "cust000000" and s.iloc[-1] == "cust001499"
    assert pd.api.types.is_string_dtype(s)
    assert one_column(rows=3, kind="id", prefix="").tolist() == ["000000", "000001", "000002"]


def test_datetime_range():
    s = one_column(rows=5000, kind="datetime")
    assert s.min() >= pd.Timestamp("2024-01-01") and s.max() <= pd.Timestamp("2024-12-31")
    assert (s.dt.microsecond == 0).all()  # whole seconds
    t = one_column(rows=2000, kind="datetime", start="2020-06-01", end="2020-06-02T12:00:00", nulls=0.1)
    valid = t.dropna()
    assert valid.min() >= pd.Timestamp("2020-06-01") and valid.max() <= pd.Timestamp("2020-06-02 12:00")
    assert t.isna().sum() == 200


def test_text_words_from_the_vocabulary():
    s = one_column(rows=3000, kind="text", words=4)
    words = s.str.split()
    assert (words.str.len() == 4).all()
    assert {w for ws in words for w in ws} <= set(VOCABULARY)
    assert s.nunique() > 100
    lengths = one_column(rows=3000, kind="text").str.split().str.len()
    assert lengths.min() >= 3 and lengths.max() <= 12


def test_boolean_column():
    s = one_column(rows=10_000, kind="boolean")
    assert s.dtype == bool and 0.45 < s.mean() < 0.55


def test_zero_rows():
    df = generate_frame(profile(), rows=0)
    assert list(df.columns) == COLUMNS and len(df) == 0


@pytest.mark.parametrize(
    "column, message",
    [
        ({"kind": "id", "nulls": 0.1}, "id column cannot have nulls"),
        ({"kind": "numeric", "dtype": "int", "min": 0.2, "max": 0.8}, "no integer lies between"),
        ({"kind": "datetime", "start": "not a date"}, "'start' value 'not a date' is not a date"),
        ({"kind": "datetime", "start": "2025-01-01", "end": "2024-01-01"}, "is after end"),
        ({"kind": "label", "classes": [0, 1], "weights": [-1, 2]}, "'weights' must be non-negative"),
    ],
)
def test_bad_column_settings_name_the_column(column, message):
    prof = DataProfile(rows=10, columns=[{"name": "bad", **column}])
    problems = profile_problems(prof, "p")
    assert len(problems) == 1 and message in problems[0] and "data_profiles.p.columns[0] (bad)" in problems[0]
    with pytest.raises(SourceError, match="columns\\[0\\] \\(bad\\)"):
        generate_frame(prof, name="p")


def test_a_million_rows():
    prof = profile(
        rows=1_000_000,
        columns=[*PROFILE["columns"][:-1], {"name": "active", "kind": "boolean", "nulls": 0.01}],
    )
    df = generate_frame(prof)
    assert df.shape == (1_000_000, 8)
    assert df["id"].is_unique


# ---------------------------------------------------------------------------------------------
# SyntheticSource
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", [None, "gzip"])
@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet", "json", "jsonl"])
def test_each_format_and_shards_round_trip(tmp_path, ctx, fmt, compression):
    data = materialize(
        spec(synthetic="tabular_binary", format=fmt, shards=3, compression=compression), tmp_path / "out", ctx
    )
    assert data.path == tmp_path / "out"
    assert len(data.files) == 3 and data.rows == 2000 and data.columns == COLUMNS
    assert data.bytes == sum(f.stat().st_size for f in data.files) > 0
    gz_suffix = ".gz" if compression and fmt != "parquet" else ""
    ext = {"csv": ".csv", "tsv": ".tsv", "parquet": ".parquet", "json": ".json", "jsonl": ".jsonl"}[fmt]
    assert [f.name for f in data.files] == [f"part-{i:05d}{ext}{gz_suffix}" for i in range(3)]
    assert list_data_files(data.path) == data.files
    frames = [read_frame(f) for f in data.files]
    for f, frame in zip(data.files, frames, strict=False):
        assert list(frame.columns) == COLUMNS, f
        assert detect_format(f) == fmt
    assert [len(f) for f in frames] == [666, 667, 667]
    # contiguous row ranges, in order
    assert pd.concat(frames)["id"].tolist() == list(range(2000))
    whole = read_dataset(data.path)
    assert len(whole) == 2000 and list(whole.columns) == COLUMNS
    assert whole["age"].isna().sum() == 100
    original = generate_frame(profile())
    assert np.allclose(whole["income"].astype(float), original["income"], equal_nan=True)
    assert whole["country"].tolist() == original["country"].tolist()
    assert no_temp_files(tmp_path / "out")
    assert data.description == (
        f"synthetic 'tabular_binary': 2000 rows × 8 columns, {fmt}"
        f"{' (gzip)' if compression else ''}, 3 shards"
    )


def test_gzip_files_are_gzip_and_deterministic(tmp_path, ctx):
    a = materialize(spec(synthetic="tabular_binary", compression="gzip"), tmp_path / "a", ctx)
    b = materialize(spec(synthetic="tabular_binary", compression="gzip"), tmp_path / "b", ctx)
    (fa,), (fb,) = a.files, b.files
    assert fa.name == "part-00000.csv.gz" and fa.read_bytes()[:2] == b"\x1f\x8b"
    assert is_compressed(fa) and fa.read_bytes() == fb.read_bytes()
    with gzip.open(fa, "rt") as fh:
        assert fh.readline().strip() == ",".join(COLUMNS)


def test_parquet_gzip_uses_the_parquet_codec(tmp_path, ctx):
    import pyarrow.parquet as pq

    data = materialize(
        spec(synthetic="tabular_binary", format="parquet", compression="gzip"), tmp_path / "o", ctx
    )
    (f,) = data.files
    assert f.name == "part-00000.parquet"
    assert pq.ParquetFile(f).metadata.row_group(0).column(0).compression == "GZIP"


def test_csv_text_looks_like_pandas_output(tmp_path, ctx):
    data = materialize(spec(synthetic="tabular_binary", rows=3), tmp_path / "o", ctx)
    lines = data.files[0].read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) == 4 and '"' not in "".join(lines)
    signup = lines[1].split(",")[5]
    assert len(signup) == 19 and signup.startswith("2024-")  # 2024-05-01 12:34:56


def test_values_that_need_quoting_are_quoted(tmp_path):
    prof = DataProfile(
        rows=50, columns=[{"name": "city", "kind": "categorical", "values": ["Paris, FR", 'say "hi"']}]
    )
    ctx = SourceContext(project_root=tmp_path, profiles={"p": prof})
    data = materialize(spec(synthetic="p"), tmp_path / "o", ctx)
    assert set(read_frame(data.files[0])["city"]) == {"Paris, FR", 'say "hi"'}


@pytest.mark.parametrize(
    "file, shards, names",
    [
        ("data-{shard:03d}.csv", 3, ["data-000.csv", "data-001.csv", "data-002.csv"]),
        ("part-{shard}.csv", 2, ["part-0.csv", "part-1.csv"]),
        ("data.csv", 2, ["data-00000.csv", "data-00001.csv"]),
        ("part-00000.csv", 1, ["part-00000.csv"]),
        ("train/part-{shard:02d}.csv", 2, ["train/part-00.csv", "train/part-01.csv"]),
        ("data.csv.gz", 2, ["data-00000.csv.gz", "data-00001.csv.gz"]),
    ],
)
def test_file_names_and_patterns(tmp_path, ctx, file, shards, names):
    data = materialize(spec(synthetic="tabular_binary", file=file, shards=shards), tmp_path / "o", ctx)
    assert [f.relative_to(tmp_path / "o").as_posix() for f in data.files] == names
    assert sum(len(read_frame(f)) for f in data.files) == 2000


def test_format_comes_from_the_file_name(tmp_path, ctx):
    data = materialize(spec(synthetic="tabular_binary", file="data.parquet"), tmp_path / "o", ctx)
    assert data.extra["format"] == "parquet" and data.files[0].read_bytes()[:4] == b"PAR1"
    gz = materialize(spec(synthetic="tabular_binary", file="data.jsonl.gz"), tmp_path / "g", ctx)
    assert gz.extra["format"] == "jsonl" and gz.extra["compression"] == "gzip"
    assert [f.name for f in gz.files] == ["data.jsonl.gz"] and len(read_frame(gz.files[0])) == 2000


@pytest.mark.parametrize(
    "file, message",
    [
        ("x-{part}.csv", "file pattern 'x-{part}.csv' is invalid"),
        ("x-{shard.csv", "is invalid"),
        ("same-{}.csv", "is invalid"),
    ],
)
def test_bad_file_names(tmp_path, ctx, file, message):
    s = spec(synthetic="tabular_binary", file=file, shards=2)
    problems = check(s, ctx)
    assert len(problems) == 1 and message in problems[0]
    with pytest.raises(SourceError, match="synthetic source 'tabular_binary'"):
        materialize(s, tmp_path / "o", ctx)


@pytest.mark.parametrize("file", ["../escape.csv", "/abs/x.csv", "sub/../../x.csv"])
def test_file_names_leaving_the_folder_are_refused_when_loaded(file):
    with pytest.raises(ValueError, match=r"is absolute|is not a name"):
        spec(synthetic="tabular_binary", file=file, shards=2)


def test_pattern_without_shard_is_rejected_for_several_shards(ctx):
    (problem,) = check(spec(synthetic="tabular_binary", file="x-{{braces}}.csv", shards=2), ctx)
    assert "the same name" in problem and "{shard}" in problem


def test_default_file_makes_path_the_file(tmp_path, ctx):
    data = materialize(spec(synthetic="tabular_binary"), tmp_path / "o", ctx, default_file="train.csv")
    assert data.path == tmp_path / "o" / "train.csv" and data.files == [data.path]
    sharded = materialize(
        spec(synthetic="tabular_binary", shards=2), tmp_path / "s", ctx, default_file="train.csv"
    )
    assert sharded.path == tmp_path / "s" and len(sharded.files) == 2


def test_unknown_profile(tmp_path, ctx):
    s = spec(synthetic="tabular_binari")
    (problem,) = check(s, ctx)
    assert "unknown data profile 'tabular_binari'" in problem and "did you mean tabular_binary" in problem
    with pytest.raises(SourceError, match="unknown data profile"):
        materialize(s, tmp_path / "o", ctx)


def test_check_reports_profile_problems(tmp_path):
    ctx = SourceContext(
        project_root=tmp_path,
        profiles={"p": DataProfile(columns=[{"name": "id", "kind": "id", "nulls": 0.5}])},
    )
    (problem,) = check(spec(synthetic="p"), ctx)
    assert "data_profiles.p.columns[0] (id)" in problem
    assert (
        check(spec(synthetic="tabular_binary"), SourceContext(tmp_path, {"tabular_binary": profile()})) == []
    )


def test_row_and_seed_overrides(tmp_path, ctx):
    base = read_frame(materialize(spec(synthetic="tabular_binary"), tmp_path / "a", ctx).files[0])
    assert len(base) == 2000
    ctx.rows_override, ctx.seed_override = 50, 99
    over = materialize(spec(synthetic="tabular_binary"), tmp_path / "b", ctx)
    assert over.rows == 50 and over.extra["seed"] == 99
    frame = read_frame(over.files[0])
    assert len(frame) == 50 and not frame["income"].equals(base["income"].head(50))
    # the spec's own rows and seed win over the run's overrides
    own = materialize(spec(synthetic="tabular_binary", rows=20, seed=7), tmp_path / "c", ctx)
    assert own.rows == 20 and own.extra["seed"] == 7
    expected = generate_frame(profile(), rows=20, seed=7)
    written = read_frame(own.files[0])
    assert written["id"].tolist() == expected["id"].tolist()
    assert written["country"].tolist() == expected["country"].tolist() == base["country"].head(20).tolist()
    assert np.allclose(written["income"], expected["income"], equal_nan=True)


def test_more_shards_than_rows(tmp_path, ctx):
    data = materialize(spec(synthetic="tabular_binary", rows=2, shards=3), tmp_path / "o", ctx)
    assert [len(read_frame(f)) for f in data.files] == [0, 1, 1]


# ---------------------------------------------------------------------------------------------
# signature and json
# ---------------------------------------------------------------------------------------------


def test_signature(tmp_path, ctx):
    data = materialize(spec(signature="tabular_binary"), tmp_path / "o", ctx)
    assert data.path == tmp_path / "o" and [f.name for f in data.files] == ["signature"]
    assert data.files[0].read_text() == ",".join(COLUMNS)
    assert data.columns == COLUMNS
    named = materialize(
        spec(signature="tabular_binary", file="sig.csv"), tmp_path / "n", ctx, default_file="signature"
    )
    assert named.path == tmp_path / "n" / "sig.csv" and named.path.read_text() == ",".join(COLUMNS)
    (problem,) = check(spec(signature="nope"), ctx)
    assert "unknown data profile 'nope'" in problem


def test_json_file_names_and_default_file(tmp_path, ctx):
    doc = {"label_name": "label", "tab_field_list": ["age", "income"], "lr": 0.1}
    named = materialize(spec(json=doc, file="hyperparameters.json"), tmp_path / "a", ctx)
    assert named.path == tmp_path / "a" and named.files == [tmp_path / "a" / "hyperparameters.json"]
    assert json.loads(named.files[0].read_text()) == doc
    expected = materialize(spec(json=doc), tmp_path / "b", ctx, default_file="hyperparameters.json")
    assert expected.path == tmp_path / "b" / "hyperparameters.json"
    assert json.loads(expected.path.read_text()) == doc
    fallback = materialize(spec(json={}), tmp_path / "c", ctx)
    assert (
        fallback.files == [tmp_path / "c" / "data.json"] and json.loads(fallback.files[0].read_text()) == {}
    )
    # the spec's file wins over the consumer's name, and path is still that file
    both = materialize(spec(json=[1, 2], file="x.json"), tmp_path / "d", ctx, default_file="y.json")
    assert both.path == tmp_path / "d" / "x.json"


def test_json_literals_from_yaml(tmp_path, ctx):
    import datetime

    data = materialize(spec(json={"day": datetime.date(2024, 1, 31), "none": None}), tmp_path / "o", ctx)
    assert json.loads(data.files[0].read_text()) == {"day": "2024-01-31", "none": None}
    bad = spec(json={"x": float("nan")})
    (problem,) = check(bad, ctx)
    assert "cannot be written as JSON" in problem
    with pytest.raises(SourceError, match="cannot be written as JSON"):
        materialize(bad, tmp_path / "bad", ctx)


# ---------------------------------------------------------------------------------------------
# local
# ---------------------------------------------------------------------------------------------


def test_local_file_copy(tmp_path, ctx):
    src = ctx.project_root / "data" / "input.csv"
    src.parent.mkdir()
    src.write_text("a,b\n1,2\n")
    own = materialize(spec(local="data/input.csv"), tmp_path / "a", ctx)
    assert own.path == tmp_path / "a" and own.files == [tmp_path / "a" / "input.csv"]
    assert own.files[0].read_text() == "a,b\n1,2\n" and own.bytes == 8
    renamed = materialize(spec(local="data/input.csv", file="train.csv"), tmp_path / "b", ctx)
    assert renamed.files == [tmp_path / "b" / "train.csv"] and renamed.path == tmp_path / "b"
    expected = materialize(spec(local=str(src)), tmp_path / "c", ctx, default_file="hyper.csv")
    assert expected.path == tmp_path / "c" / "hyper.csv" and expected.path.read_text() == "a,b\n1,2\n"
    assert no_temp_files(tmp_path)


def test_local_folder_copy(tmp_path, ctx):
    src = ctx.project_root / "exec"
    (src / "nested").mkdir(parents=True)
    (src / "part-0.csv").write_text("a\n1\n")
    (src / "nested" / "part-1.csv").write_text("a\n2\n")
    (src / "_SUCCESS").write_text("")
    data = materialize(spec(local="exec"), tmp_path / "o", ctx)
    assert data.path == tmp_path / "o"
    assert sorted(f.relative_to(data.path).as_posix() for f in data.files) == [
        "_SUCCESS",
        "nested/part-1.csv",
        "part-0.csv",
    ]
    assert read_dataset(data.path)["a"].tolist() == [2, 1]  # nested/ sorts before part-0.csv
    with_default = materialize(spec(local="exec"), tmp_path / "d", ctx, default_file="part-0.csv")
    assert with_default.path == tmp_path / "d" / "part-0.csv"


def test_local_folder_containing_the_destination(ctx):
    (ctx.project_root / "a.csv").write_text("a\n1\n")
    dest = ctx.project_root / ".script_testing" / "runs" / "p" / "r1" / "Node" / "in"
    data = materialize(spec(local="."), dest, ctx)
    assert (dest / "a.csv").exists()
    assert not (dest / ".script_testing").exists()
    assert [f.name for f in data.files] == ["a.csv"]


def test_local_missing_path_names_the_absolute_path(tmp_path, ctx):
    s = spec(local="../data/missing_input")
    expected = str((ctx.project_root / "../data/missing_input").resolve())
    (problem,) = check(s, ctx)
    assert f"does not exist: {expected}" in problem and str(ctx.project_root) in problem
    with pytest.raises(SourceError) as info:
        materialize(s, tmp_path / "o", ctx)
    assert expected in str(info.value) and "local source '../data/missing_input'" in str(info.value)


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------


def test_registry():
    for kind in ("synthetic", "signature", "json", "local"):
        assert get_source(kind).kind == kind
    assert get_source("json") is get_source("json")
    with pytest.raises(
        SourceError, match=r"unknown source kind 'ftp'.*synthetic, signature, json, local, s3"
    ):
        get_source("ftp")


def test_importing_sources_is_light():
    code = (
        "import sys, script_testing.sources, script_testing.data; "
        "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'boto3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# tabular helpers
# ---------------------------------------------------------------------------------------------


def test_list_data_files(tmp_path):
    for name in [
        "b/part-1.csv",
        "a.parquet",
        "part-00000",
        "c.json.gz",
        "_SUCCESS",
        ".part-1.csv.crc",
        ".hidden.csv",
        "_temporary/x.csv",
        "notes.txt",
        "b/_committed_1",
    ]:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("a\n1\n")
    assert [p.relative_to(tmp_path).as_posix() for p in list_data_files(tmp_path)] == [
        "a.parquet",
        "b/part-1.csv",
        "c.json.gz",
        "part-00000",
    ]
    assert list_data_files(tmp_path / "notes.txt") == [tmp_path / "notes.txt"]
    with pytest.raises(SourceError, match="no such file or folder"):
        list_data_files(tmp_path / "nope")


@pytest.mark.parametrize(
    "name, fmt, compressed",
    [
        ("x.csv", "csv", False),
        ("x.CSV.GZ", "csv", True),
        ("x.tsv.gz", "tsv", True),
        ("x.snappy.parquet", "parquet", False),
        ("x.json", "json", False),
        ("x.jsonl.gz", "jsonl", True),
        ("x.ndjson", "jsonl", False),
    ],
)
def test_detect_format_by_extension(tmp_path, name, fmt, compressed):
    p = tmp_path / name
    p.write_bytes(gzip.compress(b"a\n1\n") if compressed else b"a\n1\n")
    assert detect_format(p) == fmt and is_compressed(p) == compressed


def test_detect_format_by_content(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    cases = {"parquet": "parquet", "csv": "csv", "tsv": "tsv", "jsonl": "jsonl"}
    for fmt in cases:
        write_frame(df, tmp_path / f"src.{fmt}", fmt)
        (tmp_path / f"part-{fmt}").write_bytes((tmp_path / f"src.{fmt}").read_bytes())
        assert detect_format(tmp_path / f"part-{fmt}") == cases[fmt]
        pd.testing.assert_frame_equal(read_frame(tmp_path / f"part-{fmt}"), df, check_dtype=False)
    (tmp_path / "part-gz").write_bytes(gzip.compress((tmp_path / "src.csv").read_bytes()))
    assert detect_format(tmp_path / "part-gz") == "csv" and is_compressed(tmp_path / "part-gz")
    assert read_frame(tmp_path / "part-gz")["a"].tolist() == [1, 2]


def test_read_json_variants(tmp_path):
    (tmp_path / "lines.json").write_text('{"a": 1, "b": "x"}\n{"a": 2, "b": "y"}\n')
    (tmp_path / "array.json").write_text(json.dumps([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], indent=2))
    (tmp_path / "pretty.json").write_text(json.dumps({"a": [1, 2], "b": ["x", "y"]}, indent=2))
    for name in ("lines.json", "array.json", "pretty.json"):
        frame = read_frame(tmp_path / name)
        assert frame["a"].tolist() == [1, 2] and frame["b"].tolist() == ["x", "y"], name
    (tmp_path / "record.json").write_text(json.dumps({"lr": 0.1, "depth": 3}, indent=2))
    assert read_frame(tmp_path / "record.json").to_dict("records") == [{"lr": 0.1, "depth": 3}]
    assert read_frame(tmp_path / "array.json", nrows=1)["a"].tolist() == [1]
    (tmp_path / "empty.jsonl").write_text("")
    assert read_frame(tmp_path / "empty.jsonl").empty


def test_nrows(tmp_path, ctx):
    for fmt in ("csv", "parquet", "jsonl"):
        data = materialize(spec(synthetic="tabular_binary", format=fmt), tmp_path / fmt, ctx)
        head = read_frame(data.files[0], nrows=10)
        assert len(head) == 10 and head["id"].tolist() == list(range(10)), fmt
    assert len(read_dataset(tmp_path / "csv", nrows=5)) == 5


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "the csv file is empty"),
        ("bad.parquet", b"not parquet at all", "not a valid Parquet file"),
        ("bad.json", b'{"a": 1,\n broken', "not valid JSON lines nor a JSON document"),
        ("bad.csv.gz", b"not gzip", "not a valid gzip file"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n", "not valid CSV"),
        ("latin.csv", "a\ncaf\u00e9\n".encode("latin-1"), "not UTF-8 text"),
        ("scalar.json", b"42", "is not a table"),
    ],
)
def test_read_errors_name_the_file(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(SourceError) as info:
        read_frame(p)
    assert message in str(info.value) and str(p) in str(info.value)


def test_read_frame_missing_and_folder(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        read_frame(tmp_path / "missing.csv")
    with pytest.raises(SourceError, match="read_dataset"):
        read_frame(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="no data files in the folder"):
        read_dataset(tmp_path / "empty")
