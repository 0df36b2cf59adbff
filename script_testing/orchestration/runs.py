"""What asset bodies and checks share at run time: upstream data lookup, the worker pool, report.json.

An asset body finds each input's data through the upstream asset's materialization (its ``path``
metadata): the one of this run when this run materializes the upstream (never another run's, so two
runs at once do not read each other's data), else the latest one (a run of selected nodes reads the
outputs an earlier run left, and says which run). Each Dagster run writes ``<runs root>/<pipeline>/<dagster run id>/report.json`` as the core does,
updated after every step.

Under an S3 runs root (``execution.s3_run_folder``) a step works in a local scratch copy of the run
folder: an upstream's ``path`` is an ``s3://`` URI that the step downloads, what it writes is uploaded
(:func:`published`), and the report is written as one fragment per node and edge (:func:`record`).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetKey, Failure, MetadataValue

from script_testing import files
from script_testing.checks.baseline import SchemaBaseline
from script_testing.checks.docs_process import background_docs
from script_testing.errors import ScriptTestingError
from script_testing.execution.edges import EdgeChecker, edge_reports
from script_testing.execution.inputs import materialize_source
from script_testing.execution.layout import source_input_dir
from script_testing.execution.options import RunOptions
from script_testing.execution.outcome import finalize, run_budgets, run_duration, skip
from script_testing.execution.s3_run_folder import S3RunFolder, folder_for_dir, folder_for_run
from script_testing.execution.steps import base_node_report, preimports_for
from script_testing.orchestration.metadata import PATH_KEY
from script_testing.pipeline.plan import PipelinePlan
from script_testing.reports.model import REPORT_FILE, RunReport, sanitize
from script_testing.s3.deep_dive import deep_dive_sources
from script_testing.vocabulary import NOT_RUN_NO_SCRIPT, EdgeStatus, NodeRole, Severity, SkipReason
from script_testing.worker import WorkerPool, shared_pool

_lock = threading.Lock()
_preimports: dict[tuple[str, str], list[str]] = {}
_checkers: dict[tuple[str, str, bool], Any] = {}
_planned: dict[str, frozenset[AssetKey]] = {}
_produced: dict[str, dict[AssetKey, Path]] = {}  # run id -> what its steps in this process materialized


THIS_RUN = "this run"
HOST_KEY = "host"  # the machine whose disk holds a materialization's data


@dataclass(frozen=True)
class UpstreamData:
    """Where one input's data is, which run produced it, and why that run (``input_source``)."""

    path: Path
    run_id: str
    source: str  # "this run" | "run <id> (not selected)" | "run <id> (re-executed)"

    @property
    def reused(self) -> bool:
        return self.source != THIS_RUN


def planned_keys(instance, run_id: str) -> frozenset[AssetKey]:
    """The assets run ``run_id`` materializes: the outputs of the steps it executes (its execution plan
    snapshot, so whatever the executor, subset or re-execution), within the run's asset selection."""
    with _lock:
        if run_id in _planned:
            return _planned[run_id]
    run = instance.get_run_by_id(run_id)
    keys: frozenset[AssetKey] = frozenset()
    if run is not None and run.execution_plan_snapshot_id:
        snapshot = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
        found = set(snapshot.asset_selection)
        if run.asset_selection:  # empty for a run of the whole job
            found &= set(run.asset_selection)
        keys = frozenset(found)
    with _lock:
        _planned[run_id] = keys
        while len(_planned) > 256:  # a long-lived process: forget old runs
            _planned.pop(next(iter(_planned)))
    return keys


def remember_output(run_id: str, key: AssetKey, path: Path) -> None:
    """Note that a step of run ``run_id`` in this process has just materialized ``key`` at ``path`` (its
    MaterializeResult is yielded): a later step of the same run in this process reads it from here
    instead of asking the instance for every materialization of the run (a query per step that grew
    with the run). Another process (multiprocess executor) asks the instance, as before."""
    with _lock:
        _produced.setdefault(run_id, {})[key] = Path(path)
        while len(_produced) > 64:  # a long-lived process: forget old runs
            _produced.pop(next(iter(_produced)))


def _materialization_in_run(instance, run_id: str, key: AssetKey):
    """The last materialization event of ``key`` recorded by run ``run_id`` (or None)."""
    from dagster import DagsterEventType

    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    found = None
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.asset_key == key:
            found = record.event_log_entry
    return found


