"""Run a pipeline plan: sources first, then every script in DAG order in the isolated worker,
with the data crossing each edge checked before its consumer runs.

The per-node functions (``materialize_node_source``, ``run_script_node``, ``check_input``) are
what the Dagster layer calls from its asset bodies; :class:`PipelineExecution` is the core's own
scheduler, used by the CLI, the notebook API and the tests.
"""

from __future__ import annotations

import concurrent.futures as cf
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from script_testing.errors import ScriptTestingError, SourceError
from script_testing.formats.project import SourceSpec
from script_testing.plan import NodePlan, PipelinePlan
from script_testing.report import EdgeReport, NodeReport, OutputSummary, RunReport, now_iso
from script_testing.state import new_run_id, runs_root
from script_testing.wiring import InputWire, input_file_name

EventHandler = Callable[[str, dict[str, Any]], None]


@dataclass
class RunOptions:
    """Per-run choices; everything defaults to the project's configuration."""

    run_id: str | None = None
    run_dir: Path | None = None
    parallelism: int | None = None
    rows_override: int | None = None
    seed_override: int | None = None
    select: list[str] | None = None            # run only these nodes; upstream data from reuse_run / sources
    reuse_run: Path | None = None              # a previous run folder whose outputs feed unselected upstreams
    source_overrides: dict[str, SourceSpec] = field(default_factory=dict)
    source_options: dict[str, Any] = field(default_factory=dict)
    synthesized: dict[str, Any] = field(default_factory=dict)   # "Node.input" -> selection.SynthesizedInput
    checks: bool = True
    rebaseline: bool = False
    on_event: EventHandler | None = None


# ----------------------------------------------------------------------------- paths


def output_dir(run_dir: Path, node: str, output: str) -> Path:
    return run_dir / node / output


def source_input_dir(run_dir: Path, node: str, port: str) -> Path:
    return run_dir / node / "inputs" / port


def logs_dir(run_dir: Path, node: str) -> Path:
    return run_dir / node / "_run"


def input_path_for(plan: PipelinePlan, node: str, port: str, data_path: Path) -> Path:
    """A folder of upstream data, or the file in it when the consumer's contract names a file."""
    name = input_file_name(plan.nodes[node].resolved, port)
    if name and data_path.is_dir() and (data_path / name).exists():
        return data_path / name
    return data_path


# ----------------------------------------------------------------------------- sources


def source_context(plan: PipelinePlan, options: RunOptions | None = None):
    from script_testing.sources.base import SourceContext
    options = options or RunOptions()
    return SourceContext(project_root=plan.project.root, profiles=plan.project.config.data_profiles,
                         rows_override=options.rows_override, seed_override=options.seed_override,
                         options={"s3": plan.project.config.s3, **options.source_options})


def source_for(plan: PipelinePlan, node: str, port: str, options: RunOptions | None = None) -> SourceSpec | None:
    key = f"{node}.{port}"
    if options and key in options.source_overrides:
        return options.source_overrides[key]
    if plan.nodes[node].role == "script":
        wire = plan.nodes[node].inputs.get(port)
        return wire.source if wire is not None and wire.kind == "source" else None
    return plan.wiring.data_outputs.get(node, {}).get(port)


def check_sources(plan: PipelinePlan, options: RunOptions | None = None) -> list[str]:
    """Problems with every source the run will use, found before any script runs."""
    from script_testing import sources
    ctx = source_context(plan, options)
    problems: list[str] = []
    for node, port, spec in used_sources(plan, options):
        for p in sources.check(spec, ctx):
            problems.append(f"{node}.{port} ({spec.describe()}): {p}")
    return problems


def used_sources(plan: PipelinePlan, options: RunOptions | None = None) -> list[tuple[str, str, SourceSpec]]:
    out = []
    consumed = {(w.upstream, w.output) for w in _all_wires(plan)}
    for node in plan.order:
        n = plan.nodes[node]
        if n.role == "script":
            for port in n.inputs:
                spec = source_for(plan, node, port, options)
                if spec is not None:
                    out.append((node, port, spec))
        else:
            for port in n.outputs:
                spec = source_for(plan, node, port, options)
                if spec is not None and ((node, port) in consumed or n.role == "data"):
                    out.append((node, port, spec))
    return out


def materialize_source(plan: PipelinePlan, node: str, port: str, dest: Path, options: RunOptions | None = None):
    """Materialize the source of ``node.port`` into ``dest`` (emptied first)."""
    from script_testing import sources
    spec = source_for(plan, node, port, options)
    if spec is None:
        raise SourceError(f"no source configured for {node}.{port}", where=str(plan.project.file),
                          hint=f"add it under pipelines.{plan.name}.sources")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    default_file = input_file_name(plan.nodes[node].resolved, port) if plan.nodes[node].role == "script" else None
    return sources.materialize(spec, dest, source_context(plan, options), default_file=default_file)


