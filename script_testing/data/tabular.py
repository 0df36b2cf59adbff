"""THE tabular file module: which files are tables and in which format, listing an output's files,
bounded reading, and writing (csv, tsv, parquet, json, jsonl; each optionally gzip-compressed).

Shared by the data sources (which write synthetic data), the edge checks (which read what a script
wrote, one batch at a time), the Dagster metadata (row counts, schemas) and the partial-run
synthesizer, so a file is recognised the same way everywhere:

- names: :data:`EXTENSIONS` (``.csv``, ``.tsv``/``.tab``, ``.parquet``/``.pq``, ``.json``,
  ``.jsonl``/``.ndjson``), each also with ``.gz``/``.gzip``; see :func:`format_from_name`.
- listing: :func:`list_files` (every file but hidden files and markers such as ``_SUCCESS`` or
  ``*.crc``), :func:`list_data_files` (only files named as data, plus extension-less ``part-*``).
- detection: :func:`sniff_format` / :func:`describe_files` (``None`` for anything not tabular:
  ``model.pkl``, a JSON config object), :func:`holds_tables`, :func:`detect_format` (always a format).
- reading: :func:`iter_batches` (frames of at most ``batch_rows`` rows), :func:`read_frame`,
  :func:`read_dataset`.
- writing: :func:`write_frame` (atomic, deterministic gzip).

pandas and pyarrow are imported inside the functions so that importing this module stays cheap.
Failures a user can cause raise :class:`~script_testing.errors.SourceError` (or, for the checks'
reader, :class:`UnreadableFile`) naming the file and what is wrong with it.

About 600 lines, above the ~400 guideline on purpose: one home for every rule about tabular files
is the point of this module (four disagreeing copies existed before).
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import os
import warnings
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from script_testing.errors import SourceError
from script_testing.files import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DATA_FORMATS = ("csv", "tsv", "parquet", "json", "jsonl")

# file extension -> format; a trailing ".gz"/".gzip" means the same format, gzip-compressed
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
FORMAT_EXTENSIONS = {"csv": ".csv", "tsv": ".tsv", "parquet": ".parquet", "json": ".json", "jsonl": ".jsonl"}
COMPRESSED_SUFFIXES = (".gz", ".gzip")
GZIP_MAGIC = b"\x1f\x8b"
GZIP_LEVEL = 1  # fast: about 4x quicker than level 6 for ~15% larger test data files
PARQUET_MAGIC = b"PAR1"

_DELIMITERS = {"csv": ",", "tsv": "\t"}


# ---------------------------------------------------------------------------------------------
# finding and identifying files
# ---------------------------------------------------------------------------------------------


def _split_compression(name: str) -> tuple[str, bool]:
    low = name.lower()
    for suffix in COMPRESSED_SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            return low[: -len(suffix)], True
    return low, False


def format_from_name(name: str | Path) -> tuple[str | None, bool]:
    """``'part-0.csv.gz'`` -> ``('csv', True)``; an unknown extension gives ``(None, compressed)``."""
    base, compressed = _split_compression(Path(name).name)
    return EXTENSIONS.get(os.path.splitext(base)[1]), compressed


_MARKER_SUFFIXES = (".crc", ".tmp", ".part", ".lock", ".swp", "~")


def is_marker(name: str) -> bool:
    """Hidden files, ``_SUCCESS``/``_committed_*``/``_metadata`` markers, ``.crc`` checksums, temp files."""
    return name.startswith((".", "_")) or name.lower().endswith(_MARKER_SUFFIXES)


def _is_data_name(name: str) -> bool:
    fmt, _ = format_from_name(name)
    if fmt is not None:
        return True
    # Hadoop/Spark text outputs are often extension-less: part-00000
    return name.startswith("part-") and "." not in name


def list_files(path: str | Path) -> list[Path]:
    """Every file under ``path`` (or ``[path]`` for a file), sorted, without hidden files and markers;
    ``[]`` when ``path`` does not exist (the checks report that themselves)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    out: list[Path] = []
    for p in sorted(path.rglob("*")):
        if any(is_marker(part) for part in p.relative_to(path).parts):
            continue
        if p.is_file():
            out.append(p)
    return out


