"""Safety and production fidelity of the runner: real worker processes, real scripts; no mocks."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from script_testing.worker import Redactor, ScriptJob, WorkerPool
from script_testing.worker.models import DEFAULT_MEMORY_LIMIT_MB
from script_testing_tests.worker.test_worker import make_job, process_is_gone, write_script

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(preimport=["json"]) as shared:
        yield shared


def wait_gone(pid: int, timeout_s: float = 5) -> bool:
    deadline = time.monotonic() + timeout_s
    while not process_is_gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return process_is_gone(pid)


# --------------------------------------------------------------------------- 1. the call


def test_a_script_that_calls_logger_methods_runs_as_in_production(pool, tmp_path):
    # the real bug: a print function was passed as logger, and logger.error crashed
    script = write_script(
        tmp_path,
        """
        import logging
        def main(input_paths, output_paths, environ_vars, job_args, logger=None):
            log = logger or logging.getLogger("step")
            log.error("problem noted")
            return logger is None
    """,
    )
    result = pool.run(make_job(tmp_path, script))
    assert result.passed, result.error
    assert result.return_value == "True"


def test_a_keyword_only_required_parameter_is_a_sentence(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args, *, model_dir):
            pass
    """,
    )
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.kind == "bad_signature"
    assert result.headline == (
        "X: main() has a required parameter 'model_dir' besides the four standard ones, but "
        "production passes only those four; give it a default value or set it in the node's "
        "main_kwargs."
    )


# --------------------------------------------------------------------------- 2. root causes


def test_the_root_cause_and_the_users_frame_come_first(pool, tmp_path):
    write_script(
        tmp_path,
        """
        def read_label(row):
            return row["label"]
    """,
        name="helpers.py",
    )
    script = write_script(
        tmp_path,
        """
        import helpers

        def main(input_paths, output_paths, environ_vars, job_args):
            try:
                helpers.read_label({})
            except KeyError as error:
                raise RuntimeError("could not load the training data") from error
    """,
    )
    job = make_job(tmp_path, script, node="X")
    result = pool.run(job)
    assert result.kind == "exception"
    assert result.exception_type == "KeyError" and result.location == "helpers.py:3"
    assert result.headline == (
        "X: main() raised KeyError: 'label' (helpers.py:3); that then caused RuntimeError: "
        f"could not load the training data (script.py:8); see stderr.log: {job.stderr_path}"
    )
    assert [c["type"] for c in result.causes] == ["KeyError", "RuntimeError"]
    assert "The above exception was the direct cause" in result.traceback


def test_an_implicit_context_is_followed_too(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            try:
                int("abc")
            except ValueError:
                {}["missing"]
    """,
    )
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.headline.startswith(
        "X: main() raised ValueError: invalid literal for int() with base 10: 'abc' "
        "(script.py:4); that then caused KeyError: 'missing' (script.py:6); see stderr.log: "
    )


# --------------------------------------------------------------------------- 3. forgery


def test_a_forged_result_file_then_a_segfault_is_a_failure(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import ctypes, json, os
        FAKE = {"outcome": "passed", "phase": "main"}
        def main(input_paths, output_paths, environ_vars, job_args):
            for folder in (".", "..", os.environ["TMPDIR"]):
                with open(os.path.join(folder, ".script_testing_result.json"), "w") as f:
                    json.dump(FAKE, f)
            ctypes.string_at(0)
    """,
    )
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.status == "failed" and result.kind == "signal" and result.signal == 11


def test_writing_a_fake_outcome_into_every_pipe_cannot_pass(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import json, os
        def main(input_paths, output_paths, environ_vars, job_args):
            fake = (json.dumps({"outcome": "passed", "phase": "main"}) + "\\n").encode()
            for name in os.listdir("/proc/self/fd"):
                try:
                    os.write(int(name), fake)
                except OSError:
                    pass
            os._exit(0)
    """,
    )
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.status == "failed" and result.kind == "exit"
    assert "without a valid report from the runner" in result.headline


def test_the_result_channel_is_not_inherited_by_programs_the_script_runs(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import subprocess
        def main(input_paths, output_paths, environ_vars, job_args):
            return subprocess.run(["ls", "/proc/self/fd"], capture_output=True,
                                  text=True).stdout.split()
    """,
    )
    result = pool.run(make_job(tmp_path, script))
    assert result.passed, result.error
    assert sorted(eval(result.return_value)) == ["0", "1", "2", "3"]  # 3: ls's own listing


