"""A run folder in an S3 runs root (``runs_root: s3://bucket/prefix``): local scratch plus S3 objects.

Steps of one run may execute on machines that share no disk. Each step works in a local scratch copy of
the run folder, ``<scratch>/<pipeline>/<run id>`` (the layout of a local runs root), downloads the data
it reads from ``s3://bucket/prefix/<pipeline>/<run id>/...`` and uploads what it writes (outputs, their
manifests, the node's logs). The report is kept as fragments, one object per node
(``nodes/<node>.json``) and per edge (``edges/<edge id>.json``) beside the run's header (``run.json``),
so steps on different machines never rewrite one shared object; :func:`read_report` assembles them.
Drift baselines live beside the runs: ``s3://bucket/prefix/baselines/<pipeline>.json``.

No Dagster import: the orchestration layer opens one :class:`S3RunFolder` per run and process
(:func:`open_run_folder`) and finds it again by run id (:func:`folder_for_run`).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from script_testing import files
from script_testing.execution.guard import manifest_path
from script_testing.execution.outcome import finalize
from script_testing.reports.model import EdgeReport, NodeReport, RunReport
from script_testing.s3.client import make_s3_client, s3_error
from script_testing.s3.errors import ObjectChangedError, S3Error
from script_testing.s3.publish import publish_run
from script_testing.s3.transfer import S3Object, download_object, head_object, resolve, run_parallel
from script_testing.s3.uri import S3Uri

HEADER = "run.json"
NODES = "nodes"
EDGES = "edges"
BASELINES = "baselines"


def is_object_store(root: str | None) -> bool:
    """``root`` names an S3 runs root (``s3://bucket/prefix``)."""
    return bool(root) and str(root).strip().startswith("s3://")


@dataclass
class Transfers:
    """What one process moved to and from S3 for one run (reported in step metadata)."""

    uploads: int = 0
    downloads: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, *, up: int = 0, down: int = 0, n_up: int = 0, n_down: int = 0, seconds: float = 0.0):
        with self._lock:
            self.uploads += n_up
            self.downloads += n_down
            self.bytes_up += up
            self.bytes_down += down
            self.seconds += seconds

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "uploads": self.uploads,
                "downloads": self.downloads,
                "bytes_up": self.bytes_up,
                "bytes_down": self.bytes_down,
                "seconds": round(self.seconds, 4),
            }