def list_data_files(path: str | Path) -> list[Path]:
    """The data files at ``path``: the file itself, or every data file under a folder (recursively).

    Sorted by their path relative to the folder. Hidden files and folders, ``_SUCCESS``-style
    markers, ``.crc`` checksums and files whose extension is not a data format are left out
    (extension-less ``part-*`` files are kept). A folder without data files gives ``[]``.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise SourceError(
            "no such file or folder",
            where=str(path),
            hint="check the path; the step that should write it may have failed",
        )
    found: list[tuple[str, Path]] = []
    for root, dirs, files in os.walk(path, followlinks=True):
        dirs[:] = [d for d in dirs if not is_marker(d)]
        for name in files:
            if not is_marker(name) and _is_data_name(name):
                full = Path(root) / name
                found.append((full.relative_to(path).as_posix(), full))
    return [p for _, p in sorted(found)]


def _head(path: Path, size: int = 65536) -> bytes:
    """The first ``size`` bytes, decompressed if the file is gzip."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(size)
            if raw[:2] != GZIP_MAGIC:
                return raw
        with gzip.open(path, "rb") as gz:
            return gz.read(size)
    except (OSError, EOFError, zlib.error):
        return b""


def is_compressed(path: str | Path) -> bool:
    """True when ``path`` is gzip-compressed (by its ``.gz`` extension, or its first bytes)."""
    path = Path(path)
    if format_from_name(path)[1]:
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False


def detect_format(path: str | Path) -> str:
    """One of ``csv``, ``tsv``, ``parquet``, ``json``, ``jsonl`` for a data file.

    From the extension (``.csv.gz`` is ``csv``, compressed: see :func:`is_compressed`); for a
    file without a known extension, from its first bytes (Parquet magic, JSON, tab or comma
    separated text).
    """
    path = Path(path)
    fmt, _ = format_from_name(path)
    if fmt is not None:
        return fmt
    if not path.exists():
        raise SourceError("no such file", where=str(path), hint="check the path")
    if path.is_dir():
        raise SourceError(
            "is a folder, not a data file", where=str(path), hint="list its data files with list_data_files()"
        )
    head = _head(path)
    if head[:4] == PARQUET_MAGIC:
        return "parquet"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "json"
    if text.startswith("{"):
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        return "jsonl" if len(lines) > 1 and all(ln.startswith("{") for ln in lines[:-1]) else "json"
    first = text.splitlines()[0] if text else ""
    if "\t" in first and "," not in first:
        return "tsv"
    return "csv"


# ---------------------------------------------------------------------------------------------
# detection for the checks: which files of an output are tables
# ---------------------------------------------------------------------------------------------


class UnreadableFile(Exception):
    """A file whose name promises a tabular format that its bytes do not keep."""

    def __init__(self, path: Path, fmt: str, reason: str) -> None:
        self.path = path
        self.fmt = fmt
        self.reason = reason
        super().__init__(f"{path.name}: cannot be read as {fmt}: {reason}")


@dataclass(frozen=True)
class DataFile:
    """One file of an output: where it is, how it is named relative to the output, its format."""

    path: Path
    rel: str  # relative to the output folder, posix style ("train/part-0.csv")
    fmt: str | None  # one of DATA_FORMATS, or None when not tabular
    compressed: bool
    size: int

    @property
    def tabular(self) -> bool:
        return self.fmt is not None


def _open_text(path: Path, compressed: bool):
    return gzip.open(path, "rt", encoding="utf-8") if compressed else open(path, encoding="utf-8")


def _sniff_json(path: Path, compressed: bool) -> str | None:
    """``json`` (array), ``jsonl`` (lines of objects) or None (one object: a config, not a table)."""
    fmt = "json"
    try:
        with _open_text(path, compressed) as fh:
            head = fh.read(1 << 16)
            stripped = head.lstrip()
            if not stripped:
                return "jsonl"  # empty: a table of zero rows; the emptiness check speaks
            if stripped[0] == "[":
                return "json"
            if stripped[0] != "{":
                raise UnreadableFile(path, fmt, f"starts with {stripped[:20]!r}, not '[' or '{{'")
            first, _, rest = stripped.partition("\n")
            try:
                json.loads(first)
                first_is_object = True
            except json.JSONDecodeError:
                first_is_object = False
            if first_is_object and rest.strip():
                return "jsonl"  # one object per line
            if first_is_object and len(head) < (1 << 16) and not rest.strip():
                return None  # exactly one object on one line: a config document
            # one (multi-line) object: parse it whole to tell a config from garbage
        if path.stat().st_size > MAX_WHOLE_BYTES:
            raise UnreadableFile(
                path,
                fmt,
                f"a single JSON document over {MAX_WHOLE_BYTES // (1024 * 1024)} MB is not parsed "
                f"(it would be held in memory whole); write JSON lines",
            )
        with _open_text(path, compressed) as fh:
            json.load(fh)
        return None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, fmt, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (json.JSONDecodeError, EOFError, OSError, zlib.error) as exc:
        raise UnreadableFile(path, fmt, str(exc).splitlines()[0][:200]) from None


