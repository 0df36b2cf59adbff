"""Synthetic tabular data from a named data profile (``data_profiles`` in the project file).

:func:`generate_frame` builds the whole frame with vectorized numpy (about a second for a million
rows of eight columns); :class:`SyntheticSource` writes it as csv, tsv, parquet or JSON lines,
optionally gzipped and split in shards.

Determinism: every column draws from its own generator seeded by ``(seed, crc32(column name))``,
so the same profile and seed always give the same data, adding or removing a column leaves the
others unchanged, and null positions are drawn separately from the values (changing ``nulls``
does not change the non-null values).

Above ~400 lines: one column kind per small function, all used by one vectorized generator.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path, PurePath

import numpy as np
import pandas as pd

from script_testing.config.project import ColumnSpec, DataProfile, SourceSpec
from script_testing.data.tabular import COMPRESSED_SUFFIXES, FORMAT_EXTENSIONS, format_from_name, write_frame
from script_testing.errors import SourceError
from script_testing.sources.base import DataSource, MaterializedData, SourceContext
from script_testing.sources.literal import lookup_profile, safe_relative

DEFAULT_START = "2024-01-01"
DEFAULT_END = "2024-12-31"
DEFAULT_CLASSES = (0, 1)
TEXT_WORDS_RANGE = (3, 12)  # words per text value when the column sets no 'words'
TEXT_POOL_SIZE = 4096  # distinct sentences per text column
ID_MIN_WIDTH = 6  # zero-padding of string ids: prefix000042

VOCABULARY = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "river",
    "stone",
    "cloud",
    "green",
    "quick",
    "slow",
    "bright",
    "dark",
    "market",
    "order",
    "price",
    "value",
    "customer",
    "account",
    "balance",
    "payment",
    "invoice",
    "ship",
    "deliver",
    "return",
    "refund",
    "review",
    "rating",
    "quality",
    "fast",
    "simple",
    "robust",
    "model",
    "train",
    "test",
    "data",
    "signal",
    "noise",
    "forecast",
    "score",
    "label",
    "feature",
    "sample",
    "batch",
    "north",
    "south",
    "east",
    "west",
    "city",
    "village",
    "mountain",
    "ocean",
    "forest",
    "desert",
    "summer",
    "winter",
    "spring",
    "autumn",
    "red",
    "blue",
    "yellow",
    "purple",
    "orange",
    "silver",
    "golden",
    "small",
    "large",
    "tiny",
    "huge",
    "early",
    "late",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "open",
    "closed",
    "active",
    "pending",
    "approved",
    "rejected",
    "new",
    "old",
    "first",
    "last",
    "good",
    "bad",
    "happy",
    "calm",
    "busy",
    "quiet",
    "loud",
    "warm",
    "cold",
    "fresh",
    "stale",
    "clean",
    "plain",
    "rich",
    "fair",
)


class _Problem(Exception):
    def __init__(self, what: str, hint: str) -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


# ---------------------------------------------------------------------------------------------
# profile validation (cheap: used by check() before anything runs)
# ---------------------------------------------------------------------------------------------


def _probabilities(weights: list[float] | None, k: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if len(w) != k:
        raise _Problem(
            f"'weights' has {len(w)} entries for {k} classes/values", "give one weight per class/value"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise _Problem(
            "'weights' must be non-negative numbers with a positive sum",
            "use relative frequencies such as [0.9, 0.1]",
        )
    return w / w.sum()


def _numeric_bounds(col: ColumnSpec) -> tuple[float, float]:
    lo, hi = col.min, col.max
    if lo is None and hi is None:
        lo, hi = 0.0, 1.0
    elif lo is None:
        lo = 0.0 if hi >= 0 else hi - 1.0
    elif hi is None:
        hi = 1.0 if lo <= 1 else lo + 1.0
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise _Problem("'min' and 'max' must be finite numbers", "set finite bounds")
    if (col.dtype or "float") == "int":
        ilo, ihi = math.ceil(lo), math.floor(hi)
        if ilo > ihi:
            raise _Problem(
                f"no integer lies between min {lo} and max {hi}", "widen the range or use dtype: float"
            )
        return float(ilo), float(ihi)
    return float(lo), float(hi)


def _timestamp(text: str, key: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(str(text))
    except (ValueError, TypeError) as exc:
        raise _Problem(
            f"'{key}' value '{text}' is not a date ({exc})",
            "use an ISO date such as 2024-01-31 or 2024-01-31T12:00:00",
        ) from None
    if ts is pd.NaT:
        raise _Problem(f"'{key}' is empty", "use an ISO date such as 2024-01-31")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _datetime_bounds(col: ColumnSpec) -> tuple[int, int]:
    """Start and end as whole seconds since the epoch."""
    start = _timestamp(col.start or DEFAULT_START, "start")
    end = _timestamp(col.end or DEFAULT_END, "end")
    if start > end:
        raise _Problem(f"start {start} is after end {end}", "swap 'start' and 'end'")
    epoch = pd.Timestamp(0)
    return math.ceil((start - epoch) / pd.Timedelta(seconds=1)), math.floor(
        (end - epoch) / pd.Timedelta(seconds=1)
    )


def _check_column(col: ColumnSpec) -> None:
    if col.kind == "id" and col.nulls > 0:
        raise _Problem(
            "an id column cannot have nulls", "remove 'nulls' from it (ids are unique and complete)"
        )
    if col.kind == "label":
        _probabilities(col.weights, len(col.classes if col.classes is not None else DEFAULT_CLASSES))
    elif col.kind == "categorical":
        _probabilities(col.weights, len(col.values or []))
    elif col.kind == "numeric":
        _numeric_bounds(col)
    elif col.kind == "datetime":
        _datetime_bounds(col)


def _where(profile_name: str | None, i: int, col: ColumnSpec) -> str:
    prefix = f"data_profiles.{profile_name}." if profile_name else ""
    return f"{prefix}columns[{i}] ({col.name})"


def profile_problems(profile: DataProfile, name: str | None = None) -> list[str]:
    """Every setting that would stop :func:`generate_frame`, as messages naming the column."""
    problems = []
    for i, col in enumerate(profile.columns):
        try:
            _check_column(col)
        except _Problem as p:
            problems.append(str(SourceError(p.what, where=_where(name, i, col), hint=p.hint)))
    return problems


# ---------------------------------------------------------------------------------------------
# column generators
# ---------------------------------------------------------------------------------------------


def _column_rngs(seed: int, name: str) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for a column's values and for its null positions."""
    ss = np.random.SeedSequence([int(seed) % (1 << 64), zlib.crc32(name.encode("utf-8"))])
    values_ss, nulls_ss = ss.spawn(2)
    return np.random.default_rng(values_ss), np.random.default_rng(nulls_ss)


