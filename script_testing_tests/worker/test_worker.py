"""The runner: real worker processes running real scripts written to tmp_path; no mocks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from script_testing.worker import (
    ScriptJob,
    ScriptResult,
    WorkerPool,
    discover_imports,
    resolve_module,
    shared_pool,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(preimport=["json"]) as shared:
        yield shared


def write_script(folder: Path, body: str, name: str = "script.py") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body))
    return path


def make_job(tmp_path: Path, script: Path, **overrides) -> ScriptJob:
    fields = dict(
        node="Node_training",
        script_path=script,
        input_paths={},
        output_paths={"out": str(tmp_path / "out")},
        work_dir=tmp_path / "work",
        timeout_s=30,
    )
    fields.update(overrides)
    return ScriptJob(**fields)


def process_is_gone(pid: int) -> bool:
    """Dead, or a zombie nobody reaped yet (PID 1 in a container may not reap)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for_file(path: Path, timeout_s: float = 10) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


# --------------------------------------------------------------------------- passing runs


def test_passing_script_has_outputs_inventoried(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import os
        def main(input_paths, output_paths, environ_vars, job_args):
            out = output_paths["out"]
            os.makedirs(os.path.join(out, "train"))
            for i in range(25):
                with open(os.path.join(out, "train", f"part_{i:02d}.csv"), "w") as f:
                    f.write("a,b\\n1,2\\n")
            print("wrote 25 files")
            return {"rows": 1}
    """,
    )
    result = pool.run(
        make_job(
            tmp_path, script, output_paths={"out": str(tmp_path / "out"), "missing": str(tmp_path / "never")}
        )
    )

    assert result.status == "passed", result.error
    assert result.kind is None and result.error is None
    assert result.return_value == "{'rows': 1}"
    out = result.outputs["out"]
    assert out.exists and out.files == 25 and out.bytes == 25 * 8
    assert len(out.sample) == 20 and out.sample[0] == "train/part_00.csv"
    assert not result.outputs["missing"].exists
    assert result.stdout_path.read_text() == "wrote 25 files\n"
    assert result.stdout_bytes == len("wrote 25 files\n")
    assert result.peak_memory_mb and result.peak_memory_mb > 1
    assert result.duration_s > 0
    assert json.loads(json.dumps(result.to_dict()))["outputs"]["out"]["files"] == 25
    assert ScriptResult.from_dict(result.to_dict()) == result


def test_environ_vars_are_in_the_dict_and_in_os_environ(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import json, os
        def main(input_paths, output_paths, environ_vars, job_args):
            print(json.dumps({"dict": environ_vars["LABEL_FIELD"],
                              "os": os.environ.get("LABEL_FIELD"),
                              "cwd": os.getcwd()}))
    """,
    )
    job = make_job(tmp_path, script, environ_vars={"LABEL_FIELD": "label"})
    result = pool.run(job)
    assert result.passed, result.error
    seen = json.loads(result.stdout_path.read_text())
    assert seen == {"dict": "label", "os": "label", "cwd": str(job.work_dir / "work")}
    assert "LABEL_FIELD" not in os.environ  # the caller's environment is untouched


def test_job_args_arrive_as_a_namespace_and_argv_is_set(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import argparse, sys
        def main(input_paths, output_paths, environ_vars, job_args):
            assert isinstance(job_args, argparse.Namespace)
            print(job_args.job_type, job_args.n, sys.argv[1:], input_paths["data"])
    """,
    )
    result = pool.run(
        make_job(
            tmp_path,
            script,
            job_args={"job_type": "calibration", "n": 3},
            argv=["--job_type", "calibration"],
            input_paths={"data": "/in/data"},
        )
    )
    assert result.passed, result.error
    assert result.stdout_path.read_text() == "calibration 3 ['--job_type', 'calibration'] /in/data\n"


def test_extra_parameters_keep_their_defaults_as_in_production(pool, tmp_path):
    # production's __main__ calls main with the four arguments: a logger=None stays None
    script = write_script(
        tmp_path,
        """
        import logging
        def main(input_paths, output_paths, environ_vars, job_args, logger=None, verbose=False):
            logger = logger or logging.getLogger(__name__)
            print(type(logger).__name__, verbose)
    """,
    )
    result = pool.run(make_job(tmp_path, script))
    assert result.passed, result.error
    assert result.stdout_path.read_text() == "Logger False\n"


def test_main_kwargs_are_passed_only_when_the_job_asks(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args, *, model_dir, verbose=False):
            print(model_dir, verbose)
    """,
    )
    result = pool.run(make_job(tmp_path, script, main_kwargs={"model_dir": "/m", "verbose": True}))
    assert result.passed, result.error
    assert result.stdout_path.read_text() == "/m True\n"

    unknown = pool.run(make_job(tmp_path, script, node="X", main_kwargs={"model_dir": "/m", "colour": "red"}))
    assert unknown.kind == "bad_signature"
    assert unknown.headline.startswith(
        "X: main() cannot take the keyword argument(s) colour, model_dir given in main_kwargs"
    )


