"""Wiring outputs to inputs along DAG edges, with bindings and sources, on the real sample interfaces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from script_testing.config.dag import PipelineDag
from script_testing.config.project import PipelineConfig, SourceSpec, load_project
from script_testing.errors import CatalogError, WiringError
from script_testing.pipeline.catalog import StepCatalog
from script_testing.pipeline.wiring import (
    MATCH_THRESHOLD,
    input_file_name,
    score_output,
    wire_pipeline,
)
from script_testing_tests.helpers import (
    interface,
    plan_for,
    sample_project,
    write_json,
    write_script,
    write_yaml,
)

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


# --------------------------------------------------------------------------- the sample DAG (real interfaces)


def test_roles_of_sample_nodes(plan):
    assert {n: p.role for n, p in plan.nodes.items()} == {
        C: "data",
        P: "script",
        X: "script",
        "CradleDataLoading_calibration": "data",
        "TabularPreprocessing_calibration": "script",
    }


def test_exact_name_wires_data(plan, resolved):
    w = plan.wiring.inputs[P]["DATA"]
    assert (w.kind, w.upstream, w.output, w.required, w.via) == ("edge", C, "DATA", True, "assembler")
    # 0.4 + 0.2 + 0.25 + 0.05 + 0.1 + keywords, capped at 1.0 (wiring.md section 3)
    assert w.score == 1.0
    assert w.reason.startswith(
        "score 1.00: type processing_output=processing_output +0.4, data type +0.2, "
        "name ~ DATA 1.00, exact name +0.05, listed in compatible_sources +0.1, keywords "
    )
    assert w.note is None


def test_signature_wires_to_signature(plan):
    w = plan.wiring.inputs[P]["SIGNATURE"]
    assert (w.kind, w.upstream, w.output) == ("edge", C, "SIGNATURE")
    assert w.required is False
    assert "exact name +0.05" in w.reason and "keywords" in w.reason


def test_production_feeds_metadata_to_data_secondary(plan, resolved):
    """Same type and data type make any output a candidate: production feeds METADATA to DATA_SECONDARY,
    and the wire says it is an output of a different name."""
    w = plan.wiring.inputs[P]["DATA_SECONDARY"]
    assert (w.kind, w.upstream, w.output, w.required) == ("edge", C, "METADATA", False)
    assert "different name ('METADATA')" in w.note
    _, nodes = resolved
    cand = score_output(nodes[P].interface, "DATA_SECONDARY", nodes[C], "METADATA")
    assert cand.score == w.score and cand.score > MATCH_THRESHOLD
    assert plan.wiring.data_outputs[C]["METADATA"] is not None  # so it needs (and has) a source


def test_processed_data_feeds_input_path_via_alias(plan):
    w = plan.wiring.inputs[X]["input_path"]
    assert (w.kind, w.upstream, w.output, w.via) == ("edge", P, "processed_data", "assembler")
    assert "type processing_output accepted by training_data +0.2" in w.reason
    assert "name ~ alias input_path 1.00, exact alias +0.05" in w.reason
    assert "listed in compatible_sources +0.1" in w.reason
    assert w.note is None  # input_path is an alias of processed_data
    # hyperparameters (a type gate) has no candidate: optional, so left out, not an error
    h = plan.wiring.inputs[X]["hyperparameters_s3_uri"]
    assert h.kind == "unwired" and not h.provided and "no predecessor output scores above 0.5" in h.reason


def test_builder_fallback_feeds_processed_data_to_model_artifacts_input_too(plan):
    """Pass B (wiring.md section 7): production's built pipeline feeds the output pass A bound to input_path
    to the optional model_artifacts_input too; the wire and a warning say so."""
    w = plan.wiring.inputs[X]["model_artifacts_input"]
    assert (w.kind, w.upstream, w.output, w.via) == ("edge", P, "processed_data", "builder_fallback")
    assert "builder fallback" in w.note and f"{X}.input_path" in w.note
    assert "TabularPreprocessing not in compatible_sources -0.1" in w.reason
    warnings = [p for p in plan.wiring.warnings if p.where == f"{X}.model_artifacts_input"]
    assert len(warnings) == 1 and warnings[0].category == "fallback"
    assert f"already bound to {X}.input_path" in warnings[0].message
    assert any("builders' fallback" in x for x in plan.nodes[X].warnings)  # surfaced to validate and run


def test_calibration_branch_is_wired_independently(plan):
    wires = plan.wiring.inputs["TabularPreprocessing_calibration"]
    assert (wires["DATA"].upstream, wires["DATA"].output) == ("CradleDataLoading_calibration", "DATA")
    assert all(w.upstream != C for w in wires.values())


def test_report_lines_say_why(plan):
    lines = plan.wiring.report_lines()
    text = "\n".join(lines)
    data_line = next(line for line in lines if line.startswith(f"{P}.DATA <- "))
    assert data_line.startswith(
        f"{P}.DATA <- {C}.DATA  [score 1.00: type processing_output=processing_output"
    )
    alias_line = next(line for line in lines if line.startswith(f"{X}.input_path <- "))
    assert f"<- {P}.processed_data  [score 0.8" in alias_line and "alias input_path" in alias_line
    assert f"{X}.hyperparameters_s3_uri <- nothing (optional, left out)" in text
    assert (
        f"{X}.model_artifacts_input <- {P}.processed_data" in text
        and "note: production's builder fallback" in text
    )
    assert f"{C}.DATA (no script) <- synthetic: tabular_binary (csv)" in text
    assert f"{C}.METADATA (no script) <- json literal -> metadata.json" in text


def test_edges_of_the_wiring(plan):
    ids = {e.id for e in plan.wiring.edges}
    cal_c, cal_p = "CradleDataLoading_calibration", "TabularPreprocessing_calibration"
    assert ids == {
        f"{C}.DATA->{P}.DATA",
        f"{C}.SIGNATURE->{P}.SIGNATURE",
        f"{C}.METADATA->{P}.DATA_SECONDARY",
        f"{P}.processed_data->{X}.input_path",
        f"{P}.processed_data->{X}.model_artifacts_input",
        f"{cal_c}.DATA->{cal_p}.DATA",
        f"{cal_c}.SIGNATURE->{cal_p}.SIGNATURE",
        f"{cal_c}.METADATA->{cal_p}.DATA_SECONDARY",
    }
    assert plan.wiring.upstream_nodes(P) == [C]
    assert [w.input for w in plan.consumers_of(P, "processed_data")] == [
        "input_path",
        "model_artifacts_input",
    ]


def test_json_view_of_every_wire(tmp_path):
    plan = plan_for(
        sample_project(
            tmp_path / "proj",
            {
                "sources": {f"{P}.SIGNATURE": {"local": "sig"}},
                "bindings": {f"{X}.model_artifacts_input": f"{P}.processed_data"},
            },
        )
    )
    view = plan.wiring.as_json()
    json.dumps(view)  # plain data
    assert len(view) == sum(
        len(r.interface.input_names) for r in (plan.nodes[n].resolved for n in plan.nodes) if r.has_script
    )
    by = {(v["to"], v["input"]): v for v in view}
    for v in view:
        assert {"to", "input", "from", "output", "kind", "score", "reason"} <= set(v)
        assert v["kind"] in ("edge", "binding", "source", "unwired") and isinstance(v["reason"], str)
    edge = by[(P, "DATA")]
    assert (edge["from"], edge["output"], edge["kind"]) == (C, "DATA", "edge") and edge["score"] == 1.0
    src = by[(P, "SIGNATURE")]
    assert (src["kind"], src["from"], src["score"], src["replaces"]) == (
        "source",
        None,
        None,
        f"{C}.SIGNATURE",
    )
    b = by[(X, "model_artifacts_input")]
    assert (b["kind"], b["from"], b["output"], b["reason"]) == (
        "binding",
        P,
        "processed_data",
        "explicit binding",
    )
    assert b["replaces"] is None and isinstance(
        b["score"], float
    )  # agrees with production; scored on its edge
    u = by[(X, "hyperparameters_s3_uri")]
    assert (u["kind"], u["from"], u["output"], u["score"]) == ("unwired", None, None, None)


# --------------------------------------------------------------------------- bindings and sources


def test_binding_overrides_edge_match(tmp_path):
    project = sample_project(tmp_path / "proj", {"bindings": {f"{P}.DATA": f"{C}.SIGNATURE"}})
    plan = plan_for(project)
    w = plan.wiring.inputs[P]["DATA"]
    assert (w.kind, w.upstream, w.output) == ("binding", C, "SIGNATURE")
    assert w.reason == "explicit binding"
    assert w.overridden == f"{C}.DATA"
    assert (
        f"{P}.DATA <- {C}.SIGNATURE  [explicit binding] (replaces edge match {C}.DATA)"
        in plan.wiring.report_lines()
    )
    warn = [p for p in plan.wiring.warnings if p.where == f"{P}.DATA"]
    assert len(warn) == 1 and f"production wires {C}.DATA" in warn[0].message


def test_binding_that_agrees_with_the_edge_replaces_nothing(tmp_path):
    plan = plan_for(
        sample_project(tmp_path / "proj", {"bindings": {f"{X}.input_path": f"{P}.processed_data"}})
    )
    w = plan.wiring.inputs[X]["input_path"]
    assert w.kind == "binding" and w.overridden is None
    assert not [p for p in plan.wiring.warnings if p.where == f"{X}.input_path"]


def test_binding_and_source_on_one_node(tmp_path):
    plan = plan_for(
        sample_project(
            tmp_path / "proj",
            {"bindings": {f"{P}.DATA_SECONDARY": f"{C}.DATA"}, "sources": {f"{P}.DATA": {"local": "data"}}},
        )
    )
    wires = plan.wiring.inputs[P]
    assert (wires["DATA"].kind, wires["DATA"].source.local) == ("source", "data")
    assert wires["DATA"].overridden == f"{C}.DATA"
    assert (wires["DATA_SECONDARY"].kind, wires["DATA_SECONDARY"].output) == ("binding", "DATA")
    assert wires["DATA_SECONDARY"].overridden == f"{C}.METADATA"  # what production feeds it


def test_a_binding_changes_nothing_else_of_production_wiring(tmp_path):
    """Bindings are this project's extension laid over production's answer; they do not re-run it, so the
    output production binds to DATA still feeds DATA."""
    plan = plan_for(sample_project(tmp_path / "proj", {"bindings": {f"{P}.DATA_SECONDARY": f"{C}.DATA"}}))
    wires = plan.wiring.inputs[P]
    assert (wires["DATA"].kind, wires["DATA"].upstream, wires["DATA"].output) == ("edge", C, "DATA")
    assert (wires["DATA_SECONDARY"].kind, wires["DATA_SECONDARY"].output) == ("binding", "DATA")


def test_configured_source_wins_over_an_edge(tmp_path):
    project = sample_project(tmp_path / "proj", {"sources": {f"{P}.DATA": {"local": "../data/train"}}})
    plan = plan_for(project)
    w = plan.wiring.inputs[P]["DATA"]
    assert w.kind == "source"
    assert w.source.local == "../data/train"
    assert w.reason == "configured source"
    assert w.overridden == f"{C}.DATA"
    assert (
        f"{P}.DATA <- local: ../data/train  [configured source] (replaces edge match {C}.DATA)"
        in plan.wiring.report_lines()
    )
    assert f"{C}.DATA->{P}.DATA" not in {e.id for e in plan.wiring.edges}


def test_source_over_an_edge_makes_the_upstream_output_unneeded(tmp_path):
    srcs = {
        f"{P}.DATA": {"local": "x"},
        f"{P}.SIGNATURE": {"local": "y"},
        f"{P}.DATA_SECONDARY": {"local": "z"},
        "CradleDataLoading_calibration.DATA": {"synthetic": "tabular_binary"},
        "CradleDataLoading_calibration.SIGNATURE": {"signature": "tabular_binary"},
        "CradleDataLoading_calibration.METADATA": {"json": {}},
    }
    # the wiring no longer needs C's outputs; C itself names a script (scripts.py) that is absent and has
    # no source for its outputs, so it would be reported as if tested: that is the one error left
    with pytest.raises(CatalogError) as e:
        plan_for(sample_project(tmp_path / "proj", {"sources": srcs}, sources=False))
    assert f"{C}: 'scripts.py'" in str(e.value)
    assert not isinstance(e.value, WiringError)


def test_source_for_an_optional_input_without_edge(tmp_path):
    plan = plan_for(
        sample_project(
            tmp_path / "proj",
            {
                "sources": {
                    f"{X}.hyperparameters_s3_uri": {
                        "json": {"label_name": "label"},
                        "file": "hyperparameters.json",
                    }
                }
            },
        )
    )
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
    xgb["spec"]["dependencies"]["hyperparameters_s3_uri"]["required"] = hyper_required  # production's flag
    write_yaml(root / "steps" / "xgboost_training.step.yaml", xgb)
    write_json(
        root / "dags" / "alone.dag.json",
        {"dag": {"nodes": [X, "TabularPreprocessing_calibration"], "edges": []}},
    )
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
    assert set(pasted) == {
        f"{X}.input_path",
        f"{X}.hyperparameters_s3_uri",
        "TabularPreprocessing_calibration.DATA",
    }
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
    cal = "CradleDataLoading_calibration"
    assert (
        sorted(lines)
        == sorted(
            [
                f"{C}.DATA: {{synthetic: tabular_binary, format: csv}}",
                f"{C}.SIGNATURE: {{signature: tabular_binary}}",
                f"{C}.METADATA: {{synthetic: tabular_binary, format: csv}}",  # production feeds it to DATA_SECONDARY
                f"{cal}.DATA: {{synthetic: tabular_binary, format: csv}}",
                f"{cal}.SIGNATURE: {{signature: tabular_binary}}",
                f"{cal}.METADATA: {{synthetic: tabular_binary, format: csv}}",
            ]
        )
    )


def test_config_keys_naming_unknown_nodes_or_ports_are_reported_at_once(project, resolved):
    w = _wire(
        project,
        resolved,
        sources={
            "Ghost.DATA": {"local": "x"},
            f"{P}.DAT": {"local": "x"},
            f"{P}.processed_data": {"local": "x"},
        },
        bindings={
            f"{X}.input_pth": f"{P}.processed_data",
            f"{X}.input_path": f"{P}.nope",
            f"{X}.model_artifacts_input": "Phantom.out",
        },
        expectations={"Nobody.x": {"min_rows": 1}, f"{X}.input_path": {"min_rows": 1}},
        nodes={"Nonexistent": {}, X: {}},
    )
    # wiring reports, never raises: every input is still wired or marked unwired
    assert {n: list(ws) for n, ws in w.inputs.items()} == {
        P: ["DATA", "DATA_SECONDARY", "SIGNATURE"],
        X: ["input_path", "hyperparameters_s3_uri", "model_artifacts_input"],
        "TabularPreprocessing_calibration": ["DATA", "DATA_SECONDARY", "SIGNATURE"],
    }
    assert w.inputs[X]["input_path"].kind == "edge"  # the broken binding is ignored
    config_errors = [p for p in w.errors if p.category == "config"]
    assert len(config_errors) == 8 and all(p.severity == "error" for p in config_errors)
    with pytest.raises(WiringError) as e:
        w.raise_for_errors()
    err = e.value
    assert str(err).startswith("script_testing.yaml: 8 problem(s) in the configuration of pipeline 'p'")
    d = err.details
    assert "pipelines.p.sources.Ghost.DATA: node 'Ghost' is not in the DAG" in d
    assert (
        f"pipelines.p.sources.{P}.DAT: 'DAT' is not a port of {P} (known: DATA, DATA_SECONDARY, SIGNATURE)"
        in d
    )
    assert (
        f"pipelines.p.sources.{P}.processed_data: 'processed_data' is an output of a node with a script" in d
    )
    assert f"pipelines.p.bindings.{X}.input_pth: 'input_pth' is not a port of {X}" in d
    assert f"pipelines.p.bindings.{X}.input_path: 'nope' is not an output of {P} (known: processed_data)" in d
    assert f"pipelines.p.bindings.{X}.model_artifacts_input: upstream node 'Phantom' is not in the DAG" in d
    assert "pipelines.p.expectations.Nobody.x: node 'Nobody' is not in the DAG" in d
    assert "pipelines.p.nodes.Nonexistent: node 'Nonexistent' is not in the DAG" in d


def test_binding_onto_a_script_less_node_is_reported(project, resolved):
    """A binding feeds an input of a node with a script; binding a data node's output would be silently ignored."""
    w = _wire(project, resolved, sources=_sample_sources(), bindings={f"{C}.METADATA": f"{P}.processed_data"})
    assert [p.where for p in w.errors] == [f"pipelines.p.bindings.{C}.METADATA"]
    with pytest.raises(WiringError, match=f"bindings.{C}.METADATA"):
        w.raise_for_errors()


