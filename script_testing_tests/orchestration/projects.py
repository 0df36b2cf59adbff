"""Small testing projects for the orchestration tests (plain functions, like ``helpers``)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from script_testing_tests import helpers

# Copy: copies its synthetic CSV input; with $ST_TEST_BARRIER set it waits (bounded) until a second
# run's Copy has copied too, so two runs' Copy steps finish together and their Count steps start after both.
# A file FAIL beside the script makes it raise (a failing upstream on demand).
COPY = """
    import glob, os, shutil, time
    from pathlib import Path

    def main(input_paths, output_paths, environ_vars, job_args):
        if (Path(__file__).parent / "FAIL").exists():
            raise RuntimeError("Copy was told to fail")
        files = sorted(glob.glob(os.path.join(input_paths["raw"], "**", "*.csv"), recursive=True))
        rows = 0
        for f in files:
            with open(f) as fh:
                rows += sum(1 for _ in fh) - 1
            shutil.copy(f, output_paths["data"])
        barrier = os.environ.get("ST_TEST_BARRIER")
        if barrier:
            Path(barrier, f"copied_{rows}_{os.getpid()}").touch()
            deadline = time.monotonic() + 120
            while len(os.listdir(barrier)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
"""

# Count: writes the rows it received (one CSV with the same rows, so its row_count is what reached it)
COUNT = """
    import glob, os, shutil

    def main(input_paths, output_paths, environ_vars, job_args):
        for f in sorted(glob.glob(os.path.join(input_paths["data"], "**", "*.csv"), recursive=True)):
            shutil.copy(f, output_paths["rows"])
"""


def copy_count_project(root: Path, rows: int = 50) -> Path:
    """Pipeline ``rows``: a synthetic source -> Copy -> Count."""
    for step, body, port, outputs in (
        ("Copy", COPY, "raw", {"data": {"path": "/opt/ml/output/data"}}),
        ("Count", COUNT, "data", {"rows": {"path": "/opt/ml/output/rows"}}),
    ):
        helpers.write_yaml(
            root / "steps" / f"{step.lower()}.step.yaml",
            helpers.interface(
                step,
                entry_point=f"{step.lower()}.py",
                inputs={port: {"path": f"/opt/ml/input/{port}"}},
                outputs=outputs,
            ),
        )
        helpers.write(root / "steps" / f"{step.lower()}.py", body)
    helpers.write_json(
        root / "rows.dag.json",
        {
            "dag": {"nodes": ["Copy", "Count"], "edges": [["Copy", "Count"]]},
            "metadata": {"description": "a source copied, then counted"},
        },
    )
    profile = {**helpers.PROFILE, "rows": rows}
    helpers.write_yaml(
        root / "script_testing.yaml",
        {
            "workspaces": ["steps"],
            "data_profiles": {"small": profile},
            "pipelines": {
                "rows": {
                    "dag": "rows.dag.json",
                    "sources": {"Copy.raw": {"synthetic": "small", "format": "csv"}},
                    # scripts see only what the project passes on (a scrubbed environment)
                    "nodes": {"Copy": {"pass_env": ["ST_TEST_BARRIER"]}},
                }
            },
        },
    )
    return root


def run_config(runs_root: str | Path, rows: int | None = None) -> dict:
    """A job's run config: the runner's runs root, and the data source's row count if given."""
    config: dict = {"resources": {"runner": {"config": {"runs_root": str(runs_root)}}}}
    if rows is not None:
        config["resources"]["data_source"] = {"config": {"rows": rows}}
    return config


def materializations(instance: dg.DagsterInstance, run_id: str) -> dict[str, dg.AssetMaterialization]:
    """The run's materializations by asset key string."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    return {
        r.event_log_entry.dagster_event.asset_key.to_user_string(): r.event_log_entry.asset_materialization
        for r in records
    }
