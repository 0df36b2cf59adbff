"""The read-only guarantee without root: a small pipeline run as ``nobody`` (no mount namespace, so
the consumer gets a private copy) still cannot change what another node produced.

CI runs as root; this test drops privileges in a real subprocess (``preexec_fn`` sets uid/gid) in a
temporary folder that ``nobody`` owns. It needs an interpreter ``nobody`` may run (the tool's own, or
the system's Python of the same version with the tool's site-packages on ``PYTHONPATH``).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(300),
    pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root"),
]

NOBODY = 65534
REPO = Path(__file__).resolve().parents[2]


def _reachable(path: Path) -> bool:
    """Whether a user with no special rights may run ``path`` (every parent searchable)."""
    path = Path(path)
    if not path.exists() or not os.stat(path).st_mode & 0o001:
        return False
    return all(os.stat(p).st_mode & 0o001 for p in path.resolve().parents)


def _interpreter() -> str | None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (
        Path(sys.executable).resolve(),
        Path("/usr/bin") / version,
        Path("/usr/local/bin") / version,
    ):
        if _reachable(candidate):
            return str(candidate)
    return None


PROGRAM = """
import json, os, sys
from pathlib import Path
from script_testing import api
from script_testing.execution.options import RunOptions
from script_testing.integrity import readonly_mounts_work
from script_testing.worker import WorkerPool
from script_testing_tests.fixtures.projects import branching_project
from script_testing_tests.safety.test_inputs_readonly import REWRITE

base = Path(sys.argv[1])
root = branching_project(base / "proj", REWRITE).write()
with WorkerPool() as pool:
    report = api.run("p", project=root, options=RunOptions(checks=False), pool=pool)
data = Path(report.run_dir) / "MakeData" / "data" / "part-00000.csv"
other = Path(report.run_dir) / "Other" / "other" / "part-00000.csv"
print(json.dumps({
    "euid": os.geteuid(),
    "mounts": readonly_mounts_work(),
    "nodes": {k: [v.status, v.error_kind, v.error] for k, v in report.nodes.items()},
    "original_rows": len(data.read_text().splitlines()),
    "other_rows": len(other.read_text().splitlines()),
    "success": report.success,
}))
"""


def _drop() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def test_a_consumer_cannot_change_its_input_when_not_root():
    python = _interpreter()
    if python is None:
        pytest.skip("no Python interpreter here that an unprivileged user may run")
    base = Path(tempfile.mkdtemp(prefix="st-nonroot-", dir="/tmp"))
    try:
        os.chown(base, NOBODY, NOBODY)
        paths = [str(REPO), *site.getsitepackages()]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(base),
            "PYTHONPATH": os.pathsep.join(paths),
            "SCRIPT_TESTING_RUNS": str(base / "runs"),
            "LANG": "C.UTF-8",
        }
        proc = subprocess.run(
            [python, "-c", PROGRAM, str(base)],
            env=env,
            cwd=str(base),
            preexec_fn=_drop,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["euid"] == NOBODY and result["mounts"] is False  # really unprivileged: the copy path
        status, kind, error = result["nodes"]["Transform"]
        assert status == "failed" and kind == "modified_input", result
        assert error.startswith("Transform modified its input `data` (part-00000.csv)"), error
        assert result["original_rows"] == 21  # the original is intact...
        assert result["other_rows"] == 21  # ...and it is what the other consumer read
        assert result["nodes"]["Other"][0] == "passed"
        assert result["nodes"]["MakeData"][0] == "passed"
        assert result["success"] is False
    finally:
        shutil.rmtree(base, ignore_errors=True)