def sniff_format(path: str | Path) -> tuple[str | None, bool]:
    """``(format, gzip-compressed)`` of one file; format None when the file is not tabular.

    By name (:func:`format_from_name`); a ``.json`` file is looked into (an array or JSON lines is
    a table, one object is a config); an extension-less file is Parquet when its bytes say so.
    Raises :class:`UnreadableFile` when a JSON file's bytes do not parse enough to tell.
    """
    path = Path(path)
    fmt, compressed = format_from_name(path)
    if fmt in ("json", "jsonl") and Path(_split_compression(path.name)[0]).suffix == ".json":
        return _sniff_json(path, compressed), compressed
    if fmt is not None:
        return fmt, compressed
    if "." not in _split_compression(path.name)[0] and not compressed:
        try:
            with open(path, "rb") as fh:
                if fh.read(4) == PARQUET_MAGIC:
                    return "parquet", False  # extension-less Spark/Arrow part file
        except OSError:
            pass
    return None, compressed


def describe_files(root: str | Path) -> list[DataFile]:
    """Every file of an output (:func:`list_files`) with its format.

    Raises nothing: a file whose format cannot be sniffed is returned with ``fmt`` set to what its
    name claims, and reading it later raises :class:`UnreadableFile` with the reason.
    """
    root = Path(root)
    out: list[DataFile] = []
    for p in list_files(root):
        rel = p.name if root.is_file() else p.relative_to(root).as_posix()
        try:
            fmt, compressed = sniff_format(p)
        except UnreadableFile as exc:
            fmt, compressed = exc.fmt, format_from_name(p)[1]
        out.append(DataFile(path=p, rel=rel, fmt=fmt, compressed=compressed, size=p.stat().st_size))
    return out


def holds_tables(path: str | Path) -> bool:
    """True when ``path`` is, or contains, a tabular file (any format and compression known here)."""
    return any(f.tabular for f in describe_files(path))


#: Longest line (hence field) a CSV/TSV/JSON-lines file may hold to be read: a longer one would have
#: to be held in memory whole (a 20 GB single-line file would exhaust the runner).
MAX_LINE_BYTES = 32 * 1024 * 1024
#: Largest file of a format read whole (a JSON array, a gzipped Parquet file).
MAX_WHOLE_BYTES = 512 * 1024 * 1024
_SCAN_BLOCK = 1 << 20


def longest_line_over(path: Path, compressed: bool, limit: int = MAX_LINE_BYTES) -> int | None:
    """The line number (1-based) of the first line longer than ``limit`` bytes, else None.

    Streams the file in 1 MB blocks and stops at the first long line: memory stays one block. Lines
    are only counted (a second pass up to that line) when one is too long: counting every newline
    of a passing file cost as much as a tenth of reading it."""
    return _scan_lines(path, compressed, limit)[0]


def _scan_lines(path: Path, compressed: bool, limit: int, count_up_to: int = -1) -> tuple[int | None, bool]:
    """(:func:`longest_line_over`, whether the file has at most ``count_up_to`` newlines); newlines are
    counted only while their count can still be at most ``count_up_to``."""
    opener = gzip.open if compressed else open
    run, start, offset = 0, 0, 0  # bytes since the last newline; where the current line starts; bytes read
    newlines = 0
    with opener(path, "rb") as fh:
        while block := fh.read(_SCAN_BLOCK):
            first = block.find(b"\n")
            if first < 0:
                run += len(block)
                if run > limit:
                    return _line_number(path, compressed, start), False
            elif run + first > limit:
                return _line_number(path, compressed, start), False
            else:
                last = block.rfind(b"\n")
                run = len(block) - last - 1
                start = offset + last + 1
                if 0 <= newlines <= count_up_to:
                    newlines += block.count(b"\n")
            offset += len(block)
    return None, 0 <= newlines <= count_up_to


