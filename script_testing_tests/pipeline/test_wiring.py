"""Wiring outputs to inputs along DAG edges, with bindings and sources, on the real sample interfaces."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from script_testing.pipeline.catalog import StepCatalog
from script_testing.errors import WiringError
from script_testing.config.dag import PipelineDag
from script_testing.config.project import PipelineConfig, SourceSpec, load_project
from script_testing.pipeline.wiring import (MATCH_THRESHOLD, input_file_name, score_output, suggest_source,
                                   wire_pipeline)
from script_testing_tests.helpers import (SAMPLE_DAG, interface, plan_for, sample_project, write_json,
                                          write_script, write_yaml)

P = "TabularPreprocessing_training"
C = "CradleDataLoading_training"
X = "XGBoostTraining"


@pytest.fixture
def project(tmp_path):
    return sample_project(tmp_path / "proj")


@pytest.fixture
def plan(project):
    return plan_for(project)


@pytest.fixture
def resolved(project):
    cat = StepCatalog(project.workspaces)
    dag = PipelineDag.load(project.resolve(project.config.pipelines["p"].dag))
    return dag, cat.resolve_all(dag.nodes)


def _wire(project, resolved, **pipeline):
    dag, nodes = resolved
    config = PipelineConfig.model_validate({"dag": "d", **pipeline})
    return wire_pipeline("p", dag, nodes, config, list(project.config.data_profiles))


# --------------------------------------------------------------------------- the sample DAG


def test_roles_of_sample_nodes(plan):
    assert {n: p.role for n, p in plan.nodes.items()} == {
        C: "data", P: "script", X: "script",
        "CradleDataLoading_calibration": "data", "TabularPreprocessing_calibration": "script"}


def test_exact_name_wires_data(plan):
    w = plan.wiring.inputs[P]["DATA"]
    assert (w.kind, w.upstream, w.output, w.required) == ("edge", C, "DATA", True)
    assert "exact name" in w.reason
    assert w.score == pytest.approx(1.15)
    assert w.reason.startswith("score 1.15")


def test_signature_wires_to_signature(plan):
    w = plan.wiring.inputs[P]["SIGNATURE"]
    assert (w.kind, w.upstream, w.output) == ("edge", C, "SIGNATURE")
    assert w.required is False
    assert "exact name" in w.reason and "keywords" in w.reason


def test_metadata_is_not_wired_to_data_secondary(plan, resolved):
    w = plan.wiring.inputs[P]["DATA_SECONDARY"]
    assert w.kind == "unprovided" and not w.provided and w.required is False
    _, nodes = resolved
    cand = score_output(nodes[P].interface, "DATA_SECONDARY", nodes[C], "METADATA")
    assert cand.score == pytest.approx(0.35)
    assert cand.score <= MATCH_THRESHOLD
    # METADATA feeds no input anywhere
    assert not any(w.output == "METADATA" for wires in plan.wiring.inputs.values() for w in wires.values())


def test_processed_data_feeds_input_path_via_alias(plan):
    w = plan.wiring.inputs[X]["input_path"]
    assert (w.kind, w.upstream, w.output) == ("edge", P, "processed_data")
    assert "alias 'input_path'" in w.reason
    assert "TabularPreprocessing in compatible_sources" in w.reason
    assert w.score == pytest.approx(1.025)
    # optional inputs with nothing to feed them are left out, not errors
    assert plan.wiring.inputs[X]["hyperparameters_s3_uri"].kind == "unprovided"
    assert plan.wiring.inputs[X]["model_artifacts_input"].kind == "unprovided"


def test_calibration_branch_is_wired_independently(plan):
    w = plan.wiring.inputs["TabularPreprocessing_calibration"]["DATA"]
    assert (w.upstream, w.output) == ("CradleDataLoading_calibration", "DATA")
    assert all(w.upstream != C for w in plan.wiring.inputs["TabularPreprocessing_calibration"].values())


def test_report_lines_say_why(plan):
    lines = plan.wiring.report_lines()
    text = "\n".join(lines)
    data_line = next(line for line in lines if line.startswith(f"{P}.DATA <- "))
    assert data_line.startswith(f"{P}.DATA <- {C}.DATA  [score 1.15: exact name; ")
    assert "CradleDataLoading in compatible_sources" in data_line
    assert "type processing_output" in data_line
    alias_line = next(line for line in lines if line.startswith(f"{X}.input_path <- "))
    assert f"<- {P}.processed_data  [score 1.02" in alias_line and "alias 'input_path'" in alias_line
    assert f"{X}.hyperparameters_s3_uri <- nothing (optional, left out)" in text
    assert f"{C}.DATA (no script) <- synthetic: tabular_binary (csv)" in text
    assert f"{C}.METADATA (no script) <- no source configured" in text


def test_edges_of_the_wiring(plan):
    ids = {e.id for e in plan.wiring.edges}
    assert ids == {f"{C}.DATA->{P}.DATA", f"{C}.SIGNATURE->{P}.SIGNATURE", f"{P}.processed_data->{X}.input_path",
                   "CradleDataLoading_calibration.DATA->TabularPreprocessing_calibration.DATA",
                   "CradleDataLoading_calibration.SIGNATURE->TabularPreprocessing_calibration.SIGNATURE"}
    assert plan.wiring.upstream_nodes(P) == [C]
    assert [w.node for w in plan.consumers_of(P, "processed_data")] == [X]


# --------------------------------------------------------------------------- bindings and sources


def test_binding_overrides_edge_match(tmp_path):
    project = sample_project(tmp_path / "proj", {
        "bindings": {f"{P}.DATA": f"{C}.METADATA"},
        "sources": {f"{C}.METADATA": {"json": {}, "file": "metadata.json"}}})
    plan = plan_for(project)
    w = plan.wiring.inputs[P]["DATA"]
    assert (w.kind, w.upstream, w.output) == ("binding", C, "METADATA")
    assert w.reason == "explicit binding"
    assert w.overridden == f"{C}.DATA"
    assert f"{P}.DATA <- {C}.METADATA  [explicit binding] (replaces edge match {C}.DATA)" in \
        plan.wiring.report_lines()


def test_binding_that_agrees_with_the_edge_replaces_nothing(tmp_path):
    plan = plan_for(sample_project(tmp_path / "proj", {"bindings": {f"{X}.input_path": f"{P}.processed_data"}}))
    w = plan.wiring.inputs[X]["input_path"]
    assert w.kind == "binding" and w.overridden is None


def test_binding_and_source_on_one_node(tmp_path):
    plan = plan_for(sample_project(tmp_path / "proj", {
        "bindings": {f"{P}.DATA_SECONDARY": f"{C}.DATA"},
        "sources": {f"{P}.DATA": {"local": "data"}}}))
    wires = plan.wiring.inputs[P]
    assert (wires["DATA"].kind, wires["DATA"].source.local) == ("source", "data")
    assert (wires["DATA_SECONDARY"].kind, wires["DATA_SECONDARY"].output) == ("binding", "DATA")
    assert wires["DATA_SECONDARY"].overridden is None  # nothing scored above the threshold for it


def test_bound_output_feeds_a_consumer_at_most_once(tmp_path):
    """A binding claims its output: automatic matching must not feed the same output to a second input
    of the same consumer (README section 4), even when the automatically wired input is required."""
    project = sample_project(tmp_path / "proj", {"bindings": {f"{P}.DATA_SECONDARY": f"{C}.DATA"}})
    try:
        plan = plan_for(project)
    except WiringError as e:  # acceptable: DATA then has no data, and the message must say so
        assert f"{P}.DATA:" in str(e)
        return
    fed = [(w.upstream, w.output) for w in plan.wiring.inputs[P].values() if w.upstream]
    assert len(fed) == len(set(fed)), plan.wiring.report_lines()


def test_configured_source_wins_over_an_edge(tmp_path):
    project = sample_project(tmp_path / "proj", {"sources": {f"{P}.DATA": {"local": "../data/train"}}})
    plan = plan_for(project)
    w = plan.wiring.inputs[P]["DATA"]
    assert w.kind == "source"
    assert w.source.local == "../data/train"
    assert w.reason == "configured source"
    assert w.overridden == f"{C}.DATA"
    assert f"{P}.DATA <- local: ../data/train  [configured source] (replaces edge match {C}.DATA)" in \
        plan.wiring.report_lines()
    assert f"{C}.DATA->{P}.DATA" not in {e.id for e in plan.wiring.edges}


def test_source_over_an_edge_makes_the_upstream_output_unneeded(tmp_path):
    srcs = {f"{P}.DATA": {"local": "x"}, f"{P}.SIGNATURE": {"local": "y"},
            "CradleDataLoading_calibration.DATA": {"synthetic": "tabular_binary"},
            "CradleDataLoading_calibration.SIGNATURE": {"signature": "tabular_binary"}}
    plan = plan_for(sample_project(tmp_path / "proj", {"sources": srcs}, sources=False))
    assert plan.wiring.data_outputs[C] == {"SIGNATURE": None, "METADATA": None, "DATA": None}


def test_source_for_an_optional_input_without_edge(tmp_path):
    plan = plan_for(sample_project(tmp_path / "proj", {"sources": {
        f"{X}.hyperparameters_s3_uri": {"json": {"label_name": "label"}, "file": "hyperparameters.json"}}}))
    w = plan.wiring.inputs[X]["hyperparameters_s3_uri"]
    assert w.kind == "source" and w.overridden is None and w.source.json_ == {"label_name": "label"}
    assert input_file_name(plan.nodes[X].resolved, "hyperparameters_s3_uri") == "hyperparameters.json"
    assert input_file_name(plan.nodes[X].resolved, "input_path") is None


# --------------------------------------------------------------------------- errors


def _standalone_project(tmp_path: Path, *, hyper_required: bool, profiles: bool = True):
    """XGBoostTraining and TabularPreprocessing_calibration with no edges at all."""
    root = tmp_path / "proj"
    sample_project(root)
    xgb = yaml.safe_load((root / "steps" / "xgboost_training.step.yaml").read_text())
    xgb["contract"]["inputs"]["hyperparameters_s3_uri"]["required"] = hyper_required
    write_yaml(root / "steps" / "xgboost_training.step.yaml", xgb)
    write_json(root / "dags" / "alone.dag.json",
               {"dag": {"nodes": [X, "TabularPreprocessing_calibration"], "edges": []}})
    cfg = yaml.safe_load((root / "script_testing.yaml").read_text())
    cfg["pipelines"] = {"alone": {"dag": "dags/alone.dag.json"}}
    if not profiles:
        cfg.pop("data_profiles")
    write_yaml(root / "script_testing.yaml", cfg)
    return load_project(root)


def test_every_missing_required_input_is_listed_at_once(tmp_path):
    project = _standalone_project(tmp_path, hyper_required=True)
    with pytest.raises(WiringError) as e:
        plan_for(project, "alone")
    err = e.value
    msg = str(err)
    assert msg.startswith(f"{project.file}: 3 required input(s) of pipeline 'alone' have no data")
    assert "pipelines.alone.sources" in msg
    lines = [line.strip() for line in err.details.splitlines()]
    assert lines == [
        f"{X}.input_path: {{synthetic: tabular_binary, format: csv}}",
        f"{X}.hyperparameters_s3_uri: {{json: {{}}, file: hyperparameters.json}}",
        "TabularPreprocessing_calibration.DATA: {synthetic: tabular_binary, format: csv}",
    ]
    # optional inputs are not asked for
    assert "SIGNATURE" not in msg and "model_artifacts_input" not in msg


def test_suggested_source_lines_are_pasteable(tmp_path):
    project = _standalone_project(tmp_path, hyper_required=True)
    with pytest.raises(WiringError) as e:
        plan_for(project, "alone")
    pasted = yaml.safe_load(e.value.details)
    assert set(pasted) == {f"{X}.input_path", f"{X}.hyperparameters_s3_uri", "TabularPreprocessing_calibration.DATA"}
    for spec in pasted.values():
        SourceSpec.model_validate(spec)
    cfg = yaml.safe_load(project.file.read_text())
    cfg["pipelines"]["alone"]["sources"] = pasted
    write_yaml(project.file, cfg)
    plan = plan_for(load_project(project.root), "alone")  # pasting them is enough
    assert plan.wiring.inputs[X]["hyperparameters_s3_uri"].source.file == "hyperparameters.json"


def test_suggestions_without_profiles(tmp_path):
    project = _standalone_project(tmp_path, hyper_required=False, profiles=False)
    with pytest.raises(WiringError) as e:
        plan_for(project, "alone")
    assert f"{X}.input_path: {{local: path/to/data}}" in e.value.details


def test_consumed_data_node_outputs_without_source_are_reported(tmp_path):
    project = sample_project(tmp_path / "proj", sources=False)
    with pytest.raises(WiringError) as e:
        plan_for(project)
    lines = [line.strip() for line in e.value.details.splitlines()]
    assert lines == [
        f"{C}.DATA: {{synthetic: tabular_binary, format: csv}}",
        f"{C}.SIGNATURE: {{signature: tabular_binary}}",
        "CradleDataLoading_calibration.DATA: {synthetic: tabular_binary, format: csv}",
        "CradleDataLoading_calibration.SIGNATURE: {signature: tabular_binary}",
    ]
    assert "METADATA" not in str(e.value)  # not consumed, so not needed


def test_config_keys_naming_unknown_nodes_or_ports_are_reported_at_once(project, resolved):
    with pytest.raises(WiringError) as e:
        _wire(project, resolved,
              sources={"Ghost.DATA": {"local": "x"}, f"{P}.DAT": {"local": "x"},
                       f"{P}.processed_data": {"local": "x"}},
              bindings={f"{X}.input_pth": f"{P}.processed_data", f"{X}.input_path": f"{P}.nope",
                        f"{X}.model_artifacts_input": "Phantom.out"},
              expectations={"Nobody.x": {"min_rows": 1}, f"{X}.input_path": {"min_rows": 1}},
              nodes={"Nonexistent": {}, X: {}})
    err = e.value
    assert str(err).startswith("script_testing.yaml: 8 problem(s) in the configuration of pipeline 'p'")
    d = err.details
    assert "pipelines.p.sources.Ghost.DATA: node 'Ghost' is not in the DAG" in d
    assert f"pipelines.p.sources.{P}.DAT: 'DAT' is not a port of {P} (known: DATA, DATA_SECONDARY, SIGNATURE)" in d
    assert f"pipelines.p.sources.{P}.processed_data: 'processed_data' is an output of a node with a script" in d
    assert f"pipelines.p.bindings.{X}.input_pth: 'input_pth' is not a port of {X}" in d
    assert f"pipelines.p.bindings.{X}.input_path: 'nope' is not an output of {P} (known: processed_data)" in d
    assert f"pipelines.p.bindings.{X}.model_artifacts_input: upstream node 'Phantom' is not in the DAG" in d
    assert "pipelines.p.expectations.Nobody.x: node 'Nobody' is not in the DAG" in d
    assert "pipelines.p.nodes.Nonexistent: node 'Nonexistent' is not in the DAG" in d


def test_binding_onto_a_script_less_node_is_reported(project, resolved):
    """A binding feeds an input of a node with a script; binding a data node's output would be silently ignored."""
    with pytest.raises(WiringError) as e:
        _wire(project, resolved, sources=_sample_sources(), bindings={f"{C}.METADATA": f"{P}.processed_data"})
    assert f"bindings.{C}.METADATA" in str(e.value)


