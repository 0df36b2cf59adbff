"""Data checks on every edge of a pipeline: does step A's output fit step B's input?

Public API (no Dagster import; great_expectations is imported lazily, on the first validation,
once per process)::

    from script_testing.checks import EdgeRequirements, SchemaBaseline, validate_edge

    req = EdgeRequirements.from_expectations(
        project.pipeline("xgboost_simple").expectations.get("XGBoostTraining.input_path"),
        env_columns={"LABEL_FIELD": "label"},           # non-empty values: columns that must exist
        profile=None, channels=["train", "val"],
        source="TabularPreprocessing_training.processed_data", consumer="XGBoostTraining.input_path")
    result = validate_edge(output_dir, req, baseline=project_root / "baselines/xgboost_simple.json",
                           docs_dir=run_dir / "data_docs")
    result.status                 # "passed" | "failed" | "warn" (failures with severity warn only)
    result.to_dict()              # for report.json

Modules: :mod:`script_testing.data.tabular` (files and formats), :mod:`.requirements` (what a consumer needs),
:mod:`.kinds` (column type kinds), :mod:`.gx_engine` (GX context, suites, Data Docs),
:mod:`.edge` (:func:`validate_edge`), :mod:`.baseline` (schema drift), :mod:`.result`.

Expectation names in results: GX names (``expect_column_to_exist``,
``expect_column_values_to_not_be_null``, ``expect_column_values_to_be_between``,
``expect_column_values_to_be_in_set``, ``expect_column_values_to_be_unique``,
``expect_table_row_count_to_be_between``) and ours: ``expect_path_to_exist``,
``expect_output_not_empty``, ``expect_channel_to_exist``, ``expect_tabular_data``,
``expect_file_readable``, ``expect_shards_to_share_columns``, ``expect_column_kind``,
``expect_schema_no_added_columns``, ``expect_schema_no_removed_columns``,
``expect_schema_column_kinds_unchanged``, ``expect_row_count_within_baseline``.
"""

from script_testing.checks.baseline import DriftItem, SchemaBaseline
from script_testing.checks.edge import DocsBatch, validate_edge
from script_testing.checks.gx_engine import gx_context
from script_testing.checks.requirements import EdgeRequirements, Rule
from script_testing.checks.result import EdgeCheckResult, FailedExpectation

__all__ = [
    "DocsBatch",
    "DriftItem",
    "EdgeCheckResult",
    "EdgeRequirements",
    "FailedExpectation",
    "Rule",
    "SchemaBaseline",
    "validate_edge",
    "warm_up",
]


def warm_up() -> None:
    """Import great_expectations and build the cached context now (2.5-4.6 s), e.g. in a warm worker."""
    gx_context()
