"""The checks' CSV reader is faster than ``read_csv(low_memory=False)`` but gives the same frames.

``iter_batches`` parses with ``low_memory=True`` and reads again with ``low_memory=False`` from the first
batch where a column came out of mixed types; the long-line guard counts lines only to name a long one.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from script_testing.data.tabular import _SCAN_BLOCK, describe_files, iter_batches, longest_line_over

ROWS = 300_000  # > pandas' low_memory piece size, so pieces are parsed (and can disagree)


def _whole(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, low_memory=False)


def _frames(path: Path, batch_rows: int | None) -> list[pd.DataFrame]:
    (f,) = describe_files(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DtypeWarning reaches the caller
        return list(iter_batches(f, batch_rows))


def _mixed_csv(path: Path, n: int = ROWS) -> Path:
    """Columns whose type differs between the start and the end of the file."""
    late = np.arange(n) >= n - 10
    df = pd.DataFrame(
        {
            "id": np.arange(n),
            "code": np.where(late, "A7", np.arange(n).astype(str)),  # ints, then text
            "flag": np.where(late, "", np.where(np.arange(n) % 2 == 0, "True", "False")),  # bools, then gaps
            "late_text": np.where(late, "x", ""),  # empty (float NaN), then text
            "num": np.where(late, "1.5", "2"),  # ints, then floats: one numeric column either way
        }
    )
    df.to_csv(path, index=False)
    return path


def _plain_csv(path: Path) -> Path:
    rng = np.random.default_rng(3)
    age = rng.integers(18, 91, ROWS).astype(float)
    age[rng.random(ROWS) < 0.05] = np.nan
    pd.DataFrame(
        {
            "id": np.arange(ROWS),
            "age": age,
            "country": np.array(["US", "DE", "JP"])[rng.integers(0, 3, ROWS)],
        }
    ).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("make", [_plain_csv, _mixed_csv])
def test_one_batch_is_the_low_memory_false_frame(tmp_path: Path, make) -> None:
    path = make(tmp_path / "d.csv")
    (frame,) = _frames(path, 1_000_000)
    pd.testing.assert_frame_equal(frame, _whole(path))
    (frame,) = _frames(path, None)
    pd.testing.assert_frame_equal(frame, _whole(path))


def test_mixed_types_in_a_later_batch_read_again_from_that_batch(tmp_path: Path) -> None:
    path = _mixed_csv(tmp_path / "d.csv", 2 * ROWS)
    frames = _frames(path, ROWS)
    with pd.read_csv(path, chunksize=ROWS, low_memory=False) as reader:
        expected = list(reader)
    assert len(frames) == len(expected) == 2
    for got, want in zip(frames, expected, strict=True):
        pd.testing.assert_frame_equal(got, want)
    assert frames[0]["code"].dtype == "int64" and frames[1]["code"].dtype == "str"


def test_a_header_only_csv_is_one_empty_batch(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,b\n")
    (frame,) = _frames(path, 10)
    assert list(frame.columns) == ["a", "b"] and len(frame) == 0


def test_the_long_line_is_named_by_its_number_across_blocks(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    limit = _SCAN_BLOCK
    short = b"a,b\n" + b"1,2\n" * 300_000  # more than one block of short lines
    path.write_bytes(short + b"x" * (2 * limit) + b"\n3,4\n")
    assert longest_line_over(path, False, limit=limit) == 300_002
    path.write_bytes(short)
    assert longest_line_over(path, False, limit=limit) is None


@pytest.mark.parametrize("rows,batches", [(999, 1), (1000, 1), (1001, 2)])
def test_a_file_of_at_most_batch_rows_rows_is_one_batch_read_whole(
    tmp_path: Path, rows: int, batches: int
) -> None:
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": range(rows), "b": ["x"] * rows}).to_csv(path, index=False)
    frames = _frames(path, 1000)
    assert [len(f) for f in frames] == ([rows] if batches == 1 else [1000, rows - 1000])
    pd.testing.assert_frame_equal(pd.concat(frames), _whole(path))
