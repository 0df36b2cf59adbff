"""The step catalog: node names -> step type, job type, interface and script, across workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from script_testing.errors import CatalogError, ConfigError
from script_testing.pipeline.catalog import StepCatalog
from script_testing_tests.helpers import interface, write, write_script, write_yaml


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """Two workspaces.

    ws1/
      preprocessing/tabular_preprocessing.step.yaml + tabular_preprocessing.py   (script beside)
      training/xgboost_training.step.yaml                                          (script elsewhere)
      scripts/nested/xgboost_training.py
      loading/cradle_data_loading.step.yaml                                        (no script: data node)
      registration/registration.step.yaml                                          (no script, no outputs: sink)
      stray/tabular_preprocessing.py                                               (a second copy, not beside)
      .venv/lib/xgboost_training.py, __pycache__/... (ignored)
    ws2/
      tabular_preprocessing.step.yaml (another TabularPreprocessing: loses to ws1)
      evaluation/model_evaluation.step.yaml ; model_evaluation.py only in ws1/other/ and ws2/elsewhere/
    """
    ws1, ws2 = tmp_path / "ws1", tmp_path / "ws2"
    write_yaml(
        ws1 / "preprocessing" / "tabular_preprocessing.step.yaml",
        interface(
            "TabularPreprocessing",
            entry_point="tabular_preprocessing.py",
            inputs={"DATA": True},
            outputs={"processed_data": None},
            variants={"calibration": {"contract": {"env_vars": {"optional": {"MODE": "cal"}}}}},
        ),
    )
    write_script(ws1 / "preprocessing" / "tabular_preprocessing.py")
    write_script(ws1 / "stray" / "tabular_preprocessing.py")
    write_yaml(
        ws1 / "training" / "xgboost_training.step.yaml",
        interface(
            "XGBoostTraining",
            entry_point="xgboost_training.py",
            inputs={"input_path": True},
            outputs={"model_output": None},
        ),
    )
    write_script(ws1 / "scripts" / "nested" / "xgboost_training.py")
    write_script(ws1 / ".venv" / "lib" / "model_evaluation.py")
    write_script(ws1 / "__pycache__" / "model_evaluation.py")
    write_yaml(
        ws1 / "loading" / "cradle_data_loading.step.yaml",
        interface("CradleDataLoading", entry_point="scripts.py", outputs={"DATA": None}),
    )
    write_yaml(
        ws1 / "registration" / "registration.step.yaml",
        interface("Registration", entry_point="registration.py", inputs={"model": True}),
    )
    write_script(ws1 / "other" / "model_evaluation.py")
    write_yaml(
        ws2 / "tabular_preprocessing.step.yaml",
        interface("TabularPreprocessing", entry_point="other_preprocessing.py", inputs={"X": True}),
    )
    write_yaml(
        ws2 / "evaluation" / "model_evaluation.step.yaml",
        interface(
            "ModelEvaluation",
            entry_point="model_evaluation.py",
            inputs={"model": True},
            outputs={"metrics": None},
        ),
    )
    write_script(ws2 / "elsewhere" / "model_evaluation.py")
    write(ws1 / "notes.txt", "not an interface")
    return {"ws1": ws1, "ws2": ws2, "root": tmp_path}


@pytest.fixture
def catalog(tree) -> StepCatalog:
    return StepCatalog([tree["ws1"], tree["ws2"]])


def test_step_types_indexed_from_every_workspace(catalog):
    assert catalog.step_types == [
        "CradleDataLoading",
        "ModelEvaluation",
        "Registration",
        "TabularPreprocessing",
        "XGBoostTraining",
    ]


def test_first_workspace_wins(catalog, tree):
    f = catalog.interface_file("TabularPreprocessing")
    assert f.path == tree["ws1"] / "preprocessing" / "tabular_preprocessing.step.yaml"
    assert f.base.input_names == ["DATA"]
    # and in the other order, the other one wins
    other = StepCatalog([tree["ws2"], tree["ws1"]])
    assert (
        other.interface_file("TabularPreprocessing").path == tree["ws2"] / "tabular_preprocessing.step.yaml"
    )


@pytest.mark.parametrize(
    "node,expected",
    [
        ("TabularPreprocessing_training", ("TabularPreprocessing", "training")),
        ("TabularPreprocessing_calibration", ("TabularPreprocessing", "calibration")),
        ("XGBoostTraining", ("XGBoostTraining", None)),
        ("XGBoostTraining_model_eval", ("XGBoostTraining", "model_eval")),  # the suffix may itself hold '_'
    ],
)
def test_split_node_name(catalog, node, expected):
    assert catalog.split_node_name(node) == expected


@pytest.mark.parametrize(
    "node,closest",
    [
        ("TabularPreprocesing_training", "TabularPreprocessing"),
        ("XGBoostTrainng", "XGBoostTraining"),
        ("XgboostTraining_calibration", "XGBoostTraining"),
    ],
)
def test_unknown_step_type_lists_closest(catalog, node, closest):
    with pytest.raises(CatalogError) as e:
        catalog.split_node_name(node)
    msg = str(e.value)
    assert f"node '{node}' matches no step interface" in msg
    assert "closest known step types" in msg and closest in msg
    assert str(catalog.workspaces[0]) in msg


def test_unknown_foo_lists_known_step_types(catalog):
    with pytest.raises(CatalogError) as e:
        catalog.resolve("Foo_bar")
    msg = str(e.value)
    assert "node 'Foo_bar'" in msg
    # nothing is close to Foo: the user gets the list of what exists
    for st in catalog.step_types:
        assert st in msg


def test_trailing_underscore_is_not_a_job_type(catalog):
    with pytest.raises(CatalogError):
        catalog.split_node_name("XGBoostTraining_")


def test_resolve_all_reports_every_unknown_node_at_once(catalog):
    with pytest.raises(CatalogError) as e:
        catalog.resolve_all(["XGBoostTraining", "Foo_bar", "TabularPreprocesing_training", "Baz"])
    msg = str(e.value)
    assert msg.startswith("3 nodes match no step interface")
    for n in ("Foo_bar", "TabularPreprocesing_training", "Baz"):
        assert f"'{n}'" in msg


def test_script_beside_the_interface(catalog, tree):
    r = catalog.resolve("TabularPreprocessing_training")
    assert (r.step_type, r.job_type) == ("TabularPreprocessing", "training")
    assert r.script_path == tree["ws1"] / "preprocessing" / "tabular_preprocessing.py"
    assert r.has_script and r.role == "script" and not r.is_data_node
    assert r.interface_path == tree["ws1"] / "preprocessing" / "tabular_preprocessing.step.yaml"


def test_job_type_variant_is_applied(catalog):
    assert catalog.resolve("TabularPreprocessing_calibration").interface.contract.env_vars.optional == {
        "MODE": "cal"
    }
    assert catalog.resolve("TabularPreprocessing_training").interface.contract.env_vars.optional == {}


def test_script_elsewhere_in_the_workspace(catalog, tree):
    r = catalog.resolve("XGBoostTraining")
    assert r.job_type is None
    assert r.script_path == tree["ws1"] / "scripts" / "nested" / "xgboost_training.py"


def test_script_in_the_interfaces_own_workspace_preferred(catalog, tree):
    # ws1/other/ and ws2/elsewhere/ both have model_evaluation.py; the interface is in ws2
    r = catalog.resolve("ModelEvaluation_calibration")
    assert r.script_path == tree["ws2"] / "elsewhere" / "model_evaluation.py"


def test_script_in_another_workspace_is_found(tmp_path):
    ws1, ws2 = tmp_path / "a", tmp_path / "b"
    write_yaml(
        ws1 / "x.step.yaml", interface("Xstep", entry_point="src/pkg/x_script.py", outputs={"o": None})
    )
    write_script(ws2 / "deep" / "x_script.py")
    r = StepCatalog([ws1, ws2]).resolve("Xstep")
    # entry_point may carry folders: the file name is what is searched
    assert r.script_path == ws2 / "deep" / "x_script.py"


def test_skipped_folders_are_not_searched(tmp_path):
    ws = tmp_path / "ws"
    write_yaml(ws / "e.step.yaml", interface("Ev", entry_point="ev.py", outputs={"o": None}))
    for d in (".venv", "__pycache__", ".git", "node_modules", ".hidden", ".script_testing"):
        write_script(ws / d / "ev.py")
    r = StepCatalog([ws]).resolve("Ev")
    assert r.script_path is None
    write_yaml(ws / ".venv" / "f.step.yaml", interface("Hidden"))
    assert "Hidden" not in StepCatalog([ws]).step_types


def test_missing_script_with_outputs_is_a_data_node(catalog):
    r = catalog.resolve("CradleDataLoading_training")
    assert r.script_path is None
    assert not r.has_script
    assert r.is_data_node
    assert r.role == "data"


def test_missing_script_without_outputs_is_a_sink(catalog):
    r = catalog.resolve("Registration")
    assert r.script_path is None
    assert r.role == "sink"
    assert not r.is_data_node


def test_no_entry_point_is_a_data_node(tmp_path):
    write_yaml(tmp_path / "s.step.yaml", interface("Src", entry_point=None, outputs={"DATA": None}))
    assert StepCatalog([tmp_path]).resolve("Src_training").role == "data"


def test_samples_in_a_workspace(sample_workspace):
    cat = StepCatalog([sample_workspace])
    assert cat.step_types == ["CradleDataLoading", "TabularPreprocessing", "XGBoostTraining"]
    resolved = cat.resolve_all(
        [
            "CradleDataLoading_training",
            "TabularPreprocessing_training",
            "XGBoostTraining",
            "CradleDataLoading_calibration",
        ]
    )
    assert resolved["CradleDataLoading_training"].role == "data"
    assert (
        resolved["TabularPreprocessing_training"].script_path == sample_workspace / "tabular_preprocessing.py"
    )
    assert resolved["XGBoostTraining"].script_path == sample_workspace / "xgboost_training.py"
    assert (
        resolved["CradleDataLoading_calibration"].interface.spec.outputs["DATA"].semantic_keywords[0]
        == "calibration"
    )
    assert (
        resolved["CradleDataLoading_training"].interface.spec.outputs["DATA"].semantic_keywords[0]
        == "training"
    )


def test_a_workspace_may_be_a_single_interface_file(tmp_path):
    f = write_yaml(tmp_path / "one.step.yaml", interface("One", entry_point="one.py", outputs={"o": None}))
    write_script(tmp_path / "one.py")
    cat = StepCatalog([f, tmp_path])
    assert cat.interface_file("One").path == f
    assert cat.resolve("One").script_path == tmp_path / "one.py"


def test_a_broken_interface_in_a_workspace_names_its_file(tmp_path):
    """Every broken file is kept (never only the first); a node of its step type fails naming it."""
    bad = write(tmp_path / "sub" / "bad.step.yaml", "step_type: [unclosed\n")
    worse = write(tmp_path / "sub" / "worse.step.yaml", "step_type: Worse\ncontract: {inputs: 5}\n")
    cat = StepCatalog([tmp_path])
    assert [str(bad) in e.message for e in cat.unclaimed_errors] == [True]
    with pytest.raises(ConfigError) as e:
        cat.resolve("Worse_training")
    assert str(worse) in str(e.value) and "contract.inputs" in str(e.value)