def test_binding_a_node_to_itself_is_reported(project, resolved):
    w = _wire(
        project,
        resolved,
        sources=_sample_sources(),
        bindings={f"{X}.model_artifacts_input": f"{X}.model_output"},
    )
    with pytest.raises(WiringError, match="cannot feed itself"):
        w.raise_for_errors()


def test_expectations_may_name_outputs_of_scripts_and_data_nodes(project, resolved):
    w = _wire(
        project,
        resolved,
        sources=_sample_sources(),
        expectations={f"{P}.processed_data": {"min_rows": 1}, f"{C}.DATA": {"min_rows": 1}},
    )
    assert w.errors == []
    w.raise_for_errors()


def _sample_sources():
    from script_testing_tests.helpers import sample_sources

    return sample_sources()


# --------------------------------------------------------------------------- scores (wiring.md section 3)


@pytest.fixture
def ifaces(tmp_path):
    ws = tmp_path / "ws"
    write_yaml(
        ws / "prod.step.yaml",
        interface(
            "Prod",
            entry_point="prod.py",
            outputs={"model": None, "table": None, "blob": None},
            spec_outputs={
                "model": {"type": "model_artifacts", "aliases": ["trained_model"]},
                "table": {"type": "processing_output", "aliases": ["features"]},
                "blob": {},
            },
        ),
    )
    write_yaml(
        ws / "cons.step.yaml",
        interface(
            "Cons",
            entry_point="cons.py",
            inputs={"trained_model": True, "features": False, "model": False, "stuff": False},
            dependencies={
                "trained_model": {
                    "type": "model_artifacts",
                    "compatible_sources": ["ProdStep"],
                    "semantic_keywords": ["model"],
                },
                "features": {"type": "training_data", "semantic_keywords": ["table", "features", "x"]},
                "stuff": {"type": "custom_property", "compatible_sources": ["Prod"]},
            },
        ),
    )
    write_script(ws / "prod.py")
    write_script(ws / "cons.py")
    cat = StepCatalog([ws])
    return cat.resolve("Cons"), cat.resolve("Prod")


