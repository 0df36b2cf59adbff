"""One script step: build the worker job of a node, run it, and turn its result into a NodeReport."""

from __future__ import annotations

from pathlib import Path

from script_testing import files
from script_testing.execution.guard import InputGuard, forget_manifest, record_manifest
from script_testing.execution.layout import logs_dir, output_dir
from script_testing.execution.model_archive import ARCHIVE, MODEL_DIR, pack_model_folder, packed_outputs
from script_testing.pipeline.plan import NodePlan, PipelinePlan
from script_testing.reports.model import (
    BudgetLimit,
    ContractFinding,
    NodeReport,
    OutputSummary,
    now_iso,
    sanitize,
)
from script_testing.vocabulary import NodeStatus
from script_testing.worker import ScriptJob, ScriptResult, WorkerPool, discover_imports, resolve_module
from script_testing.worker.environments import resolve_environment


def build_job(
    plan: PipelinePlan,
    node: str,
    run_dir: Path,
    input_paths: dict[str, str],
    readonly_paths: list[str] | None = None,
) -> ScriptJob:
    """The worker job of ``node``; its output folders (and their manifests) are emptied and created.

    ``readonly_paths`` are mounted read-only for the script (see :mod:`.guard`)."""
    n = plan.nodes[node]
    script = n.resolved.script_path
    assert script is not None, f"{node} has no script"
    root, module = resolve_module(script, plan.project.python_path)
    outputs = {}
    for out in n.outputs:
        d = output_dir(run_dir, node, out)
        forget_manifest(d)
        d = files.empty_dir(d, root=run_dir)
        outputs[out] = str(d)
    work = files.make_dir(logs_dir(run_dir, node), root=run_dir)
    return ScriptJob(
        node=node,
        script_path=script,
        module=module,
        sys_path=[*plan.project.python_path, root],
        preload=plan.project.preload,
        input_paths=dict(input_paths),
        output_paths=outputs,
        environ_vars=dict(n.environ_vars),
        job_args=dict(n.job_args),
        argv=[str(script), *n.argv()],
        work_dir=work,
        timeout_s=n.timeout_s,
        memory_limit_mb=n.memory_limit_mb,
        main_kwargs=dict(n.settings.main_kwargs),
        pass_env=list(n.settings.pass_env),
        python=scripts_python(plan, node),
        readonly_paths=list(readonly_paths or []),
    )


def scripts_python(plan: PipelinePlan, node: str) -> str | None:
    """The interpreter of ``node``'s scripts' own environment (``None``: the tool's own).

    The node's ``environment`` wins over the project's; a ``requirements`` environment is built once
    with uv and cached by the file's content and the Python version."""
    spec = plan.nodes[node].settings.environment or plan.project.config.environment
    if spec is None:
        return None
    return resolve_environment(
        spec, root=plan.project.root, where=f"{plan.project.file}: environment of {node}"
    )


def preimports_for(plan: PipelinePlan) -> list[str]:
    """What the warm worker imports before forking: the project's list, else what the scripts import."""
    configured = plan.project.config.runner.preimport
    if configured is not None:
        return list(configured)
    scripts = [n.resolved.script_path for n in plan.nodes.values() if n.resolved.script_path]
    return discover_imports(scripts)


def base_node_report(n: NodePlan, plan: PipelinePlan | None = None) -> NodeReport:
    """The node's report before it runs; with the plan, a script node carries its static contract findings."""
    r = n.resolved
    found = plan.contract_problems.get(n.name, []) if plan is not None else []
    return NodeReport(
        role=n.role,
        step_type=r.step_type,
        job_type=r.job_type,
        script=str(r.script_path) if r.script_path else None,
        contract=[_finding(p) for p in found],
        budgets={k: BudgetLimit(limit=v, where=w) for k, (v, w) in n.budgets.items()},
    )


def _finding(p) -> ContractFinding:
    return ContractFinding(severity=p.severity, where=p.where, message=p.message, kind=p.kind)


