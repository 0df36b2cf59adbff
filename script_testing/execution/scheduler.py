"""Run a pipeline plan: sources first, then every script in DAG order in the isolated worker, with
the data crossing each edge checked before its consumer runs.

:class:`PipelineExecution` is the core's own scheduler, used by the CLI, the Python API and the
tests; the Dagster layer calls the per-node pieces (:mod:`.inputs`, :mod:`.steps`, :mod:`.edges`)
from its asset bodies. Both decide success with :func:`.outcome.finalize`.

A little above ~400 lines: one state machine (start, check, run, finish, interrupt) that reads best whole.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import errno
import importlib
import os
import queue
import shutil
import sys
import threading
import time
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from script_testing.checks.docs_process import DocsProcess, shared_docs_process
from script_testing.config.state import state_root
from script_testing.errors import ScriptTestingError
from script_testing.execution.edges import EdgeChecker, edge_reports
from script_testing.execution.guard import InputGuard, record_manifest
from script_testing.execution.inputs import check_sources, materialize_source, source_for, write_synthesized
from script_testing.execution.interrupts import signal_name
from script_testing.execution.layout import (
    create_run_dir,
    input_path_for,
    output_dir,
    reused_path,
    run_dir_for,
    source_input_dir,
)
from script_testing.execution.options import RunOptions
from script_testing.execution.outcome import finalize, run_budgets, skip, this_host
from script_testing.execution.steps import (
    base_node_report,
    build_job,
    check_guard,
    guard_inputs,
    node_report_from_result,
    preimports_for,
    record_outputs,
    refused_report,
)
from script_testing.files import remove_tree
from script_testing.pipeline.plan import PipelinePlan
from script_testing.pipeline.specs import SpecStore
from script_testing.pipeline.wiring import InputWire
from script_testing.reports.model import EdgeReport, NodeReport, OutputSummary, RunReport, now_iso
from script_testing.vocabulary import (
    NOT_RUN_NO_SCRIPT,
    UPSTREAM_KINDS,
    EdgeStatus,
    NodeRole,
    NodeStatus,
    RunStatus,
    Severity,
    SkipReason,
)
from script_testing.worker import ScriptJob, WorkerPool

_Started = tuple[cf.Future, dict[str, str], str, InputGuard]  # (future, its inputs, started at, guard)

# report.json is a progress view while a run goes on: rewritten at most this often (a whole rewrite per
# step made each step cost more in a larger run), and always at the start and at the end of the run.
SAVE_INTERVAL_S = 0.5


def _next_finished(finished: queue.SimpleQueue) -> cf.Future:
    """The next finished future; waits in short slices so a signal is handled promptly."""
    while True:
        with contextlib.suppress(queue.Empty):
            return finished.get(timeout=0.5)


def _disk_nearly_full(folder: Path) -> bool:
    """Less than 1 MiB free where the run writes: the throttled report write is done now, so a full
    disk stops the run with its sentence before the next script starts (a statvfs costs microseconds)."""
    try:
        return shutil.disk_usage(folder).free < (1 << 20)
    except OSError:
        return False


def _import_in_background(name: str) -> None:
    """Import ``name`` in a daemon thread (a no-op once imported): its import overlaps the worker's start
    and the sources instead of delaying the first edge check. Python's per-module import locks make a
    second import of it wait for this one; a failure is left for the real import to report."""
    if name in sys.modules:
        return

    def _import() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(name)

    threading.Thread(target=_import, name=f"import-{name}", daemon=True).start()


class PipelineExecution:
    """Runs a whole plan (or a selection of it); ``report.json`` is written when the run starts, at most
    every ``SAVE_INTERVAL_S`` while it goes on, and when it ends."""

    def __init__(
        self, plan: PipelinePlan, options: RunOptions | None = None, pool: WorkerPool | None = None
    ) -> None:
        self.plan = plan
        self.options = options or RunOptions()
        self.run_id, default_dir = run_dir_for(plan, self.options.run_id)
        self.run_dir = Path(self.options.run_dir or default_dir)
        self._pool = pool
        self._own_pool = pool is None
        self.report = RunReport(
            pipeline=plan.name,
            run_id=self.run_id,
            project=str(plan.project.root),
            run_dir=str(self.run_dir),
            pid=os.getpid(),
            host=this_host(),
        )
        self.report.edges = edge_reports(plan)
        self.report.budgets = run_budgets(plan)
        self._edge_by_input = {(e.to, e.input): e for e in self.report.edges}
        self._data: dict[tuple[str, str], Path] = {}  # (node, output) -> path of the data in this run
        self._checker: EdgeChecker | None = None
        self._saved_at: float | None = None
        self._docs: DocsProcess | None = None
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
            raise ScriptTestingError(
                f"unknown node(s) in the selection: {', '.join(unknown)}",
                where=f"pipeline {self.plan.name}",
                hint=f"nodes are: {', '.join(self.plan.order)}",
            )
        return set(self.options.select)

    def _pool_get(self) -> WorkerPool:
        if self._pool is None:
            self._pool = WorkerPool(preimport=preimports_for(self.plan))
        return self._pool

    def _save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if (
            force
            or self._saved_at is None
            or now - self._saved_at >= SAVE_INTERVAL_S
            or _disk_nearly_full(self.run_dir)
        ):
            self.report.write(self.run_dir)
            self._saved_at = time.monotonic()

    def _save_final(self) -> None:
        """Write the final record; on a full disk, overwrite the old one in place (no new blocks)."""
        try:
            self._save(force=True)
        except OSError:
            with contextlib.suppress(OSError):
                self.report.write_in_place(self.run_dir)

    # -- the run
    def run(self) -> RunReport:
        t0 = time.perf_counter()
        docs_policy = self.plan.project.config.runner.data_docs
        if self.options.checks and self.report.edges and docs_policy != "off":
            self._docs = shared_docs_process()  # started on the first page to build (failures only)...
            if docs_policy == "all":
                self._docs.start()  # ...or now: it imports GX on another core while the scripts run
            _import_in_background("pandas")  # the checks read with pandas: not on the first check's path
        if any(n.role == NodeRole.SCRIPT for n in self.plan.nodes.values()):
            self._pool_get().start()  # the worker's imports overlap planning and source generation
        create_run_dir(self.run_dir, self.run_id, self.plan.name)
        self.report.warnings = [w for n in self.plan.nodes.values() for w in n.warnings]
        for n in self.plan.order:
            self.report.nodes[n] = base_node_report(self.plan.nodes[n], self.plan)
        self._save(force=True)
        # the specs (a file per script node) are written beside the run, not in its way
        spec_writer = threading.Thread(target=self._write_spec, name="write-specs", daemon=True)
        spec_writer.start()
        try:
            problems = self._preflight()
            if problems:
                self.report.status = RunStatus.ERROR
                self.report.error = (
                    f"{len(problems)} data source problem(s) found before running any script:\n"
                    + "\n".join(f"  - {p}" for p in problems)
                )
                for rep in self.report.nodes.values():
                    skip(rep, SkipReason.SOURCE_PROBLEMS, "source problems found before the run")
                return self.report
            self._schedule()
            if self._checker is not None:
                try:
                    self._checker.build_docs()
                except Exception as exc:  # Data Docs are a convenience; the checks' results stand
                    self.report.warnings.append(
                        f"could not build the Data Docs site ({type(exc).__name__}: {exc})"
                    )
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM via signals_as_interrupts
            self.report.status = RunStatus.INTERRUPTED
            self.report.error = (
                f"the run was interrupted ({signal_name(exc)}); the nodes that had finished keep their "
                f"results, the others are marked interrupted: re-run to complete it"
            )
            exc.report = self.report  # type: ignore[attr-defined]
            raise
        except OSError as exc:
            self.report.status = RunStatus.ERROR
            self.report.error = stopped_by(exc, self.run_dir)
            exc.report = self.report  # type: ignore[attr-defined]
            raise
        except ScriptTestingError as exc:
            self.report.status = RunStatus.ERROR
            self.report.error = f"the run stopped: {exc.message}"
            exc.report = self.report  # type: ignore[attr-defined]
            raise
        except Exception as exc:
            self.report.status = RunStatus.ERROR
            self.report.error = (
                f"the run stopped on an unexpected error ({type(exc).__name__}: {exc}); the nodes that "
                f"had finished keep their results: please report this"
            )
            exc.report = self.report  # type: ignore[attr-defined]
            raise
        finally:
            spec_writer.join()
            self.report.duration_s = round(time.perf_counter() - t0, 3)  # before: pipeline_s reads it
            finalize(self.report)
            self._save_final()
            self._emit("run_finished", report=self.report)
        return self.report

    def close(self, wait: bool = True) -> None:
        """Stop the worker this run started (``wait=False``: end the scripts still running)."""
        if self._own_pool and self._pool is not None:
            self._pool.close(wait=wait)
            self._pool = None

    def _write_spec(self) -> None:
        """Save the pipeline's testing spec and a spec per script node (user notes kept); runs in a thread
        of its own, so whatever goes wrong becomes a warning of the run."""
        store = SpecStore(state_root(self.plan.project))
        try:
            paths = {}
            for node in self.plan.order:
                n = self.plan.nodes[node]
                ins = {p: str(self._planned_input_path(node, p)) for p, w in n.inputs.items() if w.provided}
                outs = {o: str(output_dir(self.run_dir, node, o)) for o in n.outputs}
                paths[node] = (ins, outs)
            spec = self.plan.testing_spec(paths)
            for node, s in spec.scripts.items():  # user notes survive regeneration
                old = (
                    store.load_script_spec(self.plan.name, s.script_name)
                    if self.plan.nodes[node].role == NodeRole.SCRIPT
                    else None
                )
                if old is not None:
                    s.user_notes, s.pinned = old.user_notes, old.pinned
            store.save_pipeline_spec(spec)
        except OSError as exc:
            self.report.warnings.append(f"could not save the specs under {store.root}: {exc.strerror}")
        except ScriptTestingError as exc:
            self.report.warnings.append(f"could not save the specs under {store.root}: {exc.message}")
        except Exception as exc:
            self.report.warnings.append(
                f"could not save the specs under {store.root} ({type(exc).__name__}: {exc})"
            )

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
                if (
                    w.kind in UPSTREAM_KINDS
                    and w.upstream not in self.selected
                    and source_for(self.plan, node, port, self.options) is None
                    and f"{node}.{port}" not in self.options.synthesized
                ) and reused_path(self.options.reuse_run, w.upstream, w.output) is None:
                    where = (
                        f"run {self.options.reuse_run}" if self.options.reuse_run else "no earlier run given"
                    )
                    problems.append(
                        f"{node}.{port} needs {w.upstream}.{w.output}, which is not selected and "
                        f"has no earlier output ({where}); select {w.upstream} too or pass a run "
                        f"whose outputs to reuse"
                    )
        return problems

    def _schedule(self) -> None:
        """Start every node once its upstream nodes are done, at most ``parallelism`` scripts at a time."""
        plan = self.plan
        sorter = TopologicalSorter({n: plan.dependencies[n] for n in plan.order})
        sorter.prepare()
        position = {n: i for i, n in enumerate(plan.order)}
        done: dict[str, NodeStatus] = {}
        ready: list[str] = []
        running: dict[cf.Future, tuple[str, dict[str, str], str, InputGuard]] = {}
        # finished futures arrive here (a done-callback each): a Ctrl-C while the run waits interrupts a
        # queue's get, never ``cf.wait``, which takes every future's lock one by one and, interrupted
        # half way, would leave some held and the worker's threads blocked on them for good
        finished_q: queue.SimpleQueue[cf.Future] = queue.SimpleQueue()
        limit = max(1, self.options.parallelism or plan.project.config.runner.parallelism)
        while sorter.is_active():
            ready.extend(sorter.get_ready())
            ready.sort(key=position.__getitem__)
            if ready and len(running) < limit:
                node = ready.pop(0)
                started = self._start(node, done)
                if started is None:
                    sorter.done(node)
                else:
                    running[started[0]] = (node, *started[1:])
                    started[0].add_done_callback(finished_q.put)
                continue
            if not running:  # pragma: no cover - impossible for a DAG
                raise ScriptTestingError(f"internal scheduling stall on {ready}")
            finished = [_next_finished(finished_q)]
            with contextlib.suppress(queue.Empty):
                while True:
                    finished.append(finished_q.get_nowait())
            for f in finished:
                node, inputs, started_at, guard = running.pop(f)
                rep = check_guard(node_report_from_result(plan, node, f.result(), inputs), guard)
                rep.started_at, rep.finished_at = started_at, now_iso()
                rep.synthesized_inputs = self.report.nodes[node].synthesized_inputs  # set by _start
                self._finish(node, rep, done)
                sorter.done(node)

    def _finish(self, node: str, rep: NodeReport, done: dict[str, NodeStatus]) -> None:
        self.report.nodes[node] = rep
        done[node] = rep.status
        record_outputs(rep, self.plan, node)
        if rep.status in (NodeStatus.PASSED, NodeStatus.SOURCE):
            for out, path in rep.outputs.items():
                self._data[(node, out)] = Path(path)
        self._save()
        self._emit("node_finished", node=node, report=rep)

    def _start(self, node: str, done: dict[str, NodeStatus]) -> _Started | None:
        """Start ``node``: returns (future, inputs, started_at) for a script, else finishes it at once."""
        plan = self.plan
        n = plan.nodes[node]
        rep = base_node_report(n, plan)
        if node not in self.selected:
            self._finish(node, skip(rep, SkipReason.NOT_SELECTED, "not selected"), done)
            return None
        bad = [
            d
            for d in plan.dependencies[node]
            if d in self.selected and done.get(d) in (NodeStatus.FAILED, NodeStatus.SKIPPED)
        ]
        if bad:
            failed = done.get(bad[0]) == NodeStatus.FAILED
            skip(
                rep,
                SkipReason.UPSTREAM_FAILED if failed else SkipReason.UPSTREAM_NOT_RUN,
                f"upstream {', '.join(bad)} {'failed' if failed else 'did not run'}",
            )
            self._skip_edges_into(node, rep.skipped_because or "")
            self._finish(node, rep, done)
            return None
        self._emit("node_started", node=node, role=n.role)
        if n.role != NodeRole.SCRIPT:
            self._run_data_node(node, rep, done)
            return None
        # inputs: sources first, then upstream data
        inputs: dict[str, str] = {}
        to_check: list[tuple[EdgeReport, Path]] = []
        for port, w in n.inputs.items():
            path = self._input_data(node, port, w, rep)
            if path is None:
                if rep.status == NodeStatus.FAILED:
                    self._finish(node, rep, done)
                    return None
                continue
            edge = self._edge_by_input.get((node, port))
            if edge is not None:
                to_check.append((edge, path))
            inputs[port] = str(input_path_for(plan, node, port, path))
        guard, given, problems = guard_inputs(node, self.run_dir, inputs)
        if problems:
            guard.cleanup()
            self._finish(node, refused_report(plan, node, problems, inputs), done)
            return None
        # The script starts while its inputs are checked (on another core): a blocking check that fails
        # stops it and discards everything it did, so the node ends as if it had never started.
        started = now_iso()
        job = build_job(plan, node, self.run_dir, given, guard.readonly_paths)
        rep.status = NodeStatus.RUNNING
        self.report.nodes[node] = rep
        future = self._pool_get().submit(job)
        blocked = []
        for edge, path in to_check:
            self._check(edge, path)
            if edge.status == EdgeStatus.FAILED and edge.severity == Severity.BLOCK:
                blocked.append(edge.summary or edge.id)
        if blocked:
            self._discard(future, job, guard)
            skip(
                rep,
                SkipReason.EDGE_CHECK_FAILED,
                "edge check failed: " + "; ".join(blocked),
            )
            rep.inputs = inputs
            self._finish(node, rep, done)
            return None
        return future, inputs, started, guard

    def _discard(self, future: cf.Future, job: ScriptJob, guard: InputGuard) -> None:
        """Stop a script started ahead of its input's check, wait until it has ended, and remove what it
        wrote (outputs, logs): its data was refused, so nothing of that run may be used or shown."""
        self._pool_get().stop(future)
        future.result()
        guard.cleanup()
        for folder in (*job.output_paths.values(), job.work_dir):
            remove_tree(folder, root=self.run_dir)

    def _input_data(self, node: str, port: str, w: InputWire, rep: NodeReport) -> Path | None:
        spec = source_for(self.plan, node, port, self.options)
        if spec is not None:
            dest = source_input_dir(self.run_dir, node, port)
            try:
                data = materialize_source(self.plan, node, port, dest, self.options)
            except ScriptTestingError as exc:
                rep.status, rep.error, rep.error_kind = (
                    NodeStatus.FAILED,
                    f"{node}.{port}: {exc.message}",
                    "source",
                )
                return None
            record_manifest(dest)
            return Path(data.path)
        synthesized = self.options.synthesized.get(f"{node}.{port}")
        if synthesized is not None:  # labelled in the report: this data is not what the producer gives
            rep.synthesized_inputs[port] = synthesized.reason
            dest = write_synthesized(synthesized, source_input_dir(self.run_dir, node, port))
            record_manifest(dest)
            return dest
        if w.kind in UPSTREAM_KINDS:
            return self._data.get((w.upstream, w.output)) or reused_path(
                self.options.reuse_run, w.upstream, w.output
            )
        return None

    def _run_data_node(self, node: str, rep: NodeReport, done: dict[str, NodeStatus]) -> None:
        n = self.plan.nodes[node]
        if n.role == NodeRole.SINK:
            self._finish(node, skip(rep, SkipReason.NO_SCRIPT, NOT_RUN_NO_SCRIPT), done)
            return
        t0 = time.perf_counter()
        rep.started_at = now_iso()
        descriptions = []
        for out in n.outputs:
            if source_for(self.plan, node, out, self.options) is None:
                continue
            try:
                data = materialize_source(
                    self.plan, node, out, output_dir(self.run_dir, node, out), self.options
                )
            except ScriptTestingError as exc:
                rep.status, rep.error, rep.error_kind = (
                    NodeStatus.FAILED,
                    f"{node}.{out}: {exc.message}",
                    "source",
                )
                break
            rep.outputs[out] = str(data.path)
            rep.output_summary[out] = OutputSummary(
                path=str(data.path), files=len(data.files), bytes=data.bytes, rows=data.rows
            )
            descriptions.append(f"{out}: {data.description}")
        else:
            rep.status = NodeStatus.SOURCE
        rep.source = "; ".join(descriptions) or None
        rep.duration_s = round(time.perf_counter() - t0, 4)
        rep.finished_at = now_iso()
        self._finish(node, rep, done)

    def _skip_edges_into(self, node: str, why: str) -> None:
        for e in self.report.edges:
            if e.to == node and e.status == EdgeStatus.PENDING:
                e.status, e.summary = EdgeStatus.SKIPPED, why

    def _check(self, edge: EdgeReport, path: Path) -> None:
        if not self.options.checks:
            edge.status, edge.summary = EdgeStatus.SKIPPED, "checks turned off for this run"
            return
        if self._checker is None:
            self._checker = EdgeChecker(
                self.plan,
                self.run_dir,
                rebaseline=self.options.rebaseline,
                scale=self.options.rows_override,
                docs_builder=self._docs.build if self._docs is not None else None,
            )
        try:
            self._checker.check(edge, path, synthesized=f"{edge.to}.{edge.input}" in self.options.synthesized)
        except Exception as exc:  # a bug in a check must cost one edge, not the run
            edge.status = EdgeStatus.FAILED
            edge.summary = (
                f"{edge.id}: the check itself failed ({type(exc).__name__}: {exc}); "
                f"the data was not validated. Re-run with --no-checks to continue, and report this"
            )
        self._save()
        self._emit("edge_checked", edge=edge)


def stopped_by(exc: OSError, run_dir: Path) -> str:
    """The sentence for an OS error that stopped a run (a full disk above all)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"the run stopped because the disk is full ({exc.filename or run_dir}); the nodes that had "
            f"finished keep their results: free some space (e.g. script-testing clean-workspace) and re-run"
        )
    return (
        f"the run stopped on a file system error ({exc.strerror or exc} at {exc.filename or run_dir}); "
        f"the nodes that had finished keep their results: fix it and re-run"
    )


def run_pipeline(
    plan: PipelinePlan, options: RunOptions | None = None, pool: WorkerPool | None = None
) -> RunReport:
    """Run ``plan`` and return its report (also written to ``<run dir>/report.json``).

    Example::

        report = run_pipeline(load_plan(project, "tabular_simple"), RunOptions(rows_override=100))
        report.success
    """
    execution = PipelineExecution(plan, options, pool=pool)
    try:
        return execution.run()
    except BaseException:  # interrupted or stopped: do not wait for the scripts still running
        execution.close(wait=False)
        raise
    finally:
        execution.close()
