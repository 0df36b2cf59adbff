"""What one node needs, for the user to read: its inputs and how each is provided, the outputs of a
script-less node, its environment variables and job arguments, what was reused for it, and advice."""

from __future__ import annotations

from typing import Any

from script_testing.config.project import NodeSettings, PipelineConfig
from script_testing.configurator.pending import PendingItem, consumed_outputs
from script_testing.configurator.suggestions import Reused, suggested_spec
from script_testing.pipeline.catalog import ResolvedNode
from script_testing.pipeline.wiring import InputWire, Wiring, suggest_source


def node_requirements(
    r: ResolvedNode,
    wiring: Wiring,
    config: PipelineConfig,
    env: dict[str, str],
    job_args: dict[str, Any],
    pending: list[PendingItem],
    reused: list[Reused],
    profiles: list[str],
) -> dict[str, Any]:
    node = r.name
    contract = r.interface.contract
    pending_keys = {(p.kind, p.name) for p in pending}
    info: dict[str, Any] = {
        "node": node,
        "step_type": r.step_type,
        "job_type": r.job_type,
        "role": r.role,
        "script": str(r.script_path) if r.script_path else None,
        "interface": str(r.interface_path),
    }

    def suggestion(port: str, is_output: bool) -> dict[str, Any]:
        sugg = suggest_source(r, port, profiles, is_output=is_output)
        return {"suggested_source": sugg, "suggested_spec": suggested_spec(sugg)}

    if r.has_script:
        wires = wiring.inputs.get(node, {})
        inputs: dict[str, Any] = {}
        for name in r.interface.input_names:
            c, w = contract.inputs.get(name), wires.get(name)
            is_pending = ("input", name) in pending_keys
            inputs[name] = {
                "path": c.path if c is not None else None,
                "required": r.interface.required_input(name),
                "channels": c.channels if c is not None else None,
                "provided_by": None if is_pending else provided_by(w),
                "pending": is_pending,
            }
            if is_pending or (w is not None and not w.provided):
                inputs[name].update(suggestion(name, False))
        info["inputs"] = inputs
    else:
        consumed = set(consumed_outputs(wiring))
        outputs: dict[str, Any] = {}
        for name in r.interface.output_names:
            c, src = contract.outputs.get(name), config.sources.get(f"{node}.{name}")
            outputs[name] = {
                "path": c.path if c is not None else None,
                "required": (node, name) in consumed,
                "provided_by": src.describe() if src is not None else None,
                "pending": ("output", name) in pending_keys,
            }
            if src is None:
                outputs[name].update(suggestion(name, True))
        info["outputs"] = outputs
    info["environ_vars"] = {
        "required": {v: env.get(v) or None for v in contract.env_vars.required},
        "optional": dict(contract.env_vars.optional),
        "configured": dict((config.nodes.get(node) or NodeSettings()).environ_vars),
        "missing": [p.name for p in pending if p.kind == "env"],
    }
    info["job_args"] = job_args
    info["advisories"] = advisories(r, job_args)
    info["reused"] = [x.describe() for x in reused]
    info["pending"] = [p.describe() for p in pending]
    return info


def advisories(r: ResolvedNode, job_args: dict[str, Any]) -> list[str]:
    """Not blocking, worth saying: a job argument nothing sets (no job-type suffix in the node name)."""
    if not r.has_script:
        return []
    return [
        f"job argument --{k} is unset (the node name has no job type suffix); pass job_args={{'{k}': ...}}"
        for k, v in job_args.items()
        if v is None
    ]


def provided_by(w: InputWire | None) -> str | None:
    if w is None or not w.provided:
        return None
    if w.kind in ("edge", "binding"):
        return f"{w.kind} {w.upstream}.{w.output}"
    return f"source {w.source.describe()}" if w.source is not None else "source"
