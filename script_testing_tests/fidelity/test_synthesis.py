"""Partial runs never invent data that is not what the producer gives: only declared tables, labelled."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from script_testing.api import test_script as run_one
from script_testing.errors import ScriptTestingError
from script_testing.reports.html import render_html
from script_testing.reports.model import RunReport
from script_testing.reports.text import node_line
from script_testing_tests.fixtures.projects import COPY, MAKE_DATA, ProjectBuilder

pytestmark = [pytest.mark.timeout(240), pytest.mark.e2e]


def _project(root: Path, *, expectations: dict | None = None, dep_type: str | None = None) -> Path:
    p = ProjectBuilder(root)
    folder = p.step("MakeData", MAKE_DATA, outputs=["data"])
    if dep_type:  # the producer declares the same type, so production wires the edge
        iface = folder / "make_data.step.yaml"
        doc = yaml.safe_load(iface.read_text())
        doc["spec"]["outputs"]["data"] = {"type": dep_type}
        iface.write_text(yaml.safe_dump(doc, sort_keys=False))
    deps = {"data": {"type": dep_type}} if dep_type else None
    p.step("Transform", COPY, inputs=["data"], outputs=["table"], dependencies=deps)
    extra = {"expectations": expectations} if expectations else {}
    p.pipeline("p", ["MakeData", "Transform"], [("MakeData", "Transform")], **extra)
    return p.write()


def test_a_declared_table_is_synthesized_and_labelled_everywhere(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tmp_path / "runs"))
    root = _project(tmp_path / "proj", expectations={"Transform.data": {"columns": ["id", "label"]}})
    result = run_one("Transform", "p", root)
    assert result.success, result
    stored = RunReport.read(result.run_dir)
    (why,) = stored.nodes["Transform"].synthesized_inputs.values()
    assert list(stored.nodes["Transform"].synthesized_inputs) == ["data"]
    assert "SYNTHESIZED" in why and "expectations.Transform.data" in why and "MakeData.data" in why
    assert "SYNTHESIZED input(s): data" in node_line("Transform", stored.nodes["Transform"])
    assert "synthesized input: data" in render_html(stored)
    assert "SYNTHESIZED input(s): data" in repr(result)


def test_an_undeclared_table_is_refused_naming_the_node_to_run_first(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tmp_path / "runs"))
    with pytest.raises(ScriptTestingError) as e:
        run_one("Transform", "p", _project(tmp_path / "proj"))
    text = str(e.value)
    assert "Transform.data needs MakeData.data, a table whose columns nothing declares" in text
    assert "run MakeData first" in text and "expectations.Transform.data" in text
    assert not (tmp_path / "runs").exists()


def test_an_artifact_is_never_made_up_and_comes_from_the_latest_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tmp_path / "runs"))
    root = _project(
        tmp_path / "proj",
        expectations={"Transform.data": {"columns": ["id"]}},
        dep_type="model_artifacts",
    )
    with pytest.raises(ScriptTestingError) as e:
        run_one("Transform", "p", root)
    assert "an artifact (not a table), which is never made up" in str(e.value)
    assert "run MakeData first" in str(e.value)
    first = run_one("MakeData", "p", root)  # the producer alone: nothing to synthesize
    assert first.success, first
    again = run_one("Transform", "p", root)  # now the real output of the latest run is used
    assert again.success, again
    assert RunReport.read(again.run_dir).nodes["Transform"].synthesized_inputs == {}
    assert any("reused from" in n for n in again.notes)
