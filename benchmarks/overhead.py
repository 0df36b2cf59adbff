"""End-to-end overhead of ``script-testing run`` against the bare baseline (ARCHITECTURE.md, "Performance").

    .venv/bin/python benchmarks/overhead.py [--repeat 3] [--chain 10 50] [--skip-examples]

Workloads:
  (a) a chain of N trivial scripts (generated in a temp dir: one ``Link`` step interface, a DAG
      ``Link_n000 -> Link_n001 -> ...``, a testing project), for each N of ``--chain``;
  (b) the bundled ``tabular_calibrated`` pipeline.

For each workload, three commands are timed as whole subprocesses (interpreter start-up included):
  bare       a plain ``python`` process that runs the preload files, imports each script and calls
             every ``main()`` in topological order, in one process, on the same inputs (sources are
             materialized beforehand with ``script_testing.execution.inputs.materialize_source``);
  no-checks  ``script-testing run PROJECT -p PIPELINE --no-checks``;
  checks     ``script-testing run PROJECT -p PIPELINE`` (edge checks on, the default).
Each is repeated ``--repeat`` times; the median is reported, with the ratio against bare and the
overhead per script node in ms: ``(t - t_bare) / script nodes``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parents[1]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

import itertools  # noqa: E402  (after the sys.path set-up above)

from script_testing.api import open_project  # noqa: E402
from script_testing.config.state import BUNDLED_EXAMPLES  # noqa: E402
from script_testing.execution.inputs import materialize_source, source_for  # noqa: E402
from script_testing.execution.layout import input_path_for  # noqa: E402
from script_testing.pipeline.catalog import StepCatalog  # noqa: E402
from script_testing.pipeline.plan import PipelinePlan, load_plan  # noqa: E402
from script_testing.worker import resolve_module  # noqa: E402

_ENTRY = Path(sys.executable).parent / "script-testing"
CLI = [str(_ENTRY)] if _ENTRY.exists() else [sys.executable, "-m", "script_testing.cli"]

# ----------------------------------------------------------------------------- the bare baseline

BARE = r"""
import argparse, importlib, importlib.util, json, os, runpy, sys
spec = json.load(open(sys.argv[1]))
for p in reversed(spec["sys_path"]):
    if p not in sys.path:
        sys.path.insert(0, p)
for f in spec["preload"]:
    runpy.run_path(f, run_name="__preload__")
for i, job in enumerate(spec["jobs"]):
    if job["module"]:
        module = importlib.import_module(job["module"])
    else:
        name = f"_bare_{i}_" + os.path.basename(job["script"])[:-3]
        s = importlib.util.spec_from_file_location(name, job["script"])
        module = importlib.util.module_from_spec(s)
        sys.modules[name] = module
        s.loader.exec_module(module)
    for d in job["output_paths"].values():
        os.makedirs(d, exist_ok=True)
    os.environ.update(job["environ_vars"])
    sys.argv = job["argv"]
    module.main(job["input_paths"], job["output_paths"], job["environ_vars"], argparse.Namespace(**job["job_args"]))
"""


def bare_spec(plan: PipelinePlan, root: Path) -> dict:
    """Materialize every source under ``root`` and describe each script's call (same inputs as a run)."""
    data: dict[tuple[str, str], Path] = {}
    jobs, sys_path = [], [str(p) for p in plan.project.python_path]
    for node in plan.order:
        n = plan.nodes[node]
        if n.role != "script":
            for out in n.outputs:
                if source_for(plan, node, out) is not None:
                    data[(node, out)] = Path(materialize_source(plan, node, out, root / node / out).path)
            continue
        inputs = {}
        for port, w in n.inputs.items():
            if source_for(plan, node, port) is not None:
                path = Path(materialize_source(plan, node, port, root / node / "inputs" / port).path)
            elif w.kind in ("edge", "binding"):
                path = data[(w.upstream, w.output)]
            else:
                continue
            inputs[port] = str(input_path_for(plan, node, port, path))
        outputs = {o: str(root / node / o) for o in n.outputs}
        for o in n.outputs:
            data[(node, o)] = root / node / o
        script = n.resolved.script_path
        pkg_root, module = resolve_module(script, plan.project.python_path)
        sys_path.append(str(pkg_root))
        jobs.append(
            {
                "node": node,
                "script": str(script),
                "module": module,
                "input_paths": inputs,
                "output_paths": outputs,
                "environ_vars": dict(n.environ_vars),
                "job_args": dict(n.job_args),
                "argv": [str(script), *n.argv()],
            }
        )
    return {
        "sys_path": list(dict.fromkeys(sys_path)),
        "preload": [str(p) for p in plan.project.preload],
        "jobs": jobs,
    }


# ----------------------------------------------------------------------------- the chain project

LINK = """
import json, os

def main(input_paths, output_paths, environ_vars, job_args):
    n = 0
    if input_paths.get("data"):
        with open(os.path.join(input_paths["data"], "value.json")) as fh:
            n = json.load(fh)["n"]
    os.makedirs(output_paths["data"], exist_ok=True)
    with open(os.path.join(output_paths["data"], "value.json"), "w") as fh:
        json.dump({"n": n + 1}, fh)
"""

LINK_INTERFACE = """
step_type: Link
contract:
  entry_point: link.py
  inputs:
    data: {path: /opt/ml/processing/input/data, required: false}
  outputs:
    data: {path: /opt/ml/processing/output/data}
"""


