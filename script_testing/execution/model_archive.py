"""Production's packing of a SageMaker Training job's model folder into ``model.tar.gz``.

In production a step whose interface says ``registry.sagemaker_step_type: Training`` writes its model
to ``/opt/ml/model``; SageMaker uploads that folder as one ``model.tar.gz``, and that archive is what a
downstream step receives (``properties.ModelArtifacts.S3ModelArtifacts``). A consumer that opens
``model.pkl`` directly works locally and crashes in the cloud, so the run hands it exactly what
production hands it: the output folder holds ``model.tar.gz`` only (entries named relative to the
folder, as ``tar -C /opt/ml/model``), and the node's report says the output was packed.

Only the model folder is packed: SageMaker's other Training output, ``/opt/ml/output/data``, lands as
``output.tar.gz`` under a per-job prefix that no step's wiring names directly, so it is handed on as
written (the README says so).
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from script_testing import files
from script_testing.config.step_interface import StepInterface

TRAINING = "training"
MODEL_DIR = "/opt/ml/model"
ARCHIVE = "model.tar.gz"


def packed_outputs(interface: StepInterface) -> list[str]:
    """The outputs of ``interface`` that production hands on as ``model.tar.gz``."""
    if (interface.registry.sagemaker_step_type or "").lower() != TRAINING:
        return []
    return [name for name, out in interface.contract.outputs.items() if out.path.rstrip("/") == MODEL_DIR]


def pack_model_folder(folder: Path, *, root: Path) -> Path:
    """Replace the contents of ``folder`` (inside ``root``) by one ``model.tar.gz`` holding them.

    The archive is built beside the folder first, so a failure (a full disk) leaves what the script
    wrote untouched. Returns the archive's path."""
    staging = files.temp_path_for(folder, suffix=".model.tar.gz")
    files.check_inside(staging, root, what="write to")
    try:
        with files.disk_errors(staging), tarfile.open(staging, "w:gz") as tar:
            for path in sorted(folder.rglob("*")):
                if path.is_file() or path.is_symlink():
                    tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    files.empty_dir(folder, root=root)
    archive = folder / ARCHIVE
    os.replace(staging, archive)
    return archive
