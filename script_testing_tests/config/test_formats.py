"""The file formats: step interfaces, DAGs and the testing project, with their error messages."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from script_testing.config.dag import PipelineDag
from script_testing.config.loading import key_path, load_model, read_document
from script_testing.config.project import ProjectConfig, SourceSpec, load_project, split_node_port
from script_testing.config.step_interface import InterfaceFile, deep_merge
from script_testing.errors import ConfigError, DagError
from script_testing_tests.helpers import (
    SAMPLE_DAG,
    SAMPLE_INTERFACES,
    SAMPLE_NODES,
    copy_samples,
    doc_yaml_block,
    interface,
    write,
    write_json,
    write_yaml,
)

# --------------------------------------------------------------------------- samples, as users have them


@pytest.mark.parametrize(
    "name,step_type,inputs,outputs",
    [
        ("cradle_data_loading.step.yaml", "CradleDataLoading", [], ["SIGNATURE", "METADATA", "DATA"]),
        (
            "tabular_preprocessing.step.yaml",
            "TabularPreprocessing",
            ["DATA", "DATA_SECONDARY", "SIGNATURE"],
            ["processed_data"],
        ),
        (
            "xgboost_training.step.yaml",
            "XGBoostTraining",
            ["input_path", "hyperparameters_s3_uri", "model_artifacts_input"],
            ["model_output", "evaluation_output"],
        ),
    ],
)
def test_sample_interfaces_load(samples_dir, name, step_type, inputs, outputs):
    f = InterfaceFile.load(samples_dir / name)
    assert f.step_type == step_type
    assert f.base.input_names == inputs
    assert f.base.output_names == outputs


def test_sample_tabular_preprocessing_details(samples_dir):
    iface = InterfaceFile.load(samples_dir / "tabular_preprocessing.step.yaml").base
    c = iface.contract
    assert c.entry_point == "tabular_preprocessing.py"
    assert iface.registry.sagemaker_step_type == "Processing"
    assert iface.required_input("DATA") is True
    assert iface.required_input("DATA_SECONDARY") is False
    assert c.inputs["DATA"].path == "/opt/ml/processing/input/data"
    assert [(a.flag, a.source, a.dest) for a in c.job_arguments] == [("--job_type", "job_type", "job_type")]
    # env var defaults are strings, exactly as written
    assert c.env_vars.optional["TRAIN_RATIO"] == "0.7"
    assert c.env_vars.optional["OPTIMIZE_MEMORY"] == "true"
    assert c.env_vars.optional["LABEL_FIELD"] == ""
    assert c.env_vars.required == []
    dep = iface.spec.dependencies["DATA"]
    assert "CradleDataLoading" in dep.compatible_sources
    assert dep.type == "processing_output"
    assert "input_path" in iface.spec.outputs["processed_data"].aliases


def test_sample_xgboost_channels_and_types(samples_dir):
    iface = InterfaceFile.load(samples_dir / "xgboost_training.step.yaml").base
    assert iface.contract.inputs["input_path"].channels == ["train", "val", "test"]
    assert iface.contract.inputs["hyperparameters_s3_uri"].path.endswith("hyperparameters.json")
    assert iface.spec.dependencies["input_path"].type == "training_data"
    assert iface.spec.outputs["model_output"].type == "model_artifacts"
    assert iface.description.startswith("XGBoost training")


def test_sample_cradle_has_no_inputs_and_a_registry_extra_key(samples_dir):
    f = InterfaceFile.load(samples_dir / "cradle_data_loading.step.yaml")
    assert f.base.node_type == "source"
    assert f.base.contract.inputs == {}
    assert f.variant_names == ["generic", "training", "calibration", "validation", "testing"]


def test_sample_dag_loads(samples_dir):
    dag = PipelineDag.load(samples_dir / SAMPLE_DAG)
    assert dag.nodes == SAMPLE_NODES
    assert dag.edges == [
        ("CradleDataLoading_training", "TabularPreprocessing_training"),
        ("TabularPreprocessing_training", "XGBoostTraining"),
        ("CradleDataLoading_calibration", "TabularPreprocessing_calibration"),
    ]
    # free-form metadata is kept whole
    assert dag.name == "xgboost_simple"
    assert dag.description.startswith("Simple XGBoost training pipeline")
    assert dag.metadata["agent_context"]["decision_tree"]["just_experimenting?"]["yes"] == "USE THIS DAG"
    assert dag.predecessors["XGBoostTraining"] == ["TabularPreprocessing_training"]
    assert dag.successors["CradleDataLoading_training"] == ["TabularPreprocessing_training"]
    assert dag.ancestors("XGBoostTraining") == {"TabularPreprocessing_training", "CradleDataLoading_training"}
    assert dag.descendants("CradleDataLoading_calibration") == {"TabularPreprocessing_calibration"}
    assert dag.order == [
        "CradleDataLoading_training",
        "TabularPreprocessing_training",
        "XGBoostTraining",
        "CradleDataLoading_calibration",
        "TabularPreprocessing_calibration",
    ]


def test_samples_are_not_modified_by_loading(samples_dir):
    before = {n: (samples_dir / n).read_bytes() for n in (*SAMPLE_INTERFACES, SAMPLE_DAG)}
    for n in SAMPLE_INTERFACES:
        f = InterfaceFile.load(samples_dir / n)
        for v in f.variant_names:
            f.for_job_type(v)
    PipelineDag.load(samples_dir / SAMPLE_DAG)
    assert {n: (samples_dir / n).read_bytes() for n in before} == before


# --------------------------------------------------------------------------- variants


def test_calibration_variant_deep_merges(samples_dir):
    f = InterfaceFile.load(samples_dir / "cradle_data_loading.step.yaml")
    base = f.base
    cal = f.for_job_type("calibration")
    assert cal.spec.outputs["DATA"].semantic_keywords == [
        "calibration",
        "eval",
        "data",
        "input",
        "raw",
        "dataset",
        "model_evaluation",
        "source",
    ]
    # keys the variant does not set come from the base (deep merge, not replacement)
    assert cal.spec.outputs["DATA"].aliases == ["input_data", "training_data", "processed_data"]
    assert cal.spec.outputs["SIGNATURE"].aliases == ["schema"]
    assert cal.contract.outputs["DATA"].path == "/opt/ml/processing/output/place_holder"
    assert cal.step_type == "CradleDataLoading"
    # the base is unaffected
    assert base.spec.outputs["DATA"].semantic_keywords == ["data", "input", "raw", "dataset", "source"]
    assert f.base.spec.outputs["DATA"].semantic_keywords == ["data", "input", "raw", "dataset", "source"]
    assert "variants" not in f.base.model_dump()
    # and loading the variant did not leak into another
    assert f.for_job_type("training").spec.outputs["DATA"].semantic_keywords[0] == "training"
    assert f.for_job_type("calibration") is cal  # cached


def test_unknown_or_no_job_type_is_the_base(samples_dir):
    f = InterfaceFile.load(samples_dir / "tabular_preprocessing.step.yaml")
    assert f.for_job_type(None) is f.base
    assert f.for_job_type("training") is f.base  # no variants in this file
    c = InterfaceFile.load(samples_dir / "cradle_data_loading.step.yaml")
    assert c.for_job_type("evaluation") is c.base


def test_deep_merge_semantics():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1}
    over = {"a": {"y": [3], "z": {"k": 1}}, "c": 2}
    merged = deep_merge(base, over)
    assert merged == {"a": {"x": 1, "y": [3], "z": {"k": 1}}, "b": 1, "c": 2}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1}  # inputs untouched
    merged["a"]["z"]["k"] = 99
    assert over["a"]["z"]["k"] == 1  # no aliasing into the override


def test_variant_adds_an_input_and_changes_env_defaults(tmp_path):
    doc = interface(
        "Foo",
        entry_point="foo.py",
        inputs={"DATA": True},
        outputs={"out": None},
        env_optional={"MODE": "a", "KEEP": "1"},
        variants={
            "calibration": {
                "contract": {
                    "inputs": {"EXTRA": {"path": "/x", "required": False}},
                    "env_vars": {"optional": {"MODE": "b"}},
                }
            }
        },
    )
    f = InterfaceFile.load(write_yaml(tmp_path / "foo.step.yaml", doc))
    cal = f.for_job_type("calibration")
    assert cal.input_names == ["DATA", "EXTRA"]
    assert cal.contract.env_vars.optional == {"MODE": "b", "KEEP": "1"}
    assert f.base.input_names == ["DATA"]
    assert f.base.contract.env_vars.optional == {"MODE": "a", "KEEP": "1"}


def test_bad_variant_is_reported_with_its_key_path(tmp_path):
    doc = interface(
        "Foo",
        inputs={"DATA": True},
        variants={"calibration": {"contract": {"inputs": {"DATA": {"required": "maybe"}}}}},
    )
    f = InterfaceFile.load(write_yaml(tmp_path / "foo.step.yaml", doc))
    with pytest.raises(ConfigError) as e:
        f.for_job_type("calibration")
    msg = str(e.value)
    assert "foo.step.yaml" in msg
    assert "variants.calibration.contract.inputs.DATA.required" in msg
    assert "'maybe'" in msg
    f.for_job_type("training")  # other job types still fine


# --------------------------------------------------------------------------- tolerance and rejection


def test_unknown_keys_are_tolerated_everywhere_in_an_interface(tmp_path):
    doc = interface(
        "Foo",
        entry_point="foo.py",
        inputs={"DATA": True},
        outputs={"out": None},
        patterns={"direct_input_keys": ["DATA"]},
        compute={"kind": "sklearn"},
        brand_new_section={"anything": [1, 2]},
    )
    doc["contract"]["inputs"]["DATA"]["mount_mode"] = "File"
    doc["contract"]["framework_requirements"] = {"pandas": ">=1"}
    doc["spec"]["dependencies"]["DATA"] = {"type": "x", "future_field": True}
    doc["registry"] = {"sagemaker_step_type": "Processing", "requires": "sdk"}
    f = InterfaceFile.load(write_yaml(tmp_path / "foo.step.yaml", doc))
    assert f.base.contract.inputs["DATA"].required is True
    assert f.base.registry.sagemaker_step_type == "Processing"


def test_yaml_comments_and_nulls_are_tolerated(tmp_path):
    path = write(
        tmp_path / "foo.step.yaml",
        """\
        # a comment
        step_type: Foo   # trailing comment
        contract:
          entry_point: foo.py
          inputs:
          outputs:
          job_arguments:
          env_vars:
            required:
            optional:
              A: 0.7
              B: true
              C:
        spec:
          dependencies:
          outputs:
        """,
    )
    iface = InterfaceFile.load(path).base
    assert iface.contract.inputs == {} and iface.contract.outputs == {}
    assert iface.contract.job_arguments == []
    assert iface.contract.env_vars.required == []
    assert iface.contract.env_vars.optional == {"A": "0.7", "B": "true", "C": ""}


def test_step_type_with_underscore_is_rejected(tmp_path):
    path = write_yaml(tmp_path / "bad.step.yaml", interface("Tabular_Preprocessing"))
    with pytest.raises(ConfigError) as e:
        InterfaceFile.load(path)
    msg = str(e.value)
    assert str(path) in msg
    assert "step_type" in msg
    assert "'_'" in msg
    assert "Tabular_Preprocessing" in msg


def test_interface_without_step_type_is_rejected(tmp_path):
    path = write_yaml(tmp_path / "bad.step.yaml", {"contract": {}})
    with pytest.raises(ConfigError, match=r"'step_type' is required"):
        InterfaceFile.load(path)


def test_interface_that_is_not_a_mapping_is_rejected(tmp_path):
    path = write(tmp_path / "bad.step.yaml", "- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping at the top level, got list"):
        InterfaceFile.load(path)


def test_wrong_type_in_interface_names_file_and_key_path(tmp_path):
    doc = interface("Foo", inputs={"DATA": True})
    doc["contract"]["inputs"]["DATA"]["required"] = "perhaps"
    path = write_yaml(tmp_path / "foo.step.yaml", doc)
    with pytest.raises(ConfigError) as e:
        InterfaceFile.load(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: ")
    assert "'contract.inputs.DATA.required'" in msg
    assert "boolean" in msg
    assert "'perhaps'" in msg


def test_validation_messages_keep_the_case_of_user_names(tmp_path):
    """Node, port and step type names are case-sensitive: an error must quote them as written."""
    path = write_yaml(tmp_path / "bad.step.yaml", interface("Tabular_Preprocessing"))
    with pytest.raises(ConfigError) as e:
        InterfaceFile.load(path)
    assert "PascalCase" in str(e.value)
    cfg = {"pipelines": {"p": {"dag": "d.json", "sources": {"CradleDataLoading_DATA": {"s3": "s3://b/k"}}}}}
    with pytest.raises(ConfigError) as e:
        load_model(ProjectConfig, Path("script_testing.yaml"), cfg)
    assert "'CradleDataLoading_DATA' must be 'Node.port'" in str(e.value)


# --------------------------------------------------------------------------- syntax errors


def test_bad_yaml_syntax_names_file_and_line(tmp_path):
    path = write(tmp_path / "x.step.yaml", "step_type: Foo\ncontract:\n  inputs: [a, b\n  outputs: {}\n")
    with pytest.raises(ConfigError) as e:
        InterfaceFile.load(path)
    msg = str(e.value)
    m = re.match(re.escape(str(path)) + r":(\d+):(\d+): invalid YAML", msg)
    assert m, msg
    assert int(m.group(1)) in (3, 4)  # the unclosed list (line 3), detected at line 4
    assert "fix the YAML syntax" in msg


def test_bad_yaml_indentation_line(tmp_path):
    path = write(
        tmp_path / "script_testing.yaml", "workspaces: [.]\npipelines:\n  p:\n    dag: a\n   bad: 1\n"
    )
    with pytest.raises(ConfigError, match=re.escape(str(path)) + r":5:\d+: invalid YAML"):
        load_project(tmp_path)


def test_bad_json_syntax_names_file_and_line(tmp_path):
    path = write(tmp_path / "x.dag.json", '{"dag": {"nodes": ["A",\n  "B",\n  ]}}\n')
    with pytest.raises(ConfigError) as e:
        PipelineDag.load(path)
    assert re.match(re.escape(str(path)) + r":3:\d+: invalid JSON", str(e.value)), str(e.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        read_document(tmp_path / "nope.dag.json")


def test_key_path_formatting():
    assert key_path(("pipelines", "x", "sources", 0)) == "pipelines.x.sources[0]"
    assert key_path(()) == "(top level)"
    assert key_path(("dag", "edges", 2, 1)) == "dag.edges[2][1]"


# --------------------------------------------------------------------------- DAG


def test_dag_duplicate_node(tmp_path):
    path = write_json(tmp_path / "d.dag.json", {"dag": {"nodes": ["A", "B", "A"], "edges": []}})
    with pytest.raises(DagError) as e:
        PipelineDag.load(path)
    assert str(path) in str(e.value) and "'A' is listed twice" in str(e.value)


def test_dag_unknown_node_in_edge(tmp_path):
    path = write_json(
        tmp_path / "d.dag.json", {"dag": {"nodes": ["A", "B"], "edges": [["A", "B"], ["B", "Cc"]]}}
    )
    with pytest.raises(DagError) as e:
        PipelineDag.load(path)
    msg = str(e.value)
    assert str(path) in msg and "edge 1" in msg and "unknown node 'Cc'" in msg


def test_dag_edge_of_wrong_shape_names_key_path(tmp_path):
    path = write_json(tmp_path / "d.dag.json", {"dag": {"nodes": ["A", "B"], "edges": [["A", "B", "C"]]}})
    with pytest.raises(ConfigError) as e:
        PipelineDag.load(path)
    assert "dag.edges[0]" in str(e.value)


def test_dag_without_nodes_is_rejected(tmp_path):
    path = write_json(tmp_path / "d.dag.json", {"metadata": {}})
    with pytest.raises(ConfigError, match=r"'dag' is required"):
        PipelineDag.load(path)


def _cycle_of(message: str) -> list[str]:
    m = re.search(r"the DAG has a cycle: ([A-Za-z0-9_ >-]+?)[.;]", message)
    assert m, message
    return [p.strip() for p in m.group(1).split("->")]


def _assert_is_cycle(cycle: list[str], edges: set[tuple[str, str]], members: set[str]) -> None:
    assert cycle[0] == cycle[-1], cycle
    assert set(cycle) == members, cycle
    assert len(cycle) == len(members) + 1, cycle
    for a, b in itertools.pairwise(cycle):
        assert (a, b) in edges, f"{a} -> {b} is not an edge; cycle reported as {cycle}"


def test_dag_cycle_is_named_in_order():
    with pytest.raises(DagError) as e:
        PipelineDag(["A", "B", "C", "D"], [("A", "B"), ("B", "C"), ("C", "A"), ("D", "A")])
    assert "A -> B -> C -> A" in str(e.value)


@pytest.mark.parametrize(
    "nodes,edges,members",
    [
        # the first node (alphabetically and in listed order) lies downstream of the cycle
        pytest.param(["Aa", "B", "C"], [("B", "C"), ("C", "B"), ("B", "Aa")], {"B", "C"}),
        pytest.param(
            ["Archive", "Load", "Train", "Eval"],
            [("Load", "Train"), ("Train", "Eval"), ("Eval", "Train"), ("Eval", "Archive")],
            {"Train", "Eval"},
        ),
        # two cycles: either may be reported, but it must be a real one
        (["P", "Q", "R", "S"], [("P", "Q"), ("Q", "P"), ("R", "S"), ("S", "R")], None),
        (["A"], [("A", "A")], {"A"}),
    ],
)
def test_dag_cycle_is_reported_whatever_the_node_names(nodes, edges, members):
    with pytest.raises(DagError) as e:
        PipelineDag(nodes, edges, source="d.dag.json")
    cycle = _cycle_of(str(e.value))
    if members is None:
        members = set(cycle)
        assert members in ({"P", "Q"}, {"R", "S"})
    _assert_is_cycle(cycle, set(edges), members)
    assert str(e.value).startswith("d.dag.json: ")


def test_topological_order_is_stable_in_listed_order():
    nodes = ["Z", "M", "A", "K", "B"]
    dag = PipelineDag(nodes, [("A", "B"), ("Z", "B"), ("K", "M")])
    assert dag.order == ["Z", "A", "K", "M", "B"]
    # no edges: exactly the listed order
    assert PipelineDag(nodes, []).order == nodes
    # a diamond keeps listed order among the ready nodes
    d = PipelineDag(["S", "R", "L", "E"], [("S", "L"), ("S", "R"), ("L", "E"), ("R", "E")])
    assert d.order == ["S", "R", "L", "E"]


def test_duplicate_edges_are_merged():
    dag = PipelineDag(["A", "B"], [("A", "B"), ("A", "B")])
    assert dag.edges == [("A", "B")]
    assert dag.predecessors["B"] == ["A"]


# --------------------------------------------------------------------------- testing project


def _write_doc_project(root: Path) -> Path:
    """The sample ``script_testing.yaml`` of testing-project.md, verbatim, with the files it names."""
    text = doc_yaml_block()
    write(root / "script_testing.yaml", text)
    copy_samples(root / "steps", dag=False)
    copy_samples(root / "dags", scripts=(), dag=True)
    for n in SAMPLE_INTERFACES:
        (root / "dags" / n).unlink()
    (root / "src").mkdir()
    write(root / "shims.py", "# stubs\n")
    return root


def test_doc_sample_project_parses_every_key(tmp_path):
    root = _write_doc_project(tmp_path / "proj")
    project = load_project(root)
    cfg = project.config
    assert project.root == root.resolve() and project.file == root.resolve() / "script_testing.yaml"
    # paths resolve against the file's folder, not the current directory
    assert project.workspaces == [(root / "steps").resolve()]
    assert project.python_path == [(root / "src").resolve()]
    assert project.preload == [(root / "shims.py").resolve()]
    prof = cfg.data_profiles["tabular_binary"]
    assert (prof.rows, prof.seed) == (1000, 7)
    assert [c.kind for c in prof.columns] == [
        "id",
        "label",
        "numeric",
        "numeric",
        "categorical",
        "datetime",
        "text",
    ]
    age = prof.columns[2]
    assert (age.min, age.max, age.nulls) == (18, 90, 0.05)
    assert prof.columns[3].dtype == "float"
    assert prof.columns[4].values == ["US", "DE", "JP"]
    assert prof.columns[1].classes == [0, 1]
    pipe = project.pipeline("xgboost_simple")
    assert pipe.dag == "dags/xgboost_simple.dag.json"
    assert project.resolve(pipe.dag) == (root / "dags" / "xgboost_simple.dag.json").resolve()
    assert pipe.description.startswith("optional")
    assert pipe.schedule.cron == "0 2 * * *"
    assert pipe.schedule.status == "running"
    src = pipe.sources
    assert {k: v.kind for k, v in src.items()} == {
        "CradleDataLoading_training.DATA": "synthetic",
        "CradleDataLoading_training.SIGNATURE": "signature",
        "CradleDataLoading_training.METADATA": "json",
        "XGBoostTraining.hyperparameters_s3_uri": "json",
        "TabularPreprocessing_calibration.DATA": "s3",
        "SomeNode.some_input": "local",
    }
    d = src["CradleDataLoading_training.DATA"]
    assert (d.synthetic, d.format, d.file) == ("tabular_binary", "csv", "part-00000.csv")
    assert src["CradleDataLoading_training.METADATA"].json_ == {}
    assert src["XGBoostTraining.hyperparameters_s3_uri"].json_["cat_field_list"] == ["country"]
    assert src["XGBoostTraining.hyperparameters_s3_uri"].file == "hyperparameters.json"
    assert (
        src["TabularPreprocessing_calibration.DATA"].s3 == "s3://bucket/exec-123/TabularPreprocessing/DATA/"
    )
    assert src["SomeNode.some_input"].local == "../data/some_input"
    ns = pipe.nodes["TabularPreprocessing_training"]
    assert ns.environ_vars == {"LABEL_FIELD": "label"}
    assert ns.job_args == {"job_type": "training"}
    assert ns.timeout_s == 600
    assert pipe.bindings == {"XGBoostTraining.input_path": "TabularPreprocessing_training.processed_data"}
    exp = pipe.expectations["XGBoostTraining.input_path"]
    assert (exp.columns, exp.not_null, exp.min_rows) == (["id", "label"], ["label"], 10)


def test_doc_sample_project_from_another_cwd(tmp_path, monkeypatch):
    root = _write_doc_project(tmp_path / "proj")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    project = load_project(root / "script_testing.yaml")
    assert project.workspaces == [(root / "steps").resolve()]


def test_relative_path_that_does_not_exist_is_named(tmp_path):
    write_yaml(tmp_path / "script_testing.yaml", {"workspaces": ["steps", "missing_ws"]})
    (tmp_path / "steps").mkdir()
    with pytest.raises(ConfigError) as e:
        load_project(tmp_path)
    msg = str(e.value)
    assert "workspaces[1]" in msg and "missing_ws" in msg and str(tmp_path / "script_testing.yaml") in msg


def test_string_instead_of_list_is_accepted(tmp_path):
    (tmp_path / "steps").mkdir()
    write_yaml(tmp_path / "script_testing.yaml", {"workspaces": "steps", "python_path": "steps"})
    p = load_project(tmp_path)
    assert p.workspaces == [(tmp_path / "steps").resolve()]


def test_no_project_file(tmp_path):
    with pytest.raises(ConfigError, match="no testing project here"):
        load_project(tmp_path)


def test_empty_project_file_defaults(tmp_path):
    write(tmp_path / "script_testing.yaml", "")
    p = load_project(tmp_path)
    assert p.workspaces == [tmp_path.resolve()]
    assert p.config.pipelines == {}
    assert p.config.runner.timeout_s > 0


def test_unknown_pipeline_suggests_close_names(tmp_path):
    write_yaml(tmp_path / "script_testing.yaml", {"pipelines": {"xgboost_simple": {"dag": "d.json"}}})
    with pytest.raises(ConfigError, match="did you mean xgboost_simple"):
        load_project(tmp_path).pipeline("xgboost_simpel")


def test_unknown_project_key_is_named(tmp_path):
    write_yaml(tmp_path / "script_testing.yaml", {"pipelnes": {}})
    with pytest.raises(ConfigError, match="'pipelnes' is not a known key"):
        load_project(tmp_path)


def test_unknown_data_profile_is_named(tmp_path):
    write_yaml(
        tmp_path / "script_testing.yaml",
        {
            "data_profiles": {"tabular_binary": {"columns": [{"name": "id", "kind": "id"}]}},
            "pipelines": {"p": {"dag": "d.json", "sources": {"Load.DATA": {"synthetic": "tabular_binray"}}}},
        },
    )
    with pytest.raises(ConfigError) as e:
        load_project(tmp_path)
    msg = str(e.value)
    assert "unknown data profile 'tabular_binray'" in msg
    assert "tabular_binary" in msg  # the known ones
    assert "Load.DATA" in msg


@pytest.mark.parametrize(
    "source,found",
    [
        ({"synthetic": "prof", "s3": "s3://b/k/"}, "found: synthetic, s3"),
        ({"format": "csv", "file": "x.csv"}, "found: none"),
        ({}, "found: none"),
    ],
)
def test_source_needs_exactly_one_kind(tmp_path, source, found):
    write_yaml(
        tmp_path / "script_testing.yaml",
        {
            "data_profiles": {"prof": {"columns": [{"name": "id", "kind": "id"}]}},
            "pipelines": {"p": {"dag": "d.json", "sources": {"Load.DATA": source}}},
        },
    )
    with pytest.raises(ConfigError) as e:
        load_project(tmp_path)
    msg = str(e.value)
    assert "pipelines.p.sources.Load.DATA" in msg
    assert "exactly one of synthetic, signature, json, local, s3" in msg
    assert found in msg


def test_json_source_with_null_document_is_a_json_source():
    s = SourceSpec.model_validate({"json": None, "file": "x.json"})
    assert s.kind == "json"
    assert SourceSpec.model_validate({"json": {"a": 1}}).describe().startswith("json literal")


def test_wrong_type_at_nested_key_names_dotted_path(tmp_path):
    write_yaml(
        tmp_path / "script_testing.yaml",
        {"pipelines": {"p": {"dag": "d.json", "nodes": {"X": {"timeout_s": "ten minutes"}}}}},
    )
    with pytest.raises(ConfigError) as e:
        load_project(tmp_path)
    msg = str(e.value)
    assert msg.startswith(str(tmp_path / "script_testing.yaml") + ": ")
    assert "'pipelines.p.nodes.X.timeout_s'" in msg
    assert "number" in msg  # what was expected
    assert "'ten minutes'" in msg  # what was found


def test_several_problems_are_all_listed(tmp_path):
    write_yaml(
        tmp_path / "script_testing.yaml",
        {
            "pipelines": {
                "p": {
                    "dag": "d.json",
                    "nodes": {"X": {"timeout_s": -1, "memory_limit_mb": "lots", "job_arg": {}}},
                }
            }
        },
    )
    with pytest.raises(ConfigError) as e:
        load_project(tmp_path)
    msg = str(e.value)
    assert "(and 2 more problem(s))" in msg
    for key in (
        "pipelines.p.nodes.X.timeout_s",
        "pipelines.p.nodes.X.memory_limit_mb",
        "pipelines.p.nodes.X.job_arg",
    ):
        assert key in msg


def test_profile_column_errors_name_the_column(tmp_path):
    write_yaml(
        tmp_path / "script_testing.yaml",
        {"data_profiles": {"p": {"columns": [{"name": "c", "kind": "categorical"}]}}},
    )
    with pytest.raises(ConfigError, match=r"data_profiles\.p\.columns\[0\].*values"):
        load_project(tmp_path)


@pytest.mark.parametrize(
    "section,value",
    [
        ("sources", {"NoDot": {"s3": "s3://b/k"}}),
        ("sources", {".DATA": {"s3": "s3://b/k"}}),
        ("expectations", {"Node.": {"min_rows": 1}}),
        ("bindings", {"NoDot": "A.out"}),
        ("bindings", {"B.in": "AOut"}),
    ],
)
def test_node_port_key_format_is_enforced(tmp_path, section, value):
    write_yaml(tmp_path / "script_testing.yaml", {"pipelines": {"p": {"dag": "d.json", section: value}}})
    with pytest.raises(ConfigError) as e:
        load_project(tmp_path)
    msg = str(e.value)
    assert f"pipelines.p.{section}" in msg
    assert "must be" in msg and "port" in msg.lower()


def test_split_node_port():
    assert split_node_port("XGBoostTraining.input_path") == ("XGBoostTraining", "input_path")
    assert split_node_port("A.b.c") == ("A", "b.c")
    with pytest.raises(ValueError):
        split_node_port("nodot")


def test_schedule_forms(tmp_path):
    write_yaml(
        tmp_path / "script_testing.yaml",
        {
            "pipelines": {
                "a": {"dag": "d.json", "schedule": "0 2 * * *"},
                "b": {"dag": "d.json", "schedule": {"cron": "0 3 * * 1"}},
                "c": {
                    "dag": "d.json",
                    "schedule": {"cron": "0 4 * * *", "status": "running", "timezone": "Europe/Berlin"},
                },
                "d": {"dag": "d.json"},
            }
        },
    )
    pipes = load_project(tmp_path).config.pipelines
    assert (pipes["a"].schedule.cron, pipes["a"].schedule.status) == ("0 2 * * *", "running")
    assert pipes["b"].schedule.status == "stopped"
    assert pipes["c"].schedule.timezone == "Europe/Berlin"
    assert pipes["d"].schedule is None


def test_node_settings_stringify_env_values(tmp_path):
    write_yaml(
        tmp_path / "script_testing.yaml",
        {
            "pipelines": {
                "p": {
                    "dag": "d.json",
                    "nodes": {"X": {"environ_vars": {"A": 1, "B": True, "C": None, "D": 0.5}}},
                }
            }
        },
    )
    ns = load_project(tmp_path).config.pipelines["p"].nodes["X"]
    assert ns.environ_vars == {"A": "1", "B": "true", "C": "", "D": "0.5"}
