"""Per-script overhead of the isolated runner versus calling ``main()`` directly.

    .venv/bin/python benchmarks/runner_overhead.py [--scripts 50] [--preimport numpy pandas]

Writes N trivial scripts (each imports json and writes one small output file), then runs them
(1) in this process: load the file, call ``main()``; (2) a bare fork per script from this process
(numpy/pandas imported): the child loads the file, calls ``main()`` and ``os._exit``s, the parent waits
(the floor of any isolation by fork: copying the page tables and tearing the child down); (3) through a
warm :class:`WorkerPool`, one after another. Prints the worker's start-up time (paid once) and the
per-script overhead over direct calls and over the bare fork (target: <= 10 ms over the bare fork).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from script_testing.worker import ScriptJob, WorkerPool

SCRIPT = """
import json, os
def main(input_paths, output_paths, environ_vars, job_args):
    os.makedirs(output_paths["out"], exist_ok=True)
    with open(os.path.join(output_paths["out"], "result.json"), "w") as handle:
        json.dump({"n": {n}, "job_type": job_args.job_type}, handle)
    return {n}
"""


def make_jobs(root: Path, count: int, tag: str) -> list[ScriptJob]:
    jobs = []
    for n in range(count):
        folder = root / tag / f"s{n:03d}"
        folder.mkdir(parents=True)
        script = folder / f"step_{n:03d}.py"
        script.write_text(SCRIPT.replace("{n}", str(n)))
        jobs.append(
            ScriptJob(
                node=f"Step{n}",
                script_path=script,
                input_paths={},
                output_paths={"out": str(folder / "out")},
                work_dir=folder / "work",
                job_args={"job_type": "training"},
            )
        )
    return jobs


def run_direct(job: ScriptJob) -> object:
    spec = importlib.util.spec_from_file_location(f"bench_{job.node}", job.script_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(
        job.input_paths, job.output_paths, job.environ_vars, argparse.Namespace(**job.job_args)
    )


def run_bare_fork(job: ScriptJob) -> None:
    pid = os.fork()
    if pid == 0:  # the child: the script's main() and nothing else
        code = 0
        try:
            run_direct(job)
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit(f"bare fork of {job.node} failed (status {status})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", type=int, default=50)
    parser.add_argument("--preimport", nargs="*", default=["numpy", "pandas"])
    args = parser.parse_args(argv)

    for name in args.preimport:  # a fair baseline: the caller has these imported too
        __import__(name)

    with tempfile.TemporaryDirectory(prefix="runner_bench_") as tmp:
        root = Path(tmp)
        direct_jobs = make_jobs(root, args.scripts, "direct")
        pool_jobs = make_jobs(root, args.scripts, "pool")
        fork_jobs = make_jobs(root, args.scripts, "fork")

        started = time.perf_counter()
        for job in direct_jobs:
            run_direct(job)
        direct_s = time.perf_counter() - started

        started = time.perf_counter()
        for job in fork_jobs:
            run_bare_fork(job)
        fork_s = time.perf_counter() - started

        with WorkerPool(preimport=args.preimport) as pool:
            started = time.perf_counter()
            warm = pool.run(make_jobs(root, 1, "warmup")[0])
            startup_s = time.perf_counter() - started
            assert warm.passed, warm.error

            per_job = []
            started = time.perf_counter()
            for job in pool_jobs:
                t0 = time.perf_counter()
                result = pool.run(job)
                per_job.append(time.perf_counter() - t0)
                if not result.passed:
                    sys.exit(f"benchmark script failed: {result.error}")
            pool_s = time.perf_counter() - started

    n = args.scripts
    print(f"scripts: {n}; preimport: {' '.join(args.preimport) or '(none)'}")
    print(f"worker start-up (once, incl. preimport): {startup_s * 1000:.0f} ms")
    print(f"direct main():  {direct_s * 1000 / n:7.2f} ms per script")
    print(
        f"through pool:   {pool_s * 1000 / n:7.2f} ms per script "
        f"(median {statistics.median(per_job) * 1000:.2f}, max {max(per_job) * 1000:.2f})"
    )
    print(f"bare fork:      {fork_s * 1000 / n:7.2f} ms per script")
    print(f"overhead:       {(pool_s - direct_s) * 1000 / n:7.2f} ms per script over direct calls")
    print(
        f"                {(pool_s - fork_s) * 1000 / n:7.2f} ms per script over a bare fork (target <= 10)"
    )


if __name__ == "__main__":
    main()
