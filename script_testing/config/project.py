"""The testing project file ``script_testing.yaml``: script_testing's own configuration.

See ``shared/formats/testing-project.md`` for the contract; extensions are documented in README.md.
Relative paths are resolved against the folder holding the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from script_testing.config.loading import load_model, read_document
from script_testing.config.names import check_name, check_names, check_relative_path
from script_testing.errors import ConfigError
from script_testing.text import did_you_mean, env_strings

PROJECT_FILE = "script_testing.yaml"

ColumnKind = Literal["id", "label", "numeric", "categorical", "datetime", "text", "boolean"]
DataFormat = Literal["csv", "tsv", "parquet", "json", "jsonl"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ColumnSpec(_Model):
    """One column of a synthetic data profile."""

    name: str
    kind: ColumnKind
    classes: list[Any] | None = None  # label: class values
    weights: list[float] | None = None  # label/categorical: class probabilities
    values: list[Any] | None = None  # categorical: allowed values
    min: float | None = None  # numeric: range
    max: float | None = None
    dtype: Literal["int", "float"] | None = None
    nulls: float = Field(0.0, ge=0.0, le=1.0)  # fraction of nulls
    start: str | None = None  # datetime range (ISO dates)
    end: str | None = None
    words: int | None = Field(None, ge=1)  # text: words per value
    prefix: str | None = None  # id: string ids "<prefix>000123" instead of integers

    @model_validator(mode="after")
    def _check_kind(self) -> ColumnSpec:
        if self.kind == "label" and self.classes is not None and len(self.classes) < 1:
            raise ValueError("a label column needs at least one class in 'classes'")
        if self.kind == "categorical" and not self.values:
            raise ValueError("a categorical column needs 'values' (a non-empty list)")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min}) is greater than 'max' ({self.max})")
        weights_for = self.classes if self.kind == "label" else self.values
        if self.weights is not None and weights_for is not None and len(self.weights) != len(weights_for):
            raise ValueError("'weights' must have one entry per class/value")
        return self


class DataProfile(_Model):
    """Named synthetic tabular data."""

    rows: int = Field(1000, ge=0)
    seed: int = 0
    columns: list[ColumnSpec] = Field(min_length=1)

    @field_validator("columns")
    @classmethod
    def _unique(cls, columns: list[ColumnSpec]) -> list[ColumnSpec]:
        names = [c.name for c in columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate column name(s): {', '.join(dupes)}")
        return columns


SOURCE_KINDS = ("synthetic", "signature", "json", "local", "s3")


class SourceSpec(_Model):
    """Where the data of one input (or one output of a script-less node) comes from.

    Exactly one of the kind keys is set: ``synthetic`` (profile name), ``signature`` (profile name),
    ``json`` (a literal document), ``local`` (a file or folder), ``s3`` (an S3 URI, object or prefix).
    """

    synthetic: str | None = None
    signature: str | None = None
    json_: Any = Field(None, alias="json")
    local: str | None = None
    s3: str | None = None
    format: DataFormat | None = None
    file: str | None = None  # file name, or pattern with {shard}, e.g. part-{shard:05d}.csv
    shards: int = Field(1, ge=1)
    rows: int | None = Field(None, ge=0)  # overrides the profile's row count
    seed: int | None = None  # overrides the profile's seed
    compression: Literal["gzip"] | None = None

    @field_validator("file")
    @classmethod
    def _file_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return check_relative_path(value)  # sub-folders allowed, each part a plain name

    @model_validator(mode="before")
    @classmethod
    def _one_kind(cls, data: Any) -> Any:
        if isinstance(data, dict):
            kinds = [k for k in SOURCE_KINDS if k in data]
            if len(kinds) != 1:
                found = ", ".join(kinds) if kinds else "none"
                raise ValueError(f"a source needs exactly one of {', '.join(SOURCE_KINDS)} (found: {found})")
        return data

    @property
    def kind(self) -> str:
        for k in SOURCE_KINDS:
            if k == "json":
                if "json_" in self.model_fields_set:
                    return k
            elif getattr(self, k) is not None:
                return k
        raise AssertionError("validated source without a kind")

    def describe(self) -> str:
        k = self.kind
        if k == "json":
            return "json literal" + (f" -> {self.file}" if self.file else "")
        value = getattr(self, k)
        extra = f" ({self.format})" if self.format else ""
        return f"{k}: {value}{extra}"


class EnvironmentSpec(_Model):
    """The scripts' own Python: ``python`` (an interpreter) and/or ``requirements`` (a file a
    cached venv is built from with uv; ``python`` is then its base). See runner/environments.py."""

    python: str | None = None
    requirements: str | None = None

    @model_validator(mode="after")
    def _one(self) -> EnvironmentSpec:
        if not self.python and not self.requirements:
            raise ValueError("an environment needs 'python' or 'requirements'")
        return self


class Budgets(_Model):
    """Limits a run must keep (CI gates): a breach fails the run with a sentence naming the figure.

    Set at project level, per pipeline (``pipelines.P.budgets``) and per node
    (``pipelines.P.nodes.N.budgets``); the most specific one wins, key by key.
    """

    script_s: float | None = Field(None, gt=0)  # each script's duration
    pipeline_s: float | None = Field(None, gt=0)  # the whole run's duration
    peak_memory_mb: float | None = Field(None, gt=0)  # each script's peak memory


class NodeSettings(_Model):
    """Per-node settings of a pipeline."""

    environ_vars: dict[str, str] = Field(default_factory=dict)
    job_args: dict[str, Any] = Field(default_factory=dict)
    timeout_s: float | None = Field(None, gt=0)
    memory_limit_mb: int | None = Field(None, ge=0)  # 0 = no limit; unset = the default
    main_kwargs: dict[str, Any] = Field(default_factory=dict)  # extra keyword args for main()
    pass_env: list[str] = Field(default_factory=list)  # tool variables (credentials) passed on
    environment: EnvironmentSpec | None = None
    budgets: Budgets | None = None

    @field_validator("environ_vars", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        return env_strings(value)


class Expectations(_Model):
    """Extra data checks on what reaches an input (or leaves a script-less node's output)."""

    columns: list[str] = Field(default_factory=list)  # must exist
    not_null: list[str] = Field(default_factory=list)
    types: dict[str, Literal["integer", "float", "numeric", "string", "boolean", "datetime"]] = Field(
        default_factory=dict
    )
    ranges: dict[str, dict[Literal["min", "max"], float]] = Field(default_factory=dict)
    allowed_values: dict[str, list[Any]] = Field(default_factory=dict)
    unique: list[str] = Field(default_factory=list)
    min_rows: int | None = Field(None, ge=0)
    max_rows: int | None = Field(None, ge=0)
    severity: Literal["block", "warn"] = "block"


class Schedule(_Model):
    cron: str
    status: Literal["running", "stopped"] = "stopped"
    timezone: str = "UTC"


class PipelineConfig(_Model):
    dag: str
    description: str | None = None
    schedule: Schedule | None = None
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    nodes: dict[str, NodeSettings] = Field(default_factory=dict)
    bindings: dict[str, str] = Field(default_factory=dict)
    expectations: dict[str, Expectations] = Field(default_factory=dict)
    # where a production execution left its outputs, for deep dives (see README)
    execution: dict[str, Any] | None = None
    budgets: Budgets | None = None

    @field_validator("schedule", mode="before")
    @classmethod
    def _cron_string(cls, value: Any) -> Any:
        return {"cron": value, "status": "running"} if isinstance(value, str) else value

    @field_validator("nodes")
    @classmethod
    def _node_keys(cls, value: dict) -> dict:
        return check_names(value)

    @field_validator("sources", "expectations")
    @classmethod
    def _node_port_keys(cls, value: dict) -> dict:
        for key in value:
            _split_node_port(key)
        return value

    @field_validator("bindings")
    @classmethod
    def _binding_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key, target in value.items():
            _split_node_port(key)
            _split_node_port(target)
        return value


class RunnerSettings(_Model):
    timeout_s: float = Field(3600.0, gt=0)
    parallelism: int = Field(2, ge=1)
    memory_limit_mb: int | None = Field(None, ge=0)
    preimport: list[str] | None = None  # modules the warm worker imports; default: scripts' own imports
    # Great Expectations Data Docs: for the edges whose check did not pass (default), every edge, or none
    data_docs: Literal["failures", "all", "off"] = "failures"


class ProjectConfig(_Model):
    """``script_testing.yaml``."""

    workspaces: list[str] = Field(default_factory=lambda: ["."])
    python_path: list[str] = Field(default_factory=list)
    preload: list[str] = Field(default_factory=list)
    runs_root: str | None = None
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    environment: EnvironmentSpec | None = None  # the scripts' Python (default: the tool's)
    data_profiles: dict[str, DataProfile] = Field(default_factory=dict)
    pipelines: dict[str, PipelineConfig] = Field(default_factory=dict)
    s3: dict[str, Any] = Field(default_factory=dict)  # S3 client settings (never credentials)
    budgets: Budgets | None = None

    @field_validator("workspaces", "python_path", "preload", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("pipelines")
    @classmethod
    def _pipeline_names(cls, value: dict) -> dict:
        return check_names(value)

    @model_validator(mode="after")
    def _profiles_exist(self) -> ProjectConfig:
        for pname, pipe in self.pipelines.items():
            for key, src in pipe.sources.items():
                profile = src.synthetic or src.signature
                if profile is not None and profile not in self.data_profiles:
                    known = ", ".join(sorted(self.data_profiles)) or "none defined"
                    raise ValueError(
                        f"pipelines.{pname}.sources.{key}: unknown data profile '{profile}' (known: {known})"
                    )
        return self


def budgets_for(
    config: ProjectConfig, pipeline: str, node: str | None = None
) -> dict[str, tuple[float, str]]:
    """The budgets that apply to a pipeline (``node=None``: ``pipeline_s``) or to one of its nodes
    (``script_s``, ``peak_memory_mb``): ``{key: (limit, where it is set)}``, most specific first."""
    pipe = config.pipelines.get(pipeline)
    levels = [(config.budgets, "budgets")]
    if pipe is not None:
        levels.append((pipe.budgets, f"pipelines.{pipeline}.budgets"))
        if node is not None and node in pipe.nodes:
            levels.append((pipe.nodes[node].budgets, f"pipelines.{pipeline}.nodes.{node}.budgets"))
    keys = ("pipeline_s",) if node is None else ("script_s", "peak_memory_mb")
    out: dict[str, tuple[float, str]] = {}
    for budgets, where in levels:
        for key in keys:
            value = getattr(budgets, key, None) if budgets is not None else None
            if value is not None:
                out[key] = (value, f"{where}.{key}")
    return out


def _split_node_port(key: str) -> tuple[str, str]:
    node, sep, port = key.partition(".")
    if not sep or not node or not port:
        raise ValueError(f"'{key}' must be 'Node.port'")
    check_name(node)
    check_name(port)
    return node, port


def split_node_port(key: str) -> tuple[str, str]:
    """``'XGBoostTraining.input_path'`` -> ``('XGBoostTraining', 'input_path')``."""
    return _split_node_port(key)


class Project(BaseModel):
    """A loaded testing project: the config plus the folder it lives in."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    root: Path
    file: Path
    config: ProjectConfig

    def resolve(self, relative: str | Path) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.root / p).resolve()

    @property
    def workspaces(self) -> list[Path]:
        return [self.resolve(w) for w in self.config.workspaces]

    @property
    def python_path(self) -> list[Path]:
        return [self.resolve(p) for p in self.config.python_path]

    @property
    def preload(self) -> list[Path]:
        return [self.resolve(p) for p in self.config.preload]

    def pipeline(self, name: str) -> PipelineConfig:
        try:
            return self.config.pipelines[name]
        except KeyError:
            hint = (
                did_you_mean(name, self.config.pipelines)
                or f"known pipelines: {', '.join(sorted(self.config.pipelines)) or 'none'}"
            )
            raise ConfigError(f"no pipeline named '{name}'", where=str(self.file), hint=hint) from None


def load_project(path: str | Path) -> Project:
    """Load a testing project from its folder or its ``script_testing.yaml``."""
    path = Path(path).expanduser().resolve()
    file = path / PROJECT_FILE if path.is_dir() else path
    if not file.exists():
        raise ConfigError(
            "no testing project here",
            where=str(file),
            hint=f"create {PROJECT_FILE} (see README) or point SCRIPT_TESTING_PROJECT at a folder with one",
        )
    data = read_document(file)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"expected a mapping at the top level, got {type(data).__name__}", where=str(file))
    config = load_model(ProjectConfig, file, data or {})
    for problem in _missing_paths(file.parent, config):
        raise ConfigError(
            problem, where=str(file), hint="fix the path; relative paths are relative to this file"
        )
    return Project(root=file.parent, file=file, config=config)


def _missing_paths(root: Path, config: ProjectConfig):
    for key, values in (
        ("workspaces", config.workspaces),
        ("python_path", config.python_path),
        ("preload", config.preload),
    ):
        for i, v in enumerate(values):
            p = Path(v).expanduser()
            p = p if p.is_absolute() else root / p
            if not p.exists():
                yield f"'{key}[{i}]': path '{v}' does not exist"
