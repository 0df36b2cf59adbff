"""The step interface file ``*.step.yaml``: a step's logical inputs, outputs, env vars, job args.

Unknown keys are tolerated (``patterns``, ``compute``, ``framework_requirements``, comments, ...).
``variants.<job_type>`` is merged over the base for that job type exactly as production does
(``shared/formats/wiring.md`` §2.2): only its ``spec``, ``contract`` and ``patterns`` mappings,
recursively (lists and ``null`` replace, new keys are appended after the base's, ``{}`` changes
nothing); anything else in a variant (its own ``step_type``, for one) is ignored, with a warning.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from script_testing.config.loading import load_model, read_document, validation_error
from script_testing.config.names import SafeName, check_names, check_relative_path
from script_testing.errors import ConfigError
from script_testing.text import env_strings


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class ContractInput(_Loose):
    path: str = ""
    required: bool = True
    channels: list[SafeName] | None = None


class ContractOutput(_Loose):
    path: str = ""


class JobArgument(_Loose):
    flag: str
    source: str | None = None
    default: Any = None

    @property
    def dest(self) -> str:
        """argparse's attribute name: ``--job_type`` -> ``job_type``."""
        return self.flag.lstrip("-").replace("-", "_")


class EnvVars(_Loose):
    required: list[str] = Field(default_factory=list)
    optional: dict[str, str] = Field(default_factory=dict)

    @field_validator("optional", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if value is None:
            return {}
        return env_strings(value)

    @field_validator("required", mode="before")
    @classmethod
    def _none_list(cls, value: Any) -> Any:
        return [] if value is None else value


class Contract(_Loose):
    entry_point: str | None = None
    inputs: dict[str, ContractInput] = Field(default_factory=dict)
    outputs: dict[str, ContractOutput] = Field(default_factory=dict)
    job_arguments: list[JobArgument] = Field(default_factory=list)
    env_vars: EnvVars = Field(default_factory=EnvVars)
    description: str | None = None

    @field_validator("inputs", "outputs", "job_arguments", mode="before")
    @classmethod
    def _none_empty(cls, value: Any, info) -> Any:
        if value is None:
            return [] if info.field_name == "job_arguments" else {}
        return value

    @field_validator("inputs", "outputs")
    @classmethod
    def _safe_names(cls, value: dict) -> dict:
        return check_names(value)

    @field_validator("entry_point")
    @classmethod
    def _script_file_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_relative_path(value)
        if not value.endswith(".py"):
            raise ValueError(f"{value!r} is not a Python file name (it must end in '.py')")
        return value


def _none_to_list(value: Any) -> Any:
    return [] if value is None else value


class Dependency(_Loose):
    """``spec.dependencies.<NAME>``; ``None`` means absent (production's defaults: type
    ``processing_output``, data type ``S3Uri``, required true, logical name = the key)."""

    type: str | None = None
    data_type: str | None = None
    required: bool | None = None
    compatible_sources: list[str] = Field(default_factory=list)
    semantic_keywords: list[str] = Field(default_factory=list)
    logical_name: str | None = None

    _lists = field_validator("compatible_sources", "semantic_keywords", mode="before")(
        classmethod(lambda cls, v: _none_to_list(v))
    )


class OutputSpec(_Loose):
    type: str | None = None
    aliases: list[str] = Field(default_factory=list)
    semantic_keywords: list[str] = Field(default_factory=list)
    data_type: str | None = None
    logical_name: str | None = None

    _lists = field_validator("aliases", "semantic_keywords", mode="before")(
        classmethod(lambda cls, v: _none_to_list(v))
    )


class Spec(_Loose):
    dependencies: dict[str, Dependency] = Field(default_factory=dict)
    outputs: dict[str, OutputSpec] = Field(default_factory=dict)

    @field_validator("dependencies", "outputs", mode="before")
    @classmethod
    def _none_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("dependencies", "outputs")
    @classmethod
    def _safe_names(cls, value: dict) -> dict:
        return check_names(value)


class Registry(_Loose):
    sagemaker_step_type: str | None = None
    description: str | None = None


class StepInterface(_Loose):
    step_type: str
    node_type: str | None = None
    registry: Registry = Field(default_factory=Registry)
    contract: Contract = Field(default_factory=Contract)
    spec: Spec = Field(default_factory=Spec)

    @field_validator("step_type")
    @classmethod
    def _no_underscore(cls, value: str) -> str:
        if not value or "_" in value:
            raise ValueError("a step type is PascalCase without '_' (the suffix after '_' is the job type)")
        return value

    @property
    def description(self) -> str | None:
        return self.contract.description or self.registry.description

    def required_input(self, name: str) -> bool:
        """Production's flag (wiring.md §2.3): ``spec.dependencies.<name>.required``, true when absent;
        the contract's ``required`` counts only for an input the spec does not declare."""
        d = self.spec.dependencies.get(name)
        if d is not None:
            return True if d.required is None else d.required
        c = self.contract.inputs.get(name)
        return c.required if c is not None else False

    @property
    def input_names(self) -> list[str]:
        names = list(self.contract.inputs)
        names += [n for n in self.spec.dependencies if n not in names]
        return names

    @property
    def output_names(self) -> list[str]:
        names = list(self.contract.outputs)
        names += [n for n in self.spec.outputs if n not in names]
        return names


VARIANT_SECTIONS = ("spec", "contract", "patterns")


def deep_merge(base: Any, override: Any) -> Any:
    """Mappings merge key by key (base keys keep their place, new keys are appended in the override's
    order); anything else in ``override`` (a list, ``null``) replaces ``base``."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = deep_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


class InterfaceFile:
    """A step interface file with its raw document, so each job type's variant can be merged on demand."""

    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw
        self.base = self._validate(raw, ())
        self.warnings: list[str] = []
        self._variants: dict[str | None, StepInterface] = {None: self.base}

    @classmethod
    def load(cls, path: Path) -> InterfaceFile:
        raw = read_document(path)
        if not isinstance(raw, dict):
            raise ConfigError(
                f"expected a mapping at the top level, got {type(raw).__name__}", where=str(path)
            )
        return cls(path, raw)

    @property
    def step_type(self) -> str:
        return self.base.step_type

    @property
    def variant_names(self) -> list[str]:
        return list((self.raw.get("variants") or {}).keys())

    def for_job_type(self, job_type: str | None) -> StepInterface:
        if job_type not in self._variants:
            variants = self.raw.get("variants") or {}
            override = variants.get(job_type) if isinstance(variants, dict) else None
            if not override:
                self._variants[job_type] = self.base
            else:
                if not isinstance(override, dict):
                    raise ConfigError(f"'variants.{job_type}' must be a mapping", where=str(self.path))
                merged = {k: v for k, v in self.raw.items() if k != "variants"}
                for section in VARIANT_SECTIONS:  # only these, each when a non-empty mapping
                    value = override.get(section)
                    if isinstance(value, dict) and value:
                        base = merged.get(section)
                        merged[section] = (
                            deep_merge(base, value) if isinstance(base, dict) else copy.deepcopy(value)
                        )
                ignored = [k for k in override if k not in VARIANT_SECTIONS]
                if ignored:
                    self.warnings.append(
                        f"{self.path}: variants.{job_type}: {', '.join(ignored)} ignored (production merges only "
                        f"{', '.join(VARIANT_SECTIONS)} from a variant)"
                    )
                self._variants[job_type] = self._validate(merged, ("variants", job_type))
        return self._variants[job_type]

    def _validate(self, data: dict[str, Any], prefix: tuple) -> StepInterface:
        try:
            return StepInterface.model_validate({k: v for k, v in data.items() if k != "variants"})
        except ValidationError as exc:
            raise validation_error(self.path, exc, prefix) from None


__all__ = ["InterfaceFile", "JobArgument", "StepInterface", "deep_merge", "load_model"]