def upstream_data(instance, run_id: str, key: AssetKey, *, needed_by: str) -> UpstreamData:
    """The data of ``key`` that run ``run_id`` must read.

    An upstream this run materializes is read from this run and nowhere else: if this run did not
    produce it (its step failed, was skipped, or has not run yet under an executor that keeps going),
    the step fails; data of another run is never used in its place. An upstream the run did not select
    comes from the run it re-executes (when it is a re-execution that planned it), else from the latest
    materialization, and ``source`` says which run.
    """
    what = key.to_user_string()
    if key in planned_keys(instance, run_id):
        with _lock:
            known = _produced.get(run_id, {}).get(key)
        if known is not None and known.exists():
            return UpstreamData(known, run_id, THIS_RUN)
        entry = _materialization_in_run(instance, run_id, key)
        if entry is None:
            raise Failure(
                description=f"{needed_by} needs {what} from this run, but this run has not materialized it "
                f"(its step failed, was skipped or has not finished); data of earlier runs is "
                f"not used in its place: fix the upstream step, then re-execute the run",
                metadata={"missing_asset": MetadataValue.asset(key)},
                allow_retries=False,
            )
        return UpstreamData(_data_path(entry, key, run_id, needed_by, reader=run_id), run_id, THIS_RUN)
    run = instance.get_run_by_id(run_id)
    parent = run.parent_run_id if run is not None else None
    while parent:  # a re-execution reads what the run it re-executes produced
        if key in planned_keys(instance, parent):
            entry = _materialization_in_run(instance, parent, key)
            if entry is None:
                raise Failure(
                    description=f"{needed_by} needs {what}, which run {parent} (re-executed by this run) "
                    f"did not materialize (its step failed or was skipped); data of other runs "
                    f"is not used in its place: re-execute from failure, or run the whole job",
                    metadata={"missing_asset": MetadataValue.asset(key)},
                    allow_retries=False,
                )
            return UpstreamData(
                _data_path(entry, key, parent, needed_by, reader=run_id),
                parent,
                f"run {parent} (re-executed)",
            )
        parent_run = instance.get_run_by_id(parent)
        parent = parent_run.parent_run_id if parent_run is not None else None
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        raise Failure(
            description=f"{needed_by} needs {what}, which has never been materialized; "
            f"materialize it first (or run the whole job)",
            metadata={"missing_asset": MetadataValue.asset(key)},
            allow_retries=False,
        )
    return UpstreamData(
        _data_path(event, key, event.run_id, needed_by, reader=run_id),
        event.run_id,
        f"run {event.run_id} (not selected)",
    )


def this_host() -> str:
    return socket.gethostname()


def _data_path(entry, key: AssetKey, run_id: str, needed_by: str, *, reader: str) -> Path:
    """The ``path`` recorded by a materialization event, readable here: a local path checked to exist,
    or an ``s3://`` URI (an S3 runs root) downloaded into run ``reader``'s scratch folder."""
    metadata = entry.asset_materialization.metadata
    item = metadata.get(PATH_KEY)
    raw = getattr(item, "value", None) or getattr(item, "path", None)
    what = key.to_user_string()
    if not raw:
        raise Failure(
            description=f"{needed_by}: the materialization of {what} by run {run_id} records no "
            f"'{PATH_KEY}'; materialize it again",
            allow_retries=False,
        )
    if str(raw).startswith("s3://"):
        return _fetched(str(raw), what, run_id, needed_by, reader)
    path = Path(str(raw))
    if path.exists():
        return path
    host_item = metadata.get(HOST_KEY)
    host = str(getattr(host_item, "value", "") or "")
    meta = {"missing_path": MetadataValue.path(str(path))}
    if host and host != this_host():
        raise Failure(
            description=f"{needed_by} needs {what}, but the data of run {run_id} is on another "
            f"worker's disk: use an s3:// runs root (resources.runner.config.runs_root: "
            f"s3://bucket/prefix) when workers share no disk, or a folder every worker "
            f"mounts ({path} is on {host}, this is {this_host()})",
            metadata=meta,
            allow_retries=False,
        )
    raise Failure(
        description=f"{needed_by} needs {what}, but its data from run {run_id} is gone ({path}); "
        f"materialize it again",
        metadata=meta,
        allow_retries=False,
    )


def _fetched(uri: str, what: str, run_id: str, needed_by: str, reader: str) -> Path:
    folder = folder_for_run(reader)
    if folder is None:
        raise Failure(
            description=f"{needed_by} needs {what}, whose data from run {run_id} is in S3 ({uri}), but "
            f"this run's runs root is a local folder: set the same s3:// runs root for this run "
            f"(resources.runner.config.runs_root)",
            allow_retries=False,
        )
    try:
        return folder.fetch(uri)
    except ScriptTestingError as exc:
        raise Failure(
            description=f"{needed_by} needs {what} from run {run_id}, which could not be downloaded: "
            f"{exc.message}",
            metadata={"missing_path": MetadataValue.url(uri)},
            allow_retries=False,
        ) from None


