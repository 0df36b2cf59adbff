"""Every bundled example pipeline runs end to end through ``script_testing.api.run`` and passes.

The runs happen once per module (they take seconds each): with ``SCRIPT_TESTING_RUNS`` in a temp
folder and that folder as the current directory, so the bundled project's state (specs, baselines)
lands there and never in the installed package.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from script_testing import api
from script_testing.config.state import BUNDLED_EXAMPLES, RUNS_ENV
from script_testing.execution.steps import preimports_for
from script_testing.pipeline.plan import load_plan
from script_testing.reports.model import REPORT_FILE
from script_testing.worker import WorkerPool

PIPELINES = sorted(api.open_project(BUNDLED_EXAMPLES).config.pipelines)

pytestmark = [pytest.mark.timeout(240), pytest.mark.e2e]


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory):
    """``{pipeline: (report, report.json as written)}`` plus the temp folder they ran in."""
    base = tmp_path_factory.mktemp("examples")
    before = sorted(
        p.relative_to(BUNDLED_EXAMPLES) for p in BUNDLED_EXAMPLES.rglob("*") if "__pycache__" not in p.parts
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SCRIPT_TESTING_PROJECT", raising=False)
        mp.setenv(RUNS_ENV, str(base / "runs"))
        mp.chdir(base)
        project = api.open_project(None)
        assert project.root == BUNDLED_EXAMPLES
        preimport = sorted({m for n in PIPELINES for m in preimports_for(load_plan(project, n))})
        reports = {}
        with WorkerPool(preimport=preimport) as pool:
            for name in PIPELINES:
                report = api.run(name, pool=pool)
                written = json.loads((Path(report.run_dir) / REPORT_FILE).read_text())
                reports[name] = (report, written)
    after = sorted(
        p.relative_to(BUNDLED_EXAMPLES) for p in BUNDLED_EXAMPLES.rglob("*") if "__pycache__" not in p.parts
    )
    return {"base": base, "reports": reports, "package_before": before, "package_after": after}


def test_there_are_bundled_pipelines():
    assert {"tabular_simple", "tabular_calibrated"} <= set(PIPELINES)


@pytest.mark.parametrize("name", PIPELINES)
def test_bundled_pipeline_passes(example_runs, name):
    report, _ = example_runs["reports"][name]
    problems = {
        n: (r.status, r.error or r.skipped_because)
        for n, r in report.nodes.items()
        if r.status not in ("passed", "source")
    }
    assert not problems, problems
    assert report.success and report.status == "passed" and report.error is None
    assert any(r.status == "passed" for r in report.nodes.values())
    assert any(r.status == "source" for r in report.nodes.values())
    bad_edges = {e.id: (e.status, e.summary) for e in report.edges if e.status != "passed"}
    assert not bad_edges, bad_edges
    assert report.edges, "no edge was checked"
    # every DAG edge that carries data is in the report
    plan = load_plan(api.open_project(BUNDLED_EXAMPLES), name)
    for wires in plan.wiring.inputs.values():
        for w in wires.values():
            if w.kind in ("edge", "binding"):
                assert any(
                    e.from_ == w.upstream and e.to == w.node and e.input == w.input for e in report.edges
                )


@pytest.mark.parametrize("name", PIPELINES)
def test_run_folder_layout(example_runs, name):
    report, _written = example_runs["reports"][name]
    run_dir = Path(report.run_dir)
    assert run_dir == example_runs["base"] / "runs" / name / report.run_id
    assert (run_dir / REPORT_FILE).is_file()
    for node, rep in report.nodes.items():
        assert rep.outputs, f"{node} reports no outputs"
        for out, path in rep.outputs.items():
            p = Path(path)
            assert p == run_dir / node / out or run_dir / node / out in p.parents, (node, out, path)
            assert p.exists() and (p.is_file() or any(p.iterdir())), f"{node}.{out} is empty"
        if rep.status == "passed":
            for stream in (rep.stdout_path, rep.stderr_path):
                assert stream and Path(stream).is_file() and run_dir / node in Path(stream).parents
            assert rep.duration_s is not None and rep.duration_s > 0
            assert rep.peak_memory_mb is not None and rep.peak_memory_mb > 0
            assert rep.started_at and rep.finished_at


@pytest.mark.parametrize("name", PIPELINES)
def test_report_json_has_the_documented_keys(example_runs, name):
    report, written = example_runs["reports"][name]
    assert {"pipeline", "run_id", "success", "nodes", "edges"} <= set(written)
    assert written["pipeline"] == name and written["run_id"] == report.run_id and written["success"] is True
    assert set(written["nodes"]) == set(report.nodes)
    for node, n in written["nodes"].items():
        assert {"status", "duration_s", "peak_memory_mb", "outputs", "error"} <= set(n), node
        assert n["status"] in ("passed", "source") and n["error"] is None
    for e in written["edges"]:
        assert {"from", "output", "to", "input", "status", "failed_expectations"} <= set(e)
        assert e["status"] == "passed" and e["failed_expectations"] == []


@pytest.mark.parametrize("name", PIPELINES)
def test_specs_written_under_the_state_folder(example_runs, name):
    report, _ = example_runs["reports"][name]
    spec_dir = example_runs["base"] / ".script_testing" / "examples" / ".specs" / name
    spec = json.loads((spec_dir / "pipeline_testing_spec.json").read_text())
    assert spec["pipeline"] == name and set(spec["order"]) == set(report.nodes)
    scripts = [n for n, r in report.nodes.items() if r.role == "script"]
    assert scripts
    for node in scripts:
        s = spec["scripts"][node]
        path = spec_dir / f"{s['script_name']}_runtime_test_spec.json"
        assert path.is_file(), path
        saved = json.loads(path.read_text())
        assert saved["output_paths"] == report.nodes[node].outputs


def test_nothing_is_written_into_the_package(example_runs):
    assert example_runs["package_after"] == example_runs["package_before"]
    assert not (BUNDLED_EXAMPLES / ".specs").exists() and not (BUNDLED_EXAMPLES / ".script_testing").exists()
    assert os.environ.get(RUNS_ENV) is None  # the module fixture's environment did not leak
