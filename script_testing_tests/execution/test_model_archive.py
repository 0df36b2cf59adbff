"""A Training step's model folder is handed on as production hands it: one model.tar.gz."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from script_testing.config.step_interface import StepInterface
from script_testing.errors import UnsafePathError
from script_testing.execution.model_archive import ARCHIVE, pack_model_folder, packed_outputs


def _interface(sagemaker_step_type: str | None, outputs: dict[str, str]) -> StepInterface:
    return StepInterface.model_validate(
        {
            "step_type": "Trainer",
            "registry": {"sagemaker_step_type": sagemaker_step_type},
            "contract": {"outputs": {name: {"path": path} for name, path in outputs.items()}},
        }
    )


def test_only_the_model_folder_of_a_training_step_is_packed() -> None:
    outputs = {"model_output": "/opt/ml/model/", "evaluation_output": "/opt/ml/output/data"}
    assert packed_outputs(_interface("Training", outputs)) == ["model_output"]
    assert packed_outputs(_interface("Processing", outputs)) == []
    assert packed_outputs(_interface(None, outputs)) == []
    assert packed_outputs(_interface("Training", {"model": "/opt/ml/processing/output/model"})) == []


def test_the_folder_becomes_one_archive_of_its_contents(tmp_path: Path) -> None:
    folder = tmp_path / "Train" / "model_output"
    (folder / "sub").mkdir(parents=True)
    (folder / "model.pkl").write_bytes(b"\x80model")
    (folder / "sub" / "features.json").write_text('["a"]')

    archive = pack_model_folder(folder, root=tmp_path / "Train")

    assert archive == folder / ARCHIVE
    assert [p.name for p in folder.iterdir()] == [ARCHIVE]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging file left
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["model.pkl", "sub/features.json"]
        assert tar.extractfile("model.pkl").read() == b"\x80model"


def test_packing_stays_inside_its_root(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "model.pkl").write_bytes(b"x")
    with pytest.raises(UnsafePathError):
        pack_model_folder(folder, root=tmp_path / "run")
    assert (folder / "model.pkl").exists()
