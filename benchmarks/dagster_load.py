"""What the Dagster layer costs: loading a big project's definitions, and running a job end to end.

    .venv/bin/python benchmarks/dagster_load.py [--nodes 200] [--repeat 3] [--skip-run]

0. Chain (``--chain N``, e.g. 2000): a chain of N script nodes (each node a multi-asset whose edge
   check is an asset check of its own output) loads without a RecursionError; its
   ``build_definitions`` + resolving the graph and the job is timed against plain Dagster loading a chain
   of N ``@asset``s with an asset check each (the same work Dagster does, without our planning). Target:
   <= 1.5x.
1. Load: writes a synthetic testing project of N nodes (step interfaces, scripts, a layered DAG) in
   a temp folder and times ``build_definitions`` plus resolving the asset graph and every job (what
   a code server does), and, in a fresh interpreter, ``import script_testing.definitions`` with
   SCRIPT_TESTING_PROJECT pointing at it. Target: < 3 s.
2. Run: ``dagster job execute -m script_testing.definitions -j tabular_calibrated`` (fresh process,
   temp DAGSTER_HOME, sources, edge checks and all) against the baseline: a fresh process calling
   each script's ``main()`` bare in DAG order on the same input data. Target ratio: <= 1.5x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SCRIPT = """import os

def main(input_paths, output_paths, environ_vars, job_args):
    with open(os.path.join(output_paths["data"], "part.csv"), "w") as fh:
        fh.write("id,label\\n1,0\\n")
"""


def write_project(root: Path, nodes: int, width: int = 10) -> Path:
    """N unique step types in layers of ``width``; each node after the first layer has 1-2 predecessors."""
    steps = root / "steps"
    names, edges = [], []
    for i in range(nodes):
        step = f"Step{i:04d}"
        folder = steps / step.lower()
        folder.mkdir(parents=True)
        interface = {
            "step_type": step,
            "node_type": "internal",
            "registry": {"sagemaker_step_type": "Processing", "description": f"synthetic step {i}"},
            "contract": {
                "entry_point": f"{step.lower()}.py",
                "inputs": {"input_data": {"path": "/opt/ml/processing/input/data", "required": True}},
                "outputs": {"data": {"path": "/opt/ml/processing/output/data"}},
                "job_arguments": [],
                "env_vars": {"required": [], "optional": {}},
                "description": f"Step {i} of the synthetic benchmark project.",
            },
            "spec": {
                "dependencies": {"input_data": {"type": "processing_output"}},
                "outputs": {"data": {"type": "processing_output", "aliases": ["input_data"]}},
            },
        }
        (folder / f"{step.lower()}.step.yaml").write_text(yaml.safe_dump(interface, sort_keys=False))
        (folder / f"{step.lower()}.py").write_text(SCRIPT)
        names.append(step)
        layer, pos = divmod(i, width)
        if layer:
            prev = [(layer - 1) * width + pos, (layer - 1) * width + (pos + 1) % width]
            edges += [[names[p], step] for p in dict.fromkeys(prev) if p < len(names) - 1]
    (root / "big.dag.json").write_text(
        json.dumps(
            {"dag": {"nodes": names, "edges": edges}, "metadata": {"description": f"{nodes} synthetic nodes"}}
        )
    )
    sources = {
        f"{names[i]}.input_data": {"synthetic": "p", "format": "csv"} for i in range(min(width, nodes))
    }
    config = {
        "workspaces": ["steps"],
        "data_profiles": {
            "p": {"rows": 10, "columns": [{"name": "id", "kind": "id"}, {"name": "label", "kind": "label"}]}
        },
        "pipelines": {"big": {"dag": "big.dag.json", "schedule": "0 4 * * *", "sources": sources}},
    }
    (root / "script_testing.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def time_load(project: Path, repeat: int) -> dict:
    import dagster  # noqa: F401  (import cost is reported separately)

    from script_testing.orchestration import build_definitions

    times, counts = [], None
    for _ in range(repeat):
        from script_testing.pipeline import plan as plan_module

        plan_module._CATALOGS = plan_module.CatalogCache()  # no warm catalog between repeats
        t0 = time.perf_counter()
        defs = build_definitions(project)
        graph = defs.resolve_asset_graph()
        for job in defs.jobs:
            defs.resolve_job_def(job.name)
        times.append(time.perf_counter() - t0)
        counts = (len(list(graph.materializable_asset_keys)), len(list(graph.asset_check_keys)))
    env = {**os.environ, "SCRIPT_TESTING_PROJECT": str(project)}
    fresh = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "import script_testing.definitions"], env=env, check=True, cwd=project
        )
        fresh.append(time.perf_counter() - t0)
    return {
        "assets": counts[0],
        "checks": counts[1],
        "build_s": statistics.median(times),
        "fresh_process_import_s": statistics.median(fresh),
    }


def time_plain_chain(nodes: int, repeat: int) -> float:
    """Plain Dagster: N chained multi-assets, each with one asset check spec; build, resolve graph and job."""
    import dagster as dg

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        assets = []
        for i in range(nodes):
            key = dg.AssetKey(["big", f"Step{i:04d}", "data"])
            deps = [dg.AssetKey(["big", f"Step{i - 1:04d}", "data"])] if i else []

            @dg.multi_asset(
                name=f"big__Step{i:04d}",
                specs=[dg.AssetSpec(key, deps=deps, group_name="big", skippable=True)],
                check_specs=[dg.AssetCheckSpec(f"feeds_Step{i + 1:04d}__input_data", asset=key)],
                can_subset=True,
            )
            def _node(context):
                yield dg.MaterializeResult()

            assets.append(_node)
        job = dg.define_asset_job("big", selection=dg.AssetSelection.groups("big"))
        defs = dg.Definitions(assets=assets, jobs=[job])
        defs.resolve_asset_graph()
        defs.resolve_job_def("big")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _root_cause(exc: BaseException) -> str:
    """The innermost cause of a failed load, e.g. ``RecursionError: maximum recursion depth exceeded``."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def time_chain(nodes: int, repeat: int) -> dict:
    """Ours and plain Dagster on a chain of ``nodes``; a side that fails to load says why."""
    out: dict = {"nodes": nodes}
    with tempfile.TemporaryDirectory(prefix="dagster_chain_") as tmp:
        project = write_project(Path(tmp), nodes, width=1)
        try:
            ours = time_load(project, repeat)
            out.update(ours_build_s=round(ours["build_s"], 2), checks=ours["checks"])
        except Exception as exc:
            out["ours_error"] = _root_cause(exc)
    try:
        out["plain_dagster_build_s"] = round(time_plain_chain(nodes, repeat), 2)
    except Exception as exc:
        out["plain_dagster_error"] = _root_cause(exc)
    if "ours_build_s" in out and "plain_dagster_build_s" in out:
        out["ratio"] = round(out["ours_build_s"] / out["plain_dagster_build_s"], 2)
    return out


