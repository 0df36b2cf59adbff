"""Running whole pipelines of small testing projects: every failure kind, in a pipeline context.

Each test builds a project in ``tmp_path`` (generic steps ``MakeData``, ``Transform``, ``Consume``,
``Other`` from ``fixtures/projects.py``) and runs it through ``script_testing.api.run``, then checks
the message a user reads and what ``report.json`` says. One warm worker pool serves the whole module
(the scripts only use the standard library), so a run costs a fraction of a second.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from script_testing import api
from script_testing.errors import CatalogError, ConfigError, DagError, WiringError
from script_testing.execution.options import RunOptions
from script_testing.reports.model import REPORT_FILE, RunReport
from script_testing.worker import WorkerPool
from script_testing_tests.fixtures.projects import (
    CHATTY,
    COPY,
    EXIT,
    HANG,
    KILL,
    MAKE_DATA,
    RAISE,
    SLEEP_THEN_WRITE,
    ProjectBuilder,
    branching_project,
    line_of,
    write,
)

pytestmark = [pytest.mark.timeout(60), pytest.mark.e2e]


@pytest.fixture(scope="module")
def pool():
    with WorkerPool() as p:
        yield p


def run(root: Path, pool, name: str = "p", **options) -> RunReport:
    options.setdefault("checks", False)
    return api.run(name, project=root, options=RunOptions(**options), pool=pool)


def on_disk(report: RunReport) -> dict:
    """The report as written to ``report.json`` (what other tools read)."""
    path = Path(report.run_dir) / REPORT_FILE
    assert path.is_file(), f"no {REPORT_FILE} in {report.run_dir}"
    return json.loads(path.read_text())


def runs_dir(root: Path) -> Path:
    return root / ".script_testing" / "runs"


def ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


# ----------------------------------------------------------------------------- script failures

FAILURES = {
    "exception": dict(
        script=RAISE,
        kind="exception",
        first_line=[
            "Transform",
            "ValueError",
            "bad value 42 in the data",
            f"transform.py:{line_of(RAISE, 'RAISE-LINE')}",
        ],
    ),
    "sys_exit": dict(
        script=EXIT,
        kind="exit",
        first_line=["Transform", "sys.exit(3)", f"transform.py:{line_of(EXIT, 'EXIT-LINE')}"],
        exit_code=3,
        details=["giving up"],
    ),
    "signal": dict(
        script=KILL, kind="signal", first_line=["Transform", "killed by signal 9", "SIGKILL"], signal=9
    ),
    "timeout": dict(
        script=HANG, kind="timeout", first_line=["Transform", "timed out after 1 s", "timeout_s"], timeout_s=1
    ),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failing_script_in_a_pipeline(tmp_path, pool, case):
    spec = FAILURES[case]
    nodes = {"Transform": {"timeout_s": spec["timeout_s"]}} if "timeout_s" in spec else {}
    root = branching_project(tmp_path / "proj", spec["script"], nodes=nodes).write()

    report = run(root, pool)

    t = report.nodes["Transform"]
    assert t.status == "failed" and t.error_kind == spec["kind"], (t.status, t.error_kind, t.error)
    first = t.error.splitlines()[0]
    for part in spec["first_line"]:
        assert part in first, f"{part!r} not in the error's first line: {first!r}"
    for part in spec.get("details", []):
        assert part in t.error, f"{part!r} not in the error: {t.error!r}"
    if "exit_code" in spec:
        assert t.exit_code == spec["exit_code"]
    if "signal" in spec:
        assert t.signal == spec["signal"]
    if case == "exception":
        assert "Traceback" in t.error_detail and "helper(42)" in t.error_detail

    # descendants skipped with the reason; the edge into them too
    c = report.nodes["Consume"]
    assert c.status == "skipped" and c.skipped_because == "upstream Transform failed"
    into = [e for e in report.edges if e.to == "Consume"]
    assert into and all(e.status == "skipped" for e in into)
    # an independent branch still ran and passed
    assert report.nodes["Other"].status == "passed"
    assert (Path(report.nodes["Other"].outputs["other"]) / "part-00000.csv").is_file()
    # outputs of nodes that already passed are kept on disk
    kept = Path(report.nodes["MakeData"].outputs["data"]) / "part-00000.csv"
    assert report.nodes["MakeData"].status == "passed" and kept.is_file()
    assert not report.success and report.status == "failed"

    written = on_disk(report)
    assert written["success"] is False
    assert written["nodes"]["Transform"]["status"] == "failed"
    assert written["nodes"]["Transform"]["error"] == t.error
    assert written["nodes"]["Consume"]["skipped_because"] == "upstream Transform failed"
    assert Path(written["nodes"]["Transform"]["stderr_path"]).is_file()


def test_a_script_printing_megabytes(tmp_path, pool):
    root = branching_project(tmp_path / "proj", CHATTY).write()
    report = run(root, pool)
    assert report.success, report.nodes["Transform"].error
    t = report.nodes["Transform"]
    stdout = Path(t.stdout_path)
    assert stdout.stat().st_size >= 3_000_000  # every byte kept in the file
    assert stdout.read_text().splitlines()[-1].startswith("0029999 ")
    assert Path(t.stderr_path).stat().st_size >= 900_000
    assert t.stderr_tail is not None and len(t.stderr_tail.encode()) <= 4096  # the report stays small
    assert t.stderr_tail.endswith("LAST STDERR LINE")
    assert (Path(report.run_dir) / REPORT_FILE).stat().st_size < 100_000
    assert report.nodes["Consume"].status == "passed"


# ----------------------------------------------------------------------------- script-less nodes


def test_missing_script_makes_a_data_node_and_a_pasteable_source_line(tmp_path, pool):
    p = branching_project(tmp_path / "proj", COPY)
    (p.root / "steps" / "make_data" / "make_data.py").unlink()  # its script is absent
    root = p.write()

    with pytest.raises(WiringError) as info:
        run(root, pool)
    message = str(info.value)
    assert "have no data" in message and "pipelines.p.sources" in message
    line = next(ln.strip() for ln in message.splitlines() if ln.strip().startswith("MakeData.data:"))
    assert not runs_dir(root).exists(), "nothing may run when wiring fails"

    # the suggested line is valid YAML that fixes the project when pasted under sources
    pasted = yaml.safe_load(line)
    p.config["pipelines"]["p"]["sources"] = pasted
    p.write()
    report = run(root, pool)
    assert report.success, report.model_dump_json(indent=1)
    assert report.nodes["MakeData"].status == "source" and report.nodes["MakeData"].role == "data"
    assert report.nodes["MakeData"].source
    assert report.nodes["Transform"].status == "passed"


def test_unwired_required_inputs_are_all_listed_before_anything_runs(tmp_path, pool):
    p = ProjectBuilder(tmp_path / "proj")
    p.step("MakeData", MAKE_DATA, outputs=["data"])
    # lookup and threshold accept no upstream output's type, so production cannot wire them (otherwise
    # its builder fallback would feed them the output already bound to data/table, wiring.md section 7)
    gated = {"type": "hyperparameters"}
    p.step(
        "Transform",
        COPY,
        inputs={"data": True, "lookup": True},
        outputs=["table"],
        dependencies={"data": {}, "lookup": gated},
    )
    p.step(
        "Consume",
        COPY,
        inputs={"table": True, "threshold": True, "notes": False},
        outputs=["result"],
        dependencies={"table": {}, "threshold": gated, "notes": {"required": False}},
    )
    p.pipeline(
        "p", ["MakeData", "Transform", "Consume"], [("MakeData", "Transform"), ("Transform", "Consume")]
    )
    root = p.write()

    with pytest.raises(WiringError) as info:
        run(root, pool)
    message = str(info.value)
    assert "2 required input(s)" in message
    assert "Transform.lookup:" in message and "Consume.threshold:" in message
    assert "Consume.notes" not in message  # optional inputs are not problems
    assert not runs_dir(root).exists()
    assert not list(tmp_path.rglob("stdout.log")), "a script ran although the wiring was incomplete"


# ----------------------------------------------------------------------------- configuration errors


def test_bad_yaml_names_file_and_line(tmp_path, pool):
    root = branching_project(tmp_path / "proj").write()
    text = (root / "script_testing.yaml").read_text().splitlines()
    text.insert(3, "  bad: [unclosed")  # line 4
    (root / "script_testing.yaml").write_text("\n".join(text) + "\n")
    with pytest.raises(ConfigError) as info:
        run(root, pool)
    first = str(info.value).splitlines()[0]
    assert "invalid YAML" in first
    assert f"{root / 'script_testing.yaml'}:" in first
    line = int(first.split("script_testing.yaml:")[1].split(":")[0])
    assert 4 <= line <= 6, first  # YAML reports the error at or just after the bad line


def test_cycle_is_named(tmp_path, pool):
    p = branching_project(tmp_path / "proj")
    p.pipeline(
        "p",
        ["MakeData", "Transform", "Consume"],
        [("MakeData", "Transform"), ("Transform", "Consume"), ("Consume", "Transform")],
    )
    root = p.write()
    with pytest.raises(DagError) as info:
        run(root, pool)
    message = str(info.value)
    assert "cycle" in message
    assert ("Transform -> Consume -> Transform" in message) or ("Consume -> Transform -> Consume" in message)
    assert "p.dag.json" in message
    assert not runs_dir(root).exists()


def test_unknown_node_suggests_closest_step_types(tmp_path, pool):
    p = branching_project(tmp_path / "proj")
    p.pipeline("p", ["MakeData", "Transfrom_training"], [("MakeData", "Transfrom_training")])
    root = p.write()
    with pytest.raises(CatalogError) as info:
        run(root, pool)
    message = str(info.value)
    assert "Transfrom_training" in message and "closest known step types: Transform" in message
    assert not runs_dir(root).exists()


def test_missing_local_source_is_found_before_any_script_runs(tmp_path, pool):
    root = branching_project(tmp_path / "proj", sources={"Other.data": {"local": "data/not_there"}}).write()
    report = run(root, pool)
    assert report.status == "error" and not report.success
    assert "data/not_there" in report.error and "does not exist" in report.error
    assert "Other.data" in report.error
    assert all(n.status == "skipped" for n in report.nodes.values())
    run_dir = Path(report.run_dir)
    assert not (run_dir / "MakeData" / "data").exists(), "MakeData ran although a source was missing"
    assert not list(run_dir.rglob("stdout.log"))
    assert on_disk(report)["status"] == "error"


# ----------------------------------------------------------------------------- imports and preload

PKG_SCRIPT = """
import os
from .util import double
from . import util

