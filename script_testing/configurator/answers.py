"""One answer -> one configuration value, or a :class:`ConfigError` saying why it is not one.

Everything a user types or passes to ``configure_script_testing`` goes through here: source answers
(``synthetic:PROFILE``, ``json:{...}``, ...), environment variables, node and port names, and the
check that a required question got an answer at all. Nothing here records anything.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from script_testing import sources
from script_testing.config.loading import validation_error
from script_testing.config.project import Expectations, NodeSettings, Project, SourceSpec
from script_testing.errors import ConfigError, ScriptTestingError
from script_testing.pipeline.catalog import ResolvedNode
from script_testing.s3.uri import S3Uri
from script_testing.sources.base import SourceContext
from script_testing.sources.local import resolve_local

SOURCE_ANSWER_FORMS = (
    "synthetic:PROFILE",
    "signature:PROFILE",
    "local:PATH",
    "json:{...}",
    "s3:s3://bucket/key",
    "{synthetic: PROFILE, format: csv, ...}",
)
_FORMS_HINT = "answer one of: " + ", ".join(SOURCE_ANSWER_FORMS)


MERGED_SETTINGS = ("environ_vars", "job_args")  # node settings whose answers add keys, not replace


@dataclass
class Answers:
    """Validated configuration values, as recorded by a session (and written by a save)."""

    sources: dict[str, SourceSpec] = field(default_factory=dict)  # "Node.port" -> source
    settings: dict[str, dict[str, Any]] = field(
        default_factory=dict
    )  # node -> environ_vars/job_args/timeout_s
    expectations: dict[str, Expectations] = field(default_factory=dict)  # "Node.port" -> checks

    def add(self, other: Answers) -> None:
        self.sources.update(other.sources)
        for node, update in other.settings.items():
            current = self.settings.setdefault(node, {})
            for k, v in update.items():
                current[k] = {**current.get(k, {}), **v} if k in MERGED_SETTINGS else v
        self.expectations.update(other.expectations)

    def __bool__(self) -> bool:
        return bool(self.sources or self.settings or self.expectations)


def node_answers(
    project: Project,
    pipeline: str,
    r: ResolvedNode,
    *,
    sources: Mapping[str, Any] | None,
    environ_vars: Mapping[str, Any] | None,
    job_args: Mapping[str, Any] | None,
    timeout_s: float | None,
    expectations: Mapping[str, Any] | None,
) -> Answers:
    """One ``configure_script_testing`` call's values, every one validated (first problem raised)."""
    prefix, where = ("pipelines", pipeline), str(project.file)
    out = Answers()
    for port, value in (sources or {}).items():
        check_port(r, port, "sources")
        key = f"{r.name}.{port}"
        spec = source_spec(key, value, where, prefix)
        check_source(project, pipeline, key, spec)
        out.sources[key] = spec
    update = settings_update(
        r, where, prefix, environ_vars=environ_vars, job_args=job_args, timeout_s=timeout_s
    )
    if update:
        out.settings[r.name] = update
    for port, value in (expectations or {}).items():
        check_port(r, port, "expectations")
        key = f"{r.name}.{port}"
        out.expectations[key] = expectations_value(key, value, where, prefix)
    return out


def close_matches(name: str, known: list[str]) -> str:
    """``did you mean a, b? (known: ...)`` or ``known: ...``: the hint for a misspelt name."""
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
    if close:
        return f"did you mean {', '.join(close)}? (known: {', '.join(known) or 'none'})"
    return f"known: {', '.join(known) or 'none'}"


def require_answer(label: str, answer: str | None, default: str | None = None) -> str:
    """The answer, else the default; an empty answer to a question without a default says so."""
    text = (answer or "").strip()
    if text:
        return text
    if default:
        return default
    raise ConfigError(f"an answer is required: {label} has no default")


def _yaml_problem(exc: yaml.YAMLError) -> str:
    return getattr(exc, "problem", None) or str(exc).splitlines()[0]


def parse_source_answer(answer: Any) -> dict[str, Any]:
    """A source as a user types it -> a source mapping (validated later as :class:`SourceSpec`).

    Accepts ``synthetic:PROFILE``, ``signature:PROFILE``, ``local:PATH``, ``json:{...}``,
    ``s3:s3://bucket/key`` (or a bare ``s3://...``), or a YAML mapping ``{synthetic: p, format: csv}``.
    """
    if isinstance(answer, SourceSpec):
        return answer.model_dump(by_alias=True, exclude_unset=True)
    if isinstance(answer, Mapping):
        return dict(answer)
    text = str(answer or "").strip()
    if not text:
        raise ConfigError("the source is empty", hint=_FORMS_HINT)
    if text.startswith("{"):
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"'{text}' is not a valid YAML mapping ({_yaml_problem(exc)})",
                hint="write it like {synthetic: tabular_binary, format: csv}",
            ) from None
        if not isinstance(value, dict):
            raise ConfigError(f"'{text}' is not a mapping", hint="write it like {synthetic: tabular_binary}")
        return value
    if text.startswith("s3://"):
        return {"s3": text}
    kind, sep, rest = text.partition(":")
    kind, rest = kind.strip().lower(), rest.strip()
    if not sep or kind not in ("synthetic", "signature", "local", "json", "s3"):
        raise ConfigError(f"'{text}' is not a source", hint=_FORMS_HINT)
    if not rest:
        raise ConfigError(f"'{text}' names no {kind} value", hint=_FORMS_HINT)
    if kind == "json":
        try:
            return {"json": yaml.safe_load(rest)}
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"not a valid JSON document: {_yaml_problem(exc)} in '{rest}'",
                hint='write it like json:{label_name: label} or json:{"label_name": "label"}',
            ) from None
    return {kind: rest}


