"""Where things go in a run folder: ``<run dir>/<node>/<output>``, ``<node>/inputs/<port>``, ``<node>/_run``."""

from __future__ import annotations

from pathlib import Path

from script_testing import files
from script_testing.config.names import name_problem
from script_testing.config.state import new_run_id, runs_root
from script_testing.errors import ConfigError
from script_testing.pipeline.plan import PipelinePlan
from script_testing.pipeline.wiring import input_file_name


def run_dir_for(plan: PipelinePlan, run_id: str | None = None) -> tuple[str, Path]:
    """(run id, folder) of a new run of ``plan`` under the project's runs root."""
    run_id = run_id or new_run_id()
    problem = name_problem(run_id)
    if problem:
        raise ConfigError(f"run id {run_id!r} cannot be a folder name: {problem}", hint="use a plain name")
    root = runs_root(plan.project)
    return run_id, files.confined(root, plan.name, run_id)


RUN_MARKER = ".script_testing_run"  # written when a run folder is created; clean-workspace deletes only these


def create_run_dir(run_dir: Path, run_id: str, pipeline: str) -> Path:
    """Create the run folder with its marker file (once); ``clean-workspace`` deletes only marked folders."""
    run_dir = Path(run_dir)
    with files.disk_errors(run_dir):
        run_dir.mkdir(parents=True, exist_ok=True)
    marker = run_dir / RUN_MARKER
    if not marker.exists():
        files.write_json(marker, {"run_id": run_id, "pipeline": pipeline}, root=run_dir)
    return run_dir


def is_run_dir(folder: Path) -> bool:
    """A folder script_testing created for a run (it carries the marker file, not a symlink)."""
    marker = Path(folder) / RUN_MARKER
    return Path(folder).is_dir() and not Path(folder).is_symlink() and marker.is_file()


def output_dir(run_dir: Path, node: str, output: str) -> Path:
    return files.confined(run_dir, node, output)


def source_input_dir(run_dir: Path, node: str, port: str) -> Path:
    return files.confined(run_dir, node, "inputs", port)


def logs_dir(run_dir: Path, node: str) -> Path:
    return files.confined(run_dir, node, "_run")


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