@pytest.mark.parametrize("code", ["sys.exit(0)", "sys.exit()", "sys.exit(None)"])
def test_sys_exit_zero_passes(pool, tmp_path, code):
    script = write_script(
        tmp_path,
        f"""
        import sys
        def main(input_paths, output_paths, environ_vars, job_args):
            {code}
    """,
    )
    result = pool.run(make_job(tmp_path, script))
    assert result.status == "passed", result.error


# --------------------------------------------------------------------------- failures


def test_an_exception_is_reported_with_type_message_and_script_line(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        def helper(row):
            return row["label"]

        def main(input_paths, output_paths, environ_vars, job_args):
            print("about to fail", flush=True)
            return helper({})
    """,
        name="xgboost_training.py",
    )
    job = make_job(tmp_path, script, node="XGBoostTraining")
    result = pool.run(job)

    assert result.status == "failed" and result.kind == "exception"
    assert result.exception_type == "KeyError" and result.exception_message == "'label'"
    assert result.location == "xgboost_training.py:3"
    assert result.headline == (
        "XGBoostTraining: main() raised KeyError: 'label' "
        f"(xgboost_training.py:3); see stderr.log: {job.stderr_path}"
    )
    assert "Traceback (most recent call last)" in job.stderr_path.read_text()  # the log has what it says
    assert "Traceback (most recent call last)" in result.traceback
    assert result.traceback.startswith('Traceback (most recent call last):\n  File "' + str(script))
    assert result.traceback.rstrip() in result.error
    assert result.stdout_path.read_text() == "about to fail\n"


def test_sys_exit_with_a_code_fails_and_says_so(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import sys
        def main(input_paths, output_paths, environ_vars, job_args):
            print("bad input", file=sys.stderr)
            sys.exit(3)
    """,
    )
    job = make_job(tmp_path, script, node="X")
    result = pool.run(job)
    assert result.status == "failed" and result.kind == "exit"
    assert result.exit_code == 3
    assert (
        result.headline
        == f"X: the script called sys.exit(3) (script.py:5); see stderr.log: {job.stderr_path}"
    )
    assert "bad input" in result.error and "bad input" in result.stderr_tail


def test_sys_exit_with_a_message_fails_with_code_1(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import sys
        def main(input_paths, output_paths, environ_vars, job_args):
            sys.exit("no training data")
    """,
    )
    result = pool.run(make_job(tmp_path, script))
    assert result.kind == "exit" and result.exit_code == 1
    assert "sys.exit('no training data')" in result.headline
    assert "no training data" in result.stderr_path.read_text()


def test_a_script_killed_by_a_signal_reports_the_signal(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import os, signal
        def main(input_paths, output_paths, environ_vars, job_args):
            os.kill(os.getpid(), signal.SIGKILL)
    """,
    )
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.status == "failed" and result.kind == "signal"
    assert result.signal == 9
    assert result.headline.startswith("X: killed by signal 9 (SIGKILL); something outside")
    assert result.peak_memory_mb is not None  # from wait4's rusage


