"""A real deployment on loopback for the distributed test and benchmark: PostgreSQL, Redis, the Dagster
webserver and daemon against an instance rendered from ``deploy/dagster.yaml``, and Celery workers that
each run in their own mount and UTS namespaces (a tmpfs over the local disk folder, their own host name),
so they share no disk. Every process starts in its own process group and is stopped on any failure.

Plain functions and one context manager (like ``helpers``); nothing here is mocked.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from script_testing.config.state import BUNDLED_EXAMPLES
from script_testing_tests.helpers import free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BIN = Path(sys.executable).parent
LOCATION = "script_testing"
PG_USER = "postgres"


def missing_tools() -> list[str]:
    """What this machine lacks to run the deployment (PostgreSQL server, Redis, unshare, the extra)."""
    missing = []
    if not glob.glob("/usr/lib/postgresql/*/bin/postgres"):
        missing.append("PostgreSQL server (apt-get install -y postgresql)")
    if not shutil.which("redis-server"):
        missing.append("redis-server (apt-get install -y redis-server)")
    if not shutil.which("unshare") or os.geteuid() != 0:
        missing.append("unshare as root (mount namespaces)")
    for module in ("dagster_postgres", "dagster_celery", "redis"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} (pip install -e '.[distributed]')")
    return missing


def _pg_bin(name: str) -> str:
    return sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


@dataclass
class Deployment:
    """The started services; ``env`` is what every Dagster process of the deployment runs with."""

    work: Path  # cwd of every process (the bundled project's state lives below it)
    home: Path  # DAGSTER_HOME
    disk: Path  # the folder each worker sees as its own disk (a tmpfs per worker)
    env: dict[str, str]
    broker: str
    graphql: str
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, cmd: list[str], env: dict[str, str] | None = None, user: str | None = None):
        log = self.work / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        if user:
            cmd = ["runuser", "-u", user, "--", *cmd]
        fh = open(log, "wb")  # noqa: SIM115 (closed with the process group)
        popen = subprocess.Popen(
            cmd,
            cwd=self.work,
            env=env or self.env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
        fh.close()
        proc = Process(name, popen, log)
        self.processes.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.processes):
            _kill_group(proc.popen, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in reversed(self.processes):
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _kill_group(proc.popen, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=5)

    def logs(self) -> str:
        return "\n".join(f"---- {p.name} (exit {p.popen.poll()})\n{p.tail()}" for p in self.processes)

    # ---- GraphQL ---------------------------------------------------------------------------------

    def query(self, text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": text, "variables": variables or {}}).encode()
        req = urllib.request.Request(self.graphql, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            data = json.loads(resp.read())
        if data.get("errors"):
            raise AssertionError(f"GraphQL errors: {data['errors']}")
        return data["data"]

    def launch(self, job: str, run_config: dict[str, Any], tags: dict[str, str] | None = None) -> str:
        """Launch ``job`` through the webserver's ``launchRun`` mutation (queued; the daemon starts it)."""
        data = self.query(
            LAUNCH,
            {
                "executionParams": {
                    "selector": {
                        "repositoryLocationName": LOCATION,
                        "repositoryName": "__repository__",
                        "jobName": job,
                    },
                    "runConfigData": run_config,
                    "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
                }
            },
        )["launchRun"]
        if data["__typename"] != "LaunchRunSuccess":
            raise AssertionError(f"launchRun: {json.dumps(data)[:3000]}")
        return data["run"]["runId"]

    def status(self, run_id: str) -> str:
        return self.query(STATUS, {"runId": run_id})["runOrError"]["status"]

    def wait(self, run_ids: list[str], timeout: float = 300) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        done: dict[str, str] = {}
        while time.monotonic() < deadline:
            for run_id in run_ids:
                if run_id not in done:
                    status = self.status(run_id)
                    if status in ("SUCCESS", "FAILURE", "CANCELED"):
                        done[run_id] = status
            if len(done) == len(run_ids):
                return done
            time.sleep(0.5)
        raise AssertionError(f"runs not finished in {timeout:.0f} s: {done}\n{self.logs()}")

    def celery_config(self) -> dict[str, Any]:
        return {"config": {"broker": self.broker, "backend": self.broker}}


LAUNCH = """
mutation Launch($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
  }
}
"""

STATUS = """
query Status($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } } }
"""


def _kill_group(popen: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, sig)


def _wait_for(what: str, ready, proc: Process | None, timeout: float, deployment: Deployment) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise AssertionError(f"{what} exited ({proc.popen.returncode}):\n{proc.tail()}")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.2)
    raise AssertionError(f"{what} not ready in {timeout:.0f} s\n{deployment.logs()}")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def render_instance(home: Path, pg_port: int, limit_per_pipeline: int) -> None:
    """``deploy/dagster.yaml`` as shipped, with this PostgreSQL's port and the per-pipeline run limit."""
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
    config["storage"]["postgres"]["postgres_db"]["port"] = pg_port
    (limit,) = config["run_coordinator"]["config"]["tag_concurrency_limits"]
    limit["limit"] = limit_per_pipeline
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