@pytest.mark.parametrize(
    "input_name,output,expected,signals",
    [
        # 0.4 + 0.2 (S3Uri by default) + 0.25 (alias) + 0.05 + 0.1 ('ProdStep' names Prod) + 0.05 -> capped at 1
        (
            "trained_model",
            "model",
            1.0,
            [
                "type model_artifacts=model_artifacts +0.4",
                "data type +0.2",
                "name ~ alias trained_model 1.00",
                "exact alias +0.05",
                "listed in compatible_sources +0.1",
                "keywords 1/1",
            ],
        ),
        # not under spec.dependencies: production never wires it
        ("model", "model", 0.0, ["not declared under spec (production never scores it)"]),
        # accepted type 0.2 + 0.2 + 0.25 + 0.05 + 1 of 3 keywords in 'table' (aliases are not searched)
        (
            "features",
            "table",
            0.2 + 0.2 + 0.25 + 0.05 + 0.05 / 3,
            [
                "type processing_output accepted by training_data +0.2",
                "data type +0.2",
                "name ~ alias features 1.00",
                "exact alias +0.05",
                "keywords 1/3",
            ],
        ),
        # a type gate: nothing else counts
        ("stuff", "blob", 0.0, ["type processing_output is not accepted by custom_property: no match"]),
    ],
)
def test_score_output_numbers(ifaces, input_name, output, expected, signals):
    cons, prod = ifaces
    cand = score_output(cons.interface, input_name, prod, output)
    assert cand.score == pytest.approx(expected, abs=1e-12)
    assert cand.signals == signals
    assert (cand.upstream, cand.output) == ("Prod", output)