# --------------------------------------------------------------------------- 4. secrets


def test_scripts_get_a_scrubbed_environment_and_secrets_are_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_API_TOKEN", "tok-4f9a8b7c6d")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-value-123")
    monkeypatch.setenv("AWS_PROFILE", "dev-profile")
    monkeypatch.setenv("UNRELATED_SETTING", "visible-to-tool-only")
    script = write_script(
        tmp_path,
        """
        import os, sys
        def main(input_paths, output_paths, environ_vars, job_args):
            print(sorted(os.environ), file=sys.stderr)
            print("profile", os.environ.get("AWS_PROFILE"), "token", os.environ.get("MY_API_TOKEN"))
            raise ValueError("login failed with " + os.environ.get("MY_API_TOKEN", "none"))
    """,
    )
    with WorkerPool() as own_pool:
        job = make_job(
            tmp_path,
            script,
            node="X",
            environ_vars={"LABEL": "y"},
            env={"PROJECT_SETTING": "p"},
            pass_env=["AWS_PROFILE"],
        )
        result = own_pool.run(job)
        names = eval(result.stderr_tail.splitlines()[0])
        assert set(names) <= {
            "PATH",
            "HOME",
            "LANG",
            "TZ",
            "TMPDIR",
            "LABEL",
            "PROJECT_SETTING",
            "AWS_PROFILE",
            "VIRTUAL_ENV",
        }
        assert {"TMPDIR", "LABEL", "PROJECT_SETTING", "AWS_PROFILE"} <= set(names)
        assert result.stdout_path.read_text() == "profile dev-profile token None\n"
        # the worker process itself holds no secrets either
        zygote_env = psutil.Process(own_pool.worker_pid).environ()
        assert "MY_API_TOKEN" not in zygote_env and "AWS_SECRET_ACCESS_KEY" not in zygote_env

        leaky = own_pool.run(make_job(tmp_path, script, node="X", pass_env=["MY_API_TOKEN"]))
    assert leaky.kind == "exception"
    assert "tok-4f9a8b7c6d" in leaky.stdout_path.read_text()  # the file on disk is the user's
    for text in (
        leaky.error,
        leaky.exception_message,
        leaky.traceback,
        leaky.stderr_tail,
        json.dumps(leaky.causes),
    ):
        assert "tok-4f9a8b7c6d" not in text
    assert leaky.exception_message == "login failed with ***"


def test_the_redactor_masks_secret_values_only():
    redact = Redactor.from_environ(
        {
            "GITHUB_TOKEN": "ghp_abcdef",
            "DB_PASSWORD": "hunter22",
            "SHORT_KEY": "abc",
            "HOME": "/root",
            "aws_region_x": "eu-1",
        }
    )
    assert redact("ghp_abcdef and hunter22 at /root, abc") == "*** and *** at /root, abc"
    assert redact(None) is None
    assert Redactor.from_environ({"AWS_REGION": "eu-west-1"})("eu-west-1") == "***"
    assert not Redactor.from_environ({"HOME": "/root"})


# --------------------------------------------------------------------------- 5. no leftovers

DAEMON = """
    import os, time
    def start_daemon(pid_file):
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                with open(pid_file + ".tmp", "w") as f:
                    f.write(str(os.getpid()))
                os.rename(pid_file + ".tmp", pid_file)
                time.sleep(300)
            os._exit(0)
        while not os.path.exists(pid_file):
            time.sleep(0.01)

    def main(input_paths, output_paths, environ_vars, job_args):
        start_daemon(os.path.join(output_paths["out"], "daemon.pid"))
        {after}
"""


@pytest.mark.parametrize(
    "after, kind",
    [("return 1", None), ("raise ValueError('x')", "exception"), ("time.sleep(300)", "timeout")],
)
def test_a_double_forked_setsid_daemon_does_not_outlive_its_node(pool, tmp_path, after, kind):
    out = tmp_path / "out"
    out.mkdir()
    script = write_script(tmp_path, DAEMON.replace("{after}", after))
    result = pool.run(make_job(tmp_path, script, timeout_s=3))
    assert result.kind == kind, result.error
    daemon = int((out / "daemon.pid").read_text())
    assert wait_gone(daemon), "the daemon outlived its node"


