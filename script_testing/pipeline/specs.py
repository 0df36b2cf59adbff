"""Specs: what will run, per script and per pipeline, saved where a user can read and edit them.

``<project>/.specs/<pipeline>/<script_name>_runtime_test_spec.json`` holds one node's
:class:`ScriptExecutionSpec`; ``pipeline_testing_spec.json`` beside it the whole
:class:`PipelineTestingSpec`. Files are written atomically. A spec file the user marks
``"pinned": true`` keeps its ``environ_vars`` and ``job_args`` over the project's settings on the
next run; ``user_notes`` always survive regeneration.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from script_testing import files
from script_testing.config.loading import load_model
from script_testing.errors import ConfigError
from script_testing.text import env_strings

SPECS_DIR = ".specs"


class ScriptExecutionSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    script_name: str
    step_name: str
    script_path: str | None
    input_paths: dict[str, str] = Field(default_factory=dict)
    output_paths: dict[str, str] = Field(default_factory=dict)
    environ_vars: dict[str, str] = Field(default_factory=dict)
    job_args: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = None
    last_updated: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    user_notes: str = ""
    pinned: bool = False

    @field_validator("environ_vars", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        """A hand-edited ``"N": 4`` means the string ``"4"``: environment values are strings."""
        return env_strings(value)


class PipelineTestingSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pipeline: str
    dag_path: str
    project: str
    order: list[str]
    edges: list[tuple[str, str]]
    scripts: dict[str, ScriptExecutionSpec]
    wiring: list[str] = Field(default_factory=list)
    last_updated: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def script_name_for(node: str, script_path: Path | None, step_type: str, job_type: str | None) -> str:
    """``tabular_preprocessing`` + job type: unique per node, readable as the script it runs."""
    stem = script_path.stem if script_path else re.sub(r"(?<!^)(?=[A-Z])", "_", step_type).lower()
    return f"{stem}_{job_type}" if job_type and not stem.endswith(job_type) else stem


class SpecStore:
    """Reads and writes the spec files of one testing project."""

    def __init__(self, project_root: Path) -> None:
        self.root = Path(project_root) / SPECS_DIR

    def script_spec_path(self, pipeline: str, script_name: str) -> Path:
        return self.root / pipeline / f"{script_name}_runtime_test_spec.json"

    def pipeline_spec_path(self, pipeline: str) -> Path:
        return self.root / pipeline / "pipeline_testing_spec.json"

    def load_script_spec(self, pipeline: str, script_name: str) -> ScriptExecutionSpec | None:
        path = self.script_spec_path(pipeline, script_name)
        if not path.exists():
            return None
        return load_model(ScriptExecutionSpec, path)

    def save_script_spec(self, pipeline: str, spec: ScriptExecutionSpec) -> Path:
        path = self.script_spec_path(pipeline, spec.script_name)
        files.write_text(path, spec.model_dump_json(indent=2) + "\n")
        return path

    def save_pipeline_spec(self, spec: PipelineTestingSpec) -> Path:
        for s in spec.scripts.values():
            self.save_script_spec(spec.pipeline, s)
        path = self.pipeline_spec_path(spec.pipeline)
        files.write_text(path, spec.model_dump_json(indent=2) + "\n")
        return path

    def load_pipeline_spec(self, pipeline: str) -> PipelineTestingSpec:
        path = self.pipeline_spec_path(pipeline)
        if not path.exists():
            raise ConfigError(
                "no saved spec for this pipeline",
                where=str(path),
                hint=f"run 'script-testing validate --pipeline {pipeline}' to write it",
            )
        return load_model(PipelineTestingSpec, path)