def test_sample_scores(resolved):
    _, nodes = resolved
    tp, cradle, xgb = nodes[P], nodes[C], nodes[X]
    assert score_output(tp.interface, "DATA", cradle, "DATA").score == 1.0  # capped
    # hyperparameters accept only hyperparameters or custom_property outputs
    assert score_output(xgb.interface, "hyperparameters_s3_uri", tp, "processed_data").score == 0.0


def _two_step_ws(tmp_path, up_outputs: dict, down_deps: dict, *, extra_up: dict | None = None):
    ws = tmp_path / "ws"
    write_yaml(
        ws / "a.step.yaml",
        interface("Up", entry_point="up.py", outputs=dict.fromkeys(up_outputs), spec_outputs=up_outputs),
    )
    if extra_up is not None:
        write_yaml(
            ws / "c.step.yaml",
            interface("Other", entry_point="o.py", outputs=dict.fromkeys(extra_up), spec_outputs=extra_up),
        )
        write_script(ws / "o.py")
    write_yaml(
        ws / "b.step.yaml",
        interface(
            "Down",
            entry_point="down.py",
            inputs={d: bool(spec.get("required", True)) for d, spec in down_deps.items()},
            dependencies=down_deps,
        ),
    )
    write_script(ws / "up.py")
    write_script(ws / "down.py")
    return ws