def test_a_daemon_left_by_a_script_that_crashed_is_killed(pool, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    script = write_script(tmp_path, DAEMON.replace("{after}", "os._exit(3)"))
    result = pool.run(make_job(tmp_path, script))
    assert result.kind == "exit" and result.exit_code == 3
    assert wait_gone(int((out / "daemon.pid").read_text()))


# --------------------------------------------------------------------------- 6. preimports


def test_a_misbehaving_preimport_fails_only_the_script_that_imports_it(tmp_path, monkeypatch):
    mods = tmp_path / "mods"
    write_script(mods, "import time\ntime.sleep(600)\n", name="hangs_at_import.py")
    write_script(mods, "import os\nos._exit(3)\n", name="exits_at_import.py")
    write_script(mods, "import ctypes\nctypes.string_at(0)\n", name="crashes_at_import.py")
    write_script(mods, "VALUE = 1\n", name="fine_module.py")
    monkeypatch.setenv("PYTHONPATH", str(mods))
    ok = write_script(
        tmp_path / "ok",
        """
        import sys
        def main(input_paths, output_paths, environ_vars, job_args):
            return "fine_module" in sys.modules
    """,
    )
    bad = write_script(
        tmp_path / "bad",
        """
        import hangs_at_import
        def main(input_paths, output_paths, environ_vars, job_args):
            pass
    """,
    )
    names = ["hangs_at_import", "fine_module", "exits_at_import", "crashes_at_import"]
    with WorkerPool(preimport=names, preimport_timeout_s=2) as own_pool:
        first = own_pool.run(make_job(tmp_path / "ok", ok))
        assert first.passed and first.return_value == "True", first.error
        info = own_pool.worker_info()
        assert info["imported"] == ["fine_module"]
        assert info["skipped"] == {
            "hangs_at_import": "importing it did not finish within 2 s",
            "exits_at_import": "importing it ended the process with exit code 3",
            "crashes_at_import": "importing it killed the process with signal 11 (SIGSEGV)",
        }
        hung = own_pool.run(make_job(tmp_path / "bad", bad, node="X", timeout_s=2))
        assert hung.kind == "timeout"
        assert (
            "The script imports hangs_at_import, which the warm worker left out because "
            "importing it did not finish within 2 s"
        ) in hung.error
        again = own_pool.run(make_job(tmp_path / "ok", ok))
        assert again.passed


# --------------------------------------------------------------------------- 7. bounds


def test_a_memory_limit_applies_by_default(pool, tmp_path):
    assert (
        ScriptJob(
            node="n", script_path=Path("s"), input_paths={}, output_paths={}, work_dir=Path("w")
        ).effective_memory_limit_mb
        == DEFAULT_MEMORY_LIMIT_MB
        == 4096
    )
    assert (
        ScriptJob(
            node="n",
            script_path=Path("s"),
            input_paths={},
            output_paths={},
            work_dir=Path("w"),
            memory_limit_mb=0,
        ).effective_memory_limit_mb
        is None
    )
    script = write_script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            block = bytearray(6 * 1024 ** 3)  # 6 GiB of address space, never touched
    """,
    )
    result = pool.run(make_job(tmp_path, script, node="X"))
    assert result.kind == "memory"
    assert "memory_limit_mb=4096" in result.headline


def test_huge_exception_messages_are_capped_head_and_tail(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        def main(input_paths, output_paths, environ_vars, job_args):
            raise ValueError("HEAD" + "x" * 1_000_000 + "TAIL")
    """,
    )
    result = pool.run(make_job(tmp_path, script))
    assert result.kind == "exception"
    assert len(result.exception_message) < 5000
    assert result.exception_message.startswith("HEAD") and result.exception_message.endswith("TAIL")
    assert "characters cut" in result.exception_message
    assert len(result.error) < 40000 and len(result.traceback) < 25000
    assert result.stderr_path.stat().st_size > 1_000_000  # the full text stays on disk


