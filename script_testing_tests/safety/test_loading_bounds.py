"""Bounded loading (alias expansion, nesting depth, file size) and a full disk while writing: each is
one sentence naming the file, never a traceback or a hang."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from script_testing import files
from script_testing.cli import cli
from script_testing.config.loading import MAX_FILE_BYTES, read_document
from script_testing.config.project import load_project
from script_testing.errors import ConfigError, DiskFullError
from script_testing.reports.model import RunReport
from script_testing_tests.safety.trees import project_with_sibling, snapshot

LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("script_testing.yaml", LAUGHS, "too large (after expanding its aliases)"),
        ("script_testing.yaml", "a: " + "[" * 5000 + "]" * 5000, "too deeply nested"),
        ("x.dag.json", "[" * 100_000 + "]" * 100_000, "too deeply nested"),
        ("x.dag.json", '{"a": ' * 70 + "1" + "}" * 70, "too deeply nested"),
        (
            "x.step.yaml",
            "".join(f"k{i}: &a{i} [1]\n" for i in range(300))
            + "z: ["
            + ", ".join(f"*a{i}" for i in range(300))
            + "]\n",
            "too aliased",
        ),
        ("x.step.yaml", b"step_type: \xff\xfe\n", "not UTF-8"),
    ],
)
def test_hostile_documents_are_refused_naming_the_file(tmp_path, name, text, said):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(ConfigError) as e:
        read_document(path)
    assert str(path) in str(e.value)
    assert said in str(e.value)
    assert "\n" not in str(e.value)


def test_an_oversized_file_is_refused_unread(tmp_path):
    path = tmp_path / "script_testing.yaml"
    with path.open("wb") as fh:
        fh.write(b"# big\n")
        fh.truncate(MAX_FILE_BYTES + 10)
    with pytest.raises(ConfigError, match="too large"):
        load_project(tmp_path)


def test_a_folder_named_like_a_file_is_a_sentence(tmp_path):
    (tmp_path / "x.dag.json").mkdir()
    with pytest.raises(ConfigError, match="folder, not a file"):
        read_document(tmp_path / "x.dag.json")


def test_ordinary_anchors_still_load(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("base: &b {x: 1, y: [1, 2]}\none: *b\ntwo: *b\n")
    assert read_document(path)["two"] == {"x": 1, "y": [1, 2]}


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs (needs root and mount); skipped with the reason otherwise."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tiny tmpfs needs root and mount(8)")
    folder = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True, timeout=30
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True, timeout=30)


def test_a_full_disk_is_a_sentence_and_leaves_no_temp_file(tiny_disk):
    (tiny_disk / "kept.txt").write_text("produced before\n")
    with pytest.raises(DiskFullError) as e:
        files.write_bytes(tiny_disk / "big.bin", b"x" * (2 * 1024 * 1024), root=tiny_disk)
    text = str(e.value)
    assert "the disk is full while writing" in text and str(tiny_disk / "big.bin") in text
    assert "\n" not in text
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["kept.txt"]
    assert (tiny_disk / "kept.txt").read_text() == "produced before\n"


def test_a_full_disk_while_writing_a_report_is_a_sentence(tiny_disk):
    filler = tiny_disk / "filler"
    with pytest.raises(OSError), filler.open("wb") as fh:
        fh.write(b"x" * (2 * 1024 * 1024))
    report = RunReport(pipeline="p", run_id="r", warnings=["w" * 1000] * 100)
    with pytest.raises(DiskFullError, match=r"report\.json"):
        report.write(tiny_disk)
    assert not any(p.name.startswith(".report.json") for p in Path(tiny_disk).iterdir())


@pytest.mark.e2e
def test_a_run_on_a_full_disk_says_so_in_one_sentence(tiny_disk, tmp_path, monkeypatch):
    p, sibling = project_with_sibling(tmp_path)
    p.config["data_profiles"]["small"]["rows"] = 200_000  # ~5 MB of CSV: more than the 1 MB disk
    p.config["pipelines"]["p"]["sources"] = {"MakeData.data": {"synthetic": "small"}}
    root = p.write()
    (root / "steps" / "make_data" / "make_data.py").unlink()  # MakeData becomes a data node
    monkeypatch.setenv("SCRIPT_TESTING_RUNS", str(tiny_disk))
    before = snapshot(root, sibling)
    result = CliRunner().invoke(cli, ["run", str(root)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "No space left on device" in result.output or "disk is full" in result.output, result.output
    assert snapshot(root, sibling) == before