def test_binding_a_node_to_itself_is_reported(project, resolved):
    with pytest.raises(WiringError, match="cannot feed itself"):
        _wire(project, resolved, sources=_sample_sources(), bindings={f"{X}.model_artifacts_input": f"{X}.model_output"})


def test_expectations_may_name_outputs_of_scripts_and_data_nodes(project, resolved):
    w = _wire(project, resolved, sources=_sample_sources(),
              expectations={f"{P}.processed_data": {"min_rows": 1}, f"{C}.DATA": {"min_rows": 1}})
    assert w.problems == []


def _sample_sources():
    from script_testing_tests.helpers import sample_sources
    return sample_sources()


# --------------------------------------------------------------------------- scores


@pytest.fixture
def ifaces(tmp_path):
    ws = tmp_path / "ws"
    write_yaml(ws / "prod.step.yaml", interface(
        "Prod", entry_point="prod.py", outputs={"model": None, "table": None, "blob": None},
        spec_outputs={"model": {"type": "model_artifacts", "aliases": ["trained_model"]},
                      "table": {"type": "processing_output", "aliases": ["features"]},
                      "blob": {}}))
    write_yaml(ws / "cons.step.yaml", interface(
        "Cons", entry_point="cons.py", inputs={"trained_model": True, "features": False, "model": False,
                                               "stuff": False},
        dependencies={"trained_model": {"type": "model_artifacts", "compatible_sources": ["Prod"],
                                        "semantic_keywords": ["model"]},
                      "features": {"type": "training_data", "semantic_keywords": ["table", "features", "x"]},
                      "stuff": {"type": "other", "compatible_sources": ["Prod"]}}))
    write_script(ws / "prod.py")
    write_script(ws / "cons.py")
    cat = StepCatalog([ws])
    return cat.resolve("Cons"), cat.resolve("Prod")