def check_node(
    name: str, nodes: Mapping[str, ResolvedNode], pipeline: str, where: str, order: list[str]
) -> None:
    if name not in nodes:
        raise ConfigError(
            f"'{name}' is not a node of pipeline '{pipeline}'", where=where, hint=close_matches(name, order)
        )


def check_port(r: ResolvedNode, port: str, section: str) -> None:
    """A ``sources`` port is an input of a script node or an output of a script-less one; an
    ``expectations`` port is any port the node's data crosses."""
    node = r.name
    if section == "sources":
        if r.has_script:
            if port in r.interface.output_names and port not in r.interface.input_names:
                raise ConfigError(
                    f"'{port}' is an output of {node}, which has a script; sources feed inputs",
                    where=node,
                    hint=f"inputs: {', '.join(r.interface.input_names) or 'none'}",
                )
            known, what = r.interface.input_names, "an input"
        else:
            known, what = r.interface.output_names, "an output (the node has no script)"
    else:
        known = list(
            dict.fromkeys((r.interface.input_names if r.has_script else []) + r.interface.output_names)
        )
        what = "a port"
    if port not in known:
        raise ConfigError(f"'{port}' is not {what} of {node}", where=node, hint=close_matches(port, known))


def source_spec(key: str, value: Any, where: str, prefix: tuple[str, ...]) -> SourceSpec:
    """One source answer -> a validated :class:`SourceSpec` (its shape only; see :func:`check_source`)."""
    try:
        data = parse_source_answer(value)
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc.what}", where=where, hint=exc.hint) from None
    try:
        return SourceSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(where, exc, prefix=(*prefix, "sources", key)) from None


def check_source(project: Project, pipeline: str, key: str, spec: SourceSpec) -> None:
    """Problems found before anything runs: unknown profile, missing local path, bad S3 URI."""
    where = f"{project.file}: pipelines.{pipeline}.sources.{key}"
    kind = spec.kind
    profiles = project.config.data_profiles
    if kind in ("synthetic", "signature"):
        name = spec.synthetic if kind == "synthetic" else spec.signature
        if name not in profiles:
            raise ConfigError(
                f"{key}: data profile '{name}' is not defined",
                where=str(project.file),
                hint=f"define it under data_profiles or use one of them; {close_matches(name, list(profiles))}",
            )
    elif kind == "local":
        path = resolve_local(spec, SourceContext(project_root=project.root))
        if not path.exists():
            raise ConfigError(
                f"{key}: the local path '{spec.local}' does not exist ({path})",
                where=str(project.file),
                hint=f"relative paths are relative to the project folder {project.root}",
            )
    elif kind == "s3":
        try:
            S3Uri.parse(spec.s3 or "")
        except ScriptTestingError as exc:
            raise ConfigError(f"{key}: {exc.what}", where=where, hint=exc.hint) from None
    if kind != "s3":  # the same cheap checks a run does first (no network)
        problems = sources.check(spec, SourceContext(project_root=project.root, profiles=profiles))
        if problems:
            raise ConfigError(
                f"{key}: {problems[0]}",
                where=str(project.file),
                details="\n".join(f"  - {p}" for p in problems[1:]) or None,
            )


def environ_values(r: ResolvedNode, values: Mapping[str, Any]) -> dict[str, str]:
    """Environment variable answers -> strings; a required one may not be empty."""
    required = set(r.interface.contract.env_vars.required)
    env: dict[str, str] = {}
    for var, value in values.items():
        var = str(var)
        if not var or var != var.strip() or "=" in var:
            raise ConfigError(
                f"'{var}' is not a valid environment variable name",
                where=r.name,
                hint="use a plain name such as LABEL_FIELD",
            )
        text = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        if var in required and not text.strip():
            raise ConfigError(
                f"required environment variable {var} of {r.name} is set to an empty value",
                where=r.name,
                hint=f"give {var} a non-empty value",
            )
        env[var] = text
    return env


def settings_update(
    r: ResolvedNode,
    where: str,
    prefix: tuple[str, ...],
    *,
    environ_vars: Mapping[str, Any] | None,
    job_args: Mapping[str, Any] | None,
    timeout_s: float | None,
) -> dict[str, Any]:
    """The node-settings part of one ``configure_script_testing`` call, validated."""
    update: dict[str, Any] = {}
    if environ_vars:
        update["environ_vars"] = environ_values(r, environ_vars)
    if job_args:
        update["job_args"] = dict(job_args)
    if timeout_s is not None:
        update["timeout_s"] = timeout_s
    if update:
        try:
            NodeSettings.model_validate(update)
        except ValidationError as exc:
            raise validation_error(where, exc, prefix=(*prefix, "nodes", r.name)) from None
    return update


def expectations_value(key: str, value: Any, where: str, prefix: tuple[str, ...]) -> Expectations:
    try:
        return value if isinstance(value, Expectations) else Expectations.model_validate(value)
    except ValidationError as exc:
        raise validation_error(where, exc, prefix=(*prefix, "expectations", key)) from None
