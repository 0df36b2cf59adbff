"""Synthetic data throughput: generate and write a million rows × 8 columns.

    .venv/bin/python benchmarks/synthetic.py [--rows 1000000] [--repeat 3] [--all-formats]

Prints the best of ``--repeat`` runs for generation, and for writing (through SyntheticSource, so
the timing includes generation + writing, as a run would see it) csv and parquet; ``--all-formats``
adds tsv, jsonl and csv.gz.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from script_testing.config.project import DataProfile, SourceSpec
from script_testing.sources import SourceContext, materialize
from script_testing.sources.synthetic import generate_frame

PROFILE = {
    "seed": 7,
    "columns": [
        {"name": "id", "kind": "id"},
        {"name": "label", "kind": "label", "classes": [0, 1], "weights": [0.8, 0.2]},
        {"name": "age", "kind": "numeric", "min": 18, "max": 90, "dtype": "int", "nulls": 0.05},
        {"name": "income", "kind": "numeric", "min": 1000, "max": 200000, "nulls": 0.02},
        {"name": "country", "kind": "categorical", "values": ["US", "DE", "JP", "FR", "BR"]},
        {"name": "signup", "kind": "datetime"},
        {"name": "note", "kind": "text", "words": 6},
        {"name": "active", "kind": "boolean"},
    ],
}


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--all-formats", action="store_true")
    args = parser.parse_args()
    rows = args.rows
    profile = DataProfile.model_validate({**PROFILE, "rows": rows})

    gen_s, frame = best(lambda: generate_frame(profile), args.repeat)
    print(
        f"generate  {rows:>9,} rows × {frame.shape[1]} columns: {gen_s:6.2f} s  "
        f"{rows / gen_s:>12,.0f} rows/s  ({frame.memory_usage(deep=True).sum() / 2**20:.0f} MiB in memory)"
    )

    cases = [("csv", None), ("parquet", None)]
    if args.all_formats:
        cases += [("tsv", None), ("jsonl", None), ("csv", "gzip")]
    tmp = Path(tempfile.mkdtemp(prefix="st-bench-"))
    ctx = SourceContext(project_root=tmp, profiles={"bench": profile})
    try:
        for fmt, compression in cases:
            label = fmt + (".gz" if compression else "")
            counter = iter(range(10**6))

            def run():
                dest = tmp / f"{label}-{next(counter)}"  # noqa: B023  (called within this iteration)
                data = materialize(
                    SourceSpec.model_validate(
                        {"synthetic": "bench", "format": fmt, "compression": compression}  # noqa: B023  (called within this iteration)
                    ),
                    dest,
                    ctx,
                )
                return data

            total_s, data = best(run, args.repeat)
            write_s = max(total_s - gen_s, 1e-9)
            print(
                f"{label:<9} generate+write: {total_s:6.2f} s  {rows / total_s:>12,.0f} rows/s   "
                f"write only ≈ {write_s:5.2f} s  {rows / write_s:>12,.0f} rows/s   "
                f"{data.bytes / 2**20:7.1f} MiB"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
