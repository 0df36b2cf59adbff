"""Saving keeps the user's file: every comment and untouched line byte for byte; --dry-run writes nothing."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from click.testing import CliRunner

from script_testing.cli.configure import configure
from script_testing.config.project import load_project
from script_testing.configurator import InteractiveRuntimeTestingFactory
from script_testing.pipeline.plan import load_plan
from script_testing_tests.configurator.project_setup import FA, PIPE, TP

# a user's own file: block, inline and trailing comments, flow mappings and lists, a flow mapping on the
# line after its key, quoting styles, an anchor and its alias, blank lines between sections.
# TabularPreprocessing_training lacks LABEL_FIELD: tabular_simple has one pending item.
COMMENTED_PROJECT = """\
# Testing project of the churn team.
# Owner: data-platform; ask in #ml-testing before changing the profiles.

workspaces:
    - steps        # interfaces and scripts
python_path: [steps]   # evalkit is a package
preload:
    - shims.py

data_profiles:
  tabular_binary:   # the shape of the production table
    rows: 2000
    seed: 7
    columns:
      - {name: id, kind: id}
      - {name: label, kind: label, classes: [0, 1], weights: [0.7, 0.3]}
      - {name: age, kind: numeric, min: 18, max: 90, dtype: int, nulls: 0.05}
      - {name: income, kind: numeric, min: 10000, max: 250000, dtype: float, nulls: 0.1}
      - {name: tenure_months, kind: numeric, min: 0, max: 120, dtype: int}
      - {name: country, kind: categorical, values: [US, DE, JP, BR, IN]}

pipelines:
  # the nightly smoke test
  tabular_simple:
    dag: 'dags/tabular_simple.dag.json'
    schedule: "0 2 * * *"    # after the warehouse load
    sources:
      DataLoading_training.DATA:
        {synthetic: tabular_binary, format: parquet, file: part-00000.parquet}
      DataLoading_training.SIGNATURE: {signature: tabular_binary, file: signature}
      DataLoading_training.METADATA:
        json: {source: synthetic, job_type: training}
        file: metadata.json
      ModelTraining.hyperparameters_s3_uri: &hp
        json: {label_name: label, id_name: id, tab_field_list: [age, income, tenure_months], cat_field_list: [country], is_binary: true, num_classes: 2, max_iter: 20}
        file: hyperparameters.json
    nodes:
      TabularPreprocessing_training:
        environ_vars: {ID_FIELD: id}   # LABEL_FIELD is asked by configure
      ModelTraining:
        job_args: {job_type: training}
    expectations:
      ModelTraining.input_path:
        columns: [id, label]
        min_rows: 100    # the training split of 2000 rows

# end of pipelines; add new ones above this line
"""


@pytest.fixture
def commented(project_dir: Path) -> Path:
    (project_dir / "script_testing.yaml").write_text(COMMENTED_PROJECT)
    return project_dir


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line and "#ml" not in line[:1]]


def assert_only_additions_and(old: str, new: str, changed: set[str]) -> list[str]:
    """Every line of ``old`` is in ``new`` in order, except the ``changed`` ones; returns the added lines."""
    removed, added = [], []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    assert set(removed) == changed, removed
    assert all(c in new for c in comments(old)) and len(comments(new)) >= len(comments(old))
    return added


def test_a_session_changes_only_its_keys_in_a_commented_file(commented):
    assert len(comments(COMMENTED_PROJECT)) >= 8
    f = InteractiveRuntimeTestingFactory("tabular_simple", commented, reuse=False)
    assert [(p.node, p.name) for p in f.pending_items] == [(TP, "LABEL_FIELD")]
    f.configure_script_testing(TP, environ_vars={"LABEL_FIELD": "label"})
    f.save()
    text = (commented / "script_testing.yaml").read_text()
    added = assert_only_additions_and(
        COMMENTED_PROJECT,
        text,
        {"        environ_vars: {ID_FIELD: id}   # LABEL_FIELD is asked by configure"},
    )
    assert added == [
        "        environ_vars: {ID_FIELD: id, LABEL_FIELD: label}   # LABEL_FIELD is asked by configure"
    ]
    assert (commented / "script_testing.yaml.bak").read_text() == COMMENTED_PROJECT
    assert not list(commented.glob(".script_testing.yaml.*.tmp"))  # written atomically, nothing left over

    # a new pipeline: everything else stays, the new entry goes at the end of pipelines
    f = InteractiveRuntimeTestingFactory(commented / "dags" / f"{PIPE}.dag.json")
    f.configure_script_testing(
        FA, sources={"reference_data": "local:data/reference"}, environ_vars={"AUDIT_COLUMN": "label"}
    )
    f.save()
    after = (commented / "script_testing.yaml").read_text()
    added = assert_only_additions_and(text, after, set())
    assert added[0] == f"  {PIPE}:" and f"    dag: dags/{PIPE}.dag.json" in added
    assert "      FeatureAudit_training.reference_data: {local: data/reference}" in added
    assert after.index(f"  {PIPE}:") < after.index("# end of pipelines")
    assert load_plan(load_project(commented), PIPE).nodes[FA].environ_vars["AUDIT_COLUMN"] == "label"


def test_the_cli_keeps_the_commented_file_and_dry_run_writes_nothing(commented):
    dag = str(commented / "dags" / f"{PIPE}.dag.json")
    args = [
        str(commented),
        "--dag",
        dag,
        "--yes",
        "--env",
        f"{FA}.AUDIT_COLUMN=label",
        "--env",
        f"{TP}.LABEL_FIELD=label",
        "--source",
        f"{FA}.reference_data=local:data/reference",
    ]
    result = CliRunner().invoke(configure, [*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (commented / "script_testing.yaml").read_text() == COMMENTED_PROJECT
    assert not (commented / "script_testing.yaml.bak").exists()
    assert "dry run: nothing written" in result.output
    assert f"+++ {commented / 'script_testing.yaml'} (after configure)" in result.output
    assert (
        f"+  {PIPE}:" in result.output
        and "+      FeatureAudit_training.reference_data: {local: data/reference}" in result.output
    )
    assert not any(line.startswith("-") and not line.startswith("---") for line in result.output.splitlines())
    assert "(reused from pipeline tabular_simple" in result.output
    previewed = [
        line[1:] for line in result.output.splitlines() if line.startswith("+") and not line.startswith("+++")
    ]

    result = CliRunner().invoke(configure, args)
    assert result.exit_code == 0, result.output
    after = (commented / "script_testing.yaml").read_text()
    added = assert_only_additions_and(COMMENTED_PROJECT, after, set())
    assert f"  {PIPE}:" in added and "        environ_vars: {ID_FIELD: id, LABEL_FIELD: label}" in added
    assert previewed == added  # the dry run showed exactly what got written


def test_preview_shows_the_diff_and_nothing_when_nothing_changes(commented):
    f = InteractiveRuntimeTestingFactory("tabular_simple", commented, reuse=False)
    assert f.preview() == ""
    f.configure_script_testing(TP, environ_vars={"LABEL_FIELD": "label"})
    diff = f.preview()
    assert "-        environ_vars: {ID_FIELD: id}   # LABEL_FIELD" in diff
    assert "+        environ_vars: {ID_FIELD: id, LABEL_FIELD: label}   # LABEL_FIELD" in diff
    assert (commented / "script_testing.yaml").read_text() == COMMENTED_PROJECT
