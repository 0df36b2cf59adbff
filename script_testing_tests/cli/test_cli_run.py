"""``script-testing run`` and ``validate`` as a user runs them: a subprocess, exit codes, output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from script_testing_tests.fixtures.projects import COPY, MAKE_DATA, RAISE, ProjectBuilder, branching_project

pytestmark = [pytest.mark.timeout(180), pytest.mark.e2e]

_ENTRY = Path(sys.executable).parent / "script-testing"
COMMAND = [str(_ENTRY)] if _ENTRY.exists() else [sys.executable, "-m", "script_testing.cli"]


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 150
) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SCRIPT_TESTING_")}
    full_env["SCRIPT_TESTING_RUNS"] = str(cwd / "runs")
    full_env.update(env or {})
    return subprocess.run(
        [*COMMAND, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def output(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def two_pipeline_project(root: Path) -> Path:
    """Pipelines ``p`` (MakeData -> Transform) and ``q`` (MakeData -> Other), both passing."""
    p = ProjectBuilder(root)
    p.step("MakeData", MAKE_DATA, outputs=["data"])
    p.step("Transform", COPY, inputs=["data"], outputs=["table"])
    p.step("Other", COPY, inputs=["data"], outputs=["other"])
    p.pipeline("p", ["MakeData", "Transform"], [("MakeData", "Transform")])
    p.pipeline("q", ["MakeData", "Other"], [("MakeData", "Other")])
    return p.write()


def test_bundled_examples_pass_with_a_summary_and_json(tmp_path):
    proc = cli("run", "--json", "out/result.json", cwd=tmp_path)
    assert proc.returncode == 0, output(proc)
    assert "Traceback" not in output(proc)
    for name in ("tabular_calibrated", "tabular_simple"):
        assert f"PASSED: pipeline {name}" in proc.stdout
        assert list((tmp_path / "runs" / name).glob("*/report.json"))
    assert "edge checks passed" in proc.stdout
    combined = json.loads((tmp_path / "out" / "result.json").read_text())
    assert combined["success"] is True
    assert sorted(r["pipeline"] for r in combined["runs"]) == ["tabular_calibrated", "tabular_simple"]
    for r in combined["runs"]:
        assert r["success"] and all(n["status"] in ("passed", "source") for n in r["nodes"].values())
        assert Path(r["run_dir"], "report.json").is_file()
    assert (tmp_path / ".script_testing" / "examples" / ".specs").is_dir()  # state in the cwd


def test_failing_project_exits_1_with_per_node_lines(tmp_path):
    root = branching_project(tmp_path / "proj", RAISE).write()
    proc = cli("run", str(root), "--no-checks", "--json", "result.json", cwd=tmp_path)
    text = output(proc)
    assert proc.returncode == 1, text
    assert "FAILED: pipeline p" in proc.stdout
    lines = text.splitlines()
    fail = next(i for i, ln in enumerate(lines) if "FAIL" in ln and ln.rstrip().endswith("Transform"))
    assert "main() raised ValueError: bad value 42 in the data" in lines[fail + 1]
    assert any("SKIP" in ln and "Consume" in ln and "upstream Transform failed" in ln for ln in lines)
    assert any("PASS" in ln and ln.rstrip().endswith("Other") for ln in lines)
    assert any("PASS" in ln and ln.rstrip().endswith("MakeData") for ln in lines)
    combined = json.loads((tmp_path / "result.json").read_text())
    assert combined["success"] is False
    assert combined["runs"][0]["nodes"]["Transform"]["status"] == "failed"


def test_checks_in_a_fresh_process_right_after_start(tmp_path):
    """Regression: the first edge check ran while the background Great Expectations warm-up was still
    importing GX, and failed with "ImportError: cannot import name ... partially initialized module"
    (DocsSites.build imported GX outside the GX lock). Fast scripts with untyped edges hit it at once."""
    root = branching_project(tmp_path / "proj").write()
    proc = cli("run", str(root), cwd=tmp_path)
    assert proc.returncode == 0, output(proc)
    assert "Traceback" not in output(proc)
    assert "PASSED: pipeline p" in proc.stdout and "3/3 edge checks passed" in proc.stdout


@pytest.mark.parametrize("problem", ["bad_yaml", "unknown_pipeline", "cycle", "no_project"])
def test_config_errors_exit_2_with_one_clear_line(tmp_path, problem):
    root = tmp_path / "proj"
    args = ["run", str(root)]
    if problem == "no_project":
        root.mkdir()
        expect = ["no testing project here", "script_testing.yaml"]
    else:
        p = branching_project(root)
        if problem == "cycle":
            p.pipeline("p", ["MakeData", "Transform"], [("MakeData", "Transform"), ("Transform", "MakeData")])
            expect = ["cycle", "MakeData -> Transform -> MakeData"]
        p.write()
        if problem == "bad_yaml":
            (root / "script_testing.yaml").write_text("workspaces: [steps\npipelines: {}\n")
            expect = ["invalid YAML", "script_testing.yaml:"]
        elif problem == "unknown_pipeline":
            args += ["--pipeline", "pp"]
            expect = ["no pipeline named 'pp'", "did you mean p"]
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, output(proc)
    assert "Traceback" not in output(proc)
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1, proc.stderr
    assert err[0].startswith("error: ")
    for part in expect:
        assert part in err[0], err[0]
    assert not (tmp_path / "runs").exists()


def test_pipeline_option_filters(tmp_path):
    root = two_pipeline_project(tmp_path / "proj")
    proc = cli("run", str(root), "--pipeline", "q", "--no-checks", "--json", "r.json", cwd=tmp_path)
    assert proc.returncode == 0, output(proc)
    assert "PASSED: pipeline q" in proc.stdout and "pipeline p" not in output(proc)
    assert [d.name for d in (tmp_path / "runs").iterdir()] == ["q"]
    assert [r["pipeline"] for r in json.loads((tmp_path / "r.json").read_text())["runs"]] == ["q"]

    both = cli("run", str(root), "-p", "q", "-p", "p", "--no-checks", "--quiet", cwd=tmp_path)
    assert both.returncode == 0, output(both)
    assert "PASSED: pipeline p" in both.stdout and "PASSED: pipeline q" in both.stdout


def test_project_env_var_is_honoured(tmp_path):
    root = two_pipeline_project(tmp_path / "proj")
    proc = cli("run", "--no-checks", cwd=tmp_path, env={"SCRIPT_TESTING_PROJECT": str(root)})
    assert proc.returncode == 0, output(proc)
    assert "PASSED: pipeline p" in proc.stdout and "PASSED: pipeline q" in proc.stdout
    assert "tabular" not in output(proc)
    assert sorted(d.name for d in (tmp_path / "runs").iterdir()) == ["p", "q"]

    val = cli("validate", cwd=tmp_path, env={"SCRIPT_TESTING_PROJECT": str(root)})
    assert val.returncode == 0, output(val)
    assert "pipeline p: ok" in val.stdout and "pipeline q: ok" in val.stdout


def test_validate_lists_every_problem_and_exits_1(tmp_path):
    p = ProjectBuilder(tmp_path / "proj")
    p.step("MakeData", MAKE_DATA, outputs=["data"])
    # lookup's type accepts no output of MakeData, so production cannot wire it (otherwise its builder
    # fallback would feed it 'data' too, wiring.md section 7)
    p.step(
        "Transform",
        COPY,
        inputs={"data": True, "lookup": True},
        outputs=["table"],
        dependencies={"data": {}, "lookup": {"type": "hyperparameters"}},
    )
    p.step("Other", COPY, inputs={"data": True, "extra": True}, outputs=["other"])
    # p: one unwired input; q: two missing local sources; r: fine
    p.pipeline("p", ["MakeData", "Transform"], [("MakeData", "Transform")])
    p.pipeline(
        "q",
        ["MakeData", "Other"],
        [("MakeData", "Other")],
        sources={"Other.extra": {"local": "nowhere/extra"}, "Other.data": {"local": "nowhere/data"}},
    )
    p.pipeline(
        "r",
        ["MakeData", "Other"],
        [("MakeData", "Other")],
        sources={"Other.extra": {"json": {"a": 1}, "file": "extra.json"}},
    )
    root = p.write()

    proc = cli("validate", str(root), cwd=tmp_path)
    text = output(proc)
    assert proc.returncode == 1, text
    assert "Traceback" not in text
    assert "pipeline p: PROBLEMS" in text and "pipeline q: PROBLEMS" in text and "pipeline r: ok" in text
    assert "Transform.lookup" in text
    assert "nowhere/extra" in text and "nowhere/data" in text
    assert not (tmp_path / "runs").exists(), "validate must not run anything"

    as_json = cli("validate", str(root), "--output-format", "json", cwd=tmp_path)
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    assert data["ok"] is False
    assert len(data["pipelines"]["q"]["problems"]) == 2 and data["pipelines"]["r"]["problems"] == []


def test_help_for_every_command(tmp_path):
    from script_testing.cli import cli as group

    top = cli("--help", cwd=tmp_path)
    assert top.returncode == 0 and "Usage:" in top.stdout
    assert set(group.commands) >= {"run", "validate"}
    for name in group.commands:
        assert name in top.stdout
        proc = cli(name, "--help", cwd=tmp_path)
        assert proc.returncode == 0, output(proc)
        assert "Usage:" in proc.stdout and name in proc.stdout
    run_help = cli("run", "--help", cwd=tmp_path).stdout
    for option in ("--pipeline", "--json", "--no-checks", "PROJECT_DIR"):
        assert option in run_help