def chain_project(root: Path, n: int) -> Path:
    steps = root / "steps" / "link"
    steps.mkdir(parents=True)
    (steps / "link.step.yaml").write_text(textwrap.dedent(LINK_INTERFACE).lstrip())
    (steps / "link.py").write_text(textwrap.dedent(LINK).lstrip())
    nodes = [f"Link_n{i:03d}" for i in range(n)]
    dag = {
        "dag": {"nodes": nodes, "edges": [[a, b] for a, b in itertools.pairwise(nodes)]},
        "metadata": {"name": "chain"},
    }
    (root / "dags").mkdir()
    (root / "dags" / "chain.dag.json").write_text(json.dumps(dag))
    (root / "script_testing.yaml").write_text(
        "workspaces: [steps]\npipelines:\n  chain:\n    dag: dags/chain.dag.json\n"
    )
    return root


# ----------------------------------------------------------------------------- timing


def timed(cmd: list[str], cwd: Path, env: dict[str, str], expect_ok: bool = True) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if expect_ok and proc.returncode != 0:
        sys.exit(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return elapsed


def measure(label: str, project: Path, pipeline: str, work: Path, repeat: int) -> dict:
    proj = open_project(project)
    plan = load_plan(proj, pipeline, catalog=StepCatalog(proj.workspaces))
    scripts = sum(1 for n in plan.nodes.values() if n.role == "script")
    bare_root = work / "bare"
    spec_path = work / "bare_spec.json"
    bare_file = work / "bare.py"
    bare_file.write_text(BARE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIPT_TESTING_")}
    env["SCRIPT_TESTING_RUNS"] = str(work / "runs")
    times: dict[str, list[float]] = {"bare": [], "no-checks": [], "checks": []}
    commands = {
        "no-checks": [*CLI, "run", str(project), "-p", pipeline, "--no-checks", "-q"],
        "checks": [*CLI, "run", str(project), "-p", pipeline, "-q"],
    }
    for _ in range(repeat):
        if bare_root.exists():
            shutil.rmtree(bare_root)
        spec_path.write_text(json.dumps(bare_spec(plan, bare_root)))  # sources materialized, not timed
        times["bare"].append(timed([sys.executable, str(bare_file), str(spec_path)], work, env))
        for key, cmd in commands.items():
            times[key].append(timed(cmd, work, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"label": label, "nodes": len(plan.order), "scripts": scripts, "median": med, "all": times}


def print_table(rows: list[dict], repeat: int) -> None:
    print(f"\nmedian of {repeat} runs, each timed as a whole subprocess (interpreter start-up included)\n")
    head = (
        f"{'workload':<24} {'nodes':>5} {'scripts':>7} {'bare s':>8} | {'no-checks s':>11} {'ratio':>6} "
        f"{'ms/node':>8} | {'checks s':>9} {'ratio':>6} {'ms/node':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        m, s = r["median"], r["scripts"]
        b = m["bare"]
        cells = [f"{r['label']:<24} {r['nodes']:>5} {s:>7} {b:>8.2f}"]
        for key, w in (("no-checks", 11), ("checks", 9)):
            t = m[key]
            cells.append(f"{t:>{w}.2f} {t / b:>6.2f} {(t - b) * 1000 / s:>8.1f}")
        print(" | ".join(cells))
    print("\nratio = run / bare; ms/node = (run - bare) / script nodes")
    chains = [r for r in rows if r["label"].startswith("chain")]
    if len(chains) >= 2:  # the per-node cost without the fixed start-up: slope between two chain sizes
        a, b = chains[0], chains[-1]
        dn = b["scripts"] - a["scripts"]
        slope = {
            k: ((b["median"][k] - b["median"]["bare"]) - (a["median"][k] - a["median"]["bare"])) * 1000 / dn
            for k in ("no-checks", "checks")
        }
        print(
            f"marginal overhead per extra node (chain {a['scripts']} -> {b['scripts']}): "
            f"no-checks {slope['no-checks']:.1f} ms, checks {slope['checks']:.1f} ms"
        )
    print(
        "raw seconds:",
        json.dumps({r["label"]: {k: [round(x, 2) for x in v] for k, v in r["all"].items()} for r in rows}),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chain", type=int, nargs="*", default=[10, 50])
    parser.add_argument("--skip-examples", action="store_true", help="only the generated chains")
    args = parser.parse_args(argv)

    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="overhead_bench_") as tmp:
        tmp = Path(tmp)
        for n in args.chain:
            work = tmp / f"chain{n}"
            work.mkdir()
            project = chain_project(work / "project", n)
            rows.append(measure(f"chain of {n} trivial", project, "chain", work, args.repeat))
            print(f"  measured chain N={n} ({time.perf_counter() - t0:.0f} s so far)", file=sys.stderr)
        if not args.skip_examples:
            work = tmp / "examples"
            work.mkdir()
            rows.append(
                measure("tabular_calibrated", BUNDLED_EXAMPLES, "tabular_calibrated", work, args.repeat)
            )
            print(f"  measured tabular_calibrated ({time.perf_counter() - t0:.0f} s so far)", file=sys.stderr)
    print_table(rows, args.repeat)
    print(
        f"\ntotal benchmark time {time.perf_counter() - t0:.0f} s; machine: {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
