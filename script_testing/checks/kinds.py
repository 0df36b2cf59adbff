"""Column type *kinds*, decided from pandas dtypes by us (not by GX).

Why not GX: on pandas 3, ``ExpectColumnValuesToBeInTypeList`` fails on string columns whatever the
list, and ``ExpectColumnValuesToBeOfType`` compares one exact dtype name (``int64`` is not ``Int64``
nor ``int32``), so "numeric" or "integer" cannot be expressed with it. A kind is one of:

``integer``, ``float``, ``boolean``, ``datetime``, ``string``, ``null`` (no non-null value in the
batch: any expectation holds), ``other``.

Matching an expected type (the project's ``types`` vocabulary) against a batch:

- ``integer``: integer dtype, or a float column whose non-null values are all whole numbers
  (CSV turns an integer column with nulls into float64);
- ``float``: float or integer (an integer column is acceptable where floats are expected);
- ``numeric``: integer or float, not boolean;
- ``string``: pandas 3 ``str`` / ``string`` dtype, or ``object`` holding strings;
- ``boolean``: bool / ``boolean`` dtype;
- ``datetime``: datetime64 dtype, or strings whose first 1,000 non-null values all parse as dates
  (CSV and JSON keep dates as text).
"""

from __future__ import annotations

import warnings
from typing import Any

KINDS = ("integer", "float", "boolean", "datetime", "string", "null", "other")


def kind_of(series: Any) -> str:
    """The kind of one pandas column (see module doc)."""
    import pandas as pd
    from pandas.api import types as pt

    dtype = series.dtype
    if pt.is_bool_dtype(dtype):
        return "boolean"
    if pt.is_integer_dtype(dtype):
        return "integer"
    if pt.is_float_dtype(dtype):
        return "null" if len(series) and series.isna().all() else "float"
    if pt.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.StringDtype) or pt.is_string_dtype(dtype):
        if series.isna().all():  # also no rows at all: a header-only CSV says nothing
            return "null"
        if dtype == object:  # noqa: E721  (numpy dtype equality, not a type test)
            sample = series.dropna().head(100)
            if len(sample) and not all(isinstance(v, str) for v in sample):
                if all(isinstance(v, bool) for v in sample):
                    return "boolean"
                return "other"
        return "string"
    if dtype == object:  # noqa: E721  (numpy dtype equality, not a type test)
        sample = series.dropna().head(100)
        if not len(sample):
            return "null"
        return "other"
    return "other"


def merge_kinds(a: str | None, b: str) -> str:
    """Kind of a column seen in several batches: integer+float is float, null defers, else mixed."""
    if a is None or a == "null":
        return b
    if b == "null" or a == b:
        return a
    if {a, b} == {"integer", "float"}:
        return "float"
    return "mixed"


def matches(series: Any, kind: str, expected: str) -> bool:
    """Whether a batch's column (of kind ``kind``) satisfies the expected type."""
    if kind == "null":
        return True
    if expected == "integer":
        if kind == "integer":
            return True
        if kind == "float":
            values = series.dropna()
            return bool(((values % 1) == 0).all())
        return False
    if expected == "float":
        return kind in ("float", "integer")
    if expected == "numeric":
        return kind in ("float", "integer")
    if expected == "string":
        return kind == "string"
    if expected == "boolean":
        return kind == "boolean"
    if expected == "datetime":
        if kind == "datetime":
            return True
        if kind == "string":
            return _parses_as_dates(series)
        return False
    raise ValueError(f"unknown expected type {expected!r}")


def _parses_as_dates(series: Any) -> bool:

    import pandas as pd

    sample = series.dropna().head(1000)
    if not len(sample):
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
        except (ValueError, TypeError):
            return False
    return bool(parsed.notna().all())


def dtype_name(series: Any) -> str:
    return str(series.dtype)
