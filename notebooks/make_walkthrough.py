"""Regenerate notebooks/walkthrough.ipynb (kept as code so review diffs stay readable)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell(
        "# script_testing walkthrough\n\nRun the bundled example pipelines' real scripts locally, "
        "in DAG order, with data checks on every edge. Everything here also works on your own "
        'testing project: pass `project="path/to/project"`.'
    ),
    new_markdown_cell("## 1. Test a whole pipeline (five lines or fewer)"),
    new_code_cell('import script_testing as st\n\nresult = st.test_pipeline("tabular_simple")\nresult'),
    new_code_cell("assert result.success, result\nresult.run_dir"),
    new_markdown_cell(
        "## 2. Where does every input's data come from?\n\nThe wiring follows production's rules "
        "(names, aliases, compatible sources, keywords, types); nothing runs here."
    ),
    new_code_cell(
        'plan = st.plan_pipeline("tabular_calibrated")\nprint("\\n".join(plan.wiring.report_lines()))'
    ),
    new_markdown_cell("## 3. The bigger pipeline, and one node's details"),
    new_code_cell('big = st.test_pipeline("tabular_calibrated")\nbig'),
    new_code_cell(
        'node = big.nodes["ModelTraining"]\n'
        'print(node.status, node.duration_s, "s", node.peak_memory_mb, "MB")\nnode.outputs'
    ),
    new_markdown_cell("## 4. One edge: does TabularPreprocessing's output fit ModelTraining?"),
    new_code_cell(
        'edge = st.test_compatibility("TabularPreprocessing_training", "ModelTraining", '
        'pipeline="tabular_calibrated")\nedge'
    ),
    new_markdown_cell("## 5. One script alone, on the latest run's upstream outputs"),
    new_code_cell(
        'single = st.test_script("ModelCalibration_calibration", pipeline="tabular_calibrated")\nsingle'
    ),
    new_markdown_cell(
        "## 6. The shareable report\n\nOne self-contained HTML file: the DAG coloured by status, "
        "the node table, the timeline, failed expectations and stderr tails."
    ),
    new_code_cell("big.html_report()"),
    new_markdown_cell(
        "## 7. Configure a DAG interactively\n\nFor a new DAG, the factory lists what is "
        "auto-configured and what is pending, validates each configuration at once and saves "
        "it into `script_testing.yaml` (see the README)."
    ),
    new_code_cell(
        'factory = st.InteractiveRuntimeTestingFactory("tabular_simple")\n'
        "factory.get_testing_factory_summary()"
    ),
]
nb = new_notebook(
    cells=cells,
    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
)
Path(__file__).with_name("walkthrough.ipynb").write_text(nbformat.writes(nb))
