"""The one benchmark entry point: our overhead against bare, Kedro and plain Dagster, interleaved.

    .venv/bin/python benchmarks/run.py [--sizes 20 100 500] [--repeat 5] [--arms ...] [--quick]
                                       [--pipelines tabular_simple tabular_calibrated] [--json PATH]
                                       [--profile-ours [N]] [--no-checks-throughput] [--cache-dir DIR]

See benchmarks/README.md for what each arm runs exactly. Every arm is one whole subprocess (interpreter
start-up included), timed wall-clock, with the RSS of its whole process tree sampled every ~20 ms.
Repetitions are interleaved: repetition r runs every (workload, arm) once, in an arm order rotated by r,
before repetition r+1 starts, so load drift on the machine spreads over all arms alike.

Imports of script_testing are confined to the two adapter functions ``plan_calls`` and
``edge_check_adapter`` (fix the paths there if modules move); everything else goes through the CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from itertools import pairwise
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ST_CLI = (
    [str(BIN / "script-testing")]
    if (BIN / "script-testing").exists()
    else [sys.executable, "-m", "script_testing.cli"]
)
DAGSTER = [str(BIN / "dagster")] if (BIN / "dagster").exists() else [sys.executable, "-m", "dagster"]
EXAMPLES = REPO / "script_testing" / "examples"
ALL_ARMS = [
    "bare",
    "bare-fork",
    "kedro",
    "dagster",
    "dagster-checks",
    "ours-nochecks",
    "ours-checks",
    "ours-dagster",
]
CHAIN_ROWS = 1000
COLD_START = {"enabled": False}


# ============================================================================ adapters (the only
# places that import script_testing; fix the paths here after the restructure)


def worker_preimports(project_dir: Path, pipeline: str) -> list[str]:
    """What our warm worker imports before forking scripts (the bare-fork arm imports the same)."""
    from script_testing.api import plan_pipeline
    from script_testing.execution.steps import preimports_for

    return preimports_for(plan_pipeline(pipeline, project_dir))


def plan_calls(project_dir: Path, pipeline: str) -> dict:
    """How each script node of a bundled pipeline is called: script, module, env, job args, argv."""
    from script_testing.api import plan_pipeline
    from script_testing.worker import resolve_module

    plan = plan_pipeline(pipeline, project_dir)
    py_path = [str(p) for p in plan.project.python_path]
    nodes = {}
    for name in plan.order:
        n = plan.nodes[name]
        if n.role != "script":
            continue
        script = n.resolved.script_path
        pkg_root, module = resolve_module(script, plan.project.python_path)
        nodes[name] = {
            "script": str(script),
            "module": module,
            "pkg_root": str(pkg_root),
            "environ_vars": dict(n.environ_vars),
            "job_args": dict(n.job_args),
            "argv": [str(script), *n.argv()],
        }
    return {
        "order": list(plan.order),
        "sys_path": py_path,
        "preload": [str(p) for p in plan.project.preload],
        "nodes": nodes,
    }


def edge_check_adapter():
    """``check(folder, expectations_dict) -> (status, summary)``: our edge check, narrowest public API."""
    from script_testing.checks import EdgeRequirements, validate_edge

    def check(folder: Path, expectations: dict) -> tuple[str, str]:
        req = EdgeRequirements.from_expectations(expectations, source="Bench.output", consumer="Bench.input")
        result = validate_edge(folder, req)
        return result.status, result.summary

    return check


# ============================================================================ code written into the work dir

# Shared by the bare, plain-Dagster and Kedro (bundled) arms: load a call spec, call one main().
CALLS = r"""
import argparse, importlib, importlib.util, json, os, runpy, sys

_modules = {}
_sys_path = []

def _ensure_path():
    # again at call time: Dagster's code loader restores sys.path after importing the definitions file
    for p in reversed(_sys_path):
        if p not in sys.path:
            sys.path.insert(0, p)

def load(spec_path, root):
    text = open(spec_path).read().replace("{root}", root)
    spec = json.loads(text)
    _sys_path[:] = spec["sys_path"]
    _ensure_path()
    for f in spec["preload"]:
        runpy.run_path(f, run_name="__preload__")
    return spec

def call(job):
    key = job["module"] or job["script"]
    module = _modules.get(key)
    if module is None:
        _ensure_path()
        if job["module"]:
            module = importlib.import_module(job["module"])
        else:
            name = "_bench_" + os.path.basename(job["script"])[:-3]
            s = importlib.util.spec_from_file_location(name, job["script"])
            module = importlib.util.module_from_spec(s)
            sys.modules[name] = module
            s.loader.exec_module(module)
        _modules[key] = module
    for d in job["output_paths"].values():
        os.makedirs(d, exist_ok=True)
    os.environ.update(job["environ_vars"])
    sys.argv = list(job["argv"])
    module.main(dict(job["input_paths"]), dict(job["output_paths"]), dict(job["environ_vars"]),
                argparse.Namespace(**job["job_args"]))
"""

BARE = r"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_calls
spec = bench_calls.load(sys.argv[1], sys.argv[2])
for job in spec["jobs"]:          # already in topological order
    bench_calls.call(job)
"""

# The floor of isolating each script in a process of its own: one process imports what our worker
# preimports, then forks a child per script (in DAG order) that calls main() and exits; nothing else
# (no session, no environment, no result channel, no output inventory).
BARE_FORK = r"""
import importlib, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_calls
spec = bench_calls.load(sys.argv[1], sys.argv[2])
for name in spec.get("preimport", []):
    try:
        importlib.import_module(name)
    except Exception:
        pass
for job in spec["jobs"]:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            bench_calls.call(job)
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit(f"{job['node']} failed (wait status {status})")
"""