def _line_number(path: Path, compressed: bool, offset: int) -> int:
    """The 1-based number of the line that starts at byte ``offset``."""
    opener = gzip.open if compressed else open
    newlines = 0
    with opener(path, "rb") as fh:
        while offset > 0 and (block := fh.read(min(_SCAN_BLOCK, offset))):
            newlines += block.count(b"\n")
            offset -= len(block)
    return newlines + 1


def _check_bounds(file: DataFile, rows: int = -1) -> bool:
    """Refuse, with a reason, a file that cannot be read in bounded memory. Returns whether a
    CSV/TSV/JSON-lines file has at most ``rows`` newlines, hence at most ``rows`` rows after its header
    (counted while that can hold, in the same pass)."""
    fmt, path = file.fmt, file.path
    if fmt in ("csv", "tsv", "jsonl"):
        long_line, few_rows = _scan_lines(path, file.compressed, MAX_LINE_BYTES, rows)
        if long_line is not None:
            raise UnreadableFile(
                path,
                fmt,
                f"line {long_line} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, so it is not read "
                f"(reading it would hold it in memory whole); write one record per line",
            )
        return few_rows
    if (fmt == "json" or (fmt == "parquet" and file.compressed)) and file.size > MAX_WHOLE_BYTES:
        raise UnreadableFile(
            path,
            fmt,
            f"{file.size // (1024 * 1024)} MB in a format read whole (over {MAX_WHOLE_BYTES // (1024 * 1024)} "
            f"MB), so it is not read; write JSON lines or uncompressed Parquet",
        )
    return False


def _csv_batches(path: Path, batch_rows: int | None, kwargs: dict[str, Any]) -> Iterator[pd.DataFrame]:
    """CSV frames as ``pd.read_csv(low_memory=False)`` gives them (one type inferred per column over the
    whole batch), ~20% faster: parsed with ``low_memory=True`` (in pieces), and from the first batch
    whose pieces disagreed on a column's type (pandas' ``DtypeWarning``: the column came out ``object``
    of mixed values, where one inference over the batch gives ``str``, ``float``...) again with
    ``low_memory=False``. Without that warning both modes give the same frame (pieces of one type
    concatenate to that type; int and float pieces to float, as one whole-column inference does).
    On a pandas whose text columns are ``object`` (no ``str`` dtype), always ``low_memory=False``."""
    import pandas as pd

    done = 0  # batches already given
    if _infers_str():
        frames = _csv_frames(path, batch_rows, kwargs, low_memory=True)
        while True:
            with warnings.catch_warnings(record=True) as caught:  # the parse only, never a yield
                warnings.simplefilter("always", pd.errors.DtypeWarning)
                frame = next(frames, None)
            if any(issubclass(w.category, pd.errors.DtypeWarning) for w in caught):
                frames.close()
                break  # mixed pieces: this batch and the rest again, in one piece each
            for w in caught:  # any other warning, as the caller would have seen it
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            if frame is None:
                return
            done += 1
            yield frame
    for i, frame in enumerate(_csv_frames(path, batch_rows, kwargs, low_memory=False)):
        if i >= done:
            yield frame


def _csv_frames(
    path: Path, batch_rows: int | None, kwargs: dict[str, Any], *, low_memory: bool
) -> Generator[pd.DataFrame, None, None]:
    import pandas as pd

    if not batch_rows:
        yield pd.read_csv(path, low_memory=low_memory, **kwargs)
        return
    with pd.read_csv(path, chunksize=batch_rows, low_memory=low_memory, **kwargs) as reader:
        first = True
        for chunk in reader:
            first = False
            yield chunk
        if first:
            yield pd.read_csv(path, nrows=0, low_memory=low_memory, **kwargs)


@functools.cache
def _infers_str() -> bool:
    """Whether this pandas reads text columns as the ``str`` dtype (pandas 3), not ``object``."""
    import pandas as pd

    return pd.read_csv(io.StringIO("a\nx\n"))["a"].dtype != object