@pytest.mark.parametrize("input_name,output,expected,signals", [
    # alias 0.55 + compatible source 0.2 + 1 keyword of 2 needed 0.1 + same type 0.15
    ("trained_model", "model", 1.0, ["alias 'trained_model'", "Prod in compatible_sources", "keywords model",
                                     "type model_artifacts"]),
    # name only: no dependency spec for 'model'
    ("model", "model", 0.6, ["exact name"]),
    # alias 0.55 + 2 keywords 0.2 + generic type 0.075
    ("features", "table", 0.825, ["alias 'features'", "keywords features, table",
                                  "type processing_output~training_data"]),
    # compatible source alone is not a match
    ("stuff", "blob", 0.2, ["Prod in compatible_sources"]),
    ("features", "blob", 0.0, []),
])
def test_score_output_numbers(ifaces, input_name, output, expected, signals):
    cons, prod = ifaces
    cand = score_output(cons.interface, input_name, prod, output)
    assert cand.score == pytest.approx(expected)
    assert cand.signals == signals
    assert (cand.upstream, cand.output) == ("Prod", output)


def test_sample_scores(resolved):
    _, nodes = resolved
    tp, cradle, xgb = nodes[P], nodes[C], nodes[X]
    assert score_output(tp.interface, "DATA", cradle, "DATA").score == pytest.approx(1.15)
    assert score_output(tp.interface, "SIGNATURE", cradle, "METADATA").score == pytest.approx(0.45)
    assert score_output(tp.interface, "DATA_SECONDARY", cradle, "DATA").score == pytest.approx(0.45)
    assert score_output(xgb.interface, "hyperparameters_s3_uri", tp, "processed_data").score == \
        pytest.approx(0.075)
    # below the threshold, nothing is wired even with a single candidate
    assert score_output(tp.interface, "SIGNATURE", cradle, "METADATA").score <= MATCH_THRESHOLD


