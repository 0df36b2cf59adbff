"""The detection benchmark (benchmarks/detection.py): its corpus is well-formed and applies cleanly,
and a fast subset (the mutations marked ``smoke: true``, one per kind) is caught at its expected stage
with no false alarm on the unmutated control."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "benchmarks" / "detection.py"


def _harness():
    spec = importlib.util.spec_from_file_location("detection_benchmark", HARNESS)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


# `e2e` is not registered in pyproject.toml yet (only new files here): keep collection quiet.
warnings.filterwarnings("ignore", category=pytest.PytestUnknownMarkWarning)

det = _harness()
CORPUS = det.load_corpus()


def test_corpus_size_and_fields():
    kinds = Counter(m.kind for m in CORPUS)
    assert len(CORPUS) >= 45
    assert set(kinds) == set(det.KINDS)
    assert all(n >= 8 for n in kinds.values()), kinds
    for path in sorted(det.CORPUS_DIR.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert det.corpus_problems(doc) == [], path.name
        assert path.stem == doc["id"] and path.parent.name == doc["kind"], path
    smoke = Counter(m.kind for m in CORPUS if m.smoke)
    assert set(smoke) == set(det.KINDS) and all(n == 1 for n in smoke.values()), smoke


@pytest.mark.parametrize("m", CORPUS, ids=[m.id for m in CORPUS])
def test_mutation_applies_cleanly(m, tmp_path):
    project = det.fresh_copy(det.DEFAULT_PROJECT, tmp_path / "project")
    for edit in m.setup + [det.Edit(m.file, m.old, m.new)]:
        text = (project / edit.file).read_text(encoding="utf-8")
        assert text.count(edit.old) == 1, f"{m.id}: 'old' must occur exactly once in {edit.file}"
    before = (project / m.file).read_text(encoding="utf-8")
    det.apply_mutation(project, m)
    after = (project / m.file).read_text(encoding="utf-8")
    assert after != before and after == before.replace(m.old, m.new, 1)


def test_apply_rejects_ambiguous_or_missing_text(tmp_path):
    project = det.fresh_copy(det.DEFAULT_PROJECT, tmp_path / "project")
    with pytest.raises(ValueError, match="0 times"):
        det.apply_edit(project, det.Edit("script_testing.yaml", "no such text anywhere", "x"))
    with pytest.raises(ValueError, match="times"):
        det.apply_edit(project, det.Edit("script_testing.yaml", "environ_vars", "x"))


@pytest.mark.e2e
@pytest.mark.timeout(1200)
def test_smoke_subset_caught_at_expected_stage(tmp_path):
    out = tmp_path / "detection.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            "--only",
            "smoke",
            "--control-seeds",
            "101",
            "--jobs",
            "2",
            "--json",
            str(out),
            "--workdir",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1150,
    )
    assert out.exists(), proc.stdout + proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    by_kind = {r["kind"]: r for r in doc["mutations"]}
    assert set(by_kind) == set(det.KINDS)
    for r in doc["mutations"]:
        assert r["error"] is None, r
        assert r["caught"], f"{r['id']} not caught\n{proc.stdout}"
        assert r["stage"] in r["expected_stages"], (r["id"], r["stage"], r["message"])
    assert len(doc["controls"]) == 2
    for c in doc["controls"]:
        assert not c["caught"] and c["error"] is None, c
    assert doc["summary"]["false_alarms"] == 0
