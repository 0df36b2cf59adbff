"""The ``contract`` asset check of each script node: its script against its step interface, statically.

It sits on the node's first output asset, is blocking when the static check found an error (a key the
script uses that the interface does not declare, an env var nobody sets...), and lists every finding in
its metadata. What the script actually read at run time is compared in the node's materialization
metadata (``contract_runtime``), since only a run can say that.
"""

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from script_testing.orchestration import keys
from script_testing.pipeline.plan import PipelinePlan
from script_testing.vocabulary import NodeRole

CHECK_NAME = "contract"


def findings_markdown(found: list[Any]) -> str:
    """Contract findings as a Markdown list (``severity where: message``); '' when there are none."""
    return "\n".join(f"- **{p.severity}** `{p.where}`: {p.message}" for p in found)


def contract_check(plan: PipelinePlan, node: str):
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

    @asset_check(
        asset=keys.output_key(plan.name, node, n.outputs[0]),
        name=CHECK_NAME,
        blocking=bool(errors),
        description=f"Static contract of {node}: the keys {script} reads and writes against {iface}. "
        f"{summary}.",
        metadata={"node": node, "script": str(n.resolved.script_path)},
    )
    def _contract() -> AssetCheckResult:
        meta: dict[str, Any] = {
            "errors": MetadataValue.int(len(errors)),
            "warnings": MetadataValue.int(len(found) - len(errors)),
        }
        if found:
            meta["findings"] = MetadataValue.md(findings_markdown(found))
        return AssetCheckResult(
            passed=not errors,
            severity=AssetCheckSeverity.ERROR if errors else AssetCheckSeverity.WARN,
            description=errors[0].message if errors else summary,
            metadata=meta,
        )

    return _contract


def contract_checks(plan: PipelinePlan) -> list:
    """One ``contract`` check per script node that has an output to hang it on."""
    return [
        contract_check(plan, node)
        for node in plan.order
        if plan.nodes[node].role == NodeRole.SCRIPT and plan.nodes[node].outputs
    ]


__all__ = ["CHECK_NAME", "contract_check", "contract_checks", "findings_markdown"]
