"""Runs made outside Dagster (the CLI, the notebook) recorded in the Dagster instance of ``$DAGSTER_HOME``.

Each output a run produced becomes an ``AssetMaterialization`` of the same asset key, with the same
metadata, that a Dagster run of the pipeline records (path, size, rows, column schema, duration, peak
memory, logs, run folder, host), reported with ``DagsterInstance.report_runless_asset_event``: the
asset's history in the UI shows CLI and notebook runs beside Dagster's own, and a later partial
Dagster run can read their data. Only outputs that exist are recorded; a failed node records nothing.
Called lazily by :func:`script_testing.api.record_in_dagster` (the core never imports Dagster).
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import AssetMaterialization, DagsterInstance, MetadataValue

from script_testing.orchestration import metadata as md
from script_testing.orchestration.keys import output_key, source_key
from script_testing.orchestration.runs import HOST_KEY, this_host
from script_testing.reports.model import RunReport
from script_testing.vocabulary import NodeRole, NodeStatus

DAGSTER_HOME_ENV = "DAGSTER_HOME"


def materializations(report: RunReport, recorded_from: str = "cli") -> list[AssetMaterialization]:
    """The materializations of one run: an output of a passed script, or of a data node's source."""
    out = []
    for node, rep in report.nodes.items():
        script = rep.role == NodeRole.SCRIPT and rep.status == NodeStatus.PASSED
        source = rep.role != NodeRole.SCRIPT and rep.status == NodeStatus.SOURCE
        if not (script or source):
            continue
        node_md = md.node_metadata(rep) if script else {}
        for output, path in rep.outputs.items():
            if not Path(path).exists():
                continue
            summary = rep.output_summary.get(output)
            meta = md.output_metadata(
                path, files=summary.files if summary else None, nbytes=summary.bytes if summary else None
            )
            meta.update(node_md)
            if source and rep.source:
                meta["source"] = MetadataValue.text(rep.source)
            meta.update(
                {
                    "run_dir": MetadataValue.path(str(report.run_dir)),
                    HOST_KEY: MetadataValue.text(this_host()),
                    "script_testing/run_id": MetadataValue.text(report.run_id),
                    "recorded_from": MetadataValue.text(recorded_from),
                }
            )
            key = (
                output_key(report.pipeline, node, output)
                if script
                else source_key(report.pipeline, node, output)
            )
            out.append(
                AssetMaterialization(
                    asset_key=key,
                    description=f"{recorded_from} run {report.run_id} of pipeline {report.pipeline}",
                    metadata=meta,
                    tags={"script_testing/run_id": report.run_id},
                )
            )
    return out


def record_run(report: RunReport, recorded_from: str = "cli") -> int:
    """Record the run in ``$DAGSTER_HOME``'s instance; the number of materializations (0 when unset)."""
    if not os.environ.get(DAGSTER_HOME_ENV):
        return 0
    events = materializations(report, recorded_from)
    if not events:
        return 0
    with DagsterInstance.get() as instance:
        for event in events:
            instance.report_runless_asset_event(event)
    return len(events)
