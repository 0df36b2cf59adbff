"""The pandas engine gives the rows GX's own validation gives, on the same frames and rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from script_testing.checks import gx_engine, pandas_engine
from script_testing.checks.requirements import Rule


def _rules() -> list[Rule]:
    return [
        Rule("exists", "a", "r"),
        Rule("exists", "missing_column", "r"),
        Rule("not_null", "a", "r"),
        Rule("null_rate", "s", "r", {"max_rate": 0.1}),
        Rule("range", "a", "r", {"min": 0, "max": 10}),
        Rule("range", "f", "r", {"min": 0, "max": None}),
        Rule("range", "i", "r", {"min": None, "max": 3}),
        Rule("in_set", "s", "r", {"values": ["x", "y"]}),
        Rule("in_set", "u", "r", {"values": [1, 2]}),
        Rule("unique", "u", "r"),
        Rule("unique", "s", "r"),
        Rule("unique", "i", "r"),
    ]


FRAMES = {
    "mixed": pd.DataFrame(
        {
            "a": [1, 2, None, 4, 5, 100, -3],
            "s": ["x", "y", None, "z", "x", "q", "x"],
            "u": [1, 1, 2, 3, None, 3, 4],
            "f": [0.5, np.nan, 2.5, 1e9, -1.0, 3.0, 0.0],
            "i": [1, 2, 3, 4, 5, 6, 7],
        }
    ),
    "clean": pd.DataFrame(
        {"a": [1, 2, 3], "s": ["x", "y", "x"], "u": [1, 2, 2], "f": [0.0, 1.0, 2.0], "i": [0, 1, 2]}
    ),
    "many_bad": pd.DataFrame(
        {
            "a": list(range(-20, 20)),
            "s": [f"v{i % 9}" for i in range(40)],
            "u": [i % 7 for i in range(40)],
            "f": [float(-i) for i in range(40)],
            "i": list(range(40)),
        }
    ),
    "empty": pd.DataFrame({"a": [], "s": [], "u": [], "f": [], "i": []}),
    # nullable dtypes (pd.NA: comparisons give a missing flag, not False) and a str column with gaps
    "nullable": pd.DataFrame(
        {
            "a": pd.array([1, None, 11, -1, 5, None, 12, 13, 14, 15], dtype="Int64"),
            "s": pd.array(["x", None, "q", "x", "y", "r", None, "s", "t", "u"], dtype="string"),
            "u": pd.array([1, 1, None, None, 2, 3, 3, 4, 5, 6], dtype="Int64"),
            "f": pd.array([0.5, None, -2.0, 1.0, -3.0, 2.0, -4.0, -5.0, -6.0, -7.0], dtype="Float64"),
            "i": pd.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype="Int64"),
        }
    ),
    # more than five unexpected values after missing ones: the first five in row order
    "gaps_then_bad": pd.DataFrame(
        {
            "a": [np.nan, np.nan] + [float(v) for v in range(100, 108)],
            "s": [None, "x"] + [f"w{i}" for i in range(8)],
            "u": [None, None] + [7] * 8,
            "f": [np.nan] + [-float(i) for i in range(1, 10)],
            "i": [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
        }
    ),
}


def _normal(rows: list[dict]) -> dict[str, dict]:
    out = {}
    for row in rows:
        row = dict(row)
        # a missing value's sample: NaN from us, the column's own marker (pd.NA for nullable dtypes) from GX
        row["partial"] = [
            "nan" if v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v for v in row["partial"]
        ]
        row["exception"] = bool(row["exception"])
        out[row["key"]] = row
    return out


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_pandas_rows_equal_gx_rows(name: str) -> None:
    df = FRAMES[name]
    rules = _rules()
    gx_rows = gx_engine.result_rows(gx_engine.validate_frame(df, gx_engine.build_suite("t", rules)))
    ours = pandas_engine.evaluate(df, rules)
    assert _normal(ours) == _normal(gx_rows)


def test_a_missing_column_is_an_exception_not_a_crash() -> None:
    rows = pandas_engine.evaluate(pd.DataFrame({"a": [1]}), [Rule("not_null", "b", "r")])
    assert rows[0]["success"] is False and "b" in rows[0]["exception"]


def test_rows_rebuild_into_a_gx_result_for_data_docs() -> None:
    rules = _rules()
    rows = pandas_engine.evaluate(FRAMES["mixed"], rules)
    result = gx_engine.suite_result("t", rules, rows)
    assert result.success is False
    assert _normal(gx_engine.result_rows(result)) == _normal(rows)