def test_required_inputs_get_first_pick_and_the_builder_fallback_feeds_the_rest(tmp_path):
    """Both inputs match the single output; the required one, declared last, is bound by pass A; pass B
    then feeds the same output to the optional one (production's built pipeline) and says so."""
    ws = _two_step_ws(
        tmp_path,
        {"rows": {"aliases": ["main", "extra"]}},
        {"extra": {"required": False}, "main": {"required": True}},
    )
    nodes = StepCatalog([ws]).resolve_all(["Up", "Down"])
    w = wire_pipeline("p", PipelineDag(["Up", "Down"], [("Up", "Down")]), nodes, PipelineConfig(dag="d"))
    main, extra = w.inputs["Down"]["main"], w.inputs["Down"]["extra"]
    assert (main.kind, main.via, main.output) == ("edge", "assembler", "rows")
    assert (extra.kind, extra.via, extra.output) == ("edge", "builder_fallback", "rows")
    assert "Down.main" in extra.note
    assert [p.where for p in w.warnings] == ["Down.extra"]
    assert list(w.inputs["Down"]) == ["extra", "main"]  # reported in the interface's order


@pytest.mark.parametrize("keywords,winner", [([], "Weak"), (["data"], "Strong")])
def test_best_of_several_predecessors_wins_ties_go_to_the_earlier_edge(tmp_path, keywords, winner):
    ws = _two_step_ws(
        tmp_path,
        {"x": {"aliases": ["data"]}},
        {"data": {"semantic_keywords": keywords}},
        extra_up={"data": {}},
    )
    for f, t in (("a.step.yaml", "Weak"), ("c.step.yaml", "Strong")):
        (ws / f).write_text(
            (ws / f)
            .read_text()
            .replace("step_type: Up", f"step_type: {t}")
            .replace("step_type: Other", f"step_type: {t}")
        )
    nodes = StepCatalog([ws]).resolve_all(["Weak", "Strong", "Down"])
    dag = PipelineDag(["Weak", "Strong", "Down"], [("Weak", "Down"), ("Strong", "Down")])
    w = wire_pipeline("p", dag, nodes, PipelineConfig(dag="d"))
    assert (w.inputs["Down"]["data"].upstream, w.inputs["Down"]["data"].via) == (winner, "assembler")


