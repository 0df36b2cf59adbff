"""Contract alignment before anything runs: what a script uses (:mod:`.script_usage`) vs. what its
interface declares and its node's settings pass. (A little above ~400 lines: one rule per block, read together.)

``check_alignment`` compares a script's usage with its step interface and the node's settings;
``compare_runtime`` compares a run-time record of the keys a script accessed with the interface and
with the static analysis; ``check_plan`` / ``check_nodes`` run the check over a pipeline. Each finding
is a :class:`Problem` (error or warning, where as file:line, a sentence saying what to do).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from script_testing.config.step_interface import StepInterface, deep_merge
from script_testing.pipeline.script_usage import (
    _VERB,
    ENV,
    HOST_ENV_VARS,
    INPUTS,
    JOB_ARGS,
    OUTPUTS,
    ROLES,
    DynamicUse,
    KeyUse,
    ScriptUsage,
    analyze_script,
)

__all__ = [
    "ENV",
    "INPUTS",
    "JOB_ARGS",
    "OUTPUTS",
    "ROLES",
    "DynamicUse",
    "KeyUse",
    "Problem",
    "ScriptUsage",
    "analyze_script",
    "check_alignment",
    "check_nodes",
    "check_plan",
    "compare_runtime",
    "interface_for",
]


@dataclass(frozen=True)
class Problem:
    severity: str  # "error" | "warning"
    where: str  # file:line
    message: str  # a sentence: what, where, what to do
    kind: str = ""  # machine-readable: undeclared-output, optional-input-required, ...


# --------------------------------------------------------------------------------------------------
# Alignment with the interface


def _did_you_mean(key: str, declared: list[str], aliases: dict[str, str] | None = None) -> str:
    if aliases and key in aliases:
        return f" `{key}` is an alias of `{aliases[key]}`: use `{aliases[key]}`."
    close = difflib.get_close_matches(key, declared, n=1, cutoff=0.6)
    return f" Did you mean `{close[0]}`?" if close else ""


def _declared(names: list[str]) -> str:
    return ", ".join(names) if names else "nothing"


def check_alignment(
    usage: ScriptUsage,
    interface: Any,
    node_settings: Any = None,
    *,
    interface_path: str | Path | None = None,
    node: str | None = None,
    pipeline: str | None = None,
    job_type: str | None = None,
    variants: Iterable[str] = (),
) -> list[Problem]:
    """Problems between what the script uses (``usage``) and what ``interface`` (a ``StepInterface``,
    the node's variant) declares, given the node's ``NodeSettings`` (environ_vars, job_args) if any."""
    iface_name = Path(interface_path).name if interface_path else f"the {interface.step_type} interface"
    script = usage.script_path.name
    contract = interface.contract
    settings_env = dict(getattr(node_settings, "environ_vars", None) or {})
    settings_args = dict(getattr(node_settings, "job_args", None) or {})
    node_ref = f"pipelines.{pipeline or '<pipeline>'}.nodes.{node or '<node>'}"
    problems: list[Problem] = []

    def first(role: str, key: str, pred=lambda u: True) -> KeyUse | None:
        hits = [u for u in usage.uses_of(role, key) if pred(u)]
        return hits[0] if hits else None

    def more(role: str, key: str, u: KeyUse) -> str:
        n = len({(x.file, x.line) for x in usage.uses_of(role, key)}) - 1
        return f" (and {n} more place{'s' if n > 1 else ''})" if n > 0 else ""

    # inputs and outputs
    for role, declared, section in (
        (INPUTS, interface.input_names, "contract.inputs"),
        (OUTPUTS, interface.output_names, "contract.outputs"),
    ):
        aliases = (
            {a: name for name, o in interface.spec.outputs.items() for a in o.aliases}
            if role == OUTPUTS
            else None
        )
        for key in sorted(usage.keys(role)):
            if key in declared:
                continue
            req = first(role, key, lambda u: u.required)
            u = req or first(role, key)
            where = usage.where(u.file, u.line)
            hint = _did_you_mean(key, declared, aliases)
            if req is not None:
                problems.append(
                    Problem(
                        "error",
                        where,
                        f"{where} {_VERB[role]} `{key}`, which {iface_name} does not declare (it declares: "
                        f"{_declared(declared)}){more(role, key, u)}.{hint} Rename the key in {script} or declare "
                        f"it under {section} in {iface_name}.",
                        f"undeclared-{role.split('_')[0].rstrip('s')}",
                    )
                )
            else:
                problems.append(
                    Problem(
                        "warning",
                        where,
                        f"{where} looks up {role.split('_')[0].rstrip('s')} `{key}` ({u.how}), which {iface_name} "
                        f"does not declare (it declares: {_declared(declared)}), so it is never provided "
                        f"and that code never runs.{hint} Rename the key in {script} or declare it under {section}.",
                        f"undeclared-optional-{role.split('_')[0].rstrip('s')}",
                    )
                )
    # a required input that the interface calls optional (the spec's flag, or the contract's own)
    for key in sorted(usage.keys(INPUTS, required=True)):
        if key not in interface.input_names:
            continue
        c_input = contract.inputs.get(key)
        contract_optional = c_input is not None and c_input.required is False
        if interface.required_input(key) and not contract_optional:
            continue
        u = first(INPUTS, key, lambda x: x.required and x.condition is None)
        if u is None:
            continue
        where = usage.where(u.file, u.line)
        flag = (
            f"contract.inputs.{key}.required: false"
            if contract_optional
            else f"spec.dependencies.{key}.required: false"
        )
        guard = f'if "{key}" in {usage.main_params[0] if usage.main_params else "input_paths"}'
        problems.append(
            Problem(
                "error",
                where,
                f"{where} reads input `{key}` unguarded ({u.how}), but {iface_name} marks it optional "
                f"({flag}), so a pipeline that does not provide it fails here with KeyError. Mark it "
                f"required in {iface_name} or guard the access (`{guard}` / `.get`).",
                "optional-input-required",
            )
        )
    # declared outputs never written
    if not usage.is_dynamic(OUTPUTS) and usage.main_params:
        used = usage.keys(OUTPUTS)
        for key in interface.output_names:
            if key in used:
                continue
            where = usage.where(usage.script_path)
            problems.append(
                Problem(  # a warning (the rule): the run's empty-output check fails it if it matters
                    "warning",
                    where,
                    f"{script} never writes output `{key}` that {iface_name} declares (it writes: "
                    f"{_declared(sorted(used))}), so downstream steps wired to `{key}` get an empty folder. "
                    f"Write it in {script} or remove it from {iface_name}.",
                    "unwritten-output",
                )
            )
    # env vars required with no default that nobody sets
    env_ok = set(contract.env_vars.required) | set(contract.env_vars.optional) | set(settings_env)
    for key in sorted(usage.keys(ENV, required=True)):
        if key in env_ok or key in HOST_ENV_VARS:
            continue
        u = first(ENV, key, lambda x: x.required)
        where = usage.where(u.file, u.line)
        problems.append(
            Problem(
                "error",
                where,
                f"{where} reads env var `{key}` ({u.how}) with no default, which neither {iface_name} declares "
                f"nor the project sets, so the script fails with KeyError. Add `{key}` to contract.env_vars "
                f"(optional with a default, or required) in {iface_name} or set {node_ref}.environ_vars.{key}.",
                "unset-env-var",
            )
        )
    # env vars the contract requires that nothing sets: production refuses to build the step
    for key in sorted(contract.env_vars.required):
        if key in settings_env or key in contract.env_vars.optional:
            continue
        reads = usage.uses_of(ENV, key)
        read = f" ({usage.where(reads[0].file, reads[0].line)} reads it)" if reads else ""
        problems.append(
            Problem(
                "error",
                usage.where(usage.script_path),
                f"{iface_name} lists env var `{key}` under contract.env_vars.required, but the project sets no "
                f"value for it{read}, so production cannot build this step. Set {node_ref}.environ_vars.{key}, "
                f"or move it to contract.env_vars.optional with a default in {iface_name}.",
                "unset-required-env-var",
            )
        )
    # job args read that the contract does not pass
    passed = {a.dest for a in contract.job_arguments} | set(settings_args)
    flags = ", ".join(a.flag for a in contract.job_arguments) or "none"
    for key in sorted(usage.keys(JOB_ARGS)):
        if key in passed:
            continue
        req = first(JOB_ARGS, key, lambda x: x.required)
        # an optional read (getattr default) of an argument nobody passes matters when it is the node's job
        # type: the variant this node exists for never reaches the script
        u = req or (
            first(JOB_ARGS, key, lambda x: x.how != "hasattr") if job_type and key == "job_type" else None
        )
        if u is None:
            continue
        where = usage.where(u.file, u.line)
        effect = (
            "so the script fails with AttributeError"
            if req is not None
            else f"so the node's job type `{job_type}` never reaches it and it always uses its default ({u.how})"
        )
        problems.append(
            Problem(
                "error",
                where,
                f"{where} reads job argument `{key}`, which {iface_name} does not pass (its job_arguments: "
                f"{flags}), {effect}.{_did_you_mean(key, sorted(passed))} Add `- flag: --{key}` under "
                f"contract.job_arguments in {iface_name} or set {node_ref}.job_args.{key}.",
                "unpassed-job-arg",
            )
        )
    # the interface has per-job-type variants and passes the node's job type, but the script never reads
    # it: every variant runs the same code
    job_type_args = [a for a in contract.job_arguments if (a.source or a.dest) == "job_type"]
    if (
        job_type
        and job_type in set(variants)
        and job_type_args
        and usage.main_params[3:4]
        and not usage.is_dynamic(JOB_ARGS)
    ):
        read = usage.keys(JOB_ARGS)
        for a in job_type_args:
            if a.dest in read:
                continue
            where = usage.where(usage.script_path)
            problems.append(
                Problem(
                    "error",
                    where,
                    f"{iface_name} has a `{job_type}` variant and passes the node's job type "
                    f"(`{a.flag} {job_type}`), but {script} never reads "
                    f"job argument `{a.dest}`, so the `{job_type}` variant runs exactly like every other one. "
                    f"Read `{usage.main_params[3]}.{a.dest}` in {script}, or drop {a.flag} from "
                    f"contract.job_arguments in {iface_name} and the job type from the node name.",
                    "unread-job-type",
                )
            )
    return sorted(problems, key=lambda p: (p.severity != "error", p.where, p.message))


def compare_runtime(
    record: dict[str, Iterable[str]],
    interface: Any,
    usage: ScriptUsage | None = None,
    *,
    interface_path: str | Path | None = None,
    script: str | None = None,
) -> list[Problem]:
    """Problems from a run-time record of accessed keys
    (``{"input_paths": [...], "output_paths": [...], "environ_vars": [...], "job_args": [...]}``):
    keys the interface does not declare, and keys the static analysis (``usage``) did not see."""
    iface_name = Path(interface_path).name if interface_path else f"the {interface.step_type} interface"
    script = script or (usage.script_path.name if usage else "the script")
    contract = interface.contract
    declared = {
        INPUTS: list(interface.input_names),
        OUTPUTS: list(interface.output_names),
        ENV: list(contract.env_vars.required) + list(contract.env_vars.optional),
        JOB_ARGS: [a.dest for a in contract.job_arguments],
    }
    noun = {INPUTS: "input", OUTPUTS: "output", ENV: "env var", JOB_ARGS: "job argument"}
    section = {
        INPUTS: "contract.inputs",
        OUTPUTS: "contract.outputs",
        ENV: "contract.env_vars",
        JOB_ARGS: "contract.job_arguments",
    }
    problems: list[Problem] = []
    for role in ROLES:
        keys = sorted(set(record.get(role) or ()))
        for key in keys:
            if role == ENV and key in HOST_ENV_VARS:
                continue
            if key not in declared[role]:
                problems.append(
                    Problem(
                        "warning",
                        f"{script} (run time)",
                        f"{script} read {noun[role]} `{key}` at run time, which {iface_name} does not declare "
                        f"(it declares: {_declared(declared[role])}).{_did_you_mean(key, declared[role])} Declare it "
                        f"under {section[role]} in {iface_name} or stop using it.",
                        f"runtime-undeclared-{role}",
                    )
                )
            if usage is not None and key not in usage.keys(role) and not usage.is_dynamic(role):
                problems.append(
                    Problem(
                        "warning",
                        f"{script} (run time)",
                        f"{script} read {noun[role]} `{key}` at run time, but the static check did not see it "
                        f"(it is used through code the analysis does not follow), so mismatches on it are only "
                        f"caught by running. Nothing to fix unless `{key}` is wrong.",
                        f"runtime-unseen-{role}",
                    )
                )
    return problems


# --------------------------------------------------------------------------------------------------
# Nodes of a catalog


def interface_for(iface_file: Any, job_type: str | None) -> Any:
    """The node's ``StepInterface``: the base deep-merged with ``variants.<job_type>``. Tolerates a variant
    that carries its own ``step_type: <Base>_<Variant>`` (teams write that): the base's step type wins."""
    variants = iface_file.raw.get("variants") or {}
    override = variants.get(job_type) if isinstance(variants, dict) and job_type else None
    if not isinstance(override, dict) or "step_type" not in override:
        return iface_file.for_job_type(job_type)
    override = {k: v for k, v in override.items() if k != "step_type"}
    merged = deep_merge({k: v for k, v in iface_file.raw.items() if k != "variants"}, override)
    return StepInterface.model_validate(merged)


def check_nodes(
    catalog: Any,
    nodes: Iterable[str],
    settings: dict[str, Any] | None = None,
    python_path_roots: Iterable[str | Path] = (),
    pipeline: str | None = None,
) -> dict[str, list[Problem]]:
    """``check_alignment`` for every node that has a script: node -> problems. Scripts are analysed once."""
    settings = settings or {}
    roots = list(python_path_roots)
    cache: dict[Path, ScriptUsage] = {}
    out: dict[str, list[Problem]] = {}
    for node in nodes:
        step_type, job_type = catalog.split_node_name(node)
        iface_file = catalog.interface_file(step_type)
        interface = interface_for(iface_file, job_type)
        script = catalog.find_script(iface_file.path, interface.contract.entry_point)
        if script is None:
            continue
        if script not in cache:
            cache[script] = analyze_script(script, roots)
        out[node] = check_alignment(
            cache[script],
            interface,
            settings.get(node),
            interface_path=iface_file.path,
            node=node,
            pipeline=pipeline,
            job_type=job_type,
            variants=_variants(iface_file),
        )
    return out


def check_plan(plan: Any) -> dict[str, list[Problem]]:
    """``check_alignment`` for every script node of a ``PipelinePlan``, with the values the plan really
    passes (its merged environ_vars and job_args): node -> problems, each message prefixed by the node."""
    roots = list(getattr(plan.project, "python_path", []) or [])
    cache: dict[Path, ScriptUsage] = {}
    out: dict[str, list[Problem]] = {}
    for name in plan.order:
        node = plan.nodes.get(name)
        if node is None or not node.resolved.has_script:
            continue
        script = Path(node.resolved.script_path)
        if script not in cache:
            cache[script] = analyze_script(script, roots)
        values = _NodeValues(environ_vars=node.environ_vars, job_args=node.job_args)
        problems = check_alignment(
            cache[script],
            node.resolved.interface,
            values,
            interface_path=node.resolved.interface_path,
            node=name,
            pipeline=plan.name,
            job_type=node.resolved.job_type,
            variants=_variants(plan.catalog.interface_file(node.resolved.step_type)),
        )
        out[name] = [Problem(p.severity, p.where, f"{name}: {p.message}", p.kind) for p in problems]
    return out


def _variants(iface_file: Any) -> list[str]:
    """The job types an interface file has ``variants`` for."""
    variants = iface_file.raw.get("variants") if isinstance(iface_file.raw, dict) else None
    return list(variants) if isinstance(variants, dict) else []


@dataclass(frozen=True)
class _NodeValues:
    environ_vars: dict[str, Any]
    job_args: dict[str, Any]