def test_os_exit_reports_the_exit_code(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import os
        def main(input_paths, output_paths, environ_vars, job_args):
            os._exit(4)
    """,
    )
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.kind == "exit" and result.exit_code == 4
    assert "exited with code 4 before main() returned" in result.headline


@pytest.mark.parametrize("new_session", [False, True])
def test_a_timeout_kills_the_whole_process_tree(pool, tmp_path, new_session):
    script = write_script(
        tmp_path,
        f"""
        import os, subprocess, time
        def main(input_paths, output_paths, environ_vars, job_args):
            child = subprocess.Popen(["sleep", "120"], start_new_session={new_session})
            with open("grandchild.pid", "w") as f:
                f.write(str(child.pid))
            time.sleep(120)
    """,
    )
    job = make_job(tmp_path, script, node="X", timeout_s=1, keep_work=True)
    result = pool.run(job)

    assert result.status == "failed" and result.kind == "timeout"
    assert result.headline == (
        "X: timed out after 1 s; the whole process tree was killed. "
        f"Raise timeout_s if the script needs longer; see stderr.log: {job.stderr_path}"
    )
    grandchild = int((job.cwd / "grandchild.pid").read_text())
    deadline = time.monotonic() + 5
    while not process_is_gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_is_gone(grandchild)


def test_megabytes_of_output_land_in_files_without_deadlock(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import sys
        def main(input_paths, output_paths, environ_vars, job_args):
            line = "x" * 99
            for i in range(50_000):
                print(line)
                print(f"{i:06d}" + line, file=sys.stderr)
    """,
    )
    result = pool.run(make_job(tmp_path, script))
    assert result.passed, result.error
    assert result.stdout_bytes == 50_000 * 100
    assert result.stderr_bytes == 50_000 * 106
    assert len(result.stderr_tail.encode()) <= 4096
    assert len(result.stderr_tail.splitlines()) <= 40
    assert result.stderr_tail.splitlines()[-1].startswith("049999")


def test_exceeding_the_memory_limit_is_kind_memory(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            blocks = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GiB
    """,
    )
    result = pool.run(make_job(tmp_path, script, node="X", memory_limit_mb=200))
    assert result.status == "failed" and result.kind == "memory"
    assert result.exception_type == "MemoryError"
    assert result.location == "script.py:3"
    assert "ran out of memory" in result.headline and "memory_limit_mb=200" in result.headline


def test_peak_memory_reflects_what_the_script_allocated(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            block = bytearray(150 * 1024 * 1024)
            block[::4096] = b"x" * len(block[::4096])  # touch every page
    """,
    )
    result = pool.run(make_job(tmp_path, script))
    assert result.passed, result.error
    assert result.peak_memory_mb >= 150


