"""What asset bodies and checks share at run time: upstream data lookup, the worker pool, report.json.

An asset body finds each input's data through the latest materialization of the upstream asset
(its ``path`` metadata), so a run that materializes only some nodes reads the outputs an earlier run
left. Each Dagster run writes ``<runs root>/<pipeline>/<dagster run id>/report.json`` as the core does,
updated after every step.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from dagster import AssetKey, Failure, MetadataValue

from script_testing.errors import ScriptTestingError
from script_testing.execution.edges import EdgeChecker, edge_reports, warm_up_checks
from script_testing.execution.inputs import materialize_source
from script_testing.execution.layout import source_input_dir
from script_testing.execution.options import RunOptions
from script_testing.execution.outcome import finalize
from script_testing.execution.steps import preimports_for
from script_testing.orchestration.metadata import PATH_KEY
from script_testing.pipeline.plan import PipelinePlan
from script_testing.reports.model import REPORT_FILE, RunReport
from script_testing.s3.deep_dive import deep_dive_sources
from script_testing.vocabulary import EdgeStatus, Severity
from script_testing.worker import WorkerPool, shared_pool

_lock = threading.Lock()
_preimports: dict[tuple[str, str], list[str]] = {}
_checkers: dict[tuple[str, str, bool], Any] = {}


def latest_data(instance, key: AssetKey, *, needed_by: str) -> tuple[Path, str]:
    """(path of the data, run id that produced it) from ``key``'s latest materialization."""
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        raise Failure(
            description=f"{needed_by} needs {key.to_user_string()}, which has never been materialized; "
                        f"materialize it first (or run the whole job)",
            metadata={"missing_asset": MetadataValue.asset(key)}, allow_retries=False)
    entry = event.asset_materialization.metadata.get(PATH_KEY)
    raw = getattr(entry, "value", None) or getattr(entry, "path", None)
    if not raw:
        raise Failure(description=f"{needed_by}: the latest materialization of {key.to_user_string()} "
                                  f"(run {event.run_id}) records no '{PATH_KEY}'; materialize it again",
                      allow_retries=False)
    path = Path(str(raw))
    if not path.exists():
        raise Failure(description=f"{needed_by} needs {key.to_user_string()}, but its data from run "
                                  f"{event.run_id} is gone ({path}); materialize it again",
                      metadata={"missing_path": MetadataValue.path(str(path))}, allow_retries=False)
    return path, event.run_id


def deep_dive_input(plan: PipelinePlan, node: str, port: str, run_dir: Path, prefix: str,
                    layout: str | None) -> Path:
    """Download ``node.port``'s upstream output from a production execution in S3 and check the edge
    on it (blocking failures stop the step with the check's sentence)."""
    wire = plan.nodes[node].inputs[port]
    options = RunOptions(source_overrides=deep_dive_sources(prefix, layout, [(node, port, wire.upstream,
                                                                              wire.output)]))
    dest = source_input_dir(Path(run_dir), node, port)
    try:
        data = materialize_source(plan, node, port, dest, options)
    except ScriptTestingError as exc:
        raise Failure(description=f"{node}.{port} (deep dive): {exc.message}", allow_retries=False) from None
    edge = next(e for e in edge_reports(plan) if e.to == node and e.input == port)
    EdgeChecker(plan, Path(run_dir), docs=False, baseline=False).check(edge, Path(data.path))
    if edge.status == EdgeStatus.FAILED and edge.severity == Severity.BLOCK:
        raise Failure(description=f"deep dive: {edge.summary}", allow_retries=False,
                      metadata={"failed_expectations": MetadataValue.json(edge.failed_expectations)})
    return Path(data.path)


def pool_for(plan: PipelinePlan) -> WorkerPool:
    """The process-wide warm worker pool, preimporting what the plan's scripts import."""
    key = (str(plan.project.root), plan.name)
    with _lock:
        if key not in _preimports:
            _preimports[key] = preimports_for(plan)
        wanted = _preimports[key]
    return shared_pool(wanted)


_warmed: set[str] = set()
def warm_up(plan: PipelinePlan, checks: bool = True) -> None:
    """Start the slow, once-per-process work in the background at the first step of a run.

    GX's import and context (~3-4 s) are built in a thread and the script worker is started (it imports
    pandas, sklearn... in its own process), so both overlap the source
    steps instead of stalling the first check and the first script one after the other.
    """
    key = f"{plan.project.root}:{plan.name}"
    with _lock:
        if key in _warmed:
            return
        first = not _warmed
        _warmed.add(key)
    if first and checks:
        warm_up_checks()
    try:
        pool_for(plan).start()
    except Exception:     # warming up is an optimisation only
        pass


def edge_checker(plan: PipelinePlan, run_dir: Path, rebaseline: bool) -> EdgeChecker:
    """One EdgeChecker per run folder and process (GX is imported once, on first use)."""
    key = (plan.name, str(run_dir), rebaseline)
    with _lock:
        checker = _checkers.get(key)
        if checker is None:
            checker = _checkers[key] = EdgeChecker(plan, run_dir, rebaseline=rebaseline)
            while len(_checkers) > 32:          # a long-lived code server: forget old runs
                _checkers.pop(next(iter(_checkers)))
        return checker


def record(plan: PipelinePlan, run_dir: Path, run_id: str, *, node: str | None = None, report=None,
           edge=None) -> None:
    """Update ``report.json`` of the run with one node's report or one edge's result (best effort)."""
    try:
        with _lock:
            run_dir.mkdir(parents=True, exist_ok=True)
            try:
                rr = RunReport.read(run_dir) if (run_dir / REPORT_FILE).exists() else None
            except Exception:
                rr = None
            if rr is None:
                rr = RunReport(pipeline=plan.name, run_id=run_id, project=str(plan.project.root),
                               run_dir=str(run_dir))
            if node is not None and report is not None:
                rr.nodes[node] = report
            if edge is not None:
                rr.edges = [e for e in rr.edges if e.id != edge.id] + [edge]
            finalize(rr)
            rr.write(run_dir)
    except Exception:   # the report is a convenience; never fail a step for it
        pass