def test_output_caps_fail_with_a_sentence(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import os
        def main(input_paths, output_paths, environ_vars, job_args):
            os.makedirs(output_paths["out"], exist_ok=True)
            for i in range(5):
                with open(os.path.join(output_paths["out"], f"{i}.bin"), "wb") as f:
                    f.write(b"x" * 1024 * 1024)
    """,
    )
    many = pool.run(make_job(tmp_path, script, node="X", max_output_files=3))
    assert many.kind == "output_limit" and many.headline == (
        "X: the script wrote more than 3 files to its outputs (max_output_files); shrink what "
        "it writes, or raise the limit for this node (0 = no limit)."
    )
    big = pool.run(make_job(tmp_path, script, node="X", max_output_mb=2))
    assert big.kind == "output_limit" and "wrote 5 MB to its outputs" in big.headline
    assert pool.run(make_job(tmp_path, script, max_output_mb=0, max_output_files=0)).passed


# --------------------------------------------------------------------------- 8. private dirs


def test_cwd_and_tmpdir_are_private_and_removed_after_the_run(pool, tmp_path):
    import tempfile

    tempfile.gettempdir()  # cached in the tool process: must not leak into the script
    script = write_script(
        tmp_path,
        """
        import os, tempfile
        def main(input_paths, output_paths, environ_vars, job_args):
            fd, name = tempfile.mkstemp()
            os.close(fd)
            with open("scratch.txt", "w") as f:
                f.write("x")
            return [os.getcwd(), os.environ["TMPDIR"], name]
    """,
    )
    job = make_job(tmp_path, script)
    result = pool.run(job)
    assert result.passed, result.error
    cwd, tmp, name = eval(result.return_value)
    assert cwd == str(job.work_dir / "work") and tmp == str(job.work_dir / "tmp")
    assert name.startswith(tmp + "/")
    assert not (job.work_dir / "work").exists() and not (job.work_dir / "tmp").exists()
    assert job.stdout_path.exists()

    kept = pool.run(make_job(tmp_path, script, keep_work=True))
    assert kept.passed and (job.work_dir / "work" / "scratch.txt").exists()


# --------------------------------------------------------------------------- 9. key access


def test_the_keys_a_script_uses_are_recorded(pool, tmp_path):
    script = write_script(
        tmp_path,
        """
        import argparse, json
        def main(input_paths, output_paths, environ_vars, job_args):
            assert isinstance(input_paths, dict) and isinstance(job_args, argparse.Namespace)
            json.dumps(output_paths)
            data = input_paths["train"]
            input_paths.get("undeclared_input")
            "LABEL" in environ_vars
            output_paths["extra"] = "/somewhere"
            return job_args.job_type, getattr(job_args, "missing_arg", None)
    """,
    )
    result = pool.run(
        make_job(
            tmp_path,
            script,
            input_paths={"train": "/in", "val": "/v"},
            environ_vars={"LABEL": "y", "OTHER": "z"},
            job_args={"job_type": "training", "n": 1},
        )
    )
    assert result.passed, result.error
    assert result.accessed == {
        "input_paths": ["train", "undeclared_input"],
        "output_paths": ["out"],  # json.dumps iterated every key
        "environ_vars": ["LABEL"],
        "job_args": ["job_type", "missing_arg"],
    }
    assert result.assigned == {"output_paths": ["extra"]}


# --------------------------------------------------------------------------- 10. environments


def _bare_venv(tmp_path: Path) -> Path:
    """A venv of another interpreter with nothing installed (no pandas, no psutil)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    venv = tmp_path / "bare_venv"
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    return venv / "bin" / "python"


def test_the_worker_runs_in_a_bare_venv_with_only_the_standard_library(tmp_path):
    python = _bare_venv(tmp_path)
    script = write_script(
        tmp_path,
        """
        import os, sys
        def main(input_paths, output_paths, environ_vars, job_args):
            try:
                import pandas
                has_pandas = True
            except ImportError:
                has_pandas = False
            third_party = sorted(m for m in sys.modules
                                 if m.split(".")[0] in ("psutil", "pydantic", "yaml", "dagster"))
            repo = any(os.path.isdir(os.path.join(p, "script_testing_tests")) for p in sys.path)
            return sys.executable, has_pandas, third_party, repo
    """,
    )
    with WorkerPool() as own_pool:
        result = own_pool.run(make_job(tmp_path, script, python=str(python)))
        ours = own_pool.run(make_job(tmp_path, script))
        assert own_pool.worker_pid_for(str(python)) != own_pool.worker_pid
    assert result.passed, result.error
    executable, has_pandas, third_party, repo_on_path = eval(result.return_value)
    assert executable == str(python) and not has_pandas and third_party == []
    assert not repo_on_path  # only the worker package is shared, not the tool's installation
    assert ours.passed and eval(ours.return_value)[1] is True


def test_an_existing_interpreter_environment_resolves(tmp_path):
    from script_testing.errors import ConfigError
    from script_testing.worker import resolve_environment

    assert resolve_environment({"python": sys.executable}) == sys.executable
    assert resolve_environment(None) is None
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_environment({"python": "envs/nope/bin/python"}, root=tmp_path)


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_a_requirements_environment_is_built_cached_and_rebuilt(tmp_path):
    from script_testing.errors import ConfigError
    from script_testing.worker import resolve_environment

    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.16.0\n")
    cache, lines = tmp_path / "cache", []
    python = resolve_environment(
        {"requirements": "requirements.txt"}, root=tmp_path, cache_dir=cache, log=lines.append
    )
    assert any("Building the scripts' environment" in line for line in lines)
    lines.clear()
    assert (
        resolve_environment({"requirements": str(requirements)}, cache_dir=cache, log=lines.append) == python
        and lines == []
    )
    script = write_script(
        tmp_path,
        """
        import six
        def main(input_paths, output_paths, environ_vars, job_args):
            return six.__version__
    """,
    )
    with WorkerPool() as own_pool:
        result = own_pool.run(make_job(tmp_path, script, python=python))
    assert result.passed and result.return_value == "'1.16.0'", result.error

    requirements.write_text("six==1.17.0\n")
    rebuilt = resolve_environment({"requirements": str(requirements)}, cache_dir=cache, log=lines.append)
    assert rebuilt != python and lines

    requirements.write_text("this-package-does-not-exist-anywhere-xyz==0.0.1\n")
    with pytest.raises(ConfigError, match="could not build the scripts' environment"):
        resolve_environment({"requirements": str(requirements)}, cache_dir=cache, log=lines.append)


# --------------------------------------------------------------------------- 11. read-only


@pytest.mark.skipif(os.geteuid() != 0, reason="read-only bind mounts need root")
def test_a_script_cannot_modify_a_read_only_input(pool, tmp_path):
    data = tmp_path / "input"
    data.mkdir()
    (data / "train.csv").write_text("a,b\n1,2\n")
    script = write_script(
        tmp_path,
        """
        import errno, os
        def main(input_paths, output_paths, environ_vars, job_args):
            codes = []
            for attempt in (lambda: open(os.path.join(input_paths["train"], "train.csv"), "a"),
                            lambda: os.remove(os.path.join(input_paths["train"], "train.csv")),
                            lambda: open(os.path.join(input_paths["train"], "new.csv"), "w")):
                try:
                    attempt().close()
                    codes.append(0)
                except OSError as error:
                    codes.append(error.errno)
            os.makedirs(output_paths["out"], exist_ok=True)  # outputs stay writable
            return codes
    """,
    )
    result = pool.run(
        make_job(tmp_path, script, input_paths={"train": str(data)}, readonly_paths=[str(data)])
    )
    assert result.passed, result.error
    assert result.readonly == "mounted"
    assert set(eval(result.return_value)) <= {errno.EROFS, errno.EACCES}
    assert (data / "train.csv").read_text() == "a,b\n1,2\n" and not (data / "new.csv").exists()
    (data / "new.csv").write_text("the host is unaffected")


def test_a_short_secret_is_masked_as_a_whole_token_only():
    """A test credential such as ``test`` must not mangle paths (``script_testing``); a long one is
    masked wherever it appears, even glued to other text."""
    redact = Redactor.from_environ({"AWS_SECRET_ACCESS_KEY": "test", "API_TOKEN": "ghp_0123456789abcdef"})
    assert (
        redact("/work/script_testing/tests, key=test, 'test'") == "/work/script_testing/tests, key=***, '***'"
    )
    assert redact("Authorization:ghp_0123456789abcdefXYZ") == "Authorization:***XYZ"
