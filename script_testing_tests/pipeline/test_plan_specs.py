"""Plans (env vars, job args, bindings as ordering edges) and specs (names, store, pinning, notes)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import yaml

from script_testing import files as files_module
from script_testing.config.project import load_project
from script_testing.errors import ConfigError, DagError
from script_testing.pipeline.specs import PipelineTestingSpec, ScriptExecutionSpec, SpecStore, script_name_for
from script_testing_tests.helpers import (
    SAMPLE_NODES,
    plan_for,
    sample_project,
    write_json,
    write_yaml,
)

P = "TabularPreprocessing_training"
PC = "TabularPreprocessing_calibration"
C = "CradleDataLoading_training"
X = "XGBoostTraining"


@pytest.fixture
def project(tmp_path):
    return sample_project(
        tmp_path / "proj",
        {
            "nodes": {
                P: {
                    "environ_vars": {"LABEL_FIELD": "label", "TRAIN_RATIO": 0.8, "EXTRA": "yes"},
                    "timeout_s": 42,
                }
            }
        },
    )


@pytest.fixture
def plan(project):
    return plan_for(project)


# --------------------------------------------------------------------------- plan


def test_plan_order_dependencies_description(plan):
    assert plan.order == SAMPLE_NODES
    assert list(plan.nodes) == SAMPLE_NODES
    assert plan.dependencies[X] == [P]
    assert plan.dependencies[C] == []
    assert plan.description.startswith("Simple XGBoost training pipeline")


def test_config_description_wins(tmp_path):
    plan = plan_for(sample_project(tmp_path / "proj", {"description": "mine"}))
    assert plan.description == "mine"


def test_env_vars_are_interface_defaults_overridden_by_settings(plan, samples_dir):
    defaults = yaml.safe_load((samples_dir / "tabular_preprocessing.step.yaml").read_text())["contract"][
        "env_vars"
    ]["optional"]
    env = plan.nodes[P].environ_vars
    assert env == {
        **{k: str(v) for k, v in defaults.items()},
        "LABEL_FIELD": "label",
        "TRAIN_RATIO": "0.8",
        "EXTRA": "yes",
    }
    assert all(isinstance(v, str) for v in env.values())
    # another node of the same step type keeps the interface defaults
    assert plan.nodes[PC].environ_vars["LABEL_FIELD"] == ""
    assert plan.nodes[PC].environ_vars["TRAIN_RATIO"] == "0.7"
    # the interface's defaults are not mutated by a node's settings
    assert plan.nodes[P].resolved.interface.contract.env_vars.optional["LABEL_FIELD"] == ""


def test_timeouts(plan, project):
    assert plan.nodes[P].timeout_s == 42
    assert plan.nodes[X].timeout_s == project.config.runner.timeout_s


def test_job_type_from_node_suffix(plan):
    assert plan.nodes[P].job_args == {"job_type": "training"}
    assert plan.nodes[PC].job_args == {"job_type": "calibration"}
    assert plan.nodes[P].argv() == ["--job_type", "training"]
    assert plan.nodes[P].namespace() == argparse.Namespace(job_type="training")
    assert plan.nodes[P].warnings == []


def test_job_type_unset_warns(plan):
    n = plan.nodes[X]
    assert n.job_args == {"job_type": None}
    assert n.argv() == []
    job = [w for w in n.warnings if "job" in w]  # (the other warning is production's wiring, see test_wiring)
    assert len(job) == 1
    assert "--job_type is unset" in job[0]
    assert f"pipelines.p.nodes.{X}.job_args.job_type" in job[0]
    # script-less nodes run nothing, so they get no such warning
    assert plan.nodes[C].warnings == []


def test_job_type_from_settings(tmp_path):
    plan = plan_for(
        sample_project(
            tmp_path / "proj",
            {
                "nodes": {
                    X: {"job_args": {"job_type": "training", "extra_flag": 3}},
                    P: {"job_args": {"job_type": "custom"}},
                }
            },
        )
    )
    assert plan.nodes[X].job_args == {"job_type": "training", "extra_flag": 3}
    assert not [w for w in plan.nodes[X].warnings if "job" in w]
    assert plan.nodes[X].argv() == ["--job_type", "training", "--extra_flag", "3"]
    assert plan.nodes[P].job_args == {"job_type": "custom"}  # settings win over the suffix


def test_required_env_var_warning(tmp_path):
    root = tmp_path / "proj"
    sample_project(root)
    path = root / "steps" / "xgboost_training.step.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["contract"]["env_vars"]["required"] = ["MODEL_CLASS", "REGION"]
    write_yaml(path, doc)
    plan = plan_for(load_project(root))
    warn = [w for w in plan.nodes[X].warnings if "environment variable" in w]
    assert len(warn) == 1 and "MODEL_CLASS" in warn[0] and "REGION" not in warn[0]  # REGION has a default
    cfg = yaml.safe_load((root / "script_testing.yaml").read_text())
    cfg["pipelines"]["p"]["nodes"] = {X: {"environ_vars": {"MODEL_CLASS": "xgb"}}}
    write_yaml(root / "script_testing.yaml", cfg)
    plan = plan_for(load_project(root))
    assert not [w for w in plan.nodes[X].warnings if "environment variable" in w]


def test_binding_between_non_adjacent_nodes_adds_an_ordering_edge(tmp_path):
    plan = plan_for(
        sample_project(
            tmp_path / "proj", {"bindings": {f"{X}.model_artifacts_input": f"{PC}.processed_data"}}
        )
    )
    assert set(plan.dependencies[X]) == {P, PC}
    assert plan.order.index(PC) < plan.order.index(X)
    w = plan.nodes[X].inputs["model_artifacts_input"]
    assert (w.kind, w.upstream, w.output) == ("binding", PC, "processed_data")


def test_binding_that_creates_a_cycle_is_reported_as_a_cycle(tmp_path):
    project = sample_project(
        tmp_path / "proj", {"bindings": {f"{P}.DATA_SECONDARY": f"{X}.evaluation_output"}}
    )
    with pytest.raises(DagError) as e:
        plan_for(project)
    msg = str(e.value)
    assert "cycle" in msg
    assert f"{P} -> {X} -> {P}" in msg or f"{X} -> {P} -> {X}" in msg
    assert "bindings" in msg and str(project.file) in msg


def test_testing_spec_of_a_plan(plan):
    spec = plan.testing_spec()
    assert spec.pipeline == "p" and spec.order == SAMPLE_NODES
    assert set(spec.scripts) == set(SAMPLE_NODES)
    assert spec.scripts[P].environ_vars["LABEL_FIELD"] == "label"
    assert spec.scripts[P].script_path.endswith("tabular_preprocessing.py")
    assert spec.scripts[C].script_path is None
    assert spec.wiring == plan.wiring.report_lines()


# --------------------------------------------------------------------------- script names


@pytest.mark.parametrize(
    "args,expected",
    [
        (
            (P, Path("/w/tabular_preprocessing.py"), "TabularPreprocessing", "training"),
            "tabular_preprocessing_training",
        ),
        ((X, Path("/w/xgboost_training.py"), "XGBoostTraining", None), "xgboost_training"),
        (
            (
                "ModelCalibration_calibration",
                Path("/w/model_calibration.py"),
                "ModelCalibration",
                "calibration",
            ),
            "model_calibration",
        ),
        ((C, None, "CradleDataLoading", "training"), "cradle_data_loading_training"),
        (("DummyTraining", None, "DummyTraining", None), "dummy_training"),
    ],
)
def test_script_name_for(args, expected):
    assert script_name_for(*args) == expected


def test_script_names_are_unique_in_the_sample_plan(plan):
    names = [n.script_name for n in plan.nodes.values()]
    assert len(names) == len(set(names)), names


def test_script_names_are_unique_per_node(tmp_path):
    """script_name_for promises a name unique per node: a step with and without a job-type suffix must not share
    a spec file (pinning one would silently pin the other)."""
    root = tmp_path / "proj"
    sample_project(root)
    write_json(
        root / "dags" / "two.dag.json",
        {"dag": {"nodes": [P, "TabularPreprocessing", "TabularPreprocessing_preprocessing"], "edges": []}},
    )
    cfg = yaml.safe_load((root / "script_testing.yaml").read_text())
    cfg["pipelines"]["two"] = {
        "dag": "dags/two.dag.json",
        "sources": {
            f"{n}.DATA": {"local": "x"}
            for n in (P, "TabularPreprocessing", "TabularPreprocessing_preprocessing")
        },
    }
    write_yaml(root / "script_testing.yaml", cfg)
    plan = plan_for(load_project(root), "two")
    names = [n.script_name for n in plan.nodes.values()]
    assert len(names) == len(set(names)), names


# --------------------------------------------------------------------------- spec store


def _spec(**kw) -> ScriptExecutionSpec:
    base = dict(
        script_name="tabular_preprocessing_training",
        step_name=P,
        script_path="/w/tabular_preprocessing.py",
        input_paths={"DATA": "/r/in"},
        output_paths={"processed_data": "/r/out"},
        environ_vars={"LABEL_FIELD": "label"},
        job_args={"job_type": "training", "n": 3},
        timeout_s=60,
    )
    base.update(kw)
    return ScriptExecutionSpec(**base)


def _tmp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_spec_store_round_trip(tmp_path):
    store = SpecStore(tmp_path)
    spec = _spec(user_notes="hello", pinned=True)
    path = store.save_script_spec("p", spec)
    assert path == tmp_path / ".specs" / "p" / "tabular_preprocessing_training_runtime_test_spec.json"
    assert store.load_script_spec("p", spec.script_name) == spec
    assert json.loads(path.read_text())["job_args"] == {"job_type": "training", "n": 3}
    assert store.load_script_spec("p", "nothing_here") is None
    assert store.load_script_spec("other_pipeline", spec.script_name) is None


def test_pipeline_spec_round_trip(tmp_path):
    store = SpecStore(tmp_path)
    spec = PipelineTestingSpec(
        pipeline="p",
        dag_path="/d.json",
        project=str(tmp_path),
        order=[C, P],
        edges=[(C, P)],
        scripts={P: _spec()},
        wiring=["a <- b"],
    )
    path = store.save_pipeline_spec(spec)
    assert path == tmp_path / ".specs" / "p" / "pipeline_testing_spec.json"
    loaded = store.load_pipeline_spec("p")
    assert loaded == spec
    assert loaded.edges == [(C, P)]
    # each script's spec is saved beside it
    assert store.load_script_spec("p", "tabular_preprocessing_training") == spec.scripts[P]
    with pytest.raises(ConfigError, match="no saved spec for this pipeline"):
        store.load_pipeline_spec("missing")


def test_atomic_write_leaves_no_temp_files(tmp_path):
    store = SpecStore(tmp_path)
    for i in range(3):
        store.save_script_spec("p", _spec(user_notes=str(i)))
    spec = PipelineTestingSpec(
        pipeline="p", dag_path="d", project="x", order=[P], edges=[], scripts={P: _spec()}
    )
    store.save_pipeline_spec(spec)
    files_module.write_json(tmp_path / "x.json", {"a": 1})
    assert _tmp_files(tmp_path) == []
    assert sorted(p.name for p in (tmp_path / ".specs" / "p").iterdir()) == [
        "pipeline_testing_spec.json",
        "tabular_preprocessing_training_runtime_test_spec.json",
    ]


def test_failed_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    store = SpecStore(tmp_path)
    path = store.save_script_spec("p", _spec(user_notes="old"))

    def boom(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files_module.os, "replace", boom)
    with pytest.raises(OSError):
        store.save_script_spec("p", _spec(user_notes="new"))
    monkeypatch.undo()
    assert store.load_script_spec("p", "tabular_preprocessing_training").user_notes == "old"
    assert _tmp_files(tmp_path) == []
    assert path.exists()


def test_corrupt_spec_is_a_config_error_naming_the_file(tmp_path):
    store = SpecStore(tmp_path)
    path = store.script_spec_path("p", "x")
    path.parent.mkdir(parents=True)
    path.write_text('{"script_name": "x",\n "step_name": }')
    with pytest.raises(ConfigError) as e:
        store.load_script_spec("p", "x")
    assert str(path) in str(e.value)


# --------------------------------------------------------------------------- pinning and regeneration


def _pin(project, node_plan, **changes) -> Path:
    store = SpecStore(project.root)
    spec = _spec(script_name=node_plan.script_name, step_name=node_plan.name, **changes)
    return store.save_script_spec("p", spec)


def test_pinned_spec_wins_on_next_load_plan(project, plan):
    path = _pin(
        project,
        plan.nodes[P],
        pinned=True,
        environ_vars={"LABEL_FIELD": "pinned_label"},
        job_args={"job_type": "pinned_jt"},
    )
    again = plan_for(project)
    assert again.nodes[P].environ_vars == {"LABEL_FIELD": "pinned_label"}
    assert again.nodes[P].job_args == {"job_type": "pinned_jt"}
    assert any(str(path) in w and "pinned" in w for w in again.nodes[P].warnings)
    # other nodes are unaffected
    assert again.nodes[PC].job_args == {"job_type": "calibration"}
    # and pinning can be ignored
    fresh = plan_for(project, use_pinned_specs=False)
    assert fresh.nodes[P].environ_vars["LABEL_FIELD"] == "label"
    assert fresh.nodes[P].job_args == {"job_type": "training"}


def test_unpinned_spec_does_not_override_settings(project, plan):
    _pin(project, plan.nodes[P], pinned=False, environ_vars={"LABEL_FIELD": "stale"})
    again = plan_for(project)
    assert again.nodes[P].environ_vars["LABEL_FIELD"] == "label"
    assert again.nodes[P].job_args == {"job_type": "training"}


def _write_spec(plan, run_dir: Path) -> None:
    from script_testing.execution.options import RunOptions
    from script_testing.execution.scheduler import PipelineExecution

    PipelineExecution(plan, RunOptions(run_dir=run_dir))._write_spec()


def test_regenerated_specs_keep_user_notes_and_pins(project, plan, tmp_path):
    store = SpecStore(project.root)
    _write_spec(plan, tmp_path / "run1")
    p_name, x_name = plan.nodes[P].script_name, plan.nodes[X].script_name
    first = store.load_script_spec("p", p_name)
    assert first.environ_vars["LABEL_FIELD"] == "label"
    assert first.input_paths["DATA"].startswith(str(tmp_path / "run1"))
    # the user edits two specs: pins one with a note, annotates the other
    store.save_script_spec(
        "p",
        first.model_copy(
            update={
                "pinned": True,
                "user_notes": "keep label_x",
                "environ_vars": {**first.environ_vars, "LABEL_FIELD": "label_x"},
            }
        ),
    )
    xs = store.load_script_spec("p", x_name)
    store.save_script_spec(
        "p", xs.model_copy(update={"user_notes": "slow node", "environ_vars": {"IGNORED": "1"}})
    )

    plan2 = plan_for(project)
    assert plan2.nodes[P].environ_vars["LABEL_FIELD"] == "label_x"
    _write_spec(plan2, tmp_path / "run2")
    p2, x2 = store.load_script_spec("p", p_name), store.load_script_spec("p", x_name)
    assert (p2.pinned, p2.user_notes, p2.environ_vars["LABEL_FIELD"]) == (True, "keep label_x", "label_x")
    assert p2.input_paths["DATA"].startswith(str(tmp_path / "run2"))  # paths are regenerated
    assert (x2.pinned, x2.user_notes) == (False, "slow node")
    assert "IGNORED" not in x2.environ_vars  # unpinned: regenerated from the project
    assert _tmp_files(project.root / ".specs") == []
    assert store.load_pipeline_spec("p").order == SAMPLE_NODES


def test_pinning_works_for_the_bundled_examples(tmp_path, monkeypatch):
    """Specs of the bundled examples are written under ./.script_testing/examples (never into the package);
    load_plan must read pins from the same place, or pinning silently does nothing."""
    from script_testing.config.state import BUNDLED_EXAMPLES, state_root

    monkeypatch.chdir(tmp_path)
    project = load_project(BUNDLED_EXAMPLES)
    name = next(iter(project.config.pipelines))
    plan = plan_for(project, name)
    node = next(n for n in plan.nodes.values() if n.role == "script")
    _write_spec(plan, tmp_path / "run")
    store = SpecStore(state_root(project))
    spec = store.load_script_spec(name, node.script_name)
    assert spec is not None, "the execution writes specs under state_root()"
    store.save_script_spec(name, spec.model_copy(update={"pinned": True, "environ_vars": {"PINNED": "yes"}}))
    again = plan_for(project, name)
    assert again.nodes[node.name].environ_vars == {"PINNED": "yes"}
    assert not (BUNDLED_EXAMPLES / ".specs").exists()
