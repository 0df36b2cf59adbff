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
    """One row per rule GX knows (others are ignored), as ``gx_engine.result_rows`` gives them.

    One pass per rule over its column, vectorised: each column's missing mask is computed once for
    all its rules, the unexpected values are never copied out (only the first five are taken, and
    only from a failing rule)."""
    rows = []
    missing: dict[str, Any] = {}  # column -> its isna() mask, shared by the column's rules
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
            _evaluate_one(df, r, row, missing)
        except Exception as exc:  # as GX does: the expectation could not be evaluated on this data
            row["success"] = False
            row["exception"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows


def _evaluate_one(df: Any, r: Rule, row: dict[str, Any], missing_masks: dict[str, Any]) -> None:
    if r.check == "exists":
        row["success"] = r.column in df.columns
        return
    if r.column not in df.columns:
        raise KeyError(f"column '{r.column}' not found")
    import numpy as np  # lazy, as pandas: importing the checks package stays light

    col = df[r.column]
    missing = missing_masks.get(r.column)
    if missing is None:
        missing = missing_masks[r.column] = col.isna().to_numpy()
    n_missing = int(np.count_nonzero(missing))
    row["element_count"] = len(col)
    if r.check in ("not_null", "null_rate"):
        row["unexpected_count"] = n_missing
        row["partial"] = [float("nan")] * min(PARTIAL, n_missing)
        row["success"] = n_missing == 0
        return
    if r.check == "range":
        lo, hi = r.params.get("min"), r.params.get("max")
        ok = ~missing  # a missing value is neither expected nor unexpected
        if lo is not None:
            ok &= _flags(col >= lo)
        if hi is not None:
            ok &= _flags(col <= hi)
        bad = ~ok & ~missing
    elif r.check == "in_set":
        bad = ~_flags(col.isin(list(r.params["values"]))) & ~missing
    else:  # unique: every present value that occurs more than once (missing values excluded)
        bad = _flags(col.duplicated(keep=False)) & ~missing
    n_bad = int(np.count_nonzero(bad))
    row["missing_count"] = n_missing
    row["unexpected_count"] = n_bad
    row["partial"] = col.iloc[np.flatnonzero(bad)[:PARTIAL]].tolist() if n_bad else []
    row["success"] = n_bad == 0


def _flags(mask: Any) -> Any:
    """A boolean Series as a numpy bool array (a missing flag of a nullable dtype is False)."""
    import numpy as np  # lazy, as pandas: importing the checks package stays light

    if isinstance(mask.dtype, np.dtype):
        return mask.to_numpy()
    return mask.to_numpy(dtype=bool, na_value=False)
