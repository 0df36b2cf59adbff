"""Production's wiring (shared/formats/wiring.md): the conformance corpus through our own loading path,
the worked numbers of the page, and the job-type variant merge of section 2.2."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from script_testing.config.dag import PipelineDag
from script_testing.config.step_interface import InterfaceFile
from script_testing.pipeline import matching as M
from script_testing.pipeline.catalog import StepCatalog
from script_testing.pipeline.wiring import node_spec, production_wiring
from script_testing_tests.helpers import write

CORPUS = Path(__file__).parent.parent / "data" / "wiring_conformance" / "cases.jsonl"


def _cases() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def _run_case(case: dict, root: Path) -> list[tuple]:
    """yaml text -> our catalog and StepInterface (variant merge included) -> matching; our answer per
    (node, input) in node order then declaration order."""
    for file_name, text in case["interfaces"].items():
        write(root / file_name, text)
    dag = PipelineDag(case["dag"]["dag"]["nodes"], [tuple(e) for e in case["dag"]["dag"]["edges"]])
    nodes = StepCatalog([root]).resolve_all(dag.nodes)
    res = production_wiring(dag, nodes)
    got = []
    for name in dag.nodes:
        iface = nodes[name].interface
        for dep in iface.spec.dependencies:
            b = res.binding(name, dep)
            got.append(
                (
                    name,
                    dep,
                    b.producer if b else None,
                    b.output if b else None,
                    iface.required_input(dep),
                    b.score if b else None,
                )
            )
    return got


def _same(got: tuple, exp: dict) -> bool:
    if got[:5] != (exp["to"], exp["input"], exp["from"], exp["output"], exp["required"]):
        return False
    if got[5] is None or exp["score"] is None:
        return got[5] is None and exp["score"] is None
    return abs(got[5] - exp["score"]) <= 1e-9


def test_conformance_corpus_all_cases(tmp_path):
    cases = _cases()
    assert len(cases) == 200
    failed: list[str] = []
    failed_tags: Counter = Counter()
    all_tags: Counter = Counter()
    for case in cases:
        tags = case["meta"].get("tags", [])
        all_tags.update(tags)
        try:
            got = _run_case(case, tmp_path / case["id"])
        except Exception as exc:  # a loading failure is a conformance failure, reported with the rest
            failed.append(f"{case['id']}: raised {type(exc).__name__}: {exc}")
            failed_tags.update(tags)
            continue
        exp = case["expected"]
        bad = [
            f"got {g} expected {(e['to'], e['input'], e['from'], e['output'], e['required'], e['score'])}"
            for g, e in zip(got, exp, strict=False)
            if not _same(g, e)
        ]
        if len(got) != len(exp):
            bad.append(f"{len(got)} entries, expected {len(exp)}")
        if bad:
            failed.append(f"{case['id']}: {bad[0]}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""))
            failed_tags.update(tags)
    summary = ", ".join(f"{t} {failed_tags[t]}/{all_tags[t]}" for t, _ in failed_tags.most_common())
    assert not failed, (
        f"{len(failed)}/{len(cases)} cases differ from production; failures per tag: {summary}\n"
        + "\n".join(failed[:20])
    )


def test_corpus_exercises_the_hard_parts():
    """The corpus is the test only if it covers the rules that differ most easily."""
    tags = Counter(t for c in _cases() for t in c["meta"]["tags"])
    for tag in (
        "builder_fallback_duplicate",
        "score_exactly_half_not_a_candidate",
        "score_rounds_to_just_above_half",
        "dependency_first_candidate_order_decides_tie",
        "job_type_variant_applied",
        "variant_has_step_type_key",
        "legacy_source_token_matched",
        "type_gate_blocks_good_name",
    ):
        assert tags[tag] > 0, tag


# --------------------------------------------------------------------------- the page's numbers


def test_normalise_examples():
    assert (
        M.normalise("hyperparameters_s3_uri") == M.normalise("hyperparams-s3-uri") == "hyperparameters s3 uri"
    )
    assert M.normalise("eval_output") == "evaluation output"
    assert M.normalise("DATA_SECONDARY") == "data secondary"
    assert M.normalise("the_model_of") == "model"
    assert M.normalise("PackagedModel") == "packagedmodel"


STRATIFIED_OUT = M.Output(
    "processed_data",
    aliases=(
        "sampled_data",
        "stratified_data",
        "training_data",
        "validation_data",
        "testing_data",
        "calibration_data",
        "model_input_data",
        "input_path",
        "input_data",
    ),
)


def test_worked_example_similarity():
    assert M.similarity("DATA", "input_data") == pytest.approx(0.60143, abs=1e-5)
    assert M.similarity("DATA", "processed_data") == pytest.approx(0.54048, abs=1e-5)
    assert M.similarity_with_aliases("DATA", STRATIFIED_OUT) == (
        pytest.approx(0.60143, abs=1e-5),
        "input_data",
    )
    assert M.similarity("eval_output", "evaluation_output") == 1.0
    assert M.similarity("", "x") == 0.0


def test_worked_example_scores():
    data = M.Dependency(
        "DATA",
        compatible_sources=("CradleDataLoading", "DummyDataLoading", "StratifiedSampling"),
        semantic_keywords=(
            "data",
            "input",
            "raw",
            "dataset",
            "source",
            "tabular",
            "training",
            "train",
            "model",
            "x",
        ),
    )
    e = M.explain(data, STRATIFIED_OUT, "StratifiedSampling")
    assert e.score == pytest.approx(0.85536, abs=1e-5)
    assert e.reason().startswith(
        "score 0.86: type processing_output=processing_output +0.4, data type +0.2, "
        "name ~ alias input_data 0.60, listed in compatible_sources +0.1, keywords 1/10"
    )
    sig = M.Dependency(
        "SIGNATURE",
        required=False,
        compatible_sources=("CradleDataLoading", "DummyDataLoading"),
        semantic_keywords=("signature", "schema"),
    )
    assert M.score(sig, STRATIFIED_OUT, "StratifiedSampling") == pytest.approx(0.53571, abs=1e-5)


@pytest.mark.parametrize(
    "dep,out,expected,candidate",
    [
        # 0.4 + 0.2 + 0 - 0.1: rounds to just above a half
        (M.Dependency("xyz", compatible_sources=("Other",)), M.Output("q"), 0.5000000000000001, True),
        # 0.2 + 0.25 + 0.05 (accepted type, data-type mismatch, exact name): exactly a half, not a candidate
        (M.Dependency("rows", type="training_data", data_type="Boolean"), M.Output("rows"), 0.5, False),
    ],
)
def test_threshold_is_strict_after_float_additions(dep, out, expected, candidate):
    s = M.score(dep, out, "Prod")
    assert s == expected
    assert (s > M.THRESHOLD) is candidate


def test_type_gate_is_asymmetric():
    assert M.score(M.Dependency("h", type="hyperparameters"), M.Output("h", type="custom_property"), "P") > 0
    assert (
        M.score(M.Dependency("h", type="custom_property"), M.Output("h", type="hyperparameters"), "P") == 0.0
    )
    e = M.explain(M.Dependency("model", type="model_artifacts"), M.Output("model"), "P")
    assert e.gated and e.score == 0.0


@pytest.mark.parametrize(
    "element,provider,ok",
    [
        ("PayloadStep", "Payload", True),
        ("MIMSPayload", "Payload", True),
        ("PytorchTraining", "PyTorchTraining", True),
        ("PackagingStep", "Package", False),
        ("MIMSPayloadStep", "Payload", False),
        ("TabularPreprocessing_Training", "TabularPreprocessing", False),
        ("ProcessingStep", "TabularPreprocessing", False),
        ("ProcessingStep", "Processing", True),
        ("tabularpreprocessing", "TabularPreprocessing", False),
    ],
)
def test_compatible_sources_membership(element, provider, ok):
    assert M.source_matches(provider, element) is ok


def test_pass_b_feeds_an_output_twice_unless_a_required_input_has_no_candidate():
    up = M.NodeSpec("Up", outputs=(M.Output("processed_data", aliases=("input_data",)),))
    down = M.NodeSpec(
        "Down", dependencies=(M.Dependency("DATA"), M.Dependency("DATA_SECONDARY", required=False))
    )
    res = M.resolve({"Up": up, "Down": down}, [("Up", "Down")])
    assert res.binding("Down", "DATA").via == "assembler"
    second = res.binding("Down", "DATA_SECONDARY")
    assert (second.producer, second.output, second.via) == ("Up", "processed_data", "builder_fallback")
    gated = M.NodeSpec(
        "Down", dependencies=(*down.dependencies, M.Dependency("model", type="model_artifacts"))
    )
    res = M.resolve({"Up": up, "Down": gated}, [("Up", "Down")])
    assert res.binding("Down", "DATA_SECONDARY") is None and res.fallback_abandoned == {"Down"}


# --------------------------------------------------------------------------- variants (section 2.2)

BASE = """\
step_type: Split
contract:
  entry_point: split.py
  inputs: {DATA: {path: /opt/ml/processing/input/data}}
  outputs: {out_a: {path: /opt/ml/processing/output/a}}
