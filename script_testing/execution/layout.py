"""Where things go in a run folder: ``<run dir>/<node>/<output>``, ``<node>/inputs/<port>``, ``<node>/_run``."""

from __future__ import annotations

from pathlib import Path

from script_testing.config.state import new_run_id, runs_root
from script_testing.pipeline.plan import PipelinePlan
from script_testing.pipeline.wiring import input_file_name


def run_dir_for(plan: PipelinePlan, run_id: str | None = None) -> tuple[str, Path]:
    """(run id, folder) of a new run of ``plan`` under the project's runs root."""
    run_id = run_id or new_run_id()
    return run_id, runs_root(plan.project) / plan.name / run_id


def output_dir(run_dir: Path, node: str, output: str) -> Path:
    return run_dir / node / output


def source_input_dir(run_dir: Path, node: str, port: str) -> Path:
    return run_dir / node / "inputs" / port


def logs_dir(run_dir: Path, node: str) -> Path:
    return run_dir / node / "_run"


def input_path_for(plan: PipelinePlan, node: str, port: str, data_path: Path) -> Path:
    """A folder of upstream data, or the file in it when the consumer's contract names a file."""
    name = input_file_name(plan.nodes[node].resolved, port)
    if name and data_path.is_dir() and (data_path / name).exists():
        return data_path / name
    return data_path


def reused_path(reuse_run: Path | None, node: str, output: str) -> Path | None:
    """``node.output`` of an earlier run folder, when it is there."""
    if reuse_run is None:
        return None
    p = output_dir(Path(reuse_run), node, output)
    return p if p.exists() else None