def iter_batches(file: DataFile, batch_rows: int | None = 1_000_000) -> Iterator[pd.DataFrame]:
    """Yield the rows of one tabular file as pandas frames of at most ``batch_rows`` rows.

    CSV/TSV/JSON lines by chunks, Parquet by record batches, so memory is bounded by one batch; a
    JSON array (and a gzipped Parquet file) is read whole, up to :data:`MAX_WHOLE_BYTES`. A line
    longer than :data:`MAX_LINE_BYTES` is refused before pandas sees it. Raises
    :class:`UnreadableFile` naming the file and the reason.
    """
    import pandas as pd

    fmt, path = file.fmt, file.path
    if fmt is None:
        raise ValueError(f"{file.rel} is not a tabular file")
    comp = "gzip" if file.compressed else None
    try:
        one_batch = bool(batch_rows) and fmt in ("csv", "tsv") and not file.compressed
        if _check_bounds(file, batch_rows if one_batch and batch_rows else -1):
            # at most batch_rows rows: read whole, as one batch would be, so pandas may parse it in
            # parallel (its whole-file reader; a chunked reader is serial)
            batch_rows = None
        if fmt in ("csv", "tsv"):
            if file.size == 0:
                raise UnreadableFile(path, fmt, "the file is empty (0 bytes, not even a header)")
            kwargs = dict(sep=_DELIMITERS[fmt], compression=comp, encoding="utf-8", encoding_errors="strict")
            yield from _csv_batches(path, batch_rows, kwargs)
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            source: Any = path
            if file.compressed:  # a whole-file gzipped parquet (.parquet.gz)
                with gzip.open(path, "rb") as gz:
                    source = io.BytesIO(gz.read())
            pf = pq.ParquetFile(source)
            if pf.metadata.num_rows == 0 or not batch_rows:
                yield pf.read().to_pandas()
            else:
                for batch in pf.iter_batches(batch_size=batch_rows):
                    yield batch.to_pandas()
        elif fmt == "jsonl":
            if file.size == 0:
                yield pd.DataFrame()
            elif batch_rows:
                with pd.read_json(path, lines=True, chunksize=batch_rows, compression=comp) as reader:
                    yield from reader
            else:
                yield pd.read_json(path, lines=True, compression=comp)
        elif fmt == "json":
            yield pd.read_json(path, orient="records", compression=comp)
        else:
            raise ValueError(f"unknown format {fmt!r}")
    except UnreadableFile:
        raise
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, fmt, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (ValueError, OSError, EOFError, zlib.error) as exc:  # pandas ParserError is a ValueError
        raise UnreadableFile(path, fmt, _first_line(exc)[:240]) from None
    except Exception as exc:  # pyarrow.ArrowInvalid and friends
        if type(exc).__module__.startswith(("pyarrow", "pandas")):
            raise UnreadableFile(path, fmt, _first_line(exc)[:240]) from None
        raise


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------


def read_frame(path: str | Path, nrows: int | None = None, *, format: str | None = None) -> pd.DataFrame:
    """Read one data file into a DataFrame (the first ``nrows`` rows when given).

    ``format`` overrides :func:`detect_format`. JSON files are read as JSON lines first, then as
    one JSON document (an array of records, a mapping of columns, or one record).
    """
    path = Path(path)
    if path.is_dir():
        raise SourceError(
            "is a folder; read_frame reads one file",
            where=str(path),
            hint="use read_dataset() or list_data_files() for a folder",
        )
    if not path.exists():
        raise SourceError(
            "no such file",
            where=str(path),
            hint="check the path; the step that should write it may have failed",
        )
    fmt = format or detect_format(path)
    if fmt not in DATA_FORMATS:
        raise SourceError(
            f"unknown data format '{fmt}'", where=str(path), hint=f"use one of {', '.join(DATA_FORMATS)}"
        )
    compression = "gzip" if is_compressed(path) else None
    try:
        if fmt in ("csv", "tsv"):
            return _read_delimited(path, fmt, nrows, compression)
        if fmt == "parquet":
            return _read_parquet(path, nrows, compression)
        return _read_json(path, nrows, compression)
    except SourceError:
        raise
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise SourceError(
            f"not a valid gzip file ({exc})",
            where=str(path),
            hint="the file is truncated or not gzip-compressed despite its name",
        ) from None
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not UTF-8 text (byte {exc.start}: {exc.reason})",
            where=str(path),
            hint=f"write the {fmt} file as UTF-8, or check it is really {fmt}",
        ) from None
    except MemoryError:
        raise SourceError(
            "the file does not fit in memory",
            where=str(path),
            hint="read fewer rows (nrows=...) or use smaller shards",
        ) from None
    except OSError as exc:
        raise SourceError(
            f"cannot read the file ({exc.strerror or exc})",
            where=str(path),
            hint="check the file's permissions",
        ) from None


