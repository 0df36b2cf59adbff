"""Plain helpers for the tests: build temp workspaces, interfaces and testing projects.

Fixtures live in ``conftest.py``; everything here is an ordinary function so a test can call it
with its own arguments.
"""

from __future__ import annotations

import json
import shutil
import socket
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

#: A secret-looking value the tool's environment holds in the secret tests (AWS's documented example key).
FAKE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"

# Real user files (copies of the shared format samples, read as they are, never rewritten).
DATA_DIR = Path(__file__).resolve().parent / "data"
SAMPLES_DIR = DATA_DIR / "samples"
FORMATS_DOC = DATA_DIR / "testing-project.md"
SAMPLE_INTERFACES = (
    "cradle_data_loading.step.yaml",
    "tabular_preprocessing.step.yaml",
    "xgboost_training.step.yaml",
)
SAMPLE_DAG = "xgboost_simple.dag.json"
SAMPLE_NODES = [
    "CradleDataLoading_training",
    "TabularPreprocessing_training",
    "XGBoostTraining",
    "CradleDataLoading_calibration",
    "TabularPreprocessing_calibration",
]

SCRIPT_BODY = "def main(input_paths, output_paths, environ_vars, job_args):\n    return None\n"

# a minimal profile, enough for sources to validate
PROFILE = {
    "rows": 10,
    "seed": 1,
    "columns": [{"name": "id", "kind": "id"}, {"name": "label", "kind": "label", "classes": [0, 1]}],
}


def require_samples() -> Path:
    assert (SAMPLES_DIR / SAMPLE_DAG).exists(), f"the sample files are missing from {SAMPLES_DIR}"
    return SAMPLES_DIR


def write(path: Path, text: str = "") -> Path:
    """Write dedented ``text`` to ``path``, creating folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def write_yaml(path: Path, data: Any) -> Path:
    return write(path, yaml.safe_dump(data, sort_keys=False))


def write_json(path: Path, data: Any) -> Path:
    return write(path, json.dumps(data, indent=2))


def write_script(path: Path) -> Path:
    return write(path, SCRIPT_BODY)


def interface(
    step_type: str,
    *,
    entry_point: str | None = None,
    inputs: dict | None = None,
    outputs: dict | None = None,
    dependencies: dict | None = None,
    spec_outputs: dict | None = None,
    job_arguments: list | None = None,
    env_required: list | None = None,
    env_optional: dict | None = None,
    variants: dict | None = None,
    **extra: Any,
) -> dict:
    """A step interface document (what a ``*.step.yaml`` holds).

    ``inputs``/``outputs`` map a port to its contract entry; a bool for an input means ``required``.
    """
    ins = {
        k: ({"path": f"/opt/ml/processing/input/{k}", "required": v} if isinstance(v, bool) else v)
        for k, v in (inputs or {}).items()
    }
    outs = {
        k: (v if isinstance(v, dict) else {"path": f"/opt/ml/processing/output/{k}"})
        for k, v in (outputs or {}).items()
    }
    doc: dict[str, Any] = {
        "step_type": step_type,
        "node_type": "internal",
        "contract": {
            "entry_point": entry_point,
            "inputs": ins,
            "outputs": outs,
            "job_arguments": job_arguments or [],
            "env_vars": {"required": env_required or [], "optional": env_optional or {}},
        },
        # ports not declared under spec get production's defaults (wiring.md 2.3)
        "spec": {
            "dependencies": dependencies
            if dependencies is not None
            else {
                k: {"required": v if isinstance(v, bool) else v.get("required", True)}
                for k, v in (inputs or {}).items()
            },
            "outputs": spec_outputs if spec_outputs is not None else {k: {} for k in (outputs or {})},
        },
    }
    if variants:
        doc["variants"] = variants
    doc.update(extra)
    return doc


def copy_samples(
    dest: Path,
    *,
    scripts: tuple[str, ...] = ("tabular_preprocessing.py", "xgboost_training.py"),
    dag: bool = True,
) -> Path:
    """Copy the sample interfaces (and DAG) into ``dest``; create the named (trivial) scripts beside them.

    By default no script exists for CradleDataLoading, as for a user whose data loading runs as a service.
    """
    src = require_samples()
    dest.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_INTERFACES + ((SAMPLE_DAG,) if dag else ()):
        shutil.copyfile(src / name, dest / name)
    for s in scripts:
        write_script(dest / s)
    return dest


def sample_sources(profile: str = "tabular_binary") -> dict[str, dict]:
    """Sources that make the sample DAG fully provided (production wires METADATA into
    TabularPreprocessing's DATA_SECONDARY, so it is consumed too)."""
    return {
        "CradleDataLoading_training.DATA": {"synthetic": profile, "format": "csv"},
        "CradleDataLoading_training.SIGNATURE": {"signature": profile},
        "CradleDataLoading_training.METADATA": {"json": {}, "file": "metadata.json"},
        "CradleDataLoading_calibration.DATA": {"synthetic": profile, "format": "csv"},
        "CradleDataLoading_calibration.SIGNATURE": {"signature": profile},
        "CradleDataLoading_calibration.METADATA": {"json": {}, "file": "metadata.json"},
    }


def sample_project(
    root: Path,
    pipeline: dict | None = None,
    *,
    name: str = "p",
    sources: bool = True,
    extra: dict | None = None,
    **copy_kwargs: Any,
):
    """A testing project in ``root``: the samples under ``steps/``, the DAG under ``dags/``.

    ``pipeline`` is merged into ``pipelines.<name>`` (its ``sources`` are added to the default ones
    unless ``sources=False``). Returns the loaded :class:`Project`.
    """
    from script_testing.config.project import load_project

    copy_samples(root / "steps", dag=False, **copy_kwargs)
    require_samples()
    (root / "dags").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLES_DIR / SAMPLE_DAG, root / "dags" / SAMPLE_DAG)
    pipe = {"dag": f"dags/{SAMPLE_DAG}"}
    pipeline = dict(pipeline or {})
    pipe["sources"] = {**(sample_sources() if sources else {}), **pipeline.pop("sources", {})}
    pipe.update(pipeline)
    config = {
        "workspaces": ["steps"],
        "data_profiles": {"tabular_binary": PROFILE},
        "pipelines": {name: pipe},
    }
    config.update(extra or {})
    write_yaml(root / "script_testing.yaml", config)
    return load_project(root)


def plan_for(project, name: str = "p", **kwargs: Any):
    """``load_plan`` with a fresh catalog (the module-level catalog cache must not leak between tests)."""
    from script_testing.pipeline.catalog import StepCatalog
    from script_testing.pipeline.plan import load_plan

    return load_plan(project, name, catalog=StepCatalog(project.workspaces), **kwargs)


def doc_yaml_block(doc: Path = FORMATS_DOC) -> str:
    """The first ```yaml block of testing-project.md: the contract's sample configuration."""
    if not doc.exists():
        pytest.skip(f"{doc} is not available")
    text = doc.read_text(encoding="utf-8")
    start = text.index("```yaml") + len("```yaml")
    end = text.index("```", start)
    return text[start:end].lstrip("\n")


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