def _null_mask(rng: np.random.Generator, n: int, fraction: float) -> np.ndarray | None:
    """Exactly ``round(n * fraction)`` null positions, at random (None when there are none)."""
    k = round(n * fraction)
    if k <= 0:
        return None
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, size=k, replace=False)] = True
    return mask


def _strings(pool: list[str], codes: np.ndarray, mask: np.ndarray | None) -> pd.Series:
    """``pool[codes]`` as a pandas string column, built in Arrow (no per-row Python objects)."""
    import pyarrow as pa

    indices = pa.array(codes.astype(np.int32, copy=False), mask=mask)
    dictionary = pa.DictionaryArray.from_arrays(indices, pa.array(pool, type=pa.string()))
    return dictionary.cast(pa.string()).to_pandas()


def _kind_of_values(values: list) -> str:
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return "bool"
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values):
        return "int"
    if all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in values):
        return "float"
    return "str"  # strings, or a mix: written as their text


def _take(values: list, codes: np.ndarray, mask: np.ndarray | None):
    """``values[codes]`` keeping the values' type (int, float, bool, string); nulls where ``mask``."""
    kind = _kind_of_values(values)
    if kind == "bool":
        arr = np.asarray(values, dtype=bool)[codes]
        return arr if mask is None else pd.arrays.BooleanArray(arr, mask)
    if kind == "int":
        arr = np.asarray(values, dtype=np.int64)[codes]
        return arr if mask is None else pd.arrays.IntegerArray(arr, mask)
    if kind == "float":
        arr = np.asarray(values, dtype=np.float64)[codes]
        if mask is not None:
            arr[mask] = np.nan
        return arr
    return _strings([str(v) for v in values], codes, mask)


def _choices(rng: np.random.Generator, k: int, n: int, weights: list[float] | None) -> np.ndarray:
    p = _probabilities(weights, k)
    if p is None:
        return rng.integers(0, k, size=n)
    return rng.choice(k, size=n, p=p)


