"""What running on more than one machine costs: in-process vs Celery (two workers) vs the S3 runs root.

    .venv/bin/python benchmarks/distributed.py [--repeat 2] [--chain 20] [--pipelines P...] [--json out.json]

Needs what the distributed test needs (root, PostgreSQL's and Redis's servers, the ``distributed``
extra): a real deployment on loopback (``script_testing_tests/orchestration/deployment.py``: PostgreSQL,
Redis, the Dagster webserver and daemon with ``deploy/dagster.yaml``, moto's S3 server, Celery workers
in their own mount namespaces). Every run is launched through GraphQL, queued and started by the daemon,
as a user would. Arms, for each bundled pipeline and a chain of ``--chain`` trivial steps:

- ``in_process``: the default executor, the local runs root (one machine);
- ``in_process+s3``: the default executor, the S3 runs root (what S3 alone costs);
- ``celery+s3``: two Celery workers that share no disk, the S3 runs root (the distributed setting).

Per run: the run's own time (run worker start to end, from Dagster's run stats), the steps it executed,
and what the S3 server saw (requests, bytes up and down, serving time; moto on loopback, so the time is
the server's, network excluded). The per-step overhead of the distributed executor is
``(celery+s3 - in_process+s3) / steps``. Medians over ``--repeat`` runs; a table, and JSON with
every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import dagster as dg  # noqa: E402
from dagster._core.instance.ref import InstanceRef  # noqa: E402

from script_testing.config.state import BUNDLED_EXAMPLES  # noqa: E402
from script_testing_tests.orchestration import deployment as deploy  # noqa: E402
from script_testing_tests.s3_server import FAKE_CREDENTIALS, REGION, MotoS3  # noqa: E402

RUNS_BUCKET, LOGS_BUCKET = "bench-runs", "bench-logs"
S3_ROOT = f"s3://{RUNS_BUCKET}/bench"
ARMS = ("in_process", "in_process+s3", "celery+s3")
BUNDLED = ("tabular_simple", "tabular_calibrated")


def s3_env(server: MotoS3, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    key, secret, token = FAKE_CREDENTIALS
    env.update(
        AWS_ACCESS_KEY_ID=key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_SESSION_TOKEN=token,
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL_S3=server.endpoint_url,
        AWS_CONFIG_FILE="/nonexistent/aws_config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws_credentials",
        AWS_EC2_METADATA_DISABLED="true",
        SCRIPT_TESTING_S3_CACHE=str(cache),
    )
    return env


def chain_project(root: Path, n: int) -> Path:
    """The chain of benchmarks/run.py (``n`` trivial pandas steps on a 1,000-row CSV)."""
    import run as bench_run  # benchmarks/run.py (on sys.path above); only when a chain is asked for

    return bench_run.chain_workload(root, n).project


def run_config(dep: deploy.Deployment, arm: str) -> dict:
    config: dict = {}
    if arm.startswith("celery"):
        config["execution"] = dep.celery_config()
    root = S3_ROOT if arm.endswith("+s3") else str(dep.work / "runs")
    config["resources"] = {"runner": {"config": {"runs_root": root}}}
    return config


def measure(dep: deploy.Deployment, server: MotoS3, job: str, arm: str, instance) -> dict:
    server.reset_counts()
    t0 = time.perf_counter()
    run_id = dep.launch(job, run_config(dep, arm))
    status = dep.wait([run_id], timeout=900)[run_id]
    wall = time.perf_counter() - t0
    stats = instance.get_run_stats(run_id)
    steps = len(instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS))
    hosts = set()
    for record in instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records:
        host = record.event_log_entry.asset_materialization.metadata.get("host")
        if host is not None:
            hosts.add(host.value)
    return {
        "job": job,
        "arm": arm,
        "run_id": run_id,
        "status": status,
        "run_s": round((stats.end_time or 0) - (stats.start_time or 0), 2),
        "launch_to_end_s": round(wall, 2),
        "steps": steps,
        "hosts": sorted(hosts),
        "s3": server.traffic() if arm.endswith("+s3") else None,
    }


def instance_for(dep: deploy.Deployment):
    for key, value in dep.env.items():
        if key.startswith(("DAGSTER_", "AWS_")):
            os.environ[key] = value
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(dep.home)))


def summarize(raw: list[dict]) -> list[dict]:
    rows = []
    for job in dict.fromkeys(r["job"] for r in raw):
        by_arm: dict[str, dict] = {}
        for arm in ARMS:
            ok = [r for r in raw if r["job"] == job and r["arm"] == arm and r["status"] == "SUCCESS"]
            if not ok:
                by_arm[arm] = {"failed": sum(1 for r in raw if r["job"] == job and r["arm"] == arm)}
                continue
            s3 = [r["s3"] for r in ok if r["s3"]]
            by_arm[arm] = {
                "run_s": statistics.median(r["run_s"] for r in ok),
                "steps": ok[0]["steps"],
                "hosts": sorted({h for r in ok for h in r["hosts"]}),
                "s3_requests": statistics.median(x["requests"] for x in s3) if s3 else None,
                "s3_mb": statistics.median((x["bytes_up"] + x["bytes_down"]) / 1e6 for x in s3)
                if s3
                else None,
                "s3_s": statistics.median(x["seconds"] for x in s3) if s3 else None,
                "runs": len(ok),
            }
        base, s3_only, dist = (by_arm.get(a, {}) for a in ARMS)
        per_step = None
        if "run_s" in s3_only and "run_s" in dist and dist["steps"]:
            per_step = round((dist["run_s"] - s3_only["run_s"]) / dist["steps"], 2)
        s3_cost = None
        if "run_s" in base and "run_s" in s3_only:
            s3_cost = round(s3_only["run_s"] - base["run_s"], 2)
        rows.append(
            {"job": job, "arms": by_arm, "celery_overhead_per_step_s": per_step, "s3_cost_s": s3_cost}
        )
    return rows


def print_table(rows: list[dict]) -> None:
    head = f"{'pipeline':<20} {'arm':<14} {'run s':>7} {'steps':>5} {'S3 req':>7} {'S3 MB':>7} {'S3 s':>6}  hosts"
    print(head)
    print("-" * len(head))
    for row in rows:
        for arm in ARMS:
            a = row["arms"].get(arm, {})
            if "run_s" not in a:
                print(f"{row['job']:<20} {arm:<14} {'FAILED':>7}")
                continue
            s3 = (
                f"{a['s3_requests']:>7.0f} {a['s3_mb']:>7.2f} {a['s3_s']:>6.2f}"
                if a["s3_mb"] is not None
                else f"{'-':>7} {'-':>7} {'-':>6}"
            )
            print(
                f"{row['job']:<20} {arm:<14} {a['run_s']:>7.1f} {a['steps']:>5} {s3}  {','.join(a['hosts'])}"
            )
        print(
            f"{'':<20} celery overhead per step: {row['celery_overhead_per_step_s']} s; "
            f"S3 runs root adds {row['s3_cost_s']} s per run"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--chain", type=int, default=20)
    ap.add_argument("--pipelines", nargs="*", default=list(BUNDLED))
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--warmup", type=int, default=1, help="unmeasured runs per job and executor first (0 or 1)"
    )
    args = ap.parse_args(argv)
    missing = deploy.missing_tools()
    if missing:
        sys.exit("benchmarks/distributed.py needs " + ", ".join(missing))
    work = Path(tempfile.mkdtemp(prefix="st-bench-dist-"))
    server = MotoS3()
    raw: list[dict] = []
    try:
        env = s3_env(server, work / "s3cache")
        os.environ.clear()
        os.environ.update(env)  # this process reads the runs too (fake credentials, moto's endpoint)
        client = server.client()
        for bucket in (RUNS_BUCKET, LOGS_BUCKET):
            client.create_bucket(Bucket=bucket)
        projects = [(BUNDLED_EXAMPLES, list(args.pipelines))]
        if args.chain:
            projects.append((chain_project(work / "chain", args.chain), ["chain"]))
        for project, jobs in projects:
            for executor in ("in_process", "celery"):
                workers = 2 if executor == "celery" else 0
                arms = [a for a in ARMS if a.split("+")[0] == executor]
                with deploy.deployment(
                    env, workers=workers, logs_bucket=LOGS_BUCKET, project=project, executor=executor
                ) as dep:
                    instance = instance_for(dep)
                    try:
                        for job in jobs:
                            if args.warmup:  # unmeasured: workers import the code location on first use
                                measure(dep, server, job, arms[-1], instance)
                            for rep in range(args.repeat):
                                for arm in arms:
                                    r = measure(dep, server, job, arm, instance)
                                    r["repeat"] = rep
                                    raw.append(r)
                                    print(
                                        f"  {job} {arm} #{rep}: {r['status']} run {r['run_s']} s, "
                                        f"{r['steps']} steps, S3 {r['s3']}",
                                        flush=True,
                                    )
                    finally:
                        instance.dispose()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    rows = summarize(raw)
    print()
    print_table(rows)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"summary": rows, "raw": raw, "cores": os.cpu_count(), "load": os.getloadavg()}, indent=1
            )
        )
        print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
