"""Model packaging.

Bundles the trained model folder (``model.pkl``, ``feature_columns.json``, ...; a SageMaker
``model.tar.gz`` is unpacked first), the calibrator folder when one is given, and a
``manifest.json`` (name, version, file list with sha256 checksums) into
``packaged_model/model.tar.gz``:

    model.tar.gz
    ├── manifest.json
    ├── model/...
    └── calibration/...      (only with a calibration_model input)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

logger = logging.getLogger(__name__)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stage_folder(src: str, dest: Path) -> list[Path]:
    """Copy ``src`` (a folder, a file or a model.tar.gz) into ``dest``."""
    src_path = Path(src)
    dest.mkdir(parents=True, exist_ok=True)
    if src_path.is_file():
        if src_path.name.endswith(".tar.gz"):
            with tarfile.open(src_path) as tar:
                tar.extractall(dest, filter="data")
        else:
            shutil.copy2(src_path, dest / src_path.name)
    elif src_path.is_dir():
        archives = list(src_path.glob("*.tar.gz"))
        if len(archives) == 1 and not (src_path / "model.pkl").exists():
            with tarfile.open(archives[0]) as tar:
                tar.extractall(dest, filter="data")
        else:
            shutil.copytree(src_path, dest, dirs_exist_ok=True)
    else:
        raise FileNotFoundError(f"input not found: {src}")
    files = sorted(p for p in dest.rglob("*") if p.is_file())
    if not files:
        raise RuntimeError(f"input {src} is empty")
    return files


def main(input_paths: dict[str, str], output_paths: dict[str, str],
         environ_vars: dict[str, str], job_args: argparse.Namespace | None = None) -> dict:
    name = environ_vars.get("MODEL_NAME", "tabular-binary-classifier")
    version = environ_vars.get("MODEL_VERSION", "1.0.0")

    with tempfile.TemporaryDirectory(prefix="package_") as tmp:
        staging = Path(tmp)
        model_files = stage_folder(input_paths["model_input"], staging / "model")
        if not any(f.name in ("model.pkl", "model.joblib") for f in model_files):
            raise FileNotFoundError("model_input holds no model.pkl / model.joblib")
        calibration = input_paths.get("calibration_model")
        if calibration:
            stage_folder(calibration, staging / "calibration")
        else:
            logger.warning("no calibration_model input: packaging the uncalibrated model")

        files = {str(p.relative_to(staging)): {"sha256": _sha256(p), "bytes": p.stat().st_size}
                 for p in sorted(staging.rglob("*")) if p.is_file()}
        manifest = {
            "name": name, "version": version, "calibrated": bool(calibration),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": files,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))

        out_dir = Path(output_paths["packaged_model"])
        out_dir.mkdir(parents=True, exist_ok=True)
        archive = out_dir / "model.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            for p in sorted(staging.iterdir()):
                tar.add(p, arcname=p.name)
    logger.info("wrote %s (%d files, %d bytes)", archive, len(files) + 1, archive.stat().st_size)
    return {"archive": str(archive), "files": len(files) + 1, "calibrated": bool(calibration)}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    input_paths = {"model_input": "/opt/ml/processing/input/model"}
    if os.path.exists("/opt/ml/processing/input/calibration"):
        input_paths["calibration_model"] = "/opt/ml/processing/input/calibration"
    output_paths = {"packaged_model": "/opt/ml/processing/output"}
    environ_vars = {
        "MODEL_NAME": os.environ.get("MODEL_NAME", "tabular-binary-classifier"),
        "MODEL_VERSION": os.environ.get("MODEL_VERSION", "1.0.0"),
    }
    try:
        main(input_paths, output_paths, environ_vars, argparse.Namespace())
    except Exception:
        logger.exception("packaging failed")
        sys.exit(1)