# ----------------------------------------------------------------------------- scripts


def build_job(plan: PipelinePlan, node: str, run_dir: Path, input_paths: dict[str, str]):
    from script_testing.runner import ScriptJob, resolve_module
    n = plan.nodes[node]
    script = n.resolved.script_path
    assert script is not None, f"{node} has no script"
    root, module = resolve_module(script, plan.project.python_path)
    outputs = {}
    for out in n.outputs:
        d = output_dir(run_dir, node, out)
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        outputs[out] = str(d)
    work = logs_dir(run_dir, node)
    work.mkdir(parents=True, exist_ok=True)
    return ScriptJob(node=node, script_path=script, module=module,
                     sys_path=[*plan.project.python_path, root], preload=plan.project.preload,
                     input_paths=dict(input_paths), output_paths=outputs, environ_vars=dict(n.environ_vars),
                     job_args=dict(n.job_args), argv=[str(script), *n.argv()], work_dir=work,
                     timeout_s=n.timeout_s, memory_limit_mb=n.memory_limit_mb)


def preimports_for(plan: PipelinePlan) -> list[str]:
    from script_testing.runner import discover_imports
    configured = plan.project.config.runner.preimport
    if configured is not None:
        return list(configured)
    scripts = [n.resolved.script_path for n in plan.nodes.values() if n.resolved.script_path]
    return discover_imports(scripts)


def node_report_from_result(plan: PipelinePlan, node: str, result, input_paths: dict[str, str]) -> NodeReport:
    n = plan.nodes[node]
    rep = base_node_report(n)
    rep.status = "passed" if result.status == "passed" else "failed"
    rep.duration_s = round(result.duration_s, 4)
    rep.peak_memory_mb = round(result.peak_memory_mb, 1) if result.peak_memory_mb is not None else None
    rep.inputs = dict(input_paths)
    rep.outputs = {k: str(v.path) for k, v in result.outputs.items()}
    rep.output_summary = {k: OutputSummary(path=str(v.path), exists=v.exists, files=v.files, bytes=v.bytes,
                                           sample_files=list(v.sample))
                          for k, v in result.outputs.items()}
    rep.stdout_path, rep.stderr_path = str(result.stdout_path), str(result.stderr_path)
    rep.stderr_tail = result.stderr_tail or None
    rep.exit_code, rep.signal = result.exit_code, result.signal
    if rep.status == "failed":
        rep.error = result.error
        rep.error_kind = result.kind
        rep.error_detail = result.traceback
    else:
        missing = [k for k, v in result.outputs.items() if not v.exists or v.files == 0]
        if missing:
            rep.error = (f"{node}: main() returned but wrote nothing to output(s) {', '.join(missing)}; "
                         f"check the output keys the script uses against the contract")
    return rep


def base_node_report(n: NodePlan) -> NodeReport:
    r = n.resolved
    return NodeReport(role=n.role, step_type=r.step_type, job_type=r.job_type,
                      script=str(r.script_path) if r.script_path else None)


def run_script_node(plan: PipelinePlan, node: str, run_dir: Path, input_paths: dict[str, str], pool) -> NodeReport:
    """Run one node's script in the worker pool and report it (never raises for a script failure)."""
    job = build_job(plan, node, run_dir, input_paths)
    started = now_iso()
    result = pool.run(job)
    rep = node_report_from_result(plan, node, result, input_paths)
    rep.started_at, rep.finished_at = started, now_iso()
    return rep


# ----------------------------------------------------------------------------- checks


def _all_wires(plan: PipelinePlan) -> list[InputWire]:
    return [w for wires in plan.wiring.inputs.values() for w in wires.values()]


def edge_reports(plan: PipelinePlan) -> list[EdgeReport]:
    """One entry per edge (upstream output -> input) and per source feeding an input."""
    out = []
    for w in _all_wires(plan):
        if w.kind in ("edge", "binding"):
            out.append(EdgeReport(**{"from": w.upstream}, output=w.output, to=w.node, input=w.input,
                                  severity=_severity(plan, w)))
        elif w.kind == "source":
            out.append(EdgeReport(**{"from": "sources"}, output=f"{w.node}.{w.input}", to=w.node, input=w.input,
                                  severity=_severity(plan, w), kind="source"))
    return out


