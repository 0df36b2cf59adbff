"""The early worker: started before the CLI plans, from what the same command preimported last time, and
used only when it preimports exactly what the run asks for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from script_testing.worker import early_start
from script_testing.worker.early_start import adopt, cache_file, remember

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(early_start._early, "key", None)
    monkeypatch.setitem(early_start._early, "pool", None)
    yield
    pool = early_start._early["pool"]
    if pool is not None:
        pool.close(wait=False)


def test_a_command_run_before_starts_its_worker_early_and_the_run_adopts_it(fresh):
    args = ["run", "proj", "-p", "train"]
    early_start.early_start(args)
    assert early_start._early["pool"] is None  # never run: nothing to start
    remember(["json", "csv"])
    assert json.loads(cache_file().read_text()).popitem()[1]["preimport"] == ["json", "csv"]

    early_start.early_start(args)  # the next run of the same command
    pool = early_start._early["pool"]
    assert pool is not None and pool.worker_pid is not None, "the early worker did not start"
    adopted = adopt(["json", "csv"])
    assert adopted is pool and early_start._early["pool"] is None
    adopted.close()


def test_an_early_worker_that_does_not_fit_the_plan_is_closed_not_used(fresh):
    args = ["run", "proj"]
    early_start.early_start(args)
    remember(["json"])
    early_start.early_start(args)
    early = early_start._early["pool"]
    pid = early.worker_pid
    fitted = adopt(["json", "csv"])  # the scripts changed since: another preimport list
    assert fitted is not early and fitted.preimport == ["json", "csv"]
    assert early.worker_pid is None and pid is not None
    fitted.close()


def test_other_commands_and_other_folders_never_start_one(fresh, tmp_path):
    early_start.early_start(["run", "proj"])
    remember(["json"])
    early_start.early_start(["validate", "proj"])
    assert early_start._early["pool"] is None
    os.chdir(tmp_path.parent)
    early_start.early_start(["run", "proj"])  # same arguments, another working directory
    assert early_start._early["pool"] is None
    cache_file().write_text("{not json")  # a broken cache is ignored and rewritten
    early_start.early_start(["run", "proj"])
    remember(["json"])
    assert len(json.loads(cache_file().read_text())) == 1


@pytest.mark.e2e
def test_the_console_command_records_its_workers_modules_and_runs_again_with_them(tmp_path):
    exe = Path(sys.executable).parent / "script-testing"
    if not exe.exists():
        pytest.skip("the script-testing console command is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRIPT_TESTING_", "DAGSTER_"))}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), SCRIPT_TESTING_RUNS=str(tmp_path / "runs"))
    examples = Path(__file__).resolve().parents[2] / "script_testing" / "examples"
    command = [str(exe), "run", str(examples), "-p", "tabular_simple", "-q", "--no-html"]
    for attempt in (1, 2):
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=100)
        assert done.returncode == 0, (attempt, done.stdout[-2000:], done.stderr[-2000:])
        assert "PASSED" in done.stdout
        recorded = json.loads((tmp_path / "cache" / "script_testing" / "early_workers.json").read_text())
        assert len(recorded) == 1 and "pandas" in next(iter(recorded.values()))["preimport"], recorded
