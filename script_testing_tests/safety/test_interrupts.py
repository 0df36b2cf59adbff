"""A run's record is always final: Ctrl-C (130), SIGTERM (143), a full disk or a fatal error leave
report.json (and report.html) with status ``interrupted`` / ``error``, unfinished nodes
``interrupted`` and what finished kept; a run left ``running`` by a dead process reads as
``interrupted``; the processes the CLI started are ended with it.

Real subprocesses: the CLI is started in its own session and sent real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from script_testing import api
from script_testing.execution.interrupts import run_in_own_group
from script_testing.execution.options import RunOptions
from script_testing.reports.model import RunReport
from script_testing.worker import WorkerPool
from script_testing_tests.fixtures.projects import branching_project

pytestmark = [pytest.mark.timeout(180), pytest.mark.e2e]

# writes its pid, then sleeps "forever" (a grandchild too, to check the whole tree is ended)
SLOW = """
import os, subprocess, sys, time

def main(input_paths, output_paths, environ_vars, job_args):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(environ_vars["PID_FILE"], "w") as fh:
        fh.write(f"{os.getpid()} {child.pid}")
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(predicate, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _start_cli(tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    pid_file = tmp_path / "pids.txt"
    nodes = {"Transform": {"environ_vars": {"PID_FILE": str(pid_file)}}}
    root = branching_project(tmp_path / "proj", SLOW, nodes=nodes).write()
    runs = tmp_path / "runs"
    env = {**os.environ, "SCRIPT_TESTING_RUNS": str(runs)}
    cmd = [sys.executable, "-m", "script_testing.cli", "run", str(root), "--no-checks", "--parallelism", "1"]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    return proc, pid_file, runs


@pytest.mark.parametrize(
    ("signum", "to_group", "code"),
    [(signal.SIGINT, True, 130), (signal.SIGINT, False, 130), (signal.SIGTERM, False, 143)],
    ids=["ctrl-c-to-group", "sigint-to-cli", "sigterm-to-cli"],
)
def test_a_signal_finalises_the_record_and_ends_every_process(tmp_path, signum, to_group, code):
    proc, pid_file, runs = _start_cli(tmp_path)
    _wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the script to start", 120)
    script_pid, grandchild = (int(x) for x in pid_file.read_text().split())
    if to_group:  # what a terminal does on Ctrl-C: the whole foreground group
        os.killpg(proc.pid, signum)
    else:
        os.kill(proc.pid, signum)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == code, out
    report_file = next(runs.rglob("report.json"))
    report = json.loads(report_file.read_text())
    assert report["status"] == "interrupted", out
    assert report["success"] is False
    assert "interrupted" in report["error"] and report["finished_at"]
    nodes = report["nodes"]
    assert nodes["MakeData"]["status"] == "passed"  # what finished is kept...
    assert (report_file.parent / "MakeData" / "data" / "part-00000.csv").is_file()
    assert nodes["Transform"]["status"] == "interrupted"  # ...what did not is said so
    assert nodes["Consume"]["status"] == "interrupted"
    assert "interrupted" in report_file.with_name("report.html").read_text()
    assert "INTERRUPTED" in out
    # every process it started is gone: the script and its own child
    _wait_for(lambda: not _alive(script_pid) and not _alive(grandchild), "the script's processes to end", 30)


def test_a_run_left_running_by_a_dead_process_reads_interrupted(tmp_path):
    root = branching_project(tmp_path / "proj").write()
    with WorkerPool() as pool:
        report = api.run("p", project=root, options=RunOptions(checks=False), pool=pool)
    assert report.success and report.pid == os.getpid() and report.host
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = report.model_copy(deep=True)
    stale.status, stale.success, stale.pid, stale.finished_at = "running", False, dead.pid, None
    stale.nodes["Consume"].status = "running"
    stale.write(Path(report.run_dir))
    shown = api.load_result(report.run_dir)
    assert shown.report.status == "interrupted"
    assert shown.report.nodes["Consume"].status == "interrupted"
    assert shown.report.nodes["MakeData"].status == "passed"
    assert f"pid {dead.pid}" in shown.report.error
    # the file itself is left as it was
    assert RunReport.read(Path(report.run_dir)).status == "running"
    env = {**os.environ}
    cli = [sys.executable, "-m", "script_testing.cli"]
    show = subprocess.run(
        [*cli, "show", report.run_dir, "--project", str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "INTERRUPTED" in show.stdout, show.stdout + show.stderr
    listed = subprocess.run(
        [*cli, "list-results", "--project", str(root), "--output-format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    rows = json.loads(listed.stdout)
    assert [r["status"] for r in rows] == ["interrupted"], listed.stdout + listed.stderr
    # a live process's run stays "running"
    stale.pid = os.getpid()
    stale.write(Path(report.run_dir))
    assert api.load_result(report.run_dir).report.status == "running"


FILL_DISK = """
import os

def main(input_paths, output_paths, environ_vars, job_args):
    os.makedirs(output_paths["table"], exist_ok=True)
    try:
        with open(os.path.join(output_paths["table"], "big.bin"), "wb") as fh:
            while True:
                fh.write(b"x" * (1 << 16))
                fh.flush()
    except OSError:
        pass  # the disk is full: the script leaves it so
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_leaves_a_final_record(tmp_path):
    runs = tmp_path / "small"
    runs.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(runs)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        root = branching_project(tmp_path / "proj", FILL_DISK).write()
        env = {**os.environ, "SCRIPT_TESTING_RUNS": str(runs)}
        proc = subprocess.run(
            [sys.executable, "-m", "script_testing.cli", "run", str(root), "--no-checks", "--no-html"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        assert "Traceback" not in out, out
        assert "disk is full" in out, out
        report = json.loads(next(runs.rglob("report.json")).read_text())
        assert report["status"] == "error" and "disk is full" in report["error"]
        assert report["nodes"]["MakeData"]["status"] == "passed"
        assert report["nodes"]["Consume"]["status"] == "interrupted"
    finally:
        subprocess.run(["umount", "-l", str(runs)], capture_output=True)


def test_the_ui_launcher_ends_its_whole_process_group(tmp_path):
    marker = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time\n"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(marker)!r}, 'w').write(str(c.pid))\n"
        "time.sleep(600)\n"
    )
    launcher = (
        "import sys\n"
        "from script_testing.execution.interrupts import run_in_own_group\n"
        f"sys.exit(run_in_own_group([sys.executable, '-c', {code!r}], grace_s=2))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", launcher], start_new_session=True)
    _wait_for(lambda: marker.exists() and marker.read_text(), "the grandchild to start")
    grandchild = int(marker.read_text())
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    _wait_for(lambda: not _alive(grandchild), "the grandchild to end", 30)
    assert run_in_own_group([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_ctrl_c_in_a_notebook_run_finalises_and_ends_the_script(tmp_path):
    pid_file = tmp_path / "pids.txt"
    nodes = {"Transform": {"environ_vars": {"PID_FILE": str(pid_file)}}}
    root = branching_project(tmp_path / "proj", SLOW, nodes=nodes).write()
    program = (
        "import faulthandler, json, signal, sys\n"
        "faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test's diagnosis if it hangs\n"
        # as a notebook kernel has it: Ctrl-C raises KeyboardInterrupt (a pytest-xdist worker may hand its
        # children SIGINT ignored or blocked, and a child then never sees it: seen in full-suite runs)
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])\n"
        "from script_testing import api\n"
        "from script_testing.execution.options import RunOptions\n"
        "try:\n"
        f"    api.run('p', project={str(root)!r}, options=RunOptions(checks=False, parallelism=1))\n"
        "except KeyboardInterrupt as exc:\n"
        "    r = exc.report\n"
        "    print(json.dumps({'status': r.status, 'nodes': {k: v.status for k, v in r.nodes.items()},\n"
        "                      'run_dir': r.run_dir}))\n"
    )
    env = {**os.environ, "SCRIPT_TESTING_RUNS": str(tmp_path / "runs")}
    proc = subprocess.Popen(
        [sys.executable, "-c", program], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the script to start", 120)
    script_pid, grandchild = (int(x) for x in pid_file.read_text().split())
    os.kill(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGUSR1)  # every thread's stack to stderr, then fail with it
        time.sleep(2)
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the run did not end within 60 s of SIGINT; its threads:\n{err[-6000:]}")
    assert proc.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "interrupted"
    assert result["nodes"]["MakeData"] == "passed" and result["nodes"]["Transform"] == "interrupted"
    on_disk = json.loads((Path(result["run_dir"]) / "report.json").read_text())
    assert on_disk["status"] == "interrupted" and on_disk["nodes"]["Transform"]["status"] == "interrupted"
    _wait_for(lambda: not _alive(script_pid) and not _alive(grandchild), "the script's processes to end", 30)