def published(run_dir: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """A materialization's metadata, with its data uploaded to the S3 runs root when the run has one:
    ``path`` becomes the S3 URI (``local_path`` says where this worker wrote it) and ``s3_transfers``
    what this process moved for the run so far."""
    folder = folder_for_dir(run_dir)
    item = metadata.get(PATH_KEY)
    raw = getattr(item, "value", None) or getattr(item, "path", None)
    if folder is None or not raw:
        return metadata
    try:
        uri = folder.upload(Path(str(raw)))
    except ScriptTestingError as exc:
        raise Failure(
            description=f"the data at {raw} could not be uploaded to the S3 runs root: {exc.message}",
            allow_retries=False,
        ) from None
    return {
        **metadata,
        PATH_KEY: MetadataValue.path(uri),
        "dagster/uri": MetadataValue.url(uri),
        "local_path": MetadataValue.path(str(raw)),
        "s3_transfers": MetadataValue.json(folder.transfers.as_dict()),
    }


def deep_dive_input(
    plan: PipelinePlan, node: str, port: str, run_dir: Path, prefix: str, layout: str | None
) -> Path:
    """Download ``node.port``'s upstream output from a production execution in S3 and check the edge
    on it (blocking failures stop the step with the check's sentence)."""
    wire = plan.nodes[node].inputs[port]
    options = RunOptions(
        source_overrides=deep_dive_sources(prefix, layout, [(node, port, wire.upstream, wire.output)])
    )
    dest = source_input_dir(Path(run_dir), node, port)
    try:
        data = materialize_source(plan, node, port, dest, options)
    except ScriptTestingError as exc:
        raise Failure(description=f"{node}.{port} (deep dive): {exc.message}", allow_retries=False) from None
    edge = next(e for e in edge_reports(plan) if e.to == node and e.input == port)
    EdgeChecker(plan, Path(run_dir), docs=False, baseline=False).check(edge, Path(data.path))
    if edge.status == EdgeStatus.FAILED and edge.severity == Severity.BLOCK:
        raise Failure(
            description=f"deep dive: {edge.summary}",
            allow_retries=False,
            metadata={"failed_expectations": MetadataValue.json(edge.failed_expectations)},
        )
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
    """Start the slow, once-per-process work in the background at the first step of a run: the script
    worker (it imports pandas, sklearn... in its own process) overlaps the source steps. Checks need
    no warm-up: they evaluate with pandas (:mod:`script_testing.checks.pandas_engine`), not GX; the Data
    Docs process (GX) starts now only with ``runner.data_docs: all``, else on the first failed check."""
    key = f"{plan.project.root}:{plan.name}"
    with _lock:
        if key in _warmed:
            return
        _warmed.add(key)
    if checks and plan.project.config.runner.data_docs == "all":
        background_docs()  # starts the Data Docs process: GX imports there while the first steps run
    try:
        pool_for(plan).start()
    except Exception:  # warming up is an optimisation only
        pass


def _build_docs(docs_dir: Path, items: list[tuple[str, list[tuple[str, Any]]]]) -> str:
    """This process's Data Docs builder, started on the first page to build: with the default
    ``runner.data_docs: failures`` a run whose checks all pass never starts it (nor imports GX)."""
    return background_docs().build(docs_dir, items)


def edge_checker(
    plan: PipelinePlan, run_dir: Path, rebaseline: bool, scale: int | None = None
) -> EdgeChecker:
    """One EdgeChecker per run folder and process; its Data Docs are built behind the checks by this
    process's Data Docs process (GX never imported here); ``scale`` is the run's row count override:
    row ranges are kept per scale. Under an S3 runs root the drift baseline is the one beside the runs,
    downloaded before each check (:func:`record` uploads it when changed)."""
    folder = folder_for_dir(run_dir)
    key = (plan.name, str(run_dir), rebaseline, scale)
    with _lock:
        checker = _checkers.get(key)
        if checker is None:
            checker = EdgeChecker(
                plan,
                run_dir,
                rebaseline=rebaseline,
                scale=scale,
                baseline=folder is None,
                docs_builder=_build_docs,
            )
            if folder is not None:
                checker.baseline = SchemaBaseline(folder.baseline_local, scale=scale)
            _checkers[key] = checker
            while len(_checkers) > 32:  # a long-lived code server: forget old runs
                _checkers.pop(next(iter(_checkers)))
    if folder is not None:
        try:
            folder.pull_baseline()
        except ScriptTestingError as exc:
            raise Failure(
                description=f"the drift baseline of {plan.name} could not be read from the S3 runs root: "
                f"{exc.message}",
                allow_retries=False,
            ) from None
        if rebaseline and checker.baseline is not None:
            checker.baseline.rebaseline()
    return checker


def record(
    plan: PipelinePlan,
    run_dir: Path,
    run_id: str,
    *,
    node: str | None = None,
    report=None,
    edge=None,
    edges=(),
) -> None:
    """Update ``report.json`` of the run with one node's report and/or edges' results (best effort)."""
    edges = [*edges, *([edge] if edge is not None else [])]
    rr = None
    try:
        with _lock:
            run_dir.mkdir(parents=True, exist_ok=True)
            rr = _written_here(run_dir)
            if rr is None:
                try:
                    rr = RunReport.read(run_dir) if (run_dir / REPORT_FILE).exists() else None
                except Exception:
                    rr = None
            if rr is None:
                rr = RunReport(
                    pipeline=plan.name, run_id=run_id, project=str(plan.project.root), run_dir=str(run_dir)
                )
                for name, n in plan.nodes.items():  # a sink has no asset: say it was not run
                    if n.role == NodeRole.SINK:
                        rr.nodes[name] = skip(base_node_report(n), SkipReason.NO_SCRIPT, NOT_RUN_NO_SCRIPT)
                rr.budgets = run_budgets(plan)
            if node is not None and report is not None:
                rr.nodes[node] = sanitize(report)
            if edges:
                ids = {e.id for e in edges}
                rr.edges = [e for e in rr.edges if e.id not in ids] + [sanitize(e) for e in edges]
            rr.duration_s = None  # a Dagster run's wall time so far, from its timestamps, at every record
            finalize(rr)
            elapsed = run_duration(rr)
            rr.duration_s = round(elapsed, 3) if elapsed is not None else None
            _write_report(rr, run_dir)
            _remember_written(run_dir, rr)
    except Exception:  # the report is a convenience; never fail a step for it
        pass
    folder = folder_for_dir(run_dir)
    if folder is not None and rr is not None:
        _record_remote(folder, rr, node, report, edges)


def _write_report(rr: RunReport, run_dir: Path) -> None:
    """``report.json`` as :meth:`RunReport.write` writes it, masking only what has not been masked yet:
    every node and edge in ``rr`` was sanitized when :func:`record` put it there (or by the process that
    wrote the file it was read from), and ``finalize`` adds only our own sentences to them; the run's
    own fields are masked here. (``RunReport.write`` masks the whole report: at every step of a Dagster
    run, a cost that grew with the run.)"""
    head = rr.model_copy(update={"nodes": {}, "edges": []})  # shallow: the run's own fields only
    sanitize(head)
    for name in type(rr).model_fields:
        if name not in ("nodes", "edges") and getattr(head, name) is not getattr(rr, name):
            setattr(rr, name, getattr(head, name))
    files.write_text(run_dir / REPORT_FILE, rr.model_dump_json(indent=2, by_alias=True) + "\n")


def _record_remote(folder: S3RunFolder, rr: RunReport, node, report, edges) -> None:
    """Under an S3 runs root: the run's header, this node's fragment (its outputs and logs uploaded, their
    S3 URIs in it) and these edges' fragments (and the drift baseline, when a check changed it)."""
    folder.write_header(rr)
    if node is not None and report is not None:
        remote = report.model_copy(deep=True)
        for out, path in report.outputs.items():
            if Path(path).exists() and folder.local in Path(path).resolve().parents:
                remote.outputs[out] = folder.upload(Path(path))
        if folder.upload_logs(node) is not None:
            for name in ("stdout_path", "stderr_path"):
                value = getattr(report, name)
                if value and folder.local in Path(value).resolve().parents:
                    setattr(remote, name, folder.uri_of(Path(value)))
        folder.write_node(node, remote)
    for one in edges:
        folder.write_edge(one)
    if edges:
        folder.push_baseline()


# run folder -> (the report this process last wrote there, the file's stat then): the next step of the
# run in this process updates it without reading and parsing the whole file again (a cost that grew
# with the run); a file changed since (another process's step) is read again.
_written: dict[str, tuple[RunReport, tuple[int, int, int]]] = {}


def _stat_of(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _written_here(run_dir: Path) -> RunReport | None:
    known = _written.get(str(run_dir))
    if known is None or _stat_of(run_dir / REPORT_FILE) != known[1]:
        return None
    return known[0]


def _remember_written(run_dir: Path, rr: RunReport) -> None:
    stat = _stat_of(run_dir / REPORT_FILE)
    if stat is None:
        return
    _written[str(run_dir)] = (rr, stat)
    while len(_written) > 32:  # a long-lived code server: forget old runs
        _written.pop(next(iter(_written)))