def test_no_wiring_without_an_edge(resolved, project):
    """Production wires only along DAG edges: the calibration TabularPreprocessing never reads training data."""
    dag, nodes = resolved
    srcs = {k: v for k, v in _sample_sources().items() if "calibration" not in k}
    config = PipelineConfig.model_validate({"dag": "d", "sources": srcs})
    w = wire_pipeline("p", dag, nodes, config, ["tabular_binary"])
    with pytest.raises(WiringError) as e:
        w.raise_for_errors()
    assert "CradleDataLoading_calibration.DATA" in e.value.details


# --------------------------------------------------------------------------- advice (issue 12)


def _gap_ws(tmp_path):
    """Down.train_rows should be fed by the edge Up -> Down, but no output of Up is a candidate:
    data type mismatch and a compatible_sources list without Up keep every score at or below 0.5."""
    return _two_step_ws(
        tmp_path,
        {"rows": {}, "stats": {"data_type": "String"}, "model": {"type": "model_artifacts"}},
        {
            "train_rows": {"data_type": "Boolean", "compatible_sources": ["Elsewhere"]},
            "lonely": {"required": True, "type": "hyperparameters"},
        },
    )


def test_required_input_an_edge_should_feed_names_outputs_scores_and_the_fixing_lines(tmp_path):
    ws = _gap_ws(tmp_path)
    nodes = StepCatalog([ws]).resolve_all(["Up", "Down"])
    dag = PipelineDag(["Up", "Down"], [("Up", "Down")])
    w = wire_pipeline("p", dag, nodes, PipelineConfig(dag="d"), ["tabular_binary"])
    assert w.inputs["Down"]["train_rows"].kind == "unwired"
    problem = next(p for p in w.errors if p.where == "Down.train_rows")
    scores = {
        o: score_output(nodes["Down"].interface, "train_rows", nodes["Up"], o).score
        for o in ("rows", "stats", "model")
    }
    assert all(s <= MATCH_THRESHOLD for s in scores.values())
    msg = problem.message
    for o, s in scores.items():  # every output of the predecessor, with its score
        assert f"Up.{o} {s:.2f}" in msg
    assert "the nearest name is Up.rows" in msg
    assert "add under pipelines.p.bindings: `Down.train_rows: Up.rows`" in msg
    assert "spec.outputs.rows" in msg and "`aliases: [train_rows]`" in msg
    assert problem.suggestion is None and "sources" not in msg  # an edge should feed it: no sources line
    with pytest.raises(WiringError) as e:
        w.raise_for_errors()
    assert "Down.train_rows: Up.rows" in e.value.details