def test_an_import_time_error_is_its_own_kind(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import os
        import a_package_that_is_not_installed

        def main(input_paths, output_paths, environ_vars, job_args):
            pass
    """,
        name="needs_pkg.py",
    )
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.status == "failed" and result.kind == "import_error"
    assert result.exception_type == "ModuleNotFoundError"
    assert result.location == "needs_pkg.py:3"
    assert result.headline.startswith(
        "X: importing needs_pkg.py failed with ModuleNotFoundError: "
        "No module named 'a_package_that_is_not_installed' (needs_pkg.py:3)."
    )


def test_a_syntax_error_points_at_the_line(pool, tmp_path):
    script = write_script(tmp_path, "def main(a, b, c, d):\n    return (\n", name="broken.py")
    result = pool.run(make_job(tmp_path, script))
    assert result.kind == "import_error" and result.exception_type == "SyntaxError"
    assert result.location is not None and result.location.startswith("broken.py:")


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "def main(input_paths, output_paths, environ_vars, job_args, model_dir):\n    pass\n",
            "main() has a required parameter 'model_dir' besides the four standard ones",
        ),
        (
            "def main(input_paths, output_paths):\n    pass\n",
            "main() takes 2 positional parameter(s) (input_paths, output_paths)",
        ),
        ("x = 1\n", "the script script.py defines no main() function"),
    ],
)
def test_a_main_that_cannot_be_called_is_a_bad_signature(pool, tmp_path, body, expected):
    script = write_script(tmp_path, body)
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.status == "failed" and result.kind == "bad_signature"
    assert result.headline.startswith(f"X: {expected}")


# --------------------------------------------------------------------------- loading


def test_a_script_inside_a_package_can_use_relative_imports(pool, tmp_path):
    repo = tmp_path / "repo"
    write_script(repo / "pipelines", "")
    (repo / "pipelines" / "__init__.py").write_text("")
    write_script(repo / "pipelines" / "steps", "", name="__init__.py")
    write_script(repo / "pipelines" / "steps", "LABEL = 'label'\n", name="common.py")
    script = write_script(
        repo / "pipelines" / "steps",
        """
        from .common import LABEL
        def main(input_paths, output_paths, environ_vars, job_args):
            print(LABEL, __name__)
    """,
        name="training.py",
    )

    root, module = resolve_module(script, python_path=[])
    assert (root, module) == (repo.resolve(), "pipelines.steps.training")
    result = pool.run(make_job(tmp_path, script, module=module, sys_path=[root]))
    assert result.passed, result.error
    assert result.stdout_path.read_text() == "label pipelines.steps.training\n"


def test_resolve_module_prefers_a_python_path_root_and_handles_lone_scripts(tmp_path):
    package = tmp_path / "src" / "ns" / "pkg"
    write_script(package, "", name="__init__.py")
    script = write_script(package, "", name="step.py")  # ns/ has no __init__: namespace pkg
    assert resolve_module(script, [tmp_path / "src"]) == ((tmp_path / "src").resolve(), "ns.pkg.step")
    assert resolve_module(script, []) == ((tmp_path / "src" / "ns").resolve(), "pkg.step")
    lone = write_script(tmp_path / "scripts", "", name="lone.py")
    assert resolve_module(lone, [tmp_path]) == ((tmp_path / "scripts").resolve(), None)


def test_a_preload_file_runs_before_the_script(pool, tmp_path):
    preload = write_script(
        tmp_path,
        """
        import sys, types
        stub = types.ModuleType("secure_ai_sandbox")
        stub.fetch = lambda: "stubbed"
        sys.modules["secure_ai_sandbox"] = stub
    """,
        name="preload_stubs.py",
    )
    script = write_script(
        tmp_path,
        """
        import secure_ai_sandbox
        def main(input_paths, output_paths, environ_vars, job_args):
            print(secure_ai_sandbox.fetch())
    """,
    )
    result = pool.run(make_job(tmp_path, script, preload=[preload]))
    assert result.passed, result.error
    assert result.stdout_path.read_text() == "stubbed\n"


def test_discover_imports_lists_third_party_modules_as_imported(tmp_path):
    write_script(tmp_path, "", name="helpers.py")
    one = write_script(
        tmp_path,
        """
        import os, json
        import numpy as np
        from sklearn.metrics import roc_auc_score
        from . import sibling
        import helpers
        def main(*args):
            import pandas.api.types
            try:
                import xgboost
            except ImportError:
                pass
    """,
        name="one.py",
    )
    two = write_script(tmp_path, "import boto3.session\n", name="two.py")
    broken = write_script(tmp_path, "import (\n", name="broken.py")
    # dotted names as imported, so the warm worker pays for sklearn.metrics too, not just sklearn
    assert discover_imports([one, two, broken, tmp_path / "absent.py"]) == [
        "boto3.session",
        "numpy",
        "pandas.api.types",
        "sklearn.metrics",
        "xgboost",
    ]


# --------------------------------------------------------------------------- the pool


def test_two_jobs_run_concurrently(pool, tmp_path):
    jobs = []
    for name in ("a", "b"):
        script = write_script(
            tmp_path / name,
            """
            import time
            def main(input_paths, output_paths, environ_vars, job_args):
                start = time.time()
                time.sleep(1.5)
                print(start, time.time())
        """,
        )
        jobs.append(make_job(tmp_path / name, script, node=name))
    futures = [pool.submit(job) for job in jobs]
    results = [f.result(timeout=20) for f in futures]

    assert all(r.passed for r in results), [r.error for r in results]
    (a_start, a_end), (b_start, b_end) = (map(float, r.stdout_path.read_text().split()) for r in results)
    assert a_start < b_end and b_start < a_end, "the two runs did not overlap"


def test_stopping_a_job_kills_its_tree_and_says_so(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import subprocess, time
        def main(input_paths, output_paths, environ_vars, job_args):
            child = subprocess.Popen(["sleep", "120"])
            with open("grandchild.pid", "w") as f:
                f.write(str(child.pid))
            time.sleep(120)
    """,
    )
    job = make_job(tmp_path, script, node="X", keep_work=True)
    future = pool.submit(job)
    grandchild = int(wait_for_file(job.cwd / "grandchild.pid"))
    pool.stop(future)
    result = future.result(timeout=20)

    assert result.status == "failed" and result.kind == "stopped"
    assert result.headline == "X: stopped by the runner before it finished; its result is not used."
    deadline = time.monotonic() + 5
    while not process_is_gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_is_gone(grandchild)
    pool.stop(future)  # a finished job: nothing to stop
    assert pool.run(make_job(tmp_path / "next", write_script(tmp_path / "next", PASS))).passed