BARE = r"""
import argparse, importlib, importlib.util, json, os, runpy, sys, time
t0 = time.perf_counter()
jobs = json.load(open(sys.argv[1]))
done_preload = set()
for job in jobs:
    for p in job["sys_path"]:
        if p not in sys.path:
            sys.path.insert(0, p)
    for f in job["preload"]:
        if f not in done_preload:
            runpy.run_path(f)
            done_preload.add(f)
    os.environ.update(job["environ_vars"])
    if job["module"]:
        module = importlib.import_module(job["module"])
    else:
        spec = importlib.util.spec_from_file_location("bare_" + job["node"], job["script_path"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    cwd = os.getcwd()
    os.makedirs(job["work_dir"], exist_ok=True)
    os.chdir(job["work_dir"])
    try:
        module.main(job["input_paths"], job["output_paths"], job["environ_vars"], argparse.Namespace(**job["job_args"]))
    finally:
        os.chdir(cwd)
print(json.dumps({"bare_s": time.perf_counter() - t0}))
"""


def bare_jobs(pipeline: str, root: Path) -> Path:
    """Inputs materialized by the core (not timed), and one bare job per script node in DAG order."""
    from script_testing.api import open_project
    from script_testing.execution.inputs import materialize_source, source_for
    from script_testing.execution.layout import input_path_for, output_dir, source_input_dir
    from script_testing.execution.steps import build_job
    from script_testing.pipeline.plan import load_plan

    plan = load_plan(open_project(None), pipeline)
    data: dict[tuple[str, str], Path] = {}
    jobs = []
    for node in plan.order:
        n = plan.nodes[node]
        if n.role == "data":
            for out in n.outputs:
                if source_for(plan, node, out) is not None:
                    data[(node, out)] = Path(
                        materialize_source(plan, node, out, output_dir(root, node, out)).path
                    )
            continue
        if n.role != "script":
            continue
        inputs = {}
        for port, w in n.inputs.items():
            if w.kind == "source":
                path = Path(materialize_source(plan, node, port, source_input_dir(root, node, port)).path)
            elif w.kind in ("edge", "binding"):
                path = data[(w.upstream, w.output)]
            else:
                continue
            inputs[port] = str(input_path_for(plan, node, port, path))
        job = build_job(plan, node, root, inputs)
        for out, path in job.output_paths.items():
            data[(node, out)] = Path(path)
        d = job.to_dict()
        d["sys_path"] = [str(p) for p in job.sys_path]
        jobs.append(d)
    spec = root / "jobs.json"
    spec.write_text(json.dumps(jobs))
    return spec


