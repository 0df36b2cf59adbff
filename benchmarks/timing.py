"""Timings the tests used to assert (tests no longer compare wall-clock times; numbers belong here).

    .venv/bin/python benchmarks/timing.py

- timeout enforcement: a script sleeping 120 s with ``timeout_s=1``; how long until the worker
  reports the timeout (was asserted < 10-15 s in the worker and execution tests);
- parallelism: two scripts sleeping 1.5 s submitted together; wall time of both (was asserted
  < 2.9 s, i.e. they overlap).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from script_testing.worker import ScriptJob, WorkerPool

SLEEP = """
import time
def main(input_paths, output_paths, environ_vars, job_args):
    time.sleep({seconds})
"""


def _job(root: Path, name: str, seconds: float, timeout_s: float) -> ScriptJob:
    script = root / f"{name}.py"
    script.write_text(SLEEP.format(seconds=seconds))
    return ScriptJob(
        node=name,
        script_path=script,
        input_paths={},
        output_paths={"out": str(root / name / "out")},
        work_dir=root / name / "work",
        timeout_s=timeout_s,
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, WorkerPool(preimport=[]) as pool:
        root = Path(tmp)
        pool.start()
        t0 = time.perf_counter()
        result = pool.run(_job(root, "Hang", 120, 1))
        print(f"timeout enforcement: {time.perf_counter() - t0:.2f} s for timeout_s=1 ({result.kind})")
        t0 = time.perf_counter()
        futures = [pool.submit(_job(root, f"Sleep{i}", 1.5, 30)) for i in range(2)]
        for f in futures:
            f.result(timeout=60)
        print(
            f"two 1.5 s scripts submitted together: {time.perf_counter() - t0:.2f} s wall (3.0 s if serial)"
        )


if __name__ == "__main__":
    main()
