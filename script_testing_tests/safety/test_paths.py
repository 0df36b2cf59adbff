"""Hostile names: every name that becomes a path is refused when loaded (naming the file and key), and
every write, copy and delete goes through ``files`` and stays inside the folder it is meant for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from script_testing import files
from script_testing.api import plan_pipeline, run
from script_testing.errors import ConfigError, ScriptTestingError, UnsafePathError
from script_testing.execution.options import RunOptions
from script_testing_tests.safety.trees import project_with_sibling, snapshot

BAD_NAMES = ["../evil", "a/b", "/abs", "..", ".", "x\x00y", "tab\there", "~root", "n" * 129, "a\\b", ""]


def _load_error(root: Path) -> ScriptTestingError:
    with pytest.raises(ScriptTestingError) as e:
        plan_pipeline("p", root)
    return e.value


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_bad_dag_node_name_is_refused_naming_the_dag_file(tmp_path, bad):
    p, sibling = project_with_sibling(tmp_path)
    p.pipeline("p", ["MakeData", bad], [("MakeData", bad)])
    root = p.write()
    before = snapshot(root, sibling)
    err = _load_error(root)
    assert isinstance(err, ConfigError)
    assert "p.dag.json" in str(err)
    assert "dag.nodes[1]" in str(err)
    assert "\n" not in str(err).splitlines()[0]
    assert snapshot(root, sibling) == before


@pytest.mark.parametrize("key", ["outputs", "inputs"])
@pytest.mark.parametrize("bad", ["../../victim", "a/b", ".."])
def test_bad_interface_port_name_is_refused_naming_the_interface(tmp_path, key, bad):
    p, sibling = project_with_sibling(tmp_path)
    iface = p.root / "steps" / "make_data" / "make_data.step.yaml"
    root = p.write()
    doc = yaml.safe_load(iface.read_text())
    doc["contract"][key] = {bad: {"path": "/opt/ml/processing/x"}}
    iface.write_text(yaml.safe_dump(doc))
    before = snapshot(root, sibling)
    err = _load_error(root)
    assert "make_data.step.yaml" in str(err)
    assert f"contract.{key}" in str(err)
    assert snapshot(root, sibling) == before


def test_bad_spec_output_and_channel_names_are_refused(tmp_path):
    p, _ = project_with_sibling(tmp_path)
    root = p.write()
    iface = root / "steps" / "transform" / "transform.step.yaml"
    doc = yaml.safe_load(iface.read_text())
    doc["spec"]["outputs"] = {"../up": {}}
    iface.write_text(yaml.safe_dump(doc))
    assert "spec.outputs" in str(_load_error(root))
    doc["spec"]["outputs"] = {"table": {}}
    doc["contract"]["inputs"]["data"]["channels"] = ["train", "../../c"]
    iface.write_text(yaml.safe_dump(doc))
    assert "contract.inputs.data.channels[1]" in str(_load_error(root))


@pytest.mark.parametrize("entry", ["../evil.py", "/tmp/evil.py", "a/../../evil.py", "evil.sh"])
def test_bad_entry_point_is_refused(tmp_path, entry):
    p, _ = project_with_sibling(tmp_path)
    root = p.write()
    iface = root / "steps" / "transform" / "transform.step.yaml"
    doc = yaml.safe_load(iface.read_text())
    doc["contract"]["entry_point"] = entry
    iface.write_text(yaml.safe_dump(doc))
    err = _load_error(root)
    assert "transform.step.yaml" in str(err) and "contract.entry_point" in str(err)


def test_entry_point_symlinked_out_of_the_workspaces_is_refused(tmp_path):
    p, sibling = project_with_sibling(tmp_path)
    root = p.write()
    script = root / "steps" / "transform" / "transform.py"
    outside = sibling / "transform.py"
    outside.write_text(script.read_text())
    script.unlink()
    script.symlink_to(outside)
    err = _load_error(root)
    assert "outside the workspaces" in str(err)
    assert "transform.step.yaml" in str(err)


@pytest.mark.parametrize(
    ("section", "value", "where"),
    [
        ("pipelines", {"../p": {"dag": "dags/p.dag.json"}}, "pipelines"),
        ("sources", {"MakeData.../x": {"json": {}}}, "sources"),
        ("sources", {"../MakeData.data": {"json": {}}}, "sources"),
        ("sources", {"Transform.data": {"json": {}, "file": "../../escape.json"}}, "file"),
        ("sources", {"Transform.data": {"synthetic": "small", "file": "sub/../../x-{shard}.csv"}}, "file"),
        ("nodes", {"../MakeData": {}}, "nodes"),
    ],
)
def test_bad_names_in_the_project_file_are_refused(tmp_path, section, value, where):
    p, sibling = project_with_sibling(tmp_path)
    if section == "pipelines":
        p.config["pipelines"].update(value)
    else:
        p.config["pipelines"]["p"][section] = value
    root = p.write()
    before = snapshot(root, sibling)
    err = _load_error(root)
    assert "script_testing.yaml" in str(err)
    assert where in str(err)
    assert snapshot(root, sibling) == before


def test_run_id_with_a_path_is_refused(tmp_path):
    p, sibling = project_with_sibling(tmp_path)
    root = p.write()
    before = snapshot(root, sibling)
    with pytest.raises(ConfigError, match="run id"):
        run("p", root, RunOptions(run_id="../../sibling"))
    assert snapshot(root, sibling) == before


# ----------------------------------------------------------------------------- files.py


def test_confined_refuses_every_escape(tmp_path):
    root = tmp_path / "run"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    assert files.confined(root, "a", "b") == root / "a" / "b"
    for parts in (("..",), ("a", "..", ".."), ("/etc",), ("link", "x"), ("",), ("a\x00",), (".",)):
        with pytest.raises(UnsafePathError):
            files.confined(root, *parts)


def test_remove_tree_never_follows_a_symlink_and_never_leaves_its_root(tmp_path):
    root = tmp_path / "run"
    (root / "node").mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "data").mkdir(parents=True)
    (outside / "data" / "f.txt").write_text("x")
    (root / "node" / "out").symlink_to(outside / "data")
    before = snapshot(outside)
    files.remove_tree(root / "node" / "out", root=root)  # the link goes, its target stays
    assert not (root / "node" / "out").is_symlink()
    assert snapshot(outside) == before
    with pytest.raises(UnsafePathError):
        files.remove_tree(outside, root=root)
    with pytest.raises(UnsafePathError):
        files.remove_tree(root / ".." / "outside", root=root)
    with pytest.raises(UnsafePathError):
        files.remove_tree(root, root=root)
    assert snapshot(outside) == before and root.is_dir()


def test_writers_and_copy_refuse_targets_outside_their_root(tmp_path):
    root = tmp_path / "run"
    root.mkdir()
    (root / "esc").symlink_to(tmp_path)
    for target in (tmp_path / "x.txt", root / ".." / "x.txt", root / "esc" / "x.txt"):
        with pytest.raises(UnsafePathError):
            files.write_text(target, "no", root=root)
        with pytest.raises(UnsafePathError):
            files.write_json(target, {}, root=root)
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "d" / "f").write_text("1")
    with pytest.raises(UnsafePathError):
        files.copy_tree(src, tmp_path / "elsewhere", root=root)
    files.copy_tree(src, root / "copy", root=root)
    assert (root / "copy" / "d" / "f").read_text() == "1"
    assert not (tmp_path / "x.txt").exists() and not (tmp_path / "elsewhere").exists()


# ----------------------------------------------------------------------------- whole runs


@pytest.mark.e2e
def test_a_run_changes_nothing_outside_its_run_folder(tmp_path):
    p, sibling = project_with_sibling(tmp_path)
    root = p.write()
    before = snapshot(root, sibling)
    report = run("p", root)
    assert report.success, report.error
    assert snapshot(root, sibling) == before
    run_dir = Path(report.run_dir)
    assert root / ".script_testing" / "runs" in run_dir.parents


@pytest.mark.e2e
def test_an_output_folder_symlinked_outside_is_refused_not_followed(tmp_path):
    p, sibling = project_with_sibling(tmp_path)
    root = p.write()
    run_dir = tmp_path / "runs" / "r1"
    (run_dir / "MakeData").mkdir(parents=True)
    (run_dir / "MakeData" / "data").symlink_to(sibling / "keep")
    (run_dir / "earlier.txt").write_text("produced before\n")
    before = snapshot(root, sibling)
    with pytest.raises(UnsafePathError) as e:
        run("p", root, RunOptions(run_dir=run_dir))
    assert "outside" in str(e.value) and str(sibling / "keep") in str(e.value)
    assert snapshot(root, sibling) == before
    assert (run_dir / "earlier.txt").read_text() == "produced before\n"
    assert os.listdir(sibling / "keep") == ["precious.txt"]