PLAIN_DAGSTER = r'''
"""Plain Dagster assets, one per script node, each calling main() (no script_testing)."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dagster as dg
import bench_calls

spec = bench_calls.load(os.environ["BENCH_SPEC"], os.environ["BENCH_ROOT"])

def _asset(job):
    @dg.asset(name=job["node"], deps=[dg.AssetKey(d) for d in job["deps"]])
    def _run() -> None:
        bench_calls.call(job)
    return _run

defs = dg.Definitions(assets=[_asset(j) for j in spec["jobs"]],
                      jobs=[dg.define_asset_job("bench", executor_def=dg.in_process_executor)])
'''

# Plain Dagster with what our job has per node besides the script: two asset checks evaluated in the
# asset's own step (a blocking one, like an edge check, and a warning one, like ``contract``), each a
# trivial passed result. The difference to ``dagster`` is Dagster's own cost of two checks per node.
PLAIN_DAGSTER_CHECKS = r'''
"""Plain Dagster assets as bench_dagster.py, each with two asset checks evaluated in its step."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dagster as dg
import bench_calls

spec = bench_calls.load(os.environ["BENCH_SPEC"], os.environ["BENCH_ROOT"])

def _asset(job):
    key = dg.AssetKey(job["node"])
    checks = [dg.AssetCheckSpec("edge", asset=key, blocking=True), dg.AssetCheckSpec("contract", asset=key)]
    @dg.asset(name=job["node"], deps=[dg.AssetKey(d) for d in job["deps"]], check_specs=checks)
    def _run():
        bench_calls.call(job)
        yield dg.MaterializeResult()
        yield dg.AssetCheckResult(check_name="contract", passed=True)
        yield dg.AssetCheckResult(check_name="edge", passed=True)
    return _run

defs = dg.Definitions(assets=[_asset(j) for j in spec["jobs"]],
                      jobs=[dg.define_asset_job("bench", executor_def=dg.in_process_executor)])
'''

# The chain hop: the same body in every arm (Kedro gets it as a node function on frames).
LINK = """
import os
import pandas as pd


def hop(df):
    df["hop"] = df["hop"] + 1 if "hop" in df.columns else 1
    return df


def main(input_paths, output_paths, environ_vars, job_args):
    df = pd.read_csv(os.path.join(input_paths["input_data"], "part-00000.csv"))
    df = hop(df)
    os.makedirs(output_paths["data"], exist_ok=True)
    df.to_csv(os.path.join(output_paths["data"], "part-00000.csv"), index=False)
"""

LINK_INTERFACE = """
step_type: Link
contract:
  entry_point: link.py
  inputs:
    input_data: {path: /opt/ml/processing/input/data}
  outputs:
    data: {path: /opt/ml/processing/output/data}
spec:
  dependencies:
    input_data: {type: processing_output}
  outputs:
    data: {type: processing_output, aliases: [input_data]}
"""

KEDRO_PYPROJECT = """
[tool.kedro]
package_name = "benchpipe"
project_name = "benchpipe"
kedro_init_version = "{version}"
source_dir = "src"
"""

KEDRO_REGISTRY_CHAIN = """
import json, os
from kedro.pipeline import Pipeline, node
from benchpipe.link import hop


def register_pipelines():
    n = json.load(open(os.path.join(os.path.dirname(__file__), "shape.json")))["n"]
    nodes = [node(hop, inputs=f"d{i:03d}", outputs=f"d{i + 1:03d}", name=f"Link_n{i:03d}") for i in range(n)]
    return {"__default__": Pipeline(nodes)}
"""

KEDRO_REGISTRY_CALLS = """
import os, sys
from kedro.pipeline import Pipeline, node
sys.path.insert(0, os.environ["BENCH_WORK"])
import bench_calls


def _fn(job):
    def run(*tokens):
        bench_calls.call(job)
        return 1
    return run


def register_pipelines():
    spec = bench_calls.load(os.environ["BENCH_SPEC"], os.environ["BENCH_ROOT"])
    nodes = [node(_fn(j), inputs=[f"t_{d}" for d in j["deps"]] or None, outputs=f"t_{j['node']}", name=j["node"])
             for j in spec["jobs"]]
    return {"__default__": Pipeline(nodes)}
"""


# ============================================================================ workloads


@dataclass
class Workload:
    name: str
    kind: str  # "chain" | "bundled"
    size: int  # script nodes
    project: Path  # the testing project (ours)
    pipeline: str
    work: Path
    spec: Path  # call spec (bare / dagster / kedro-bundled)
    kedro_project: Path | None = None
    notes: list[str] = field(default_factory=list)


def write_support(work: Path) -> None:
    (work / "bench_calls.py").write_text(CALLS)
    (work / "bench_bare.py").write_text(BARE)
    (work / "bench_bare_fork.py").write_text(BARE_FORK)
    (work / "bench_dagster.py").write_text(PLAIN_DAGSTER)
    (work / "bench_dagster_checks.py").write_text(PLAIN_DAGSTER_CHECKS)


def make_input_csv(folder: Path, rows: int = CHAIN_ROWS) -> Path:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "id": np.arange(rows),
            "label": rng.integers(0, 2, rows),
            "x": rng.normal(size=rows).round(4),
            "country": rng.choice(["US", "DE", "JP"], rows),
        }
    ).to_csv(folder / "part-00000.csv", index=False)
    return folder