class S3RunFolder:
    """One run of one pipeline under an S3 runs root, seen from one process."""

    def __init__(
        self,
        root_uri: str,
        pipeline: str,
        run_id: str,
        scratch_root: Path,
        settings: dict[str, Any] | None = None,
        client: Any = None,
    ) -> None:
        """``settings``: the project's ``s3:`` client settings; ``client``: a ready client or factory."""
        self.root = S3Uri.parse(root_uri).as_prefix()
        self.pipeline = pipeline
        self.run_id = run_id
        self.scratch_root = Path(scratch_root).resolve()
        self.local = files.confined(self.scratch_root, pipeline, run_id)
        self.uri = self.root.child(f"{pipeline}/{run_id}/")
        self._settings = settings
        self._client_source = client
        self._client: Any = None
        self._lock = threading.Lock()
        self.transfers = Transfers()
        self._baseline_digest: str | None = None
        self._header_written = False
        self._uploaded: set[Path] = set()

    def __repr__(self) -> str:
        return f"S3RunFolder({str(self.uri)!r}, scratch {str(self.local)!r})"

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = make_s3_client(
                    self._settings, client=self._client_source, where=str(self.root)
                )
            return self._client

    # ---- paths <-> URIs ------------------------------------------------------------------------

    def uri_of(self, path: Path) -> str:
        """The S3 URI of a local scratch path (a folder's URI ends with ``/``)."""
        path = Path(path)
        try:
            rel = path.resolve().relative_to(self.scratch_root).as_posix()
        except ValueError:
            raise S3Error(
                "the path is not in this run's scratch folder, so it has no place in the S3 runs root",
                where=str(path),
                hint=f"write run data below {self.local}",
            ) from None
        uri = str(self.root.child(rel))
        return uri + "/" if path.is_dir() and not uri.endswith("/") else uri

    def local_of(self, uri: str) -> Path | None:
        """The scratch path mirroring ``uri``, or None when ``uri`` is not under this runs root."""
        u = S3Uri.parse(uri)
        if u.bucket != self.root.bucket or not u.key.startswith(self.root.key):
            return None
        parts = [p for p in u.key[len(self.root.key) :].split("/") if p]
        if not parts:
            return None
        return files.confined(self.scratch_root, *parts)

    # ---- uploads -------------------------------------------------------------------------------

    def upload(self, path: Path) -> str:
        """Upload a file or a folder of the scratch run folder (with its manifest); returns its URI."""
        path = Path(path)
        uri = self.uri_of(path)
        with self._lock:
            if path.resolve() in self._uploaded:
                return uri
        t0 = time.perf_counter()
        sent, count = 0, 0
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
            if found:
                publish_run(path, uri, self.client)
            sent, count = sum(p.stat().st_size for p in found), len(found)
        elif path.is_file():
            self._put_file(path, uri)
            sent, count = path.stat().st_size, 1
        manifest = manifest_path(path)
        if manifest.is_file():
            self._put_file(manifest, self.uri_of(manifest))
            sent, count = sent + manifest.stat().st_size, count + 1
        self.transfers.add(up=sent, n_up=count, seconds=time.perf_counter() - t0)
        with self._lock:
            self._uploaded.add(path.resolve())
        return uri

    def upload_logs(self, node: str) -> str | None:
        """Upload ``<node>/_run`` (captured output, manifests); again after each step of the node."""
        logs = files.confined(self.local, node, "_run")
        if not logs.is_dir():
            return None
        with self._lock:
            self._uploaded.discard(logs.resolve())
        return self.upload(logs)

    def _put_file(self, path: Path, uri: str) -> None:
        u = S3Uri.parse(uri)
        try:
            self.client.upload_file(str(path), u.bucket, u.key)
        except Exception as exc:
            raise s3_error(exc, uri, client=self.client) from None

    def put_json(self, relative: str, data: dict[str, Any]) -> str:
        """Write one JSON object below the run's prefix (a report fragment)."""
        u = self.uri.child(relative)
        body = json.dumps(data, indent=1, default=str).encode("utf-8")
        t0 = time.perf_counter()
        try:
            self.client.put_object(Bucket=u.bucket, Key=u.key, Body=body, ContentType="application/json")
        except Exception as exc:
            raise s3_error(exc, str(u), client=self.client) from None
        self.transfers.add(up=len(body), n_up=1, seconds=time.perf_counter() - t0)
        return str(u)

    # ---- downloads -----------------------------------------------------------------------------

    def fetch(self, uri: str) -> Path:
        """The local copy of ``uri`` (an object or a prefix under this runs root), downloading what is
        missing or of another size; the data's manifest comes along when there is one."""
        dest = self.local_of(uri)
        if dest is None:
            raise S3Error(
                "the data is not under this run's runs root",
                where=uri,
                hint=f"use the same runs root for every run that reads it ({self.root})",
            )
        t0 = time.perf_counter()
        objects, is_prefix = resolve(self.client, uri)
        tasks: list[Callable[[], Any]] = []
        for obj in objects:
            target = files.confined(dest, *obj.relative.split("/")) if is_prefix else dest
            if target.is_file() and target.stat().st_size == obj.size:
                continue  # written here by the step that produced it, or fetched before
            tasks.append(partial(download_object, self.client, obj, target))
        got = run_parallel(tasks, max_workers=8)
        manifest = manifest_path(dest)
        if not manifest.exists():
            mobj = head_object(self.client, S3Uri.parse(self._uri_below_root(manifest)))
            if mobj is not None:
                got.append(download_object(self.client, mobj, manifest))
        self.transfers.add(down=sum(got), n_down=len(got), seconds=time.perf_counter() - t0)
        return dest

    def _uri_below_root(self, path: Path) -> str:
        return str(self.root.child(Path(path).resolve().relative_to(self.scratch_root).as_posix()))

    # ---- report fragments ----------------------------------------------------------------------

    def write_header(self, report: RunReport) -> None:
        """The run's header (pipeline, budgets, the sinks nobody runs), written once per process."""
        if self._header_written:
            return
        header = report.model_copy(deep=True)
        header.edges = []
        header.nodes = {k: v for k, v in header.nodes.items() if v.skip_reason is not None}
        header.run_dir = str(self.uri)
        self.put_json(HEADER, header.model_dump(mode="json", by_alias=True))
        self._header_written = True

    def write_node(self, node: str, report: NodeReport) -> str:
        return self.put_json(f"{NODES}/{node}.json", report.model_dump(mode="json", by_alias=True))

    def write_edge(self, edge: EdgeReport) -> str:
        return self.put_json(f"{EDGES}/{edge.id}.json", edge.model_dump(mode="json", by_alias=True))

    # ---- drift baselines -----------------------------------------------------------------------

    @property
    def baseline_uri(self) -> S3Uri:
        return self.root.child(f"{BASELINES}/{self.pipeline}.json")

    @property
    def baseline_local(self) -> Path:
        return files.confined(self.scratch_root, BASELINES, f"{self.pipeline}.json")

    def pull_baseline(self, attempts: int = 4) -> Path:
        """The pipeline's drift baseline from beside the runs (none yet: no local file). Steps of other
        runs may replace it meanwhile (each upload replaces the object whole): a download that meets a
        newer version starts again with it."""
        local = self.baseline_local
        for attempt in range(attempts):
            obj = head_object(self.client, self.baseline_uri)
            if obj is None:
                local.unlink(missing_ok=True)
                break
            t0 = time.perf_counter()
            try:
                n = download_object(self.client, obj, local)
            except ObjectChangedError:
                if attempt == attempts - 1:
                    raise
                continue
            self.transfers.add(down=n, n_down=1, seconds=time.perf_counter() - t0)
            break
        self._baseline_digest = _digest(local)
        return local

    def push_baseline(self) -> None:
        """Upload the baseline when a check changed it."""
        local = self.baseline_local
        digest = _digest(local)
        if digest is None or digest == self._baseline_digest:
            return
        t0 = time.perf_counter()
        self._put_file(local, str(self.baseline_uri))
        self.transfers.add(up=local.stat().st_size, n_up=1, seconds=time.perf_counter() - t0)
        self._baseline_digest = digest


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