def test_the_suggested_alias_makes_production_wire_it(tmp_path):
    ws = _gap_ws(tmp_path)
    doc = yaml.safe_load((ws / "a.step.yaml").read_text())
    doc["spec"]["outputs"]["rows"]["aliases"] = ["train_rows"]
    write_yaml(ws / "a.step.yaml", doc)
    nodes = StepCatalog([ws]).resolve_all(["Up", "Down"])
    w = wire_pipeline("p", PipelineDag(["Up", "Down"], [("Up", "Down")]), nodes, PipelineConfig(dag="d"))
    wire = w.inputs["Down"]["train_rows"]
    assert (wire.kind, wire.upstream, wire.output) == ("edge", "Up", "rows") and wire.score > MATCH_THRESHOLD


def test_a_binding_line_from_the_advice_is_accepted_with_a_warning(tmp_path):
    ws = _gap_ws(tmp_path)
    nodes = StepCatalog([ws]).resolve_all(["Up", "Down"])
    config = PipelineConfig.model_validate(
        {"dag": "d", "bindings": {"Down.train_rows": "Up.rows"}, "sources": {"Down.lonely": {"json": {}}}}
    )
    w = wire_pipeline("p", PipelineDag(["Up", "Down"], [("Up", "Down")]), nodes, config)
    assert w.errors == []
    assert w.inputs["Down"]["train_rows"].kind == "binding"
    assert any(p.where == "Down.train_rows" and "production wires nothing" in p.message for p in w.warnings)


def test_sources_line_only_for_inputs_no_edge_reaches(tmp_path):
    """Mixed: an input an edge should feed gets the bindings/aliases advice; an input of a node with no
    incoming edge gets a pasteable sources line."""
    ws = _gap_ws(tmp_path)
    nodes = StepCatalog([ws]).resolve_all(["Up", "Down"])
    w = wire_pipeline(
        "p", PipelineDag(["Up", "Down"], []), nodes, PipelineConfig(dag="d"), ["tabular_binary"]
    )
    unwired = {p.where: p for p in w.errors}
    assert (
        unwired["Down.train_rows"].suggestion == "Down.train_rows: {synthetic: tabular_binary, format: csv}"
    )
    assert "bindings" not in unwired["Down.train_rows"].message
    w2 = wire_pipeline(
        "p", PipelineDag(["Up", "Down"], [("Up", "Down")]), nodes, PipelineConfig(dag="d"), ["tabular_binary"]
    )
    lonely = next(p for p in w2.errors if p.where == "Down.lonely")  # a type gate: an alias cannot fix it
    assert "not enough" in lonely.message and "type" in lonely.message and lonely.suggestion is None
