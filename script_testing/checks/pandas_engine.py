"""The common expectations evaluated with pandas alone, with the same results GX gives.

:func:`evaluate` returns, for one shard and the rules GX would evaluate on it, the rows
:func:`script_testing.checks.gx_engine.result_rows` returns for GX's own validation (same keys,
expectation types, counts, the first five unexpected values in row order, success), so checks never
wait for GX's 3 s import; GX is only needed to render Data Docs
(:func:`script_testing.checks.gx_engine.suite_result` rebuilds its result objects from these rows).
``script_testing_tests/checks/test_pandas_engine.py`` compares both engines on the same frames.

Semantics (GX 1.x, pandas execution engine, ``mostly`` unset): missing values are ``isna()``;
``not_null`` counts them as unexpected; ``range`` (inclusive bounds), ``in_set`` (``isin``) and
``unique`` (every non-missing value that occurs more than once) count them as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from script_testing.checks.requirements import Rule


@dataclass
class ShardRows:
    """One shard's expectation results, as :func:`evaluate` gives them (kept for Data Docs)."""

    rules: list[Rule]
    rows: list[dict[str, Any]]


PARTIAL = 5  # GX's partial_unexpected_count in RESULT_FORMAT

GX_TYPES = {
    "exists": "expect_column_to_exist",
    "not_null": "expect_column_values_to_not_be_null",
    "null_rate": "expect_column_values_to_not_be_null",
    "range": "expect_column_values_to_be_between",
    "in_set": "expect_column_values_to_be_in_set",
    "unique": "expect_column_values_to_be_unique",
}


def evaluate(df: Any, rules: list[Rule]) -> list[dict[str, Any]]:
    """One row per rule GX knows (others are ignored), as ``gx_engine.result_rows`` gives them."""
    rows = []
    for r in rules:
        gx_type = GX_TYPES.get(r.check)
        if gx_type is None:
            continue
        row: dict[str, Any] = {
            "key": r.key,
            "type": gx_type,
            "column": r.column,
            "success": False,
            "element_count": None,
            "unexpected_count": None,
            "missing_count": None,
            "partial": [],
            "observed_value": None,
            "exception": None,
        }
        try:
            _evaluate_one(df, r, row)
        except Exception as exc:  # as GX does: the expectation could not be evaluated on this data
            row["success"] = False
            row["exception"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows


def _evaluate_one(df: Any, r: Rule, row: dict[str, Any]) -> None:
    if r.check == "exists":
        row["success"] = r.column in df.columns
        return
    if r.column not in df.columns:
        raise KeyError(f"column '{r.column}' not found")
    col = df[r.column]
    missing = col.isna()
    row["element_count"] = len(col)
    if r.check in ("not_null", "null_rate"):
        bad = missing
        row["unexpected_count"] = int(bad.sum())
        row["partial"] = [float("nan")] * min(PARTIAL, row["unexpected_count"])
        row["success"] = row["unexpected_count"] == 0
        return
    present = col[~missing]
    if r.check == "range":
        ok = present == present  # all True, same index
        lo, hi = r.params.get("min"), r.params.get("max")
        if lo is not None:
            ok &= present >= lo
        if hi is not None:
            ok &= present <= hi
        bad = ~ok
    elif r.check == "in_set":
        bad = ~present.isin(list(r.params["values"]))
    else:  # unique
        bad = present.duplicated(keep=False)
    unexpected = present[bad]
    row["missing_count"] = int(missing.sum())
    row["unexpected_count"] = len(unexpected)
    row["partial"] = unexpected.iloc[:PARTIAL].tolist()
    row["success"] = row["unexpected_count"] == 0