def _gen_id(col: ColumnSpec, n: int):
    ids = np.arange(n, dtype=np.int64)
    if col.prefix is None:
        return ids
    import pyarrow as pa
    import pyarrow.compute as pc

    width = max(ID_MIN_WIDTH, len(str(max(n - 1, 0))))
    digits = pc.utf8_lpad(pa.array(ids).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(col.prefix, digits, "").to_pandas()


def _gen_numeric(col: ColumnSpec, n: int, rng: np.random.Generator, mask: np.ndarray | None):
    lo, hi = _numeric_bounds(col)
    if (col.dtype or "float") == "int":
        arr = rng.integers(int(lo), int(hi), size=n, endpoint=True, dtype=np.int64)
        return arr if mask is None else pd.arrays.IntegerArray(arr, mask)
    arr = rng.uniform(lo, hi, size=n) if hi > lo else np.full(n, lo)
    if mask is not None:
        arr[mask] = np.nan
    return arr


def _gen_datetime(col: ColumnSpec, n: int, rng: np.random.Generator, mask: np.ndarray | None):
    start, end = _datetime_bounds(col)
    seconds = rng.integers(start, end, size=n, endpoint=True, dtype=np.int64)
    arr = seconds.astype("datetime64[s]").astype("datetime64[us]")
    if mask is not None:
        arr[mask] = np.datetime64("NaT")
    return arr


def _gen_text(col: ColumnSpec, n: int, rng: np.random.Generator, mask: np.ndarray | None):
    size = max(1, min(n, TEXT_POOL_SIZE))
    if col.words is not None:
        lengths = np.full(size, col.words)
    else:
        lengths = rng.integers(TEXT_WORDS_RANGE[0], TEXT_WORDS_RANGE[1], size=size, endpoint=True)
    words = np.asarray(VOCABULARY, dtype=object)[rng.integers(0, len(VOCABULARY), size=int(lengths.sum()))]
    cuts = np.cumsum(lengths)[:-1]
    pool = [" ".join(chunk) for chunk in np.split(words, cuts)]
    return _strings(pool, rng.integers(0, size, size=n), mask)


def _gen_boolean(n: int, rng: np.random.Generator, mask: np.ndarray | None):
    arr = rng.random(n) < 0.5
    return arr if mask is None else pd.arrays.BooleanArray(arr, mask)


def _generate_column(col: ColumnSpec, n: int, seed: int):
    if col.kind == "id":
        return _gen_id(col, n)
    rng, null_rng = _column_rngs(seed, col.name)
    mask = _null_mask(null_rng, n, col.nulls)
    if col.kind == "label":
        classes = list(col.classes) if col.classes is not None else list(DEFAULT_CLASSES)
        return _take(classes, _choices(rng, len(classes), n, col.weights), mask)
    if col.kind == "categorical":
        values = list(col.values)
        return _take(values, _choices(rng, len(values), n, col.weights), mask)
    if col.kind == "numeric":
        return _gen_numeric(col, n, rng, mask)
    if col.kind == "datetime":
        return _gen_datetime(col, n, rng, mask)
    if col.kind == "text":
        return _gen_text(col, n, rng, mask)
    if col.kind == "boolean":
        return _gen_boolean(n, rng, mask)
    raise AssertionError(f"unhandled column kind {col.kind}")


def generate_frame(
    profile: DataProfile, rows: int | None = None, seed: int | None = None, *, name: str | None = None
) -> pd.DataFrame:
    """The profile's data: ``rows`` rows (default: the profile's) drawn with ``seed`` (default: the
    profile's). The same profile, rows and seed always give the same frame.

    Column dtypes: ``id`` int64 (or str with ``prefix``); ``numeric`` float64 (NaN for nulls) or
    int64 (``Int64`` with nulls); ``label``/``categorical`` keep their values' type (int64/Int64,
    float64, bool/boolean, else str); ``datetime`` datetime64[us] (whole seconds, NaT for nulls);
    ``text`` str; ``boolean`` bool (``boolean`` with nulls). ``name`` only improves messages.
    """
    n = profile.rows if rows is None else int(rows)
    if n < 0:
        raise SourceError(
            f"row count must be 0 or more (got {n})",
            where=f"data profile '{name}'" if name else "data profile",
            hint="use rows: 0 or more",
        )
    seed = profile.seed if seed is None else int(seed)
    for i, col in enumerate(profile.columns):
        try:
            _check_column(col)
        except _Problem as p:
            raise SourceError(p.what, where=_where(name, i, col), hint=p.hint) from None
    data = {col.name: _generate_column(col, n, seed) for col in profile.columns}
    return pd.DataFrame(data, index=pd.RangeIndex(n), copy=False)


# ---------------------------------------------------------------------------------------------
# the source
# ---------------------------------------------------------------------------------------------


def _insert_shard(name: str, shard: int) -> str:
    """``data.csv`` -> ``data-00003.csv``; ``data.csv.gz`` -> ``data-00003.csv.gz``."""
    path = PurePath(name)
    base = path.name
    rest = ""
    low = base.lower()
    for suffix in COMPRESSED_SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            base, rest = base[: -len(suffix)], base[-len(suffix) :]
            break
    stem, ext = (
        (base.rsplit(".", 1)[0], "." + base.rsplit(".", 1)[1]) if "." in base.lstrip(".") else (base, "")
    )
    return str(path.with_name(f"{stem}-{shard:05d}{ext}{rest}"))


def plan_files(spec: SourceSpec, default_file: str | None = None) -> tuple[str, bool, list[str]]:
    """``(format, gzip, file names)`` a synthetic spec writes, one name per shard."""
    shards = spec.shards
    base = spec.file or (default_file if shards == 1 else None)
    name_fmt, name_gz = format_from_name(base) if base else (None, False)
    fmt = spec.format or name_fmt or "csv"
    gz = spec.compression == "gzip" or name_gz
    where = f"synthetic source '{spec.synthetic}'"
    if base is None:
        base = "part-{shard:05d}" + FORMAT_EXTENSIONS[fmt]
    if "{" in base or "}" in base:
        try:
            names = [base.format(shard=i) for i in range(shards)]
        except (KeyError, IndexError, ValueError) as exc:
            raise SourceError(
                f"file pattern '{base}' is invalid ({type(exc).__name__}: {exc})",
                where=where,
                hint="the only placeholder is {shard}, e.g. part-{shard:05d}.csv",
            ) from None
        if len(set(names)) < shards:
            raise SourceError(
                f"file pattern '{base}' gives several of the {shards} shards the same name",
                where=where,
                hint="put {shard} in the pattern, e.g. part-{shard:05d}.csv",
            )
    else:
        names = [base] if shards == 1 else [_insert_shard(base, i) for i in range(shards)]
    if gz and fmt != "parquet":  # parquet compresses inside the file (its gzip codec)
        names = [n if n.lower().endswith(COMPRESSED_SUFFIXES) else n + ".gz" for n in names]
    for n in names:
        safe_relative(n, where)
    return fmt, gz, names


class SyntheticSource(DataSource):
    """Generates a data profile's rows and writes them to ``dest`` in one or more shard files."""

    kind = "synthetic"

    def check(self, spec: SourceSpec, ctx: SourceContext) -> list[str]:
        try:
            profile = lookup_profile(spec.synthetic, ctx, self.kind)
            plan_files(spec)
        except SourceError as exc:
            return [str(exc)]
        return profile_problems(profile, spec.synthetic)

    def materialize(
        self, spec: SourceSpec, dest: Path, ctx: SourceContext, default_file: str | None = None
    ) -> MaterializedData:
        name = spec.synthetic
        profile = lookup_profile(name, ctx, self.kind)
        rows = next(v for v in (spec.rows, ctx.rows_override, profile.rows) if v is not None)
        seed = next(v for v in (spec.seed, ctx.seed_override, profile.seed) if v is not None)
        fmt, gz, names = plan_files(spec, default_file)
        frame = generate_frame(profile, rows, seed, name=name)
        dest = Path(dest)
        files: list[Path] = []
        size = 0
        shards = len(names)
        for i, file_name in enumerate(names):
            start, stop = i * rows // shards, (i + 1) * rows // shards
            target = dest / file_name
            size += write_frame(frame.iloc[start:stop], target, fmt, "gzip" if gz else None, date_unit="s")
            files.append(target)
        columns = [str(c) for c in frame.columns]
        shown_fmt = fmt + (" (gzip)" if gz else "")
        description = (
            f"synthetic '{name}': {rows} rows × {len(columns)} columns, {shown_fmt}, "
            f"{shards} shard{'s' if shards != 1 else ''}"
        )
        return MaterializedData(
            path=files[0] if default_file and shards == 1 else dest,
            files=files,
            description=description,
            rows=rows,
            columns=columns,
            bytes=size,
            extra={
                "profile": name,
                "seed": seed,
                "format": fmt,
                "compression": "gzip" if gz else None,
                "shards": shards,
            },
        )
