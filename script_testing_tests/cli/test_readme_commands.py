"""Every shell command in README.md works as written.

The ```bash blocks are run one block per shell (so an ``export`` reaches the lines after it), in the
README's order, in a temporary folder laid out as a user's checkout of script_testing: ``.venv`` (this
venv), ``dagster.yaml`` (the repository's), ``my_testing_project`` (a fresh copy of the bundled
project, plus ``dags/new.dag.json`` for the configure example) and ``my-ml-repo`` (a small pipeline
repository, ``script_testing_tests/data/starter_repo``). A line whose comment says
``not run in tests: <why>`` is skipped; everything else must exit 0.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from script_testing.config.state import BUNDLED_EXAMPLES

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
STARTER_REPO = REPO / "script_testing_tests" / "data" / "starter_repo"
SKIP = "not run in tests:"
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)

pytestmark = [pytest.mark.e2e]


def readme_blocks(text: str) -> list[list[str]]:
    """The commands of each ```bash block (continuation lines joined), skipped ones left out."""
    blocks = []
    for body in BLOCK.findall(text):
        commands, current = [], ""
        for line in body.splitlines():
            current += line
            if current.endswith("\\"):
                current = current[:-1] + " "
                continue
            if current.strip() and not current.lstrip().startswith("#") and SKIP not in current:
                commands.append(current.strip())
            current = ""
        blocks.append(commands)
    return blocks


def test_the_extractor_joins_continuations_and_skips_marked_lines():
    text = "```bash\nexport A=1\nrun \\\n  --x y  # fine\nserve  # not run in tests: a server\n```\n"
    assert readme_blocks(text) == [["export A=1", "run    --x y  # fine"]]


def _checkout(tmp: Path) -> Path:
    (tmp / ".venv").symlink_to(Path(sys.executable).parents[1], target_is_directory=True)
    shutil.copy(REPO / "dagster.yaml", tmp / "dagster.yaml")
    project = Path(
        shutil.copytree(
            BUNDLED_EXAMPLES, tmp / "my_testing_project", ignore=shutil.ignore_patterns("__pycache__")
        )
    )
    shutil.copy(project / "dags" / "tabular_simple.dag.json", project / "dags" / "new.dag.json")
    shutil.copytree(STARTER_REPO, tmp / "my-ml-repo")
    return tmp


@pytest.mark.timeout(2400)  # three pipeline runs, a Dagster job and a materialization, on a busy machine
def test_every_readme_command_runs_as_written(tmp_path):
    cwd = _checkout(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRIPT_TESTING_", "DAGSTER_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    ran = 0
    for commands in readme_blocks(README.read_text(encoding="utf-8")):
        if not commands:
            continue
        script = "set -e\n" + "".join(f"echo '+ {c.replace(chr(39), '')}'\n{c}\n" for c in commands)
        proc = subprocess.run(
            ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=1500
        )
        assert proc.returncode == 0, (
            f"a README command failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
        ran += len(commands)
    assert ran >= 12  # the extraction found the README's commands
    assert (cwd / "junit.xml").is_file() and (cwd / "history.html").is_file()
    assert (cwd / "my-ml-repo" / "script_testing.yaml").is_file()