def main(input_paths, output_paths, environ_vars, job_args):
    os.makedirs(output_paths["table"], exist_ok=True)
    with open(os.path.join(output_paths["table"], "value.txt"), "w") as fh:
        fh.write(f"{double(21)} {util.__name__}")
"""


def test_script_inside_a_package_with_relative_imports(tmp_path, pool):
    p = ProjectBuilder(tmp_path / "proj")
    p.config["workspaces"] = ["steps", "src"]
    p.config["python_path"] = ["src"]
    p.step("MakeData", MAKE_DATA, outputs=["data"])
    pkg = p.root / "src" / "mypkg"
    write(pkg / "__init__.py", "")
    write(pkg / "util.py", "def double(x):\n    return 2 * x\n")
    p.step(
        "Transform",
        PKG_SCRIPT,
        inputs=["data"],
        outputs=["table"],
        entry_point="transform_pkg.py",
        script_folder=pkg,
    )
    p.pipeline("p", ["MakeData", "Transform"], [("MakeData", "Transform")])
    root = p.write()

    report = run(root, pool)
    assert report.success, report.nodes["Transform"].error
    value = (Path(report.nodes["Transform"].outputs["table"]) / "value.txt").read_text()
    assert value == "42 mypkg.util"


PRELOAD = """
import sys, types
tracker = types.ModuleType("fake_tracker")
tracker.VALUE = "stubbed"
sys.modules["fake_tracker"] = tracker
"""

USES_STUB = """
import os
import fake_tracker          # unavailable locally: the project's preload stubs it

