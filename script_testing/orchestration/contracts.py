"""The ``contract`` asset check of each script node: its script against its step interface, statically.

It sits on the node's first output asset (a check spec of the node's multi-asset, evaluated in the
node's step once its outputs are materialized: no op of its own), is blocking when the static check found an error (a key the
script uses that the interface does not declare, an env var nobody sets...), and lists every finding in
its metadata. What the script actually read at run time is compared in the node's materialization
metadata (``contract_runtime``), since only a run can say that.
"""

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from script_testing.orchestration import keys
from script_testing.pipeline.plan import PipelinePlan
from script_testing.vocabulary import NodeRole

CHECK_NAME = "contract"


def findings_markdown(found: list[Any]) -> str:
    """Contract findings as a Markdown list (``severity where: message``); '' when there are none."""
    return "\n".join(f"- **{p.severity}** `{p.where}`: {p.message}" for p in found)


def _findings(plan: PipelinePlan, node: str) -> tuple[list[Any], list[Any], str]:
    n = plan.nodes[node]
    found = plan.contract_problems.get(node, [])
    errors = [p for p in found if p.severity == "error"]
    script = n.resolved.script_path.name if n.resolved.script_path else node
    iface = n.resolved.interface_path.name
    summary = (
        f"{len(errors)} error(s), {len(found) - len(errors)} warning(s) between {script} and {iface}"
        if found
        else f"{script} uses exactly what {iface} declares (as far as a static reading can tell)"
    )
    return found, errors, summary


def contract_spec(plan: PipelinePlan, node: str) -> AssetCheckSpec | None:
    """The ``contract`` check of a script node, on its first output (None without outputs): a check
    spec of the node's multi-asset, evaluated in the node's step (:func:`contract_result`), no op of
    its own."""
    n = plan.nodes[node]
    if n.role != NodeRole.SCRIPT or not n.outputs:
        return None
    _, errors, summary = _findings(plan, node)
    script = n.resolved.script_path.name if n.resolved.script_path else node
    return AssetCheckSpec(
        name=CHECK_NAME,
        asset=keys.output_key(plan.name, node, n.outputs[0]),
        blocking=bool(errors),
        description=f"Static contract of {node}: the keys {script} reads and writes against "
        f"{n.resolved.interface_path.name}. {summary}.",
        metadata={"node": node, "script": str(n.resolved.script_path)},
    )


def contract_result(plan: PipelinePlan, node: str) -> AssetCheckResult:
    """The ``contract`` check's result (static: the same for every run of this plan)."""
    found, errors, summary = _findings(plan, node)
    meta: dict[str, Any] = {
        "errors": MetadataValue.int(len(errors)),
        "warnings": MetadataValue.int(len(found) - len(errors)),
    }
    if found:
        meta["findings"] = MetadataValue.md(findings_markdown(found))
    n = plan.nodes[node]
    return AssetCheckResult(
        asset_key=keys.output_key(plan.name, node, n.outputs[0]),
        check_name=CHECK_NAME,
        passed=not errors,
        severity=AssetCheckSeverity.ERROR if errors else AssetCheckSeverity.WARN,
        description=errors[0].message if errors else summary,
        metadata=meta,
    )


__all__ = ["CHECK_NAME", "contract_result", "contract_spec", "findings_markdown"]
