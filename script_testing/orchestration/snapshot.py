"""A JSON-able summary of generated Definitions: keys, deps, groups, kinds, tags, checks, jobs, schedules.

Compared against ``script_testing_tests/snapshots/`` so an accidental change to the asset graph
shows in review. No machine-specific paths in it.
"""

from __future__ import annotations

from typing import Any

from dagster import Definitions


def definitions_snapshot(defs: Definitions) -> dict[str, Any]:
    graph = defs.resolve_asset_graph()
    assets: dict[str, Any] = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.path):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assets[key.to_user_string()] = {
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "tags": {k: v for k, v in sorted(node.tags.items()) if not k.startswith("dagster/kind/")},
            "op": node.assets_def.op.name,
        }
    checks: dict[str, Any] = {}
    for ck in sorted(graph.asset_check_keys, key=lambda c: (c.asset_key.path, c.name)):
        spec = graph.get_check_spec(ck)
        checks[f"{ck.asset_key.to_user_string()}:{ck.name}"] = {"blocking": bool(spec.blocking)}
    jobs: dict[str, Any] = {}
    for job in sorted(defs.jobs or [], key=lambda j: j.name):
        resolved = defs.resolve_job_def(job.name)
        selected = resolved.asset_layer.selected_asset_keys
        jobs[job.name] = {
            "assets": sorted(k.to_user_string() for k in selected),
            "checks": sum(1 for ck in graph.asset_check_keys if ck.asset_key in selected),
            "executor": resolved.executor_def.name,
        }
    schedules = {
        s.name: {
            "job": s.job_name,
            "cron": s.cron_schedule,
            "timezone": s.execution_timezone,
            "default_status": s.default_status.value,
        }
        for s in sorted(defs.schedules or [], key=lambda s: s.name)
    }
    return {"assets": assets, "checks": checks, "jobs": jobs, "schedules": schedules}