# ---- one folder per run and process -----------------------------------------------------------

_folders: dict[str, S3RunFolder] = {}
_registry_lock = threading.Lock()


def open_run_folder(
    root_uri: str,
    pipeline: str,
    run_id: str,
    scratch_root: Path,
    settings: dict[str, Any] | None = None,
    client: Any = None,
) -> S3RunFolder:
    """The run folder of ``run_id`` in this process (opened once; its scratch folder created)."""
    with _registry_lock:
        folder = _folders.get(run_id)
        if folder is None or str(folder.root) != str(S3Uri.parse(root_uri).as_prefix()):
            folder = _folders[run_id] = S3RunFolder(
                root_uri, pipeline, run_id, scratch_root, settings, client
            )
            while len(_folders) > 64:  # a long-lived worker: forget old runs
                _folders.pop(next(iter(_folders)))
        return folder


def folder_for_run(run_id: str) -> S3RunFolder | None:
    with _registry_lock:
        return _folders.get(run_id)


def folder_for_dir(run_dir: Path) -> S3RunFolder | None:
    """The S3 run folder whose scratch copy is ``run_dir`` (None for a run under a local runs root)."""
    run_dir = Path(run_dir).resolve()
    with _registry_lock:
        return next((f for f in _folders.values() if f.local == run_dir), None)


# ---- reading a run ----------------------------------------------------------------------------


def _get_json(client: Any, obj: S3Object) -> dict[str, Any]:
    try:
        body = client.get_object(Bucket=obj.bucket, Key=obj.key)["Body"].read()
        return json.loads(body)
    except Exception as exc:
        raise s3_error(exc, obj.uri, client=client) from None


def read_report(run_uri: str, settings: dict[str, Any] | None = None, client: Any = None) -> RunReport:
    """The report of a run in an S3 runs root (``s3://bucket/prefix/<pipeline>/<run id>/``), assembled
    from its header and fragments."""
    client = make_s3_client(settings, client=client, where=run_uri)
    prefix = S3Uri.parse(run_uri).as_prefix()
    header = head_object(client, prefix.child(HEADER))
    if header is None:
        raise S3Error(
            "no run here (no run.json)",
            where=str(prefix),
            hint="name a run folder: s3://bucket/prefix/<pipeline>/<run id>/",
        )
    report = RunReport.model_validate(_get_json(client, header))
    for kind in (NODES, EDGES):
        try:
            objects, _ = resolve(client, str(prefix.child(f"{kind}/")))
        except S3Error:
            objects = []
        for obj in sorted(objects, key=lambda o: o.key):
            data = _get_json(client, obj)
            if kind == NODES:
                report.nodes[obj.relative.removesuffix(".json")] = NodeReport.model_validate(data)
            else:
                edge = EdgeReport.model_validate(data)
                report.edges = [e for e in report.edges if e.id != edge.id] + [edge]
    report.run_dir = str(prefix)
    return finalize(report)