def _read_delimited(path: Path, fmt: str, nrows: int | None, compression: str | None) -> pd.DataFrame:
    import pandas as pd

    if path.stat().st_size == 0:
        raise SourceError(
            f"the {fmt} file is empty (not even a header row)",
            where=str(path),
            hint="the step that wrote it produced no data; check its log",
        )
    try:
        return pd.read_csv(path, sep=_DELIMITERS[fmt], nrows=nrows, compression=compression, low_memory=False)
    except pd.errors.EmptyDataError:
        raise SourceError(
            f"the {fmt} file is empty (not even a header row)",
            where=str(path),
            hint="the step that wrote it produced no data; check its log",
        ) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "parse error"
        raise SourceError(
            f"not valid {fmt.upper()} ({detail})",
            where=str(path),
            hint="every row needs the same number of fields as the header",
        ) from None


def _read_parquet(path: Path, nrows: int | None, compression: str | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source: Any = path
    if compression == "gzip":  # a whole-file gzipped parquet (.parquet.gz)
        with gzip.open(path, "rb") as gz:
            source = io.BytesIO(gz.read())
    try:
        if nrows is None:
            table = pq.read_table(source)
        else:
            pf = pq.ParquetFile(source)
            batches, count = [], 0
            if nrows > 0:
                for batch in pf.iter_batches(batch_size=min(max(nrows, 1), 65536)):
                    batches.append(batch)
                    count += batch.num_rows
                    if count >= nrows:
                        break
            table = pa.Table.from_batches(batches, schema=pf.schema_arrow).slice(0, nrows)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise SourceError(
            f"not a valid Parquet file ({_first_line(exc)})",
            where=str(path),
            hint="the file is truncated, still being written, or not Parquet despite its name",
        ) from None
    return table.to_pandas()


def _read_json(path: Path, nrows: int | None, compression: str | None) -> pd.DataFrame:
    import pandas as pd

    head = _head(path, 4096).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not head:
        return pd.DataFrame()
    lines_error: Exception | None = None
    if head.startswith("{"):
        try:
            return pd.read_json(
                path,
                lines=True,
                nrows=nrows,
                compression=compression,
                convert_dates=False,
                keep_default_dates=False,
            )
        except ValueError as exc:  # not JSON lines: maybe one pretty-printed document
            lines_error = exc
    opener = gzip.open if compression == "gzip" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        why = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
        if lines_error is not None:
            why = f"{_first_line(lines_error)}"
        raise SourceError(
            f"not valid JSON lines nor a JSON document ({why})",
            where=str(path),
            hint="write one JSON object per line, or one JSON array of objects",
        ) from None
    frame = _frame_from_document(doc, path)
    return frame if nrows is None else frame.head(nrows)


def _frame_from_document(doc: Any, path: Path) -> pd.DataFrame:
    import pandas as pd

    if isinstance(doc, list):
        if doc and not all(isinstance(r, dict) for r in doc):
            raise SourceError(
                "a JSON array of non-objects is not a table",
                where=str(path),
                hint='write an array of objects, one per row: [{"col": 1}, ...]',
            )
        return pd.DataFrame.from_records(doc)
    if isinstance(doc, dict):
        values = list(doc.values())
        if values and all(isinstance(v, list) for v in values) and len({len(v) for v in values}) == 1:
            return pd.DataFrame(doc)  # a mapping of columns
        return pd.DataFrame.from_records([doc])  # one record
    raise SourceError(
        f"a JSON {type(doc).__name__} is not a table",
        where=str(path),
        hint="write JSON lines, an array of objects, or a mapping of columns",
    )


def read_dataset(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    """Read a file, or every data file under a folder concatenated in order (first ``nrows`` rows)."""
    import pandas as pd

    files = list_data_files(path)
    if not files:
        raise SourceError(
            "no data files in the folder",
            where=str(path),
            hint=f"expected files ending in {', '.join(sorted(EXTENSIONS))} (optionally .gz)",
        )
    frames = []
    remaining = nrows
    for f in files:
        frame = read_frame(f, nrows=remaining)
        frames.append(frame)
        if remaining is not None:
            remaining -= len(frame)
            if remaining <= 0:
                break
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------


def write_frame(
    df: pd.DataFrame,
    path: str | Path,
    format: str | None = None,
    compression: str | None = None,
    *,
    date_unit: str = "ms",
) -> int:
    """Write ``df`` to ``path`` atomically (a hidden temp file, then a rename); returns the size.

    ``format`` defaults to the one the extension names. ``compression='gzip'`` gzips the text
    formats as a whole (the caller chooses the ``.gz`` name) and uses Parquet's own gzip codec
    for Parquet. ``json`` and ``jsonl`` are both written as JSON lines (one record per line);
    datetimes as ISO 8601 at ``date_unit`` precision.
    """
    path = Path(path)
    fmt = format or format_from_name(path)[0]
    if fmt not in DATA_FORMATS:
        raise SourceError(
            f"cannot tell which format to write (got {format or path.suffix or 'no extension'})",
            where=str(path),
            hint=f"use one of {', '.join(DATA_FORMATS)}",
        )
    if compression not in (None, "gzip"):
        raise SourceError(
            f"unsupported compression '{compression}'", where=str(path), hint="use gzip or none"
        )
    try:
        with atomic_path(path) as tmp:
            if fmt in ("csv", "tsv"):
                _write_delimited(df, tmp, _DELIMITERS[fmt], compression == "gzip")
            elif fmt == "parquet":
                _write_parquet(df, tmp, compression, path)
            else:
                df.to_json(
                    tmp,
                    orient="records",
                    lines=True,
                    date_format="iso",
                    date_unit=date_unit,
                    double_precision=15,
                    force_ascii=False,
                    compression={"method": "gzip", "compresslevel": GZIP_LEVEL, "mtime": 0}
                    if compression
                    else None,
                )
        return path.stat().st_size
    except OSError as exc:
        raise SourceError(
            f"could not write the file ({exc.strerror or exc})",
            where=str(path),
            hint="check free disk space and the folder's permissions",
        ) from None


def _open_out(tmp: Path, gz: bool):
    raw = open(tmp, "wb")  # noqa: SIM115  (closed by the writer below)
    if not gz:
        return raw, raw
    # mtime=0 and no file name: the same data gives byte-identical files
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0), raw


def _write_delimited(df: pd.DataFrame, tmp: Path, sep: str, gz: bool) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        table = _seconds_timestamps(pa.Table.from_pandas(df, preserve_index=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        table = None  # mixed/nested objects: let pandas format them
    if table is not None:
        # unquoted output (like pandas) when no value needs quoting, else RFC 4180 quoting
        for style in ("none", "needed"):
            out, raw = _open_out(tmp, gz)
            try:
                with raw, out:
                    pcsv.write_csv(
                        table,
                        out,
                        write_options=pcsv.WriteOptions(
                            delimiter=sep, quoting_style=style, quoting_header=style, batch_size=65536
                        ),
                    )
                return
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                continue
    df.to_csv(
        tmp,
        sep=sep,
        index=False,
        compression={"method": "gzip", "compresslevel": GZIP_LEVEL, "mtime": 0} if gz else None,
    )


def _seconds_timestamps(table: Any) -> Any:
    """Timestamps holding whole seconds are written as ``2024-01-01 00:00:00`` (no fraction)."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.unit != "s":
            try:
                col = table.column(i).cast(pa.timestamp("s", tz=field.type.tz), safe=True)
            except pa.ArrowInvalid:
                continue
            table = table.set_column(i, pa.field(field.name, col.type, field.nullable), col)
    return table


def _write_parquet(df: pd.DataFrame, tmp: Path, compression: str | None, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise SourceError(
            f"the data cannot be stored as Parquet ({_first_line(exc)})",
            where=str(path),
            hint="give each column a single type, or write csv/json instead",
        ) from None
    pq.write_table(table, tmp, compression="gzip" if compression == "gzip" else "snappy")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