def _severity(plan: PipelinePlan, wire: InputWire) -> str:
    exp = plan.expectations_for(wire.node, wire.input)
    return exp.severity if exp is not None else "block"


# ----------------------------------------------------------------------------- the scheduler


class PipelineExecution:
    """Runs a whole plan (or a selection of it) and writes ``report.json`` after every step."""

    def __init__(self, plan: PipelinePlan, options: RunOptions | None = None, pool=None) -> None:
        self.plan = plan
        self.options = options or RunOptions()
        self.run_id = self.options.run_id or new_run_id()
        self.run_dir = Path(self.options.run_dir or runs_root(plan.project) / plan.name / self.run_id)
        self._pool = pool
        self._own_pool = pool is None
        self.report = RunReport(pipeline=plan.name, run_id=self.run_id, project=str(plan.project.root),
                                run_dir=str(self.run_dir))
        self.report.edges = edge_reports(plan)
        self._edge_by_input = {(e.to, e.input): e for e in self.report.edges}
        self._data: dict[tuple[str, str], Path] = {}     # (node, output) -> path of the data in this run
        self._checker = None
        self.selected = self._selection()

    # -- helpers
    def _emit(self, event: str, **data: Any) -> None:
        if self.options.on_event is not None:
            try:
                self.options.on_event(event, data)
            except Exception:  # a progress printer must never break a run
                pass

    def _selection(self) -> set[str]:
        if not self.options.select:
            return set(self.plan.order)
        unknown = [n for n in self.options.select if n not in self.plan.nodes]
        if unknown:
            raise ScriptTestingError(f"unknown node(s) in the selection: {', '.join(unknown)}",
                                     where=f"pipeline {self.plan.name}",
                                     hint=f"nodes are: {', '.join(self.plan.order)}")
        return set(self.options.select)

    def _pool_get(self):
        if self._pool is None:
            from script_testing.runner import WorkerPool
            self._pool = WorkerPool(preimport=preimports_for(self.plan))
        return self._pool

    def _save(self) -> None:
        self.report.write(self.run_dir)

    # -- the run
    def run(self) -> RunReport:
        t0 = time.perf_counter()
        if self.options.checks and self.report.edges:
            warm_up_checks()
        if any(n.role == "script" for n in self.plan.nodes.values()):
            self._pool_get().start()     # the worker's imports overlap planning and source generation
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.report.warnings = [w for n in self.plan.nodes.values() for w in n.warnings]
        for n in self.plan.order:
            self.report.nodes[n] = base_node_report(self.plan.nodes[n])
        self._save()
        self._write_spec()
        try:
            problems = self._preflight()
            if problems:
                self.report.status = "error"
                self.report.error = (f"{len(problems)} data source problem(s) found before running any script:\n"
                                     + "\n".join(f"  - {p}" for p in problems))
                for n, rep in self.report.nodes.items():
                    rep.status, rep.skipped_because = "skipped", "source problems found before the run"
                return self.report
            self._schedule()
            if self._checker is not None:
                try:
                    self._checker.build_docs()
                except Exception as exc:  # Data Docs are a convenience; the checks' results stand
                    self.report.warnings.append(f"could not build the Data Docs site ({type(exc).__name__}: {exc})")
        finally:
            self.report.finished_at = now_iso()
            self.report.duration_s = round(time.perf_counter() - t0, 3)
            if self.report.status != "error":
                ok_nodes = all(r.status in ("passed", "source") or (r.status == "skipped" and r.skipped_because
                               and r.skipped_because.startswith(("no script", "not selected")))
                               for r in self.report.nodes.values())
                ok_edges = not any(e.status == "failed" and e.severity == "block" for e in self.report.edges)
                self.report.success = ok_nodes and ok_edges
                self.report.status = "passed" if self.report.success else "failed"
            self._save()
            self._emit("run_finished", report=self.report)
        return self.report

    def close(self) -> None:
        if self._own_pool and self._pool is not None:
            self._pool.close()
            self._pool = None

    def _write_spec(self) -> None:
        from script_testing.specs import SpecStore
        from script_testing.state import state_root
        paths = {}
        for node in self.plan.order:
            n = self.plan.nodes[node]
            ins = {p: str(self._planned_input_path(node, p)) for p, w in n.inputs.items() if w.provided}
            outs = {o: str(output_dir(self.run_dir, node, o)) for o in n.outputs}
            paths[node] = (ins, outs)
        spec = self.plan.testing_spec(paths)
        store = SpecStore(state_root(self.plan.project))
        for node, s in spec.scripts.items():   # user notes survive regeneration
            old = store.load_script_spec(self.plan.name, s.script_name) if self.plan.nodes[node].role == "script" \
                else None
            if old is not None:
                s.user_notes, s.pinned = old.user_notes, old.pinned
        try:
            store.save_pipeline_spec(spec)
        except OSError as exc:
            self.report.warnings.append(f"could not save the specs under {store.root}: {exc.strerror}")

    def _planned_input_path(self, node: str, port: str) -> Path:
        w = self.plan.nodes[node].inputs[port]
        if source_for(self.plan, node, port, self.options) is not None:
            return source_input_dir(self.run_dir, node, port)
        return output_dir(self.run_dir, w.upstream, w.output)

    def _preflight(self) -> list[str]:
        problems = check_sources(self.plan, self.options)
        if self.options.select:
            problems += self._reuse_problems()
        return problems

    def _reuse_problems(self) -> list[str]:
        problems = []
        for node in self.selected:
            for port, w in self.plan.nodes[node].inputs.items():
                if w.kind in ("edge", "binding") and w.upstream not in self.selected \
                        and source_for(self.plan, node, port, self.options) is None \
                        and f"{node}.{port}" not in self.options.synthesized:
                    path = self._reused_path(w.upstream, w.output)
                    if path is None:
                        where = f"run {self.options.reuse_run}" if self.options.reuse_run else "no earlier run given"
                        problems.append(f"{node}.{port} needs {w.upstream}.{w.output}, which is not selected and "
                                        f"has no earlier output ({where}); select {w.upstream} too or pass a run "
                                        f"whose outputs to reuse")
        return problems

    def _reused_path(self, node: str, output: str) -> Path | None:
        if self.options.reuse_run is None:
            return None
        p = output_dir(Path(self.options.reuse_run), node, output)
        return p if p.exists() else None

    def _schedule(self) -> None:
        plan = self.plan
        deps = plan.dependencies
        done: dict[str, str] = {}            # node -> final status
        running: dict[cf.Future, tuple[str, dict[str, str], str]] = {}
        remaining = list(plan.order)
        limit = max(1, self.options.parallelism or plan.project.config.runner.parallelism)
        while remaining or running:
            progressed = False
            for node in list(remaining):
                if len(running) >= limit:
                    break
                if any(d not in done for d in deps[node] if d in self.selected or d in remaining):
                    continue
                remaining.remove(node)
                progressed = True
                fut = self._start(node, done)
                if fut is not None:
                    running[fut[0]] = (node, fut[1], fut[2])
            if running and not progressed:
                finished, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
                for f in finished:
                    node, inputs, started = running.pop(f)
                    rep = node_report_from_result(plan, node, f.result(), inputs)
                    rep.started_at, rep.finished_at = started, now_iso()
                    self._finish(node, rep, done)
            elif not running and not progressed and remaining:   # pragma: no cover - guarded by the DAG
                raise ScriptTestingError(f"internal scheduling stall on {remaining}")

    def _finish(self, node: str, rep: NodeReport, done: dict[str, str]) -> None:
        self.report.nodes[node] = rep
        done[node] = rep.status
        if rep.status in ("passed", "source"):
            for out, path in rep.outputs.items():
                self._data[(node, out)] = Path(path)
        self._save()
        self._emit("node_finished", node=node, report=rep)

    def _start(self, node: str, done: dict[str, str]):
        """Start ``node``: returns (future, inputs, started_at) for a script, else finishes it at once."""
        plan = self.plan
        n = plan.nodes[node]
        rep = base_node_report(n)
        if node not in self.selected:
            rep.status, rep.skipped_because = "skipped", "not selected"
            self._finish(node, rep, done)
            return None
        bad = [d for d in plan.dependencies[node] if d in self.selected and done.get(d) in ("failed", "skipped")]
        if bad:
            rep.status = "skipped"
            rep.skipped_because = f"upstream {', '.join(bad)} {'failed' if done.get(bad[0]) == 'failed' else 'did not run'}"
            self._skip_edges_into(node, rep.skipped_because)
            self._finish(node, rep, done)
            return None
        self._emit("node_started", node=node, role=n.role)
        if n.role != "script":
            return self._start_data_node(node, rep, done)
        # inputs: sources first, then upstream data; check each before the script runs
        inputs: dict[str, str] = {}
        blocked: list[str] = []
        for port, w in n.inputs.items():
            path = self._input_data(node, port, w, rep)
            if path is None:
                if rep.status == "failed":
                    self._finish(node, rep, done)
                    return None
                continue
            edge = self._edge_by_input.get((node, port))
            if edge is not None:
                self._check(edge, path)
                if edge.status == "failed" and edge.severity == "block":
                    blocked.append(edge.summary or edge.id)
            inputs[port] = str(input_path_for(plan, node, port, path))
        if blocked:
            rep.status = "skipped"
            rep.skipped_because = "edge check failed: " + "; ".join(blocked)
            rep.inputs = inputs
            self._finish(node, rep, done)
            return None
        started = now_iso()
        job = build_job(plan, node, self.run_dir, inputs)
        self.report.nodes[node].status = "running"
        return self._pool_get().submit(job), inputs, started

    def _input_data(self, node: str, port: str, w: InputWire, rep: NodeReport) -> Path | None:
        spec = source_for(self.plan, node, port, self.options)
        if spec is not None:
            dest = source_input_dir(self.run_dir, node, port)
            try:
                data = materialize_source(self.plan, node, port, dest, self.options)
            except ScriptTestingError as exc:
                rep.status, rep.error, rep.error_kind = "failed", f"{node}.{port}: {exc.message}", "source"
                return None
            return Path(data.path)
        synthesized = self.options.synthesized.get(f"{node}.{port}")
        if synthesized is not None:
            from script_testing.selection import write_synthesized
            return write_synthesized(synthesized, source_input_dir(self.run_dir, node, port))
        if w.kind in ("edge", "binding"):
            path = self._data.get((w.upstream, w.output)) or self._reused_path(w.upstream, w.output)
            return path
        return None

    def _start_data_node(self, node: str, rep: NodeReport, done: dict[str, str]):
        n = self.plan.nodes[node]
        if n.role == "sink":
            rep.status, rep.skipped_because = "skipped", "no script: a sink, nothing to run"
            self._finish(node, rep, done)
            return None
        t0 = time.perf_counter()
        rep.started_at = now_iso()
        descriptions = []
        for out in n.outputs:
            if source_for(self.plan, node, out, self.options) is None:
                continue
            try:
                data = materialize_source(self.plan, node, out, output_dir(self.run_dir, node, out), self.options)
            except ScriptTestingError as exc:
                rep.status, rep.error, rep.error_kind = "failed", f"{node}.{out}: {exc.message}", "source"
                break
            rep.outputs[out] = str(data.path)
            rep.output_summary[out] = OutputSummary(path=str(data.path), files=len(data.files), bytes=data.bytes,
                                                    rows=data.rows)
            descriptions.append(f"{out}: {data.description}")
        else:
            rep.status = "source"
        rep.source = "; ".join(descriptions) or None
        rep.duration_s = round(time.perf_counter() - t0, 4)
        rep.finished_at = now_iso()
        self._finish(node, rep, done)
        return None

    def _skip_edges_into(self, node: str, why: str) -> None:
        for e in self.report.edges:
            if e.to == node and e.status == "pending":
                e.status, e.summary = "skipped", why

    def _check(self, edge: EdgeReport, path: Path) -> None:
        if not self.options.checks:
            edge.status, edge.summary = "skipped", "checks turned off for this run"
            return
        if self._checker is None:
            from script_testing.edge_checks import EdgeChecker
            self._checker = EdgeChecker(self.plan, self.run_dir, rebaseline=self.options.rebaseline)
        try:
            self._checker.check(edge, path, synthesized=f"{edge.to}.{edge.input}" in self.options.synthesized)
        except Exception as exc:  # a bug in a check must cost one edge, not the run
            edge.status = "failed"
            edge.summary = (f"{edge.id}: the check itself failed ({type(exc).__name__}: {exc}); "
                            f"the data was not validated. Re-run with --no-checks to continue, and report this")
        self._save()
        self._emit("edge_checked", edge=edge)


_WARM_UP: list = []


def warm_up_checks() -> None:
    """Import Great Expectations in a background thread (once per process), so its 3 s import
    overlaps with generating sources and starting the script worker instead of delaying the first check."""
    if _WARM_UP:
        return
    import threading

    def _warm() -> None:
        try:
            from script_testing.checks import warm_up
            warm_up()
        except Exception:  # the first real check reports any problem clearly
            pass
    thread = threading.Thread(target=_warm, name="gx-warm-up", daemon=True)
    _WARM_UP.append(thread)
    thread.start()


def run_pipeline(plan: PipelinePlan, options: RunOptions | None = None, pool=None) -> RunReport:
    """Run ``plan`` and return its report (also written to ``<run dir>/report.json``)."""
    execution = PipelineExecution(plan, options, pool=pool)
    try:
        return execution.run()
    finally:
        execution.close()
