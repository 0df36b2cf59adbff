"""The checks' own small reader: find the data files of an output and read them one batch at a time.

Kept inside ``checks/`` on purpose (``script_testing/data/tabular.py`` may offer a richer one); it
only needs what validating an edge needs:

- :func:`list_data_files`: the files of a folder (recursively) or the one file given, without
  hidden files (``.x``), markers and bookkeeping (``_SUCCESS``, ``_committed_*``, ``*.crc``).
- :func:`sniff_format`: ``csv``, ``tsv``, ``parquet``, ``json`` (an array of records), ``jsonl``
  (JSON lines, also as ``.json``), each optionally ``.gz``; ``None`` for anything not tabular
  (``model.pkl``, ``model.tar.gz``, a JSON object such as a config). Raises :class:`UnreadableFile`
  when a file claims a tabular format but its bytes do not parse enough to tell.
- :func:`iter_frames`: yields pandas frames of at most ``batch_rows`` rows (CSV/TSV/JSON-lines by
  chunks, parquet by record batches), so memory is bounded by one batch, not by the file.
  A JSON array is read whole (the format cannot be streamed by pandas).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

TABULAR_FORMATS = ("csv", "tsv", "parquet", "json", "jsonl")
_MARKER_SUFFIXES = (".crc", ".tmp", ".lock")
_PARQUET_MAGIC = b"PAR1"


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
    rel: str                      # relative to the output folder, posix style ("train/part-0.csv")
    fmt: str | None               # one of TABULAR_FORMATS, or None when not tabular
    compressed: bool
    size: int

    @property
    def tabular(self) -> bool:
        return self.fmt is not None


def is_marker(name: str) -> bool:
    """Hidden files and the bookkeeping files writers leave beside data."""
    return name.startswith((".", "_")) or name.endswith(_MARKER_SUFFIXES)


def list_data_files(path: Path) -> list[Path]:
    """The files under ``path`` (or ``[path]`` for a file), sorted, without hidden files and markers."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    out: list[Path] = []
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path)
        if any(is_marker(part) for part in rel.parts):
            continue
        if p.is_file():
            out.append(p)
    return out


def _split_gz(name: str) -> tuple[str, bool]:
    lower = name.lower()
    if lower.endswith(".gz"):
        return lower[:-3], True
    return lower, False


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
                return "jsonl"            # empty: a table of zero rows; the emptiness check speaks
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
                return "jsonl"            # one object per line
            if first_is_object and len(head) < (1 << 16) and not rest.strip():
                return None               # exactly one object on one line: a config document
            # one (multi-line) object: parse it whole to tell a config from garbage
        with _open_text(path, compressed) as fh:
            json.load(fh)
        return None
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, fmt, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (json.JSONDecodeError, EOFError, OSError) as exc:
        raise UnreadableFile(path, fmt, str(exc).splitlines()[0][:200]) from None


def sniff_format(path: Path) -> tuple[str | None, bool]:
    """``(format, gzip-compressed)`` of one file; format None when the file is not tabular."""
    path = Path(path)
    base, compressed = _split_gz(path.name)
    suffix = base.rsplit(".", 1)[-1] if "." in base else ""
    if suffix in ("csv", "tsv", "parquet", "jsonl"):
        return suffix, compressed
    if suffix == "ndjson":
        return "jsonl", compressed
    if suffix == "json":
        return _sniff_json(path, compressed), compressed
    if suffix == "" and not compressed:
        try:
            with open(path, "rb") as fh:
                if fh.read(4) == _PARQUET_MAGIC:
                    return "parquet", False     # extension-less Spark/Arrow part file
        except OSError:
            pass
    return None, compressed


def describe_files(root: Path) -> list[DataFile]:
    """Every data file of an output with its format; unreadable JSON is kept with fmt 'json'.

    Raises nothing: a file whose format cannot be sniffed is returned with ``fmt`` set to what its
    name claims, and reading it later raises :class:`UnreadableFile` with the reason.
    """
    root = Path(root)
    out: list[DataFile] = []
    for p in list_data_files(root):
        rel = p.name if root.is_file() else p.relative_to(root).as_posix()
        try:
            fmt, compressed = sniff_format(p)
        except UnreadableFile as exc:
            fmt, compressed = exc.fmt, p.name.lower().endswith(".gz")
        out.append(DataFile(path=p, rel=rel, fmt=fmt, compressed=compressed, size=p.stat().st_size))
    return out


def iter_frames(file: DataFile, batch_rows: int | None = 1_000_000) -> Iterator["object"]:
    """Yield the rows of one tabular file as pandas frames of at most ``batch_rows`` rows.

    Raises :class:`UnreadableFile` naming the file and the parser's reason.
    """
    import pandas as pd

    fmt, path = file.fmt, file.path
    if fmt is None:
        raise ValueError(f"{file.rel} is not a tabular file")
    try:
        if fmt in ("csv", "tsv"):
            sep = "\t" if fmt == "tsv" else ","
            if file.size == 0:
                raise UnreadableFile(path, fmt, "the file is empty (0 bytes, not even a header)")
            kwargs = dict(sep=sep, compression="gzip" if file.compressed else None,
                          encoding="utf-8", encoding_errors="strict", low_memory=False)
            if batch_rows:
                with pd.read_csv(path, chunksize=batch_rows, **kwargs) as reader:
                    first = True
                    for chunk in reader:
                        first = False
                        yield chunk
                    if first:
                        yield pd.read_csv(path, nrows=0, **kwargs)
            else:
                yield pd.read_csv(path, **kwargs)
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(path)
            if pf.metadata.num_rows == 0 or not batch_rows:
                yield pf.read().to_pandas()
            else:
                for batch in pf.iter_batches(batch_size=batch_rows):
                    yield batch.to_pandas()
        elif fmt == "jsonl":
            comp = "gzip" if file.compressed else None
            if file.size == 0:
                yield pd.DataFrame()
            elif batch_rows:
                with pd.read_json(path, lines=True, chunksize=batch_rows, compression=comp) as reader:
                    yield from reader
            else:
                yield pd.read_json(path, lines=True, compression=comp)
        elif fmt == "json":
            yield pd.read_json(path, orient="records", compression="gzip" if file.compressed else None)
        else:
            raise ValueError(f"unknown format {fmt!r}")
    except UnreadableFile:
        raise
    except UnicodeDecodeError as exc:
        raise UnreadableFile(path, fmt, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (ValueError, OSError, EOFError, gzip.BadGzipFile) as exc:   # pandas ParserError is a ValueError
        raise UnreadableFile(path, fmt, _short(exc)) from None
    except Exception as exc:   # pyarrow.ArrowInvalid and friends
        if type(exc).__module__.startswith(("pyarrow", "pandas")):
            raise UnreadableFile(path, fmt, _short(exc)) from None
        raise


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:240]