def chain_workload(root: Path, n: int) -> Workload:
    work = root / f"chain{n}"
    work.mkdir(parents=True)
    write_support(work)
    data_in = make_input_csv(work / "input")
    proj = work / "project"
    steps = proj / "steps" / "link"
    steps.mkdir(parents=True)
    (steps / "link.step.yaml").write_text(LINK_INTERFACE.lstrip())
    (steps / "link.py").write_text(LINK.lstrip())
    nodes = [f"Link_n{i:03d}" for i in range(n)]
    (proj / "dags").mkdir()
    (proj / "dags" / "chain.dag.json").write_text(
        json.dumps(
            {
                "dag": {"nodes": nodes, "edges": [[a, b] for a, b in pairwise(nodes)]},
                "metadata": {"name": "chain"},
            }
        )
    )
    (proj / "script_testing.yaml").write_text(
        "workspaces: [steps]\npipelines:\n  chain:\n    dag: dags/chain.dag.json\n"
        f"    sources:\n      {nodes[0]}.input_data: {{local: {data_in}}}\n"
    )
    jobs = []
    for i, node in enumerate(nodes):
        jobs.append(
            {
                "node": node,
                "deps": [nodes[i - 1]] if i else [],
                "script": str(steps / "link.py"),
                "module": None,
                "input_paths": {"input_data": str(data_in) if i == 0 else f"{{root}}/{nodes[i - 1]}/data"},
                "output_paths": {"data": f"{{root}}/{node}/data"},
                "environ_vars": {},
                "job_args": {},
                "argv": [str(steps / "link.py")],
            }
        )
    spec = work / "spec.json"
    spec.write_text(
        json.dumps(
            {"sys_path": [], "preload": [], "preimport": worker_preimports(proj, "chain"), "jobs": jobs}
        )
    )
    wl = Workload(f"chain {n}", "chain", n, proj, "chain", work, spec)
    wl.kedro_project = work / "kedro"
    return wl


def bundled_workload(root: Path, pipeline: str, env: dict) -> Workload:
    """Sources come from one untimed ``script-testing run --no-checks`` (its report gives every input path)."""
    work = root / pipeline
    work.mkdir(parents=True)
    write_support(work)
    prep_env = dict(env, SCRIPT_TESTING_RUNS=str(work / "prep"))
    proc = subprocess.run(
        [*ST_CLI, "run", str(EXAMPLES), "-p", pipeline, "--no-checks", "-q", "--no-html"],
        cwd=work,
        env=prep_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"preparation run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    report = json.loads(next((work / "prep").rglob("report.json")).read_text())
    calls = plan_calls(EXAMPLES, pipeline)
    outs: dict[str, str] = {}  # prep output path -> {root} path (script outputs only)
    for name in calls["nodes"]:
        for out, p in report["nodes"][name]["outputs"].items():
            outs[p] = f"{{root}}/{name}/{out}"

    def remap(p: str) -> str:
        for old, new in outs.items():
            if p == old or p.startswith(old + "/"):
                return new + p[len(old) :]
        return p  # a source: read from the preparation run

    jobs, sys_path = [], list(calls["sys_path"])
    for name in calls["order"]:
        c = calls["nodes"].get(name)
        if c is None:
            continue
        r = report["nodes"][name]
        deps = sorted(
            {e["from"] for e in report["edges"] if e.get("to") == name and e["from"] in calls["nodes"]}
        )
        sys_path.append(c["pkg_root"])
        jobs.append(
            {
                "node": name,
                "deps": deps,
                "script": c["script"],
                "module": c["module"],
                "input_paths": {k: remap(v) for k, v in r["inputs"].items()},
                "output_paths": {k: outs[v] for k, v in r["outputs"].items()},
                "environ_vars": c["environ_vars"],
                "job_args": c["job_args"],
                "argv": c["argv"],
            }
        )
    spec = work / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "sys_path": list(dict.fromkeys(sys_path)),
                "preload": calls["preload"],
                "preimport": worker_preimports(EXAMPLES, pipeline),
                "jobs": jobs,
            }
        )
    )
    wl = Workload(pipeline, "bundled", len(jobs), EXAMPLES, pipeline, work, spec)
    wl.kedro_project = work / "kedro"
    return wl


# ============================================================================ Kedro in its own venv


def our_version(pkg: str) -> str | None:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return None


