"""The example notebook runs top to bottom in a real Jupyter kernel and shows the HTML result."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "walkthrough.ipynb"


@pytest.mark.timeout(280)
def test_walkthrough_notebook_executes(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tmp_path / "runs"))
    monkeypatch.delenv("SCRIPT_TESTING_PROJECT", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=240, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue")
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert html, "no cell rendered HTML"
    assert any("tabular_simple" in h and "ModelTraining" in h for h in html)
    assert (tmp_path / "runs" / "tabular_simple").is_dir()
    assert list((tmp_path / "runs" / "tabular_calibrated").glob("*/report.html"))