spec:
  dependencies:
    DATA: {type: processing_output, compatible_sources: [A, B], semantic_keywords: [data]}
  outputs:
    out_a: {type: processing_output, aliases: [first, second]}
    out_b: {type: processing_output, aliases: [b]}
variants:
"""


def _load(tmp_path: Path, variants: str) -> InterfaceFile:
    return InterfaceFile.load(write(tmp_path / "split.step.yaml", BASE + variants))


def test_variant_merge_keeps_base_order_appends_new_keys_and_replaces_lists(tmp_path):
    f = _load(
        tmp_path,
        """\
  training:
    step_type: Split_Training
    spec:
      outputs:
        out_c: {type: model_artifacts}
        out_a: {aliases: [only]}
      dependencies:
        DATA: {compatible_sources: [C], semantic_keywords: null}
""",
    )
    iface = f.for_job_type("training")
    assert list(iface.spec.outputs) == ["out_a", "out_b", "out_c"]
    assert iface.spec.outputs["out_a"].aliases == ["only"]
    assert iface.spec.outputs["out_a"].type == "processing_output"
    assert iface.spec.dependencies["DATA"].compatible_sources == ["C"]
    assert iface.spec.dependencies["DATA"].semantic_keywords == []
    assert iface.step_type == "Split"  # a variant's own step_type has no effect ...
    assert any("step_type ignored" in w for w in f.warnings)  # ... but is mentioned
    spec = node_spec(iface)
    assert [o.name for o in spec.outputs] == ["out_a", "out_b", "out_c"] and spec.step_type == "Split"
    assert f.for_job_type("Training") is f.base  # variant keys are case-sensitive
    assert f.for_job_type(None) is f.base


def test_empty_variant_mapping_changes_nothing(tmp_path):
    f = _load(tmp_path, "  calibration:\n    spec: {dependencies: {}, outputs: {}}\n    contract: {}\n")
    iface = f.for_job_type("calibration")
    assert iface.model_dump() == f.base.model_dump()


def test_required_comes_from_the_spec_and_defaults_to_true(tmp_path):
    text = BASE.replace(
        "inputs: {DATA: {path: /opt/ml/processing/input/data}}",
        "inputs: {DATA: {path: /opt/ml/processing/input/data, required: false}}",
    )
    f = InterfaceFile.load(
        write(tmp_path / "s.step.yaml", text + "  x:\n    spec: {dependencies: {DATA: {required: 'no'}}}\n")
    )
    assert f.base.required_input("DATA") is True  # the contract's required: false plays no part
    assert f.for_job_type("x").required_input("DATA") is False
    dep = node_spec(f.base).dependencies[0]
    assert (dep.type, dep.data_type, dep.required) == ("processing_output", "S3Uri", True)


def test_every_corpus_interface_loads_with_every_variant(tmp_path):
    count = 0
    for case in _cases():
        for name, text in case["interfaces"].items():
            f = InterfaceFile.load(write(tmp_path / case["id"] / name, text))
            for job_type in [None, *f.variant_names]:
                assert f.for_job_type(job_type).step_type == yaml.safe_load(text)["step_type"]
                count += 1
    assert count > 600