def time_run(pipeline: str, repeat: int) -> dict:
    dagster_s, bare_s, nochecks_s = [], [], []
    with tempfile.TemporaryDirectory(prefix="dagster_bench_") as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        env = {**os.environ, "DAGSTER_HOME": str(home), "SCRIPT_TESTING_RUNS": str(tmp / "runs")}
        env.pop("SCRIPT_TESTING_PROJECT", None)
        for i in range(repeat):
            spec = bare_jobs(pipeline, tmp / f"bare{i}")
            t0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", BARE, str(spec)],
                env=env,
                cwd=tmp,
                check=True,
                capture_output=True,
                text=True,
            )
            bare_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            res = subprocess.run(
                [str(BIN / "dagster"), "job", "execute", "-m", "script_testing.definitions", "-j", pipeline],
                env=env,
                cwd=tmp,
                capture_output=True,
                text=True,
            )
            dagster_s.append(time.perf_counter() - t0)
            if res.returncode != 0:
                raise SystemExit(f"dagster job execute failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
            inner = json.loads(out.stdout.strip().splitlines()[-1])["bare_s"]
            cfg = tmp / "nochecks.yaml"  # the same run with the edge checks' expectations off (no GX)
            cfg.write_text("resources:\n  runner:\n    config:\n      checks: false\n")
            t0 = time.perf_counter()
            subprocess.run(
                [
                    str(BIN / "dagster"),
                    "job",
                    "execute",
                    "-m",
                    "script_testing.definitions",
                    "-j",
                    pipeline,
                    "-c",
                    str(cfg),
                ],
                env=env,
                cwd=tmp,
                capture_output=True,
                check=True,
            )
            nochecks_s.append(time.perf_counter() - t0)
    d, b, n = statistics.median(dagster_s), statistics.median(bare_s), statistics.median(nochecks_s)
    return {
        "pipeline": pipeline,
        "dagster_job_execute_s": round(d, 2),
        "bare_mains_process_s": round(b, 2),
        "bare_mains_inside_s": round(inner, 2),
        "ratio": round(d / b, 2),
        "dagster_job_execute_no_checks_s": round(n, 2),
        "ratio_no_checks": round(n / b, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pipeline", default="tabular_calibrated")
    parser.add_argument("--skip-run", action="store_true", help="only time loading the definitions")
    parser.add_argument(
        "--chain", type=int, help="only time loading a chain of this many nodes vs plain Dagster"
    )
    args = parser.parse_args(argv)

    if args.chain:
        chain = time_chain(args.chain, args.repeat)
        ours = chain.get("ours_build_s", chain.get("ours_error"))
        plain = chain.get("plain_dagster_build_s", chain.get("plain_dagster_error"))
        ratio = f"{chain['ratio']:.2f}x" if "ratio" in chain else "no ratio"
        print(
            f"chain of {chain['nodes']}: build_definitions + resolve graph and job: ours {ours} s, "
            f"plain Dagster {plain} s: {ratio} (target <= 1.5x)"
        )
        print(json.dumps({"chain": chain}))
        return

    with tempfile.TemporaryDirectory(prefix="dagster_load_") as tmp:
        project = write_project(Path(tmp), args.nodes)
        t0 = time.perf_counter()
        import dagster  # noqa: F401

        import_s = time.perf_counter() - t0
        load = time_load(project, args.repeat)
    print(
        f"load: {args.nodes} nodes -> {load['assets']} assets, {load['checks']} checks; "
        f"build_definitions + resolve graph and jobs: {load['build_s']:.2f} s (target < 3 s); "
        f"fresh `import script_testing.definitions`: {load['fresh_process_import_s']:.2f} s "
        f"(of which `import dagster` ~{import_s:.2f} s)"
    )
    if not args.skip_run:
        run = time_run(args.pipeline, args.repeat)
        print(
            f"run: {run['pipeline']}: `dagster job execute` {run['dagster_job_execute_s']:.2f} s vs each main() "
            f"bare in a fresh process {run['bare_mains_process_s']:.2f} s "
            f"(mains alone {run['bare_mains_inside_s']:.2f} s): ratio {run['ratio']:.2f}x (target <= 1.5x); "
            f"with runner.checks false (no GX): {run['dagster_job_execute_no_checks_s']:.2f} s, "
            f"ratio {run['ratio_no_checks']:.2f}x"
        )
        print(json.dumps({"load": load, "run": run}))
    else:
        print(json.dumps({"load": load}))


if __name__ == "__main__":
    main()