def node_report_from_result(
    plan: PipelinePlan, node: str, result: ScriptResult, input_paths: dict[str, str]
) -> NodeReport:
    rep = base_node_report(plan.nodes[node], plan)
    rep.accessed = {k: list(v) for k, v in result.accessed.items()}
    rep.contract_runtime = [_finding(p) for p in plan.runtime_contract(node, rep.accessed)]
    rep.status = NodeStatus.PASSED if result.status == NodeStatus.PASSED else NodeStatus.FAILED
    rep.duration_s = round(result.duration_s, 4)
    rep.main_s = round(result.main_s, 4) if result.main_s is not None else None
    rep.peak_memory_mb = round(result.peak_memory_mb, 1) if result.peak_memory_mb is not None else None
    rep.inputs = dict(input_paths)
    rep.outputs = {k: str(v.path) for k, v in result.outputs.items()}
    rep.output_summary = {
        k: OutputSummary(
            path=str(v.path), exists=v.exists, files=v.files, bytes=v.bytes, sample_files=list(v.sample)
        )
        for k, v in result.outputs.items()
    }
    rep.stdout_path, rep.stderr_path = str(result.stdout_path), str(result.stderr_path)
    rep.stderr_tail = result.stderr_tail or None
    rep.exit_code, rep.signal = result.exit_code, result.signal
    if rep.status == NodeStatus.FAILED:
        rep.error = result.error
        rep.error_kind = result.kind
        rep.error_detail = result.traceback
    else:
        missing = [k for k, v in result.outputs.items() if not v.exists or v.files == 0]
        if missing:
            rep.error = (
                f"{node}: main() returned but wrote nothing to output(s) {', '.join(missing)}; "
                f"check the output keys the script uses against the contract"
            )
    return rep


def guard_inputs(
    node: str, run_dir: Path, input_paths: dict[str, str]
) -> tuple[InputGuard, dict[str, str], list[str]]:
    """(the guard, the paths to hand to the script, problems found before it runs) for ``node``'s inputs."""
    guard = InputGuard(node, logs_dir(run_dir, node))
    given: dict[str, str] = {}
    problems: list[str] = []
    for port, path in input_paths.items():
        handed, problem = guard.add(port, Path(path))
        given[port] = str(handed)
        if problem:
            problems.append(problem)
    return guard, given, problems


def refused_report(plan: PipelinePlan, node: str, problems: list[str], inputs: dict[str, str]) -> NodeReport:
    """The report of a node not run because its input data changed after it was produced."""
    rep = base_node_report(plan.nodes[node])
    rep.status, rep.error_kind, rep.inputs = NodeStatus.FAILED, "changed_input", dict(inputs)
    rep.error = "\n".join(problems)
    rep.started_at = rep.finished_at = now_iso()
    return rep


def check_guard(rep: NodeReport, guard: InputGuard) -> NodeReport:
    """Fail ``rep`` when its script changed an input; name a refused write to a read-only input."""
    problems = guard.verify()
    guard.cleanup()
    if problems:
        rep.status, rep.error_kind = NodeStatus.FAILED, "modified_input"
        rep.error = "\n".join(problems) + (f"\n{rep.error}" if rep.error else "")
    elif rep.status == NodeStatus.FAILED and "Read-only file system" in f"{rep.error}{rep.error_detail}":
        rep.error_kind = "modified_input"
        rep.error = (
            f"{guard.node} tried to write into one of its inputs, which are read-only; "
            f"write to an output instead\n{rep.error}"
        )
    return rep


def record_outputs(rep: NodeReport, plan: PipelinePlan | None = None, node: str | None = None) -> None:
    """Hand ``rep``'s outputs on as production does and record the manifest of each (checked after each
    consumer and reuse). With the plan, a passed Training node's model folder becomes ``model.tar.gz``
    (:mod:`.model_archive`), and its output summary says so."""
    if rep.status not in (NodeStatus.PASSED, NodeStatus.SOURCE):
        return
    if plan is not None and node is not None and rep.status == NodeStatus.PASSED:
        for out in packed_outputs(plan.nodes[node].resolved.interface):
            folder = Path(rep.outputs.get(out, ""))
            summary = rep.output_summary.get(out)
            if out not in rep.outputs or not folder.is_dir() or summary is None or summary.files == 0:
                continue
            archive = pack_model_folder(folder, root=folder.parent)
            summary.packed_as = (
                f"{ARCHIVE} ({summary.files} files), as SageMaker packs a Training job's {MODEL_DIR}"
            )
            summary.files, summary.bytes, summary.sample_files = 1, archive.stat().st_size, [ARCHIVE]
    for path in rep.outputs.values():
        record_manifest(Path(path))


def run_script_node(
    plan: PipelinePlan, node: str, run_dir: Path, input_paths: dict[str, str], pool: WorkerPool
) -> NodeReport:
    """Run one node's script in the worker pool and report it (never raises for a script failure)."""
    guard, given, problems = guard_inputs(node, run_dir, input_paths)
    if problems:
        guard.cleanup()
        return refused_report(plan, node, problems, input_paths)
    job = build_job(plan, node, run_dir, given, guard.readonly_paths)
    started = now_iso()
    result = pool.run(job)
    rep = check_guard(node_report_from_result(plan, node, result, input_paths), guard)
    rep.started_at, rep.finished_at = started, now_iso()
    record_outputs(rep, plan, node)
    return sanitize(rep)  # what the Dagster layer logs and shows never holds the tool's secrets