@contextlib.contextmanager
def deployment(
    base_env: dict[str, str],
    *,
    workers: int = 2,
    limit_per_pipeline: int = 1,
    logs_bucket: str,
    project: Path = BUNDLED_EXAMPLES,
    executor: str = "celery",
) -> Iterator[Deployment]:
    """Start PostgreSQL, Redis, the webserver, the daemon and ``workers`` Celery workers for the jobs of
    ``project`` (with ``executor``: ``celery`` or ``in_process``); stop them all at the end (or on any
    failure)."""
    work = Path(tempfile.mkdtemp(prefix="st-deploy-"))
    os.chmod(work, 0o755)
    home, disk = work / "home", work / "disk"
    home.mkdir()
    disk.mkdir()
    pg_port, redis_port, web_port = free_port(), free_port(), free_port()
    broker = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **base_env,
        "PATH": f"{BIN}:{base_env.get('PATH', os.environ.get('PATH', ''))}",
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_USERNAME": PG_USER,
        "DAGSTER_PG_PASSWORD": "unused-with-trust-auth",
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_DB": "postgres",
        "DAGSTER_COMPUTE_LOG_BUCKET": logs_bucket,
        "DAGSTER_CELERY_BROKER": broker,
        "SCRIPT_TESTING_EXECUTOR": executor,
        "SCRIPT_TESTING_SCRATCH": str(disk / "scratch"),
        "PYTHONUNBUFFERED": "1",
    }
    env["SCRIPT_TESTING_PROJECT"] = str(project)  # the same path for every process, as deploy/ asks
    env.pop("SCRIPT_TESTING_RUNS", None)
    dep = Deployment(work, home, disk, env, broker, f"http://127.0.0.1:{web_port}/graphql")
    try:
        # PostgreSQL (Debian's binaries; it refuses to run as root: the postgres user, trust auth)
        pgdata = work / "pgdata"
        pgdata.mkdir()
        shutil.chown(pgdata, PG_USER)
        subprocess.run(
            ["runuser", "-u", PG_USER, "--", _pg_bin("initdb"), "-D", str(pgdata), "-U", PG_USER,
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        pg = dep.start(
            "postgres",
            [_pg_bin("postgres"), "-D", str(pgdata), "-p", str(pg_port), "-k", str(pgdata),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            user=PG_USER,
        )  # fmt: skip
        redis = dep.start(
            "redis",
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )  # fmt: skip
        _wait_for("PostgreSQL", lambda: _port_open(pg_port), pg, 60, dep)
        _wait_for("Redis", lambda: _port_open(redis_port), redis, 30, dep)
        render_instance(home, pg_port, limit_per_pipeline)
        (home / "workspace.yaml").write_text(
            yaml.safe_dump(
                {
                    "load_from": [
                        {
                            "python_module": {
                                "module_name": "script_testing.definitions",
                                "location_name": LOCATION,
                                "working_directory": str(work),
                            }
                        }
                    ]
                }
            ),
            encoding="utf-8",
        )
        workspace = str(home / "workspace.yaml")
        # the storage's schema, once, before four processes race to create it
        subprocess.run(
            [str(BIN / "dagster"), "instance", "migrate"], cwd=work, env=env, check=True,
            capture_output=True, timeout=180,
        )  # fmt: skip
        for i in range(1, workers + 1):
            # its own mount namespace (a tmpfs over the disk folder: nothing it writes there is seen by
            # the others) and UTS namespace (its own host name, as on another machine)
            script = (
                f"mount -t tmpfs tmpfs {disk} && hostname st-worker-{i} && "
                f"exec {DEPLOY / 'celery_worker.sh'} -n st-worker-{i} -q dagster"
            )
            dep.start(f"worker{i}", ["unshare", "-m", "-u", "--propagation", "private", "sh", "-c", script])
        web = dep.start(
            "webserver",
            [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(web_port), "-w", workspace],
        )
        daemon = dep.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", workspace])
        _wait_for("the webserver", lambda: _location_loaded(dep), web, 180, dep)
        _wait_for("the daemon", lambda: daemon.popen.poll() is None and _daemon_up(dep), daemon, 120, dep)
        for i in range(1, workers + 1):
            proc = next(p for p in dep.processes if p.name == f"worker{i}")
            _wait_for(f"Celery worker {i}", lambda p=proc: " ready." in p.tail(200), proc, 120, dep)
        yield dep
    finally:
        dep.stop()
        shutil.rmtree(work, ignore_errors=True)


def _location_loaded(dep: Deployment) -> bool:
    data = dep.query(
        "{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus "
        "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
    )
    entries = data["workspaceOrError"]["locationEntries"]
    for e in entries:
        if e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "PythonError":
            raise AssertionError(f"code location failed to load: {e['locationOrLoadError']['message']}")
    return any(e["name"] == LOCATION and e["loadStatus"] == "LOADED" for e in entries)


def _daemon_up(dep: Deployment) -> bool:
    data = dep.query("{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }")
    statuses = data["instance"]["daemonHealth"]["allDaemonStatuses"]
    queued = [s for s in statuses if s["daemonType"] == "QUEUED_RUN_COORDINATOR"]
    return bool(queued) and bool(queued[0]["healthy"])