def test_required_inputs_get_first_pick(tmp_path):
    """Both inputs match the single output; the required one is listed last but served first."""
    ws = tmp_path / "ws"
    write_yaml(ws / "a.step.yaml", interface("Up", entry_point="up.py", outputs={"rows": None},
                                             spec_outputs={"rows": {"aliases": ["main", "extra"]}}))
    write_yaml(ws / "b.step.yaml", interface("Down", entry_point="down.py", inputs={"extra": False, "main": True}))
    write_script(ws / "up.py")
    write_script(ws / "down.py")
    nodes = StepCatalog([ws]).resolve_all(["Up", "Down"])
    dag = PipelineDag(["Up", "Down"], [("Up", "Down")])
    w = wire_pipeline("p", dag, nodes, PipelineConfig(dag="d"))
    assert w.inputs["Down"]["main"].kind == "edge"
    assert w.inputs["Down"]["extra"].kind == "unprovided"  # the output feeds a consumer at most once
    assert list(w.inputs["Down"]) == ["extra", "main"]  # reported in the interface's order


def test_best_of_several_predecessors_wins(tmp_path):
    ws = tmp_path / "ws"
    write_yaml(ws / "a.step.yaml", interface("Weak", entry_point="w.py", outputs={"x": None},
                                             spec_outputs={"x": {"aliases": ["data"]}}))
    write_yaml(ws / "b.step.yaml", interface("Strong", entry_point="s.py", outputs={"data": None}))
    write_yaml(ws / "c.step.yaml", interface("Down", entry_point="d.py", inputs={"data": True}))
    for s in ("w.py", "s.py", "d.py"):
        write_script(ws / s)
    nodes = StepCatalog([ws]).resolve_all(["Weak", "Strong", "Down"])
    dag = PipelineDag(["Weak", "Strong", "Down"], [("Weak", "Down"), ("Strong", "Down")])
    w = wire_pipeline("p", dag, nodes, PipelineConfig(dag="d"))
    assert (w.inputs["Down"]["data"].upstream, w.inputs["Down"]["data"].output) == ("Strong", "data")


def test_no_wiring_without_an_edge(resolved, project):
    """Production wires only along DAG edges: the calibration TabularPreprocessing never reads training data."""
    dag, nodes = resolved
    srcs = {k: v for k, v in _sample_sources().items() if "calibration" not in k}
    config = PipelineConfig.model_validate({"dag": "d", "sources": srcs})
    with pytest.raises(WiringError) as e:
        wire_pipeline("p", dag, nodes, config, ["tabular_binary"])
    assert "CradleDataLoading_calibration.DATA" in e.value.details
