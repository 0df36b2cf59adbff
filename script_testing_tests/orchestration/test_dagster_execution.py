"""Real Dagster runs (no mocks): bundled jobs in process, a partial run, a failing script beside a healthy branch."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from script_testing.config.state import BUNDLED_EXAMPLES
from script_testing.orchestration import build_definitions
from script_testing_tests import helpers

pytestmark = [pytest.mark.timeout(300), pytest.mark.e2e]


def _runner_config(runs_root: Path, **extra) -> dict:
    return {"resources": {"runner": {"config": {"runs_root": str(runs_root), **extra}}}}


def _materializations(result) -> dict[str, dg.AssetMaterialization]:
    events = [e.step_materialization_data.materialization for e in result.get_asset_materialization_events()]
    return {m.asset_key.to_user_string(): m for m in events}


def _check_evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.asset_check_evaluation_data.check_name
        + "@"
        + e.asset_check_evaluation_data.asset_key.to_user_string(): e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """Both bundled jobs, run once in one instance; the tests below read their events."""
    from script_testing.definitions import defs

    runs_root = tmp_path_factory.mktemp("runs")
    with dg.instance_for_test() as instance:
        results = {}
        for job in ("tabular_simple", "tabular_calibrated"):
            results[job] = defs.resolve_job_def(job).execute_in_process(
                instance=instance, run_config=_runner_config(runs_root), raise_on_error=False
            )
        yield defs, instance, results, runs_root


@pytest.mark.parametrize("job", ["tabular_simple", "tabular_calibrated"])
def test_bundled_job_in_process_succeeds_with_metadata(bundled, job: str) -> None:
    defs, _instance, results, runs_root = bundled
    result = results[job]
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    graph = defs.resolve_asset_graph()
    expected = {k.to_user_string() for k in graph.asset_keys_for_group(job)}
    mats = _materializations(result)
    assert expected and set(mats) == expected
    run_dir = runs_root / job / result.run_id
    assert (run_dir / "report.json").exists()
    for key, m in mats.items():
        md = m.metadata
        path = Path(md["path"].value)
        assert path.exists() and str(path).startswith(str(run_dir)), key
        assert md["files"].value >= 1 and md["bytes"].value > 0, key
        if "/sources/" not in key:
            assert isinstance(md["duration_s"].value, float), key
            if "peak_memory_mb" in md:
                assert isinstance(md["peak_memory_mb"].value, float)
    processed = mats[
        f"{job}/TabularPreprocessing_training/processed_data__TabularPreprocessing_training"
    ].metadata
    assert processed["dagster/row_count"].value > 0
    columns = [c.name for c in processed["dagster/column_schema"].schema.columns]
    assert {"id", "label"} <= set(columns)
    data = mats[f"{job}/sources/DataLoading_training/DATA__DataLoading_training"].metadata
    assert data["dagster/row_count"].value == 2000
    # every edge check ran and passed, with its table of failed expectations (empty)
    evaluations = _check_evaluations(result)
    assert len(evaluations) == len([ck for ck in graph.asset_check_keys if ck.asset_key.path[0] == job])
    for name, ev in evaluations.items():
        assert ev.passed, (name, ev.metadata.get("summary"))
        if ev.check_name == "contract":  # the static contract check: its counts
            assert {"errors", "warnings"} <= set(ev.metadata)
            continue
        # an edge check: its table of failed expectations (empty) and its summary
        assert isinstance(ev.metadata["failed_expectations"], dg.TableMetadataValue)
        assert "summary" in ev.metadata
    # runner.data_docs: failures (the default): checks that all pass link no Data Docs page (and no
    # run waits for Great Expectations); a failing check's link opens (test_data_docs.py)
    docs = {ev.metadata["data_docs"].value for ev in evaluations.values() if "data_docs" in ev.metadata}
    assert docs == set(), docs


def test_partial_run_reuses_upstream_outputs(bundled) -> None:
    defs, instance, results, runs_root = bundled
    first = results["tabular_calibrated"]
    assert first.success
    key = dg.AssetKey(["tabular_calibrated", "ModelPackaging", "packaged_model__ModelPackaging"])
    job = defs.resolve_job_def("tabular_calibrated")
    second = job.execute_in_process(
        instance=instance, asset_selection=[key], run_config=_runner_config(runs_root)
    )
    assert second.success
    mats = _materializations(second)
    assert set(mats) == {"tabular_calibrated/ModelPackaging/packaged_model__ModelPackaging"}
    inputs = mats["tabular_calibrated/ModelPackaging/packaged_model__ModelPackaging"].metadata["inputs"].value
    first_dir = runs_root / "tabular_calibrated" / first.run_id
    assert inputs["model_input"]["run_id"] == first.run_id and inputs["model_input"]["reused"]
    assert inputs["model_input"]["path"].startswith(str(first_dir / "ModelTraining" / "model_output"))
    assert inputs["calibration_model"]["path"].startswith(
        str(first_dir / "ModelCalibration_calibration" / "calibration_output")
    )
    second_dir = runs_root / "tabular_calibrated" / second.run_id
    ran = {p.name for p in second_dir.iterdir() if p.is_dir()}
    assert ran == {"ModelPackaging"}
    assert any((second_dir / "ModelPackaging" / "packaged_model").iterdir())


def test_partial_run_without_upstream_data_says_what_to_do(tmp_path: Path) -> None:
    defs = build_definitions(_failing_project(tmp_path / "proj"))
    job = defs.resolve_job_def("mixed")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            asset_selection=[dg.AssetKey(["mixed", "After", "data__After"])],
            run_config=_runner_config(tmp_path / "runs"),
        )
    assert not result.success
    (failure,) = [e.step_failure_data for e in result.all_events if e.is_step_failure]
    assert (
        "After.data needs mixed/Broken/data__Broken, which has never been materialized"
        in failure.user_failure_data.description
    )


def _failing_project(root: Path) -> Path:
    """Start -> Broken -> After, and an independent Side; Broken raises."""
    script_ok = """
        import os
        def main(input_paths, output_paths, environ_vars, job_args):
            with open(os.path.join(output_paths["data"], "part.csv"), "w") as fh:
                fh.write("id,label\\n1,0\\n2,1\\n")
        """
    for step, body in (
        ("Start", script_ok),
        ("After", script_ok),
        ("Side", script_ok),
        (
            "Broken",
            """
        def main(input_paths, output_paths, environ_vars, job_args):
            raise ValueError("the threshold column is missing")
        """,
        ),
    ):
        inputs = (
            {"config": {"path": "/opt/ml/input/config.json"}}
            if step in ("Start", "Side")
            else {"data": {"path": "/opt/ml/input/data"}}
        )
        helpers.write_yaml(
            root / "steps" / f"{step.lower()}.step.yaml",
            helpers.interface(
                step,
                entry_point=f"{step.lower()}.py",
                inputs=inputs,
                outputs={"data": {"path": "/opt/ml/output/data"}},
            ),
        )
        helpers.write(root / "steps" / f"{step.lower()}.py", body)
    helpers.write_json(
        root / "mixed.dag.json",
        {
            "dag": {
                "nodes": ["Start", "Broken", "After", "Side"],
                "edges": [["Start", "Broken"], ["Broken", "After"]],
            },
            "metadata": {"description": "a failing branch beside a healthy one"},
        },
    )
    helpers.write_yaml(
        root / "script_testing.yaml",
        {
            "workspaces": ["steps"],
            "pipelines": {
                "mixed": {
                    "dag": "mixed.dag.json",
                    "sources": {
                        "Start.config": {"json": {"a": 1}, "file": "config.json"},
                        "Side.config": {"json": {"b": 2}, "file": "config.json"},
                    },
                }
            },
        },
    )
    return root


def test_failing_script_fails_its_step_and_spares_the_independent_branch(tmp_path: Path) -> None:
    defs = build_definitions(_failing_project(tmp_path / "proj"))
    job = defs.resolve_job_def("mixed")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=_runner_config(tmp_path / "runs")
        )
    assert not result.success
    failures = {e.step_key: e.step_failure_data for e in result.all_events if e.is_step_failure}
    assert set(failures) == {"mixed__Broken"}
    user = failures["mixed__Broken"].user_failure_data
    first_line = user.description.splitlines()[0]
    assert "ValueError" in first_line or "threshold column is missing" in first_line, first_line
    assert "\n" not in user.description
    assert (
        "the threshold column is missing" in user.metadata["stderr_tail"].value
        or "the threshold column is missing" in user.metadata["error"].value
    )
    mats = set(_materializations(result))
    assert "mixed/Side/data__Side" in mats and "mixed/Start/data__Start" in mats  # the healthy branch ran
    assert "mixed/Broken/data__Broken" not in mats and "mixed/After/data__After" not in mats
    # the in-process executor does not start a step whose upstream failed ("Not executing")
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    succeeded = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert "mixed__After" not in started
    assert {"mixed__Side", "mixed__Start"} <= succeeded
    report = (tmp_path / "runs" / "mixed" / result.run_id / "report.json").read_text()
    assert '"Broken"' in report and '"failed"' in report


def test_data_source_resource_overrides_rows_and_sources(tmp_path: Path) -> None:
    """Per-run source config: a smaller synthetic profile and a source replaced by another kind."""
    root = _failing_project(tmp_path / "proj")
    local = helpers.write(tmp_path / "other_config.json", '{"c": 3}')
    defs = build_definitions(root)
    job = defs.resolve_job_def("mixed")
    config = _runner_config(tmp_path / "runs")
    config["resources"]["data_source"] = {"config": {"overrides": {"Side.config": f"{{local: '{local}'}}"}}}
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=config,
            asset_selection=[dg.AssetKey(["mixed", "sources", "Side", "config__Side"])],
        )
    assert result.success
    (m,) = [e.step_materialization_data.materialization for e in result.get_asset_materialization_events()]
    assert m.metadata["overridden_for_this_run"].value is True
    assert "local" in m.metadata["source"].value


@pytest.mark.e2e
def test_a_failing_edge_check_blocks_its_consumer_and_links_a_data_docs_page(tmp_path: Path) -> None:
    """runner.data_docs: failures (the default): the failing check gets a Data Docs page that exists."""
    root = Path(
        shutil.copytree(BUNDLED_EXAMPLES, tmp_path / "proj", ignore=shutil.ignore_patterns("__pycache__"))
    )
    config = root / "script_testing.yaml"
    text = config.read_text(encoding="utf-8")
    old = "      TabularPreprocessing_training.DATA:\n        columns: [id, label]\n"
    assert text.count(old) == 1  # tabular_simple's expectations
    config.write_text(text.replace(old, old.replace("[id, label]", "[id, label, no_such_column]")), "utf-8")
    defs = build_definitions(root)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("tabular_simple").execute_in_process(
            instance=instance, raise_on_error=False, run_config=_runner_config(tmp_path / "runs")
        )
    assert not result.success
    failed = [ev for ev in _check_evaluations(result).values() if not ev.passed]
    assert [ev.check_name for ev in failed] == ["feeds_TabularPreprocessing_training__DATA"]
    page = Path(failed[0].metadata["data_docs"].value)
    assert page.is_file(), page  # the site is built before the run ends
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert not any("TabularPreprocessing_training" in s and "sources" not in s for s in started), started