def main(input_paths, output_paths, environ_vars, job_args):
    os.makedirs(output_paths["table"], exist_ok=True)
    with open(os.path.join(output_paths["table"], "value.txt"), "w") as fh:
        fh.write(fake_tracker.VALUE)
"""


@pytest.mark.parametrize("with_preload", [True, False])
def test_preload_runs_before_the_script_is_imported(tmp_path, pool, with_preload):
    p = ProjectBuilder(tmp_path / "proj")
    p.step("MakeData", MAKE_DATA, outputs=["data"])
    p.step("Transform", USES_STUB, inputs=["data"], outputs=["table"])
    p.pipeline("p", ["MakeData", "Transform"], [("MakeData", "Transform")])
    if with_preload:
        write(p.root / "shims.py", PRELOAD)
        p.config["preload"] = ["shims.py"]
    root = p.write()

    report = run(root, pool)
    t = report.nodes["Transform"]
    if with_preload:
        assert report.success, t.error
        assert (Path(t.outputs["table"]) / "value.txt").read_text() == "stubbed"
    else:  # the control: the same script fails without the preload, at import
        assert t.status == "failed" and t.error_kind == "import_error"
        assert "fake_tracker" in t.error.splitlines()[0]


# ----------------------------------------------------------------------------- scheduling


def _two_sleepers(root: Path, parallelism: int) -> Path:
    p = ProjectBuilder(root)
    p.config["runner"] = {"parallelism": parallelism}
    p.step("Sleep", SLEEP_THEN_WRITE, outputs=["done"])
    p.pipeline(
        "p",
        ["Sleep_first", "Sleep_second"],
        [],
        nodes={
            "Sleep_first": {"environ_vars": {"SLEEP_S": "1.0"}},
            "Sleep_second": {"environ_vars": {"SLEEP_S": "1.0"}},
        },
    )
    return p.write()


@pytest.mark.parametrize("parallelism", [2, 1])
def test_independent_scripts_overlap_with_parallelism(tmp_path, pool, parallelism):
    root = _two_sleepers(tmp_path / "proj", parallelism)
    report = run(root, pool)
    assert report.success
    a, b = report.nodes["Sleep_first"], report.nodes["Sleep_second"]
    assert a.job_type == "first" and b.job_type == "second"
    overlap = ts(a.started_at) < ts(b.finished_at) and ts(b.started_at) < ts(a.finished_at)
    if parallelism == 2:
        assert overlap, (a.started_at, a.finished_at, b.started_at, b.finished_at)
    else:  # the control: one at a time never overlaps
        assert not overlap


def test_the_same_project_run_twice_gets_two_run_folders(tmp_path, pool):
    root = branching_project(tmp_path / "proj").write()
    first, second = run(root, pool), run(root, pool)
    assert first.success and second.success
    assert first.run_id != second.run_id and first.run_dir != second.run_dir
    for rep in (first, second):
        d = Path(rep.run_dir)
        assert d.parent == runs_dir(root) / "p"
        assert (d / "MakeData" / "data" / "part-00000.csv").is_file()
        assert on_disk(rep)["run_id"] == rep.run_id
    assert sorted(p.name for p in (runs_dir(root) / "p").iterdir()) == sorted([first.run_id, second.run_id])


# ----------------------------------------------------------------------------- edge checks


def test_a_dropped_column_fails_the_edge_check_and_skips_the_consumer(tmp_path, pool):
    root = branching_project(
        tmp_path / "proj",
        COPY,
        nodes={"Transform": {"environ_vars": {"DROP_COLUMN": "score"}}},
        expectations={
            "Consume.table": {"columns": ["id", "score"]},
            "Other.data": {"columns": ["not_a_column"], "severity": "warn"},
        },
    ).write()
    report = run(root, pool, checks=True)

    assert report.nodes["Transform"].status == "passed"
    edge = next(e for e in report.edges if e.to == "Consume" and e.input == "table")
    assert edge.status == "failed" and edge.severity == "block"
    assert any(f.get("column") == "score" for f in edge.failed_expectations), edge.failed_expectations
    assert "score" in edge.summary
    c = report.nodes["Consume"]
    assert c.status == "skipped"
    assert c.skipped_because.startswith("edge check failed: ") and edge.summary in c.skipped_because
    assert not (Path(report.run_dir) / "Consume" / "_run" / "stdout.log").exists(), "Consume ran anyway"

    # the independent branch ran; its failed warn-level expectation did not block it
    warn = next(e for e in report.edges if e.to == "Other")
    assert warn.status == "warn" and warn.severity == "warn"
    assert any(f.get("column") == "not_a_column" for f in warn.failed_expectations)
    assert report.nodes["Other"].status == "passed"
    assert not report.success

    written = on_disk(report)
    on_disk_edge = next(e for e in written["edges"] if e["to"] == "Consume")
    assert on_disk_edge["status"] == "failed" and on_disk_edge["from"] == "Transform"


WRITE_THEN_HANG = """
import os, time