def kedro_env(cache: Path) -> tuple[Path | None, str]:
    """A cached venv with kedro + kedro-datasets[pandas] and the scripts' libraries pinned to ours."""
    venv = cache / "kedro-venv"
    marker = venv / ".bench-ok"
    py = venv / "bin" / "python"
    pins = [f"{p}=={v}" for p in ("pandas", "numpy", "scikit-learn", "pyarrow") if (v := our_version(p))]
    want = " ".join(["kedro", "kedro-datasets[pandas]", *pins])
    if marker.exists() and marker.read_text() == want:
        return py, "cached"
    shutil.rmtree(venv, ignore_errors=True)
    uv = shutil.which("uv")
    if not uv:
        return None, "uv not found on PATH"
    t = time.perf_counter()
    for cmd in (
        [uv, "venv", "-q", "--python", f"{sys.version_info.major}.{sys.version_info.minor}", str(venv)],
        [uv, "pip", "install", "-q", "--python", str(py), *want.split()],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            return None, f"install failed: {' '.join(cmd)}: {proc.stderr.strip()[-500:]}"
    marker.write_text(want)
    return py, f"installed in {time.perf_counter() - t:.0f} s"


def kedro_version(py: Path) -> dict:
    out = subprocess.run(
        [
            str(py),
            "-c",
            (
                "import json, importlib.metadata as m; print(json.dumps({p: m.version(p) "
                "for p in ('kedro', 'kedro-datasets', 'pandas', 'numpy')}))"
            ),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(out.stdout) if out.returncode == 0 else {}


def write_kedro_project(wl: Workload, kver: str) -> None:
    kp = wl.kedro_project
    pkg = kp / "src" / "benchpipe"
    pkg.mkdir(parents=True)
    (kp / "conf" / "base").mkdir(parents=True)
    (kp / "conf" / "local").mkdir()
    (kp / "pyproject.toml").write_text(KEDRO_PYPROJECT.format(version=kver))
    (pkg / "__init__.py").write_text("")
    (pkg / "settings.py").write_text("")
    if wl.kind == "chain":
        (pkg / "link.py").write_text(LINK.lstrip())
        (pkg / "shape.json").write_text(json.dumps({"n": wl.size}))
        (pkg / "pipeline_registry.py").write_text(KEDRO_REGISTRY_CHAIN.lstrip())
        out = wl.work / "out-kedro"
        cat = {"d000": {"type": "pandas.CSVDataset", "filepath": str(wl.work / "input" / "part-00000.csv")}}
        for i in range(1, wl.size + 1):
            cat[f"d{i:03d}"] = {
                "type": "pandas.CSVDataset",
                "filepath": str(out / f"Link_n{i - 1:03d}" / "part-00000.csv"),
                "save_args": {"index": False},
            }
        (kp / "conf" / "base" / "catalog.yml").write_text(json.dumps(cat, indent=1))  # JSON is YAML
    else:
        (pkg / "pipeline_registry.py").write_text(KEDRO_REGISTRY_CALLS.lstrip())
        (kp / "conf" / "base" / "catalog.yml").write_text("{}\n")


# ============================================================================ measuring one subprocess


def clean_env() -> dict:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCRIPT_TESTING_", "DAGSTER_", "BENCH_", "VIRTUAL_ENV"))
    }


def _smaps_rollup(pid: int) -> tuple[int, int, int] | None:
    """(RSS, PSS, USS) in bytes of one process from ``/proc/PID/smaps_rollup`` (Linux 4.14+), else None.
    USS: the pages only this process maps (``Private_Clean`` + ``Private_Dirty``)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            text = fh.read()
    except OSError:  # gone, or no smaps_rollup on this system
        return None
    found = dict.fromkeys((b"Rss:", b"Pss:", b"Private_Clean:", b"Private_Dirty:"), 0)  # a zombie: empty
    for line in text.splitlines():
        key, _, rest = line.partition(b" ")
        if key in found:
            found[key] = int(rest.split()[0]) * 1024
    return found[b"Rss:"], found[b"Pss:"], found[b"Private_Clean:"] + found[b"Private_Dirty:"]


HAVE_PSS = _smaps_rollup(os.getpid()) is not None


def process_role(cmdline: str, parent_role: str | None) -> str:
    """What one process of an arm's tree is, from its command line and its parent's role: ``main`` (the
    arm's own process: our CLI, dagster, kedro, bare; ``parent_role`` None), ``docs`` (our Data Docs
    process), ``worker-supervisor`` / ``worker-server`` (the warm worker's two processes), ``script``
    (a child the worker server forked for one script, and its descendants), else ``other``."""
    if parent_role is None:
        return "main"
    if parent_role in ("worker-server", "script"):
        return "script"
    if parent_role == "worker-supervisor":
        return "worker-server"
    if "script_testing.checks.docs_process" in cmdline or parent_role == "docs":
        return "docs"
    if "zygote" in cmdline and parent_role == "main":
        return "worker-supervisor"
    return "other"


class TreeMemory:
    """Samples one process tree: the peak sum of RSS (shared pages counted once per process that maps
    them, so a forked worker's copy-on-write pandas counts again in every child) and of PSS (each
    shared page divided among the processes sharing it: sums to what the tree really occupies), and
    the per-role breakdown at each peak. Every ``interval`` s, in a thread, until :meth:`stop`."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss = self.peak_pss = self.peak_uss = 0
        self.at_peak_rss: dict[str, list[float]] = {}
        self.at_peak_pss: dict[str, list[float]] = {}
        self.pss_ok = HAVE_PSS
        self._roles: dict[int, str] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for _ in range(4):  # roles of parents before their children's (the list's order is not)
                for p in procs:
                    if p.pid not in self._roles and (role := self._role(p)) != "other":
                        self._roles[p.pid] = role  # "other" may be forked, not yet exec'd: asked again
            rows = []  # (role, rss, pss, uss)
            for p in procs:
                m = _smaps_rollup(p.pid) if HAVE_PSS else None
                if m is None:
                    try:
                        m = (p.memory_info().rss, 0, 0)
                    except psutil.Error:
                        continue
                rows.append((self._roles.get(p.pid, "other"), *m))
            rss, pss = sum(r[1] for r in rows), sum(r[2] for r in rows)
            self.peak_uss = max(self.peak_uss, sum(r[3] for r in rows))
            if rss > self.peak_rss:
                self.peak_rss, self.at_peak_rss = rss, _by_role(rows)
            if pss > self.peak_pss:
                self.peak_pss, self.at_peak_pss = pss, _by_role(rows)
            self._done.wait(self.interval)

    def _role(self, p: psutil.Process) -> str:
        if p.pid == self.pid:
            return "main"
        try:
            cmdline = " ".join(p.cmdline())
            parent = p.ppid()
        except psutil.Error:
            return "other"
        return process_role(cmdline, self._roles.get(parent, "other"))

    def stop(self) -> dict:
        self._done.set()
        self._thread.join()
        return {
            "peak_mb": self.peak_rss / 2**20,
            "peak_pss_mb": self.peak_pss / 2**20 if self.pss_ok else None,
            "peak_uss_mb": self.peak_uss / 2**20 if self.pss_ok else None,
            "roles_at_peak_rss": self.at_peak_rss,
            "roles_at_peak_pss": self.at_peak_pss if self.pss_ok else {},
        }


def _by_role(rows: list[tuple[str, int, int, int]]) -> dict[str, list[float]]:
    """role -> [processes, RSS MB, PSS MB, USS MB]."""
    out: dict[str, list[float]] = {}
    for role, *sizes in rows:
        slot = out.setdefault(role, [0, 0.0, 0.0, 0.0])
        slot[0] += 1
        for i, v in enumerate(sizes, 1):
            slot[i] += v / 2**20
    return {k: [v[0], *(round(x, 1) for x in v[1:])] for k, v in out.items()}


def run_measured(cmd: list[str], cwd: Path, env: dict, log: Path) -> dict:
    """Wall time of the whole subprocess, and the peak RSS and PSS sums of its process tree (sampled
    every 20 ms; see :class:`TreeMemory`)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        sampler = TreeMemory(proc.pid)
        rc = proc.wait()
        elapsed = time.perf_counter() - t0
        memory = sampler.stop()
    result = {"seconds": elapsed, **memory, "ok": rc == 0}
    if rc != 0:
        result["error"] = f"exit {rc}: " + log.read_text()[-1500:]
    return result


def arm_command(arm: str, wl: Workload, kedro_py: Path | None) -> tuple[list[str], Path, dict]:
    """(command, cwd, env) for one run of ``arm`` on ``wl``; its outputs go under a fresh folder."""
    base = wl.work / f"out-{arm}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True, exist_ok=True)
    env = clean_env()
    env.update(BENCH_SPEC=str(wl.spec), BENCH_ROOT=str(base), BENCH_WORK=str(wl.work))
    if arm in ("bare", "bare-fork"):
        runner = wl.work / ("bench_bare.py" if arm == "bare" else "bench_bare_fork.py")
        return [sys.executable, str(runner), str(wl.spec), str(base)], base, env
    if arm in ("dagster", "dagster-checks"):
        home = base / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env["DAGSTER_HOME"] = str(home)
        defs = wl.work / ("bench_dagster.py" if arm == "dagster" else "bench_dagster_checks.py")
        return [*DAGSTER, "job", "execute", "-f", str(defs), "-j", "bench"], base, env
    if arm == "kedro":
        return [str(kedro_py.parent / "kedro"), "run"], wl.kedro_project, env
    env["SCRIPT_TESTING_RUNS"] = str(base / "runs")
    if COLD_START["enabled"]:  # a first-ever run: no early worker from an earlier run of the command
        env["XDG_CACHE_HOME"] = str(base / "xdg_cache")
    if arm in ("ours-checks", "ours-nochecks"):
        cmd = [*ST_CLI, "run", str(wl.project), "-p", wl.pipeline, "-q"]
        return cmd + (["--no-checks"] if arm == "ours-nochecks" else []), base, env
    if arm == "ours-dagster":
        home = base / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        env.update(DAGSTER_HOME=str(home), SCRIPT_TESTING_PROJECT=str(wl.project))
        return [*DAGSTER, "job", "execute", "-m", "script_testing.definitions", "-j", wl.pipeline], base, env
    raise ValueError(arm)


# ============================================================================ checks throughput


def make_frame(n: int, seed: int = 7):
    import numpy as np
    import pandas as pd

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


CHECK_EXPECTATIONS = {
    "columns": ["id", "label", "age", "income", "country", "note"],
    "not_null": ["id", "label"],
    "ranges": {"age": {"min": 18, "max": 90}},
    "allowed_values": {"country": ["US", "DE", "JP", "FR"], "label": [0, 1]},
    "min_rows": 10,
}


def check_child(folder: str, repeat: int = 3) -> None:
    """In a fresh process: time ``pandas.read_csv`` (defaults) of every shard against our edge check,
    alternated ``repeat`` times; best and median of each (the same treatment for both sides)."""
    import pandas as pd

    check = edge_check_adapter()
    tiny = Path(tempfile.mkdtemp())
    make_frame(50).to_csv(tiny / "t.csv", index=False)
    check(tiny, CHECK_EXPECTATIONS)  # first-validation costs (lazy imports), not timed
    shutil.rmtree(tiny)
    files = sorted(Path(folder).glob("*.csv"))
    reads, checks, read_cpu, check_cpu = [], [], [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        rows = sum(len(pd.read_csv(f)) for f in files)
        reads.append(time.perf_counter() - t)
        read_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        status, summary = check(Path(folder), CHECK_EXPECTATIONS)
        checks.append(time.perf_counter() - t)
        check_cpu.append(time.process_time() - c)
    print(
        json.dumps(
            {
                "rows": rows,
                "read_s": min(reads),
                "check_s": min(checks),
                "read_median_s": statistics.median(reads),
                "check_median_s": statistics.median(checks),
                "read_cpu_s": min(read_cpu),  # CPU time of this process (all threads): less load-sensitive
                "check_cpu_s": min(check_cpu),
                "status": status,
                "summary": summary,
            }
        )
    )


def checks_throughput(root: Path, rows: int) -> list[dict]:
    df = make_frame(rows)
    out = []
    for shards in (1, 4):
        folder = root / f"check_{rows}_{shards}"
        folder.mkdir(parents=True)
        size = -(-rows // shards)
        for i in range(shards):
            df.iloc[i * size : (i + 1) * size].to_csv(folder / f"part-{i:05d}.csv", index=False)
        proc = subprocess.run(
            [sys.executable, __file__, "--child-check", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            out.append({"rows": rows, "shards": shards, "error": proc.stderr[-1500:]})
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r.update(
            shards=shards, read_rows_per_s=r["rows"] / r["read_s"], check_rows_per_s=r["rows"] / r["check_s"]
        )
        out.append(r)
    return out


# ============================================================================ where our time goes


def _ts(s: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(s).timestamp()


def profile_ours(root: Path, n: int) -> dict:
    """One ``script-testing run`` (checks on) of a chain of n; split per-node time from report.json."""
    wl = chain_workload(root / "profile", n)
    cmd, cwd, env = arm_command("ours-checks", wl, None)
    m = run_measured(cmd, cwd, env, cwd / "log.txt")
    if not m["ok"]:
        return {"nodes": n, "error": m["error"]}
    rep = json.loads(next((cwd / "runs").rglob("report.json")).read_text())
    nodes = [rep["nodes"][f"Link_n{i:03d}"] for i in range(n)]
    checks_into = {
        e["to"]: e.get("duration_s") or 0.0 for e in rep["edges"] if e.get("kind", "edge") == "edge"
    }
    main = [nd.get("main_s") or 0.0 for nd in nodes]
    worker = [nd["duration_s"] - m for nd, m in zip(nodes, main, strict=True)]
    trip = [_ts(nd["finished_at"]) - _ts(nd["started_at"]) - nd["duration_s"] for nd in nodes]
    gaps = [_ts(nodes[i]["started_at"]) - _ts(nodes[i - 1]["finished_at"]) for i in range(1, n)]
    check = [checks_into.get(f"Link_n{i:03d}", 0.0) for i in range(1, n)]
    run_s = rep["duration_s"]
    first = _ts(nodes[0]["started_at"]) - _ts(rep["started_at"])
    after = _ts(rep["finished_at"]) - _ts(nodes[-1]["finished_at"])
    return {
        "nodes": n,
        "process_s": m["seconds"],
        "peak_mb": m["peak_mb"],
        "run_s": run_s,
        "before_run_s": m["seconds"] - run_s,
        "run_start_to_first_node_s": first,
        "after_last_node_s": after,
        "main_s": sum(main),
        "worker_s": sum(worker),
        "trip_s": sum(trip),
        "gap_s": sum(gaps),
        "check_s": sum(check),
        "per_node_ms": {
            "main": 1000 * statistics.median(main),
            "worker": 1000 * statistics.median(worker),
            "trip": 1000 * statistics.median(trip),
            "gap": 1000 * statistics.median(gaps) if gaps else 0.0,
            "check": 1000 * statistics.median(check) if check else 0.0,
        },
    }


def print_profile(p: dict) -> None:
    print(f"\n== where our CLI's time goes (script-testing run, checks on, chain of {p.get('nodes')}) ==")
    if "error" in p:
        print("  failed:", p["error"][-800:])
        return
    print(
        f"  whole process {p['process_s']:.2f} s (peak tree RSS {p['peak_mb']:.0f} MB); report.json run {p['run_s']:.2f} s"
    )
    rows = [
        ("interpreter + imports + planning before the run clock", p["before_run_s"]),
        ("run start -> first script starts (sources, worker start)", p["run_start_to_first_node_s"]),
        ("inside main() (in a forked child)", p["main_s"]),
        ("worker: isolate, load the script, end the process", p["worker_s"]),
        ("round trip: job and answer between the run and the worker", p["trip_s"]),
        ("the run between two scripts (finish one, start the next)", p["gap_s"]),
        ("after the last node (final checks, report)", p["after_last_node_s"]),
    ]
    for label, v in rows:
        print(f"  {label:<58} {v:>7.2f} s  {100 * v / p['process_s']:>5.1f} %")
    print(f"  {'edge checks (beside the next script, not between)':<58} {p['check_s']:>7.2f} s")
    pn = p["per_node_ms"]
    print(
        f"  per node (median): main() {pn['main']:.1f} ms, worker {pn['worker']:.1f} ms, round trip "
        f"{pn['trip']:.1f} ms, between scripts {pn['gap']:.1f} ms; edge check {pn['check']:.1f} ms"
    )


# ============================================================================ summary


def summarize(raw: list[dict], workloads: list, arms: list[str]) -> dict:
    """``workloads``: objects with name, kind, size (Workload, or rebuilt from a JSON file's raw rows)."""
    summary: dict = {}
    for wl in workloads:
        s = summary.setdefault(wl.name, {"kind": wl.kind, "size": wl.size, "arms": {}})
        for arm in arms:
            ok = [r for r in raw if r["workload"] == wl.name and r["arm"] == arm and r["ok"]]
            failed = [r for r in raw if r["workload"] == wl.name and r["arm"] == arm and not r["ok"]]
            if not ok:
                if failed:
                    s["arms"][arm] = {"failed": failed[-1].get("error", "")[-1500:]}
                continue
            t = [r["seconds"] for r in ok]
            s["arms"][arm] = {
                "median_s": statistics.median(t),
                "min_s": min(t),
                "max_s": max(t),
                "n": len(t),
                "peak_mb": statistics.median(r["peak_mb"] for r in ok),
                "peak_pss_mb": _median_or_none([r.get("peak_pss_mb") for r in ok]),
                "peak_uss_mb": _median_or_none([r.get("peak_uss_mb") for r in ok]),
                "roles_at_peak_pss": _median_run(ok).get("roles_at_peak_pss", {}),
                "failures": len(failed),
            }
    # slope/intercept over the chain sizes, per arm
    chains = sorted((wl for wl in workloads if wl.kind == "chain"), key=lambda w: w.size)
    fits = {}
    for arm in arms:
        pts = [(w.size, summary[w.name]["arms"].get(arm, {}).get("median_s")) for w in chains]
        pts = [(n, t) for n, t in pts if t is not None]
        if len(pts) < 2:
            continue
        slopes = [
            {"from": a[0], "to": b[0], "ms_per_node": 1000 * (b[1] - a[1]) / (b[0] - a[0])}
            for a, b in pairwise(pts)
        ]
        s0 = slopes[0]["ms_per_node"] / 1000
        fits[arm] = {"slopes": slopes, "fixed_s": pts[0][1] - s0 * pts[0][0]}
    return {"workloads": summary, "fits": fits}


def _median_or_none(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _median_run(runs: list[dict]) -> dict:
    """The run whose peak PSS is the median one (its per-role breakdown is printed)."""
    with_pss = sorted((r for r in runs if r.get("peak_pss_mb") is not None), key=lambda r: r["peak_pss_mb"])
    return with_pss[(len(with_pss) - 1) // 2] if with_pss else {}


ROLE_ORDER = ["main", "docs", "worker-supervisor", "worker-server", "script", "other"]


def print_memory(summ: dict, arms: list[str]) -> None:
    """Per arm and workload: processes, RSS and PSS per role at the median run's peak PSS."""
    if not any(a.get("roles_at_peak_pss") for s in summ["workloads"].values() for a in s["arms"].values()):
        return
    print("\n== memory at peak PSS (median run): role processes x RSS / PSS / USS MB ==")
    for name, s in summ["workloads"].items():
        for arm in arms:
            a = s["arms"].get(arm) or {}
            roles = a.get("roles_at_peak_pss")
            if not roles:
                continue
            parts = [
                f"{role} {int(v[0])}x {v[1]:.0f}/{v[2]:.0f}/{v[3]:.0f}" if len(v) > 3 else f"{role} {v}"
                for role in sorted(roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else 99)
                for v in [roles[role]]
            ]
            print(f"  {name:<20} {arm:<14} " + " | ".join(parts))


def print_summary(summ: dict, arms: list[str]) -> None:
    print(
        "\n== wall time per whole subprocess: median [min-max] s, peak tree RSS, PSS and USS MB (medians); "
        "ratios of medians =="
    )
    head = (
        f"{'workload':<20} {'arm':<14} {'median s':>9} {'min-max s':>13} {'x bare':>7} {'x kedro':>8} "
        f"{'RSS MB':>7} {'PSS MB':>7} {'USS MB':>7} {'PSS x bare':>10}"
    )
    print(head)
    print("-" * len(head))
    for name, s in summ["workloads"].items():
        bare = s["arms"].get("bare", {}).get("median_s")
        bare_pss = s["arms"].get("bare", {}).get("peak_pss_mb")
        kedro = s["arms"].get("kedro", {}).get("median_s")
        for arm in arms:
            a = s["arms"].get(arm)
            label = f"{name} ({s['size']})"
            if a is None:
                continue
            if "failed" in a:
                lines = [
                    ln.strip() for ln in a["failed"].splitlines() if "Error" in ln and "resulted in" not in ln
                ]
                print(f"{label:<20} {arm:<14} FAILED: {(lines or ['see --json'])[-1][:70]}")
                continue
            rb = f"{a['median_s'] / bare:.2f}" if bare else "-"
            rk = f"{a['median_s'] / kedro:.2f}" if kedro else "-"
            print(
                f"{label:<20} {arm:<14} {a['median_s']:>9.2f} {a['min_s']:>6.2f}-{a['max_s']:<6.2f} {rb:>7} {rk:>8} "
                f"{a['peak_mb']:>7.0f} {_mb(a.get('peak_pss_mb')):>7} {_mb(a.get('peak_uss_mb')):>7} "
                f"{_ratio(a.get('peak_pss_mb'), bare_pss):>10}"
                + (f"  ({a['failures']} failed runs)" if a["failures"] else "")
            )
        print()
    if summ["fits"]:
        print("== chains: per-node slope (ms per extra node, between consecutive sizes) and fixed cost ==")
        fits = summ["fits"]
        for arm, f in fits.items():
            sl = ", ".join(f"{x['from']}->{x['to']}: {x['ms_per_node']:.1f}" for x in f["slopes"])
            print(f"  {arm:<14} slope ms/node {sl:<34} fixed {f['fixed_s']:.2f} s")
        # per-node overhead: an arm's slope minus its baseline's, over the whole range of sizes
        pairs = [
            ("ours-nochecks", "bare"),
            ("ours-checks", "bare"),
            ("bare-fork", "bare"),
            ("ours-nochecks", "bare-fork"),
            ("ours-checks", "bare-fork"),
            ("ours-dagster", "dagster"),
        ]
        lines = [
            f"  {arm:<14} over {base:<10} {_overall_slope(fits[arm]) - _overall_slope(fits[base]):6.1f} ms/node"
            for arm, base in pairs
            if arm in fits and base in fits
        ]
        if lines:
            print("== per-node overhead (slope over the whole size range, minus the baseline's) ==")
            print("\n".join(lines))


def _overall_slope(fit: dict) -> float:
    """ms per node from the smallest to the largest chain."""
    first, last = fit["slopes"][0], fit["slopes"][-1]
    n = last["to"] - first["from"]
    return sum(x["ms_per_node"] * (x["to"] - x["from"]) for x in fit["slopes"]) / n if n else 0.0


def _mb(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def _ratio(v: float | None, base: float | None) -> str:
    return "-" if v is None or not base else f"{v / base:.2f}"


def print_checks(rows: list[dict]) -> None:
    print(
        "\n== checks throughput: our edge check vs pandas.read_csv (defaults) of the same CSV files, fresh process, "
        "best of 3 alternated =="
    )
    for r in rows:
        if "error" in r:
            print(f"  {r['rows']:,} rows, {r['shards']} shard(s): FAILED {r['error'][-300:]}")
            continue
        med = (
            f" (medians {r['read_median_s']:.2f} / {r['check_median_s']:.2f} s: "
            f"{r['check_median_s'] / r['read_median_s']:.2f}x)"
            if "check_median_s" in r
            else ""
        )
        cpu = (
            f"; CPU {r['read_cpu_s']:.3f} / {r['check_cpu_s']:.3f} s: {r['check_cpu_s'] / r['read_cpu_s']:.2f}x"
            if "check_cpu_s" in r
            else ""
        )
        print(
            f"  {r['rows']:>9,} rows {r['shards']} shard(s): read_csv {r['read_s']:.3f} s ({r['read_rows_per_s']:,.0f} rows/s)"
            f" | check {r['check_s']:.3f} s ({r['check_rows_per_s']:,.0f} rows/s) | check/read "
            f"{r['check_s'] / r['read_s']:.2f}x{med}{cpu} | {r['status']}"
        )


# ============================================================================ main


def reprint(path: Path) -> None:
    from types import SimpleNamespace

    d = json.loads(path.read_text())
    raw = d["raw"]
    wls = {r["workload"]: SimpleNamespace(name=r["workload"], kind=r["kind"], size=r["size"]) for r in raw}
    arms = [a for a in ALL_ARMS if any(r["arm"] == a for r in raw)]
    m = d["machine"]
    reps = sorted({r["rep"] for r in raw})
    print(
        f"{path}: {'PARTIAL, ' if d.get('partial') else ''}{len(reps)} repetition(s); {m['cores_logical']} cores, "
        f"load at start {m['load_start']}, at end {m.get('load_end', '?')}"
    )
    summ = d.get("summary") or summarize(raw, list(wls.values()), arms)
    print_summary(summ, arms)
    print_memory(summ, arms)
    if d.get("checks_throughput"):
        print_checks(d["checks_throughput"])
    if d.get("profile_ours"):
        print_profile(d["profile_ours"])
    for n in d.get("notes", []):
        print("note:", n)


def machine_info() -> dict:
    pk = {
        p: our_version(p)
        for p in ("script_testing", "dagster", "pandas", "numpy", "great_expectations", "psutil")
    }
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "packages": pk,
        "git_commit": commit,
        "load_start": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[20, 100, 500], help="chain lengths")
    ap.add_argument(
        "--pipelines",
        nargs="*",
        default=["tabular_simple", "tabular_calibrated"],
        help="bundled pipelines (none: skip)",
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--arms", nargs="*", default=ALL_ARMS, choices=ALL_ARMS)
    ap.add_argument("--quick", action="store_true", help="sizes 5 20, repeat 1, small checks throughput")
    ap.add_argument("--json", help="write raw timings, summary and machine info here")
    ap.add_argument(
        "--profile-ours",
        type=int,
        nargs="?",
        const=100,
        default=None,
        metavar="N",
        help="also break down our CLI's time per node on a chain of N (default 100)",
    )
    ap.add_argument(
        "--cold-start",
        action="store_true",
        help="every run of ours as a first-ever run (a fresh ~/.cache: no early worker)",
    )
    ap.add_argument("--check-rows", type=int, default=1_000_000)
    ap.add_argument("--no-checks-throughput", action="store_true")
    ap.add_argument(
        "--cache-dir",
        default=os.environ.get("BENCH_CACHE", str(Path.home() / ".cache" / "script_testing_bench")),
    )
    ap.add_argument("--keep", action="store_true", help="keep the work folder (printed)")
    ap.add_argument(
        "--summarize", metavar="JSON", help="only print the tables of an earlier (even partial) --json file"
    )
    ap.add_argument("--child-check", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    COLD_START["enabled"] = args.cold_start
    if args.summarize:
        reprint(Path(args.summarize))
        return
    if args.child_check:
        check_child(args.child_check)
        return
    if args.quick:
        args.sizes, args.repeat, args.check_rows = [5, 20], 1, 20_000
        if args.profile_ours is not None:
            args.profile_ours = 20
    info = machine_info()
    info["cold_start"] = args.cold_start
    t_start = time.perf_counter()

    def log(msg):
        return print(f"[{time.perf_counter() - t_start:6.0f} s] {msg}", file=sys.stderr, flush=True)

    arms = list(args.arms)
    notes: list[str] = []
    kedro_py = None
    if "kedro" in arms:
        kedro_py, how = kedro_env(Path(args.cache_dir))
        log(f"kedro venv: {how}")
        if kedro_py is None:
            arms.remove("kedro")
            notes.append(f"kedro arm skipped: {how}")
        else:
            info["kedro_venv"] = kedro_version(kedro_py)
    root = Path(tempfile.mkdtemp(prefix="bench_run_"))
    raw: list[dict] = []
    try:
        env = clean_env()
        workloads = [chain_workload(root, n) for n in args.sizes]
        for p in args.pipelines:
            try:
                workloads.append(bundled_workload(root, p, env))
            except RuntimeError as exc:
                notes.append(f"{p} skipped: {exc}")
        if kedro_py:
            for wl in workloads:
                write_kedro_project(wl, info["kedro_venv"].get("kedro", "1.0.0"))
        log(f"workloads ready in {root}: {', '.join(w.name for w in workloads)}; arms {', '.join(arms)}")
        for rep in range(args.repeat):
            order = arms[rep % len(arms) :] + arms[: rep % len(arms)]  # rotate the arm order per repetition
            for wl in workloads:
                for arm in order:
                    cmd, cwd, env_ = arm_command(arm, wl, kedro_py)
                    m = run_measured(cmd, cwd, env_, wl.work / "logs" / f"{arm}-{rep}.txt")
                    m.update(workload=wl.name, kind=wl.kind, size=wl.size, arm=arm, rep=rep, cmd=cmd)
                    raw.append(m)
                    log(
                        f"rep {rep + 1}/{args.repeat} {wl.name:<20} {arm:<14} {m['seconds']:6.2f} s "
                        f"{m['peak_mb']:5.0f} MB" + ("" if m["ok"] else "  FAILED")
                    )
            if args.json:  # partial results survive an interrupted run
                Path(args.json).write_text(
                    json.dumps(
                        {"machine": info, "args": vars(args), "notes": notes, "raw": raw, "partial": True},
                        indent=1,
                        default=str,
                    )
                )
        summ = summarize(raw, workloads, arms)
        checks = []
        if not args.no_checks_throughput:
            log(f"checks throughput on {args.check_rows:,} rows")
            checks = checks_throughput(root, args.check_rows)
        prof = None
        if args.profile_ours:
            log(f"profiling our CLI on a chain of {args.profile_ours}")
            prof = profile_ours(root, args.profile_ours)
        info["load_end"] = os.getloadavg()
        print(
            f"\nmachine: {info['cores_logical']} cores, load {' '.join(f'{x:.1f}' for x in info['load_start'])}"
            f" at start, {' '.join(f'{x:.1f}' for x in info['load_end'])} at end; Python {info['python']}; "
            + ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v)
            + (f"; kedro venv: {info['kedro_venv']}" if "kedro_venv" in info else "")
        )
        print(
            f"repeat {args.repeat}, interleaved (arm order rotated per repetition); total {time.perf_counter() - t_start:.0f} s"
        )
        print_summary(summ, arms)
        print_memory(summ, arms)
        if checks:
            print_checks(checks)
        if prof:
            print_profile(prof)
        for n in notes:
            print("note:", n)
        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {
                        "machine": info,
                        "args": vars(args),
                        "notes": notes,
                        "raw": raw,
                        "summary": summ,
                        "checks_throughput": checks,
                        "profile_ours": prof,
                    },
                    indent=1,
                    default=str,
                )
            )
            print(f"raw timings and summary: {args.json}")
    finally:
        if args.keep:
            print(f"work folder kept: {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