PASS = """
def main(input_paths, output_paths, environ_vars, job_args):
    pass
"""


def test_library_modules_a_script_imported_are_in_the_next_childs_start(tmp_path):
    """The zygote imports the library modules a passed script imported (so each later child starts with
    them, as in one long process) while it has nothing else to do; never the user's own modules, and
    never from a failed script."""
    probe = write_script(
        tmp_path / "probe",
        """
        import sys
        def main(input_paths, output_paths, environ_vars, job_args):
            return sorted(m for m in ("xml.dom.minidom", "wave", "team_helpers") if m in sys.modules)
    """,
    )
    user = write_script(
        tmp_path / "user",
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            import xml.dom.minidom, team_helpers
    """,
    )
    write_script(tmp_path / "user", "VALUE = 1\n", name="team_helpers.py")
    failing = write_script(
        tmp_path / "failing",
        """
        import time
        def main(input_paths, output_paths, environ_vars, job_args):
            import wave
            time.sleep(0.5)  # the zygote learns while it is idle: here, while this one runs
            raise ValueError("no")
    """,
    )
    with WorkerPool() as fresh:
        assert fresh.run(make_job(tmp_path / "a", probe)).return_value == "[]"
        assert fresh.run(make_job(tmp_path / "b", user)).passed
        assert fresh.run(make_job(tmp_path / "c", failing)).kind == "exception"
        assert fresh.run(make_job(tmp_path / "d", probe)).return_value == "['xml.dom.minidom']"


def test_a_module_written_after_the_worker_started_is_never_learned(tmp_path, monkeypatch):
    """A script may write files, also where libraries live: what it wrote must never run in the worker."""
    libs = tmp_path / "site-packages"
    libs.mkdir()
    (libs / "old_lib.py").write_text("VALUE = 1\n")
    monkeypatch.setenv("PYTHONPATH", str(libs))
    writer = write_script(
        tmp_path / "writer",
        f"""
        import importlib, sys
        def main(input_paths, output_paths, environ_vars, job_args):
            with open({str(libs / "new_lib.py")!r}, "w") as f:
                f.write("import os\\nos.environ['PWNED'] = '1'\\n")
            importlib.invalidate_caches()
            import old_lib, new_lib
            import time
            time.sleep(0.5)
    """,
    )
    probe = write_script(
        tmp_path / "probe",
        """
        import sys
        def main(input_paths, output_paths, environ_vars, job_args):
            return sorted(m for m in ("old_lib", "new_lib") if m in sys.modules)
    """,
    )
    with WorkerPool() as fresh:
        assert fresh.run(make_job(tmp_path / "a", writer)).passed
        assert fresh.run(make_job(tmp_path / "b", writer)).passed  # idle time for the worker to learn
        assert fresh.run(make_job(tmp_path / "c", probe)).return_value == "['old_lib']"


def test_running_scripts_writes_no_bytecode_into_the_users_folders(tmp_path, monkeypatch):
    """Python would write ``__pycache__`` beside an imported script and its helper modules: not in a
    user's repository (even where PYTHONDONTWRITEBYTECODE is not set)."""
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    repo = tmp_path / "repo"
    write_script(repo / "pkg", "", name="__init__.py")
    write_script(repo / "pkg", "def double(x):\n    return 2 * x\n", name="helpers.py")
    script = write_script(
        repo / "pkg",
        """
        from .helpers import double
        def main(input_paths, output_paths, environ_vars, job_args):
            return double(21)
    """,
        name="step.py",
    )
    with WorkerPool() as fresh:
        result = fresh.run(make_job(tmp_path, script, module="pkg.step", sys_path=[repo]))
    assert result.passed and result.return_value == "42", result.error
    assert not list(repo.rglob("__pycache__")), list(repo.rglob("*"))


def test_a_crashing_script_leaves_the_pool_usable(pool, tmp_path):
    crash = write_script(
        tmp_path / "crash",
        """
        import ctypes
        def main(input_paths, output_paths, environ_vars, job_args):
            ctypes.string_at(0)  # segfault
    """,
    )
    ok = write_script(
        tmp_path / "ok",
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            return 42
    """,
    )
    zygote_pid = pool.worker_pid
    crashed = pool.run(make_job(tmp_path / "crash", crash, node="X"))
    assert crashed.kind == "signal" and crashed.signal == signal.SIGSEGV
    assert crashed.headline.startswith("X: killed by signal 11 (SIGSEGV)")
    after = pool.run(make_job(tmp_path / "ok", ok))
    assert after.passed and after.return_value == "42"
    assert pool.worker_pid == zygote_pid


@pytest.mark.timeout(60)
def test_a_killed_worker_gives_worker_error_and_the_pool_recovers(tmp_path):
    hang = write_script(
        tmp_path / "hang",
        """
        import os, time
        def main(input_paths, output_paths, environ_vars, job_args):
            with open("script.pid", "w") as f:
                f.write(str(os.getpid()))
            time.sleep(120)
    """,
    )
    ok = write_script(
        tmp_path / "ok",
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            return "fine"
    """,
    )
    with WorkerPool() as own_pool:
        hang_job = make_job(tmp_path / "hang", hang, node="X")
        future = own_pool.submit(hang_job)
        script_pid = int(wait_for_file(hang_job.cwd / "script.pid"))
        first_worker = own_pool.worker_pid
        os.kill(first_worker, signal.SIGKILL)

        result = future.result(timeout=10)
        assert result.status == "failed" and result.kind == "worker_error"
        assert result.headline.startswith(
            f"X: the script worker process (pid {first_worker}) was killed by signal 9"
        )
        deadline = time.monotonic() + 5
        while not process_is_gone(script_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_is_gone(script_pid), "the orphaned script kept running"

        again = own_pool.run(make_job(tmp_path / "ok", ok))
        assert again.passed and again.return_value == "'fine'"
        assert own_pool.worker_pid not in (None, first_worker)


def test_a_closed_pool_refuses_new_jobs(tmp_path):
    from script_testing.errors import WorkerError

    script = write_script(tmp_path, "def main(a, b, c, d):\n    return 1\n")
    own_pool = WorkerPool()
    assert own_pool.run(make_job(tmp_path, script)).passed
    pid = own_pool.worker_pid
    own_pool.close()
    assert own_pool.worker_pid is None
    assert process_is_gone(pid)
    with pytest.raises(WorkerError, match="closed"):
        own_pool.submit(make_job(tmp_path, script))


def test_shared_pool_is_reused_and_grows_with_preimport():
    # modules no other test preimports, so earlier users of the process-wide pool do not matter
    first = shared_pool(["colorsys"])
    assert shared_pool(["colorsys"]) is first
    assert shared_pool([]) is first
    grown = shared_pool(["fractions"])
    assert grown is not first and set(grown.preimport) >= {"colorsys", "fractions"}
    assert shared_pool(["colorsys", "fractions"]) is grown


def test_the_runner_does_not_import_dagster():
    code = (
        "import sys, script_testing.worker, script_testing.worker.zygote; "
        "sys.exit(1 if any(m.startswith('dagster') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0


def test_preimport_failures_and_prints_do_not_break_the_worker(tmp_path):
    script = write_script(
        tmp_path,
        """
        import sys
        def main(input_paths, output_paths, environ_vars, job_args):
            return "this" in sys.modules
    """,
    )
    # ``this`` prints the Zen of Python when imported: it must not corrupt the protocol.
    with WorkerPool(preimport=["this", "no_such_module_anywhere"]) as own_pool:
        result = own_pool.run(make_job(tmp_path, script))
    assert result.passed, result.error
    assert result.return_value == "True"
