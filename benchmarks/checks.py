"""Benchmark of edge checks: validate vs just read, and peak memory of sharded validation.

    .venv/bin/python benchmarks/checks.py [--rows 10000 1000000] [--keep DIR]

For each size and format (csv, parquet; 1M rows split in 4 shards, and also as 1 file), every
measurement runs in a fresh child process (so the peak RSS high-water mark is its own), after a first
check of a tiny frame (lazy imports; the checks evaluate with pandas, GX is not imported):

- ``read``: read every file with the checks' reader (``iter_batches``), nothing else;
- ``validate``: ``validate_edge`` with a typical requirement set (columns, not_null, types, ranges,
  allowed values, unique id, min_rows);
- peak memory (a separate run of each, so sampling does not touch the timings) = peak RSS sampled
  every 2 ms minus RSS at the start (every allocator counts: numpy, the CSV parser, pyarrow's pool
  where pandas 3 ``str`` columns and parquet decoding live), against the in-memory size of the
  whole frame (``DataFrame.memory_usage(deep=True)``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

EXPECTATIONS = {
    "columns": ["id", "label", "age", "income", "country", "note"],
    "not_null": ["id", "label"],
    "types": {"id": "integer", "label": "integer", "age": "numeric", "income": "float", "country": "string"},
    "ranges": {"age": {"min": 18, "max": 90}},
    "allowed_values": {"country": ["US", "DE", "JP", "FR"], "label": [0, 1]},
    "unique": ["id"],
    "min_rows": 10,
}


def make_frame(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 91, n).astype(float)
    age[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "label": rng.integers(0, 2, n),
            "age": age,
            "income": rng.normal(50_000, 15_000, n).round(2),
            "country": np.array(["US", "DE", "JP", "FR"])[rng.integers(0, 4, n)],
            "note": np.array(["alpha beta", "gamma", "delta epsilon zeta"])[rng.integers(0, 3, n)],
        }
    )


def write(df: pd.DataFrame, folder: Path, fmt: str, shards: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, part in enumerate(np.array_split(np.arange(len(df)), shards)):
        chunk = df.iloc[part]
        if fmt == "csv":
            chunk.to_csv(folder / f"part-{i:05d}.csv", index=False)
        else:
            chunk.to_parquet(folder / f"part-{i:05d}.parquet", index=False)
    (folder / "_SUCCESS").write_text("")


class _PeakRss:
    """Peak resident memory above the level at start, sampled every 2 ms in a thread (counts every
    allocator: numpy, pandas' parser, pyarrow's pool)."""

    def __init__(self) -> None:
        import gc
        import threading

        import psutil

        gc.collect()
        self._proc = psutil.Process()
        self.base = self.peak = self._proc.memory_info().rss
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.002):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def stop(self) -> float:
        self.peak = max(self.peak, self._proc.memory_info().rss)
        self._done.set()
        self._thread.join()
        return (self.peak - self.base) / 2**20


def child(mode: str, folder: str, measure_memory: bool) -> None:
    """Measure one thing in this fresh process; print one JSON line."""
    from script_testing.checks import EdgeRequirements, validate_edge
    from script_testing.data.tabular import describe_files, iter_batches

    tiny = Path(tempfile.mkdtemp())
    make_frame(50).to_csv(tiny / "t.csv", index=False)
    req = EdgeRequirements.from_expectations(EXPECTATIONS, source="Bench.output", consumer="Bench.input")
    validate_edge(tiny, req)  # warm: first-validation costs
    shutil.rmtree(tiny)
    sampler = _PeakRss() if measure_memory else None
    t = time.perf_counter()
    if mode == "read":
        rows = 0
        for f in describe_files(Path(folder)):
            if f.tabular:
                for df in iter_batches(f):
                    rows += len(df)
                    del df
        status = f"{rows} rows"
    else:
        result = validate_edge(folder, req)
        status = result.status + (": " + result.summary if result.status != "passed" else "")
    elapsed = time.perf_counter() - t
    peak_mb = sampler.stop() if sampler else None
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": elapsed,
                "peak_mb": peak_mb,
                "status": status,
            }
        )
    )


def run_child(mode: str, folder: Path, memory: bool = False) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(folder)] + (["--memory"] if memory else []),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="*", default=[10_000, 1_000_000])
    ap.add_argument("--shards", type=int, default=4, help="shards for sizes >= 100k rows")
    ap.add_argument("--keep", help="folder for the generated data (default: a temp folder, removed)")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    ap.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child, measure_memory=args.memory)
        return
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_checks_"))
    print(
        f"{'rows':>9} {'fmt':>7} {'shards':>6} | {'read s':>7} {'valid s':>8} {'ratio':>6} | "
        f"{'frame MB':>8} {'read pk MB':>10} {'valid pk MB':>11} {'pk/frame':>8} | status"
    )
    try:
        for n in args.rows:
            df = make_frame(n)
            frame_mb = df.memory_usage(deep=True).sum() / 2**20
            layouts = [args.shards, 1] if n >= 100_000 else [1]
            for fmt in ("csv", "parquet"):
                for shards in layouts:
                    folder = root / f"{n}_{fmt}_{shards}"
                    write(df, folder, fmt, shards)
                    rd = run_child("read", folder)
                    va = run_child("validate", folder)
                    rd_mem = run_child("read", folder, memory=True)["peak_mb"]
                    va_mem = run_child("validate", folder, memory=True)["peak_mb"]
                    print(
                        f"{n:>9,} {fmt:>7} {shards:>6} | {rd['seconds']:>7.3f} {va['seconds']:>8.3f} "
                        f"{va['seconds'] / rd['seconds']:>6.1f} | {frame_mb:>8.1f} "
                        f"{rd_mem:>10.1f} {va_mem:>11.1f} {va_mem / frame_mb:>8.2f} | {va['status']}",
                        flush=True,
                    )
            del df
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
