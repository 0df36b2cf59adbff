"""The Python/notebook API: the example notebook runs top to bottom in a real Jupyter kernel, and a
user's pytest file importing our ``test_*`` functions does not make pytest collect them."""

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "walkthrough.ipynb"


@pytest.mark.e2e
@pytest.mark.timeout(280)
def test_walkthrough_notebook_executes(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tmp_path / "runs"))
    monkeypatch.delenv("SCRIPT_TESTING_PROJECT", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue")
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert html, "no cell rendered HTML"
    assert any("tabular_simple" in h and "ModelTraining" in h for h in html)
    assert (tmp_path / "runs" / "tabular_simple").is_dir()
    assert list((tmp_path / "runs" / "tabular_calibrated").glob("*/report.html"))


def test_importing_our_test_functions_does_not_make_pytest_collect_them(tmp_path):
    user_test = tmp_path / "test_my_pipeline.py"
    user_test.write_text(
        textwrap.dedent("""
        from script_testing import test_compatibility, test_pipeline, test_script
        from script_testing.api import TestResult


        def test_users_own():
            assert callable(test_pipeline) and callable(test_script) and callable(test_compatibility)
    """)
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(user_test)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    collected = [line for line in proc.stdout.splitlines() if "::" in line]
    assert collected == [f"{user_test.name}::test_users_own"], proc.stdout


def test_public_api_is_explicit_and_resolves():
    import script_testing

    assert "test_pipeline" in script_testing.__all__ and "RunOptions" in script_testing.__all__
    for name in script_testing.__all__:
        assert getattr(script_testing, name) is not None, name
    assert script_testing.test_pipeline.__test__ is False