def main(input_paths, output_paths, environ_vars, job_args):
    dst = next(iter(output_paths.values()))
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(dst, "partial.csv"), "w") as fh:
        fh.write("id\\n1\\n")
    time.sleep(120)
"""


def test_a_consumer_started_ahead_of_its_failing_check_is_stopped_and_leaves_nothing(tmp_path, pool):
    """The consumer starts while its input is checked; the check blocks, so it is stopped (it would hang
    for 120 s, past this test's timeout) and its run leaves no output, no log, no result behind."""
    p = ProjectBuilder(tmp_path / "proj")
    p.step("MakeData", MAKE_DATA, outputs=["data"])
    p.step("Transform", COPY, inputs=["data"], outputs=["table"])
    p.step("Consume", WRITE_THEN_HANG, inputs=["table"], outputs=["result"])
    p.pipeline(
        "p",
        ["MakeData", "Transform", "Consume"],
        [("MakeData", "Transform"), ("Transform", "Consume")],
        nodes={"Transform": {"environ_vars": {"DROP_COLUMN": "score"}}},
        expectations={"Consume.table": {"columns": ["id", "score"]}},
    )
    report = run(p.write(), pool, checks=True)

    c = report.nodes["Consume"]
    assert c.status == "skipped" and c.skipped_because.startswith("edge check failed: "), c
    assert c.outputs == {} and c.error is None
    consume_dir = Path(report.run_dir) / "Consume"
    assert not consume_dir.exists() or not any(consume_dir.rglob("*.*")), list(consume_dir.rglob("*"))
    assert not report.success


def test_a_warn_expectation_fails_without_blocking(tmp_path, pool):
    root = branching_project(
        tmp_path / "proj",
        COPY,
        expectations={
            "Consume.table": {"columns": ["id", "no_such_column"], "min_rows": 1000, "severity": "warn"}
        },
    ).write()
    report = run(root, pool, checks=True)
    edge = next(e for e in report.edges if e.to == "Consume")
    assert edge.status == "warn"
    assert {f.get("column") for f in edge.failed_expectations} >= {"no_such_column"}
    assert report.nodes["Consume"].status == "passed"
    assert report.success and report.status == "passed"
    assert all(e.status == "passed" for e in report.edges if e.to != "Consume")


def test_specs_are_written_in_the_project(tmp_path, pool):
    root = branching_project(tmp_path / "proj").write()
    report = run(root, pool)
    spec_dir = root / ".specs" / "p"
    pipeline_spec = json.loads((spec_dir / "pipeline_testing_spec.json").read_text())
    assert pipeline_spec["order"] == ["MakeData", "Transform", "Consume", "Other"]
    transform = json.loads((spec_dir / "transform_runtime_test_spec.json").read_text())
    assert transform["input_paths"]["data"] == os.path.join(report.run_dir, "MakeData", "data")
    assert transform["output_paths"]["table"] == report.nodes["Transform"].outputs["table"]
