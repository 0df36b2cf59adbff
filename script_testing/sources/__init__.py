"""Data sources: where the data of an input comes from (synthetic, signature, json, local, s3).

    from script_testing.sources import materialize, check, get_source
    data = materialize(spec, dest_folder, SourceContext(project_root=..., profiles=...))

Each kind's module is imported on first use, so ``import script_testing.sources`` stays cheap
(no pandas, numpy or boto3 until a source of that kind is used).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from script_testing.config.project import SourceSpec
from script_testing.errors import ScriptTestingError, SourceError
from script_testing.sources.base import DataSource, MaterializedData, SourceContext

__all__ = [
    "SOURCE_REGISTRY",
    "DataSource",
    "MaterializedData",
    "SourceContext",
    "check",
    "get_source",
    "materialize",
    "register_source",
]

# kind -> (module, class); modules are imported lazily
SOURCE_REGISTRY: dict[str, tuple[str, str]] = {
    "synthetic": ("script_testing.sources.synthetic", "SyntheticSource"),
    "signature": ("script_testing.sources.literal", "SignatureSource"),
    "json": ("script_testing.sources.literal", "JsonSource"),
    "local": ("script_testing.sources.local", "LocalSource"),
    "s3": ("script_testing.sources.s3", "S3Source"),
}

_instances: dict[str, DataSource] = {}


def register_source(kind: str, module: str, class_name: str) -> None:
    """Add (or replace) a source kind, implemented by ``module.class_name`` (a DataSource)."""
    SOURCE_REGISTRY[kind] = (module, class_name)
    _instances.pop(kind, None)


def get_source(kind: str) -> DataSource:
    """The source implementing ``kind`` (one shared instance per kind)."""
    if kind in _instances:
        return _instances[kind]
    try:
        module_name, class_name = SOURCE_REGISTRY[kind]
    except KeyError:
        raise SourceError(
            f"unknown source kind '{kind}'", where="sources", hint=f"use one of {', '.join(SOURCE_REGISTRY)}"
        ) from None
    try:
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
    except ImportError as exc:
        raise SourceError(
            f"the '{kind}' source is not available ({exc})",
            where=module_name,
            hint="install script_testing with its dependencies (pip install -e .)",
        ) from None
    except AttributeError:
        raise SourceError(
            f"the '{kind}' source is not available ({module_name} has no {class_name})",
            where=module_name,
            hint="this is a bug in script_testing; please report it",
        ) from None
    _instances[kind] = source = cls()
    return source


def materialize(
    spec: SourceSpec, dest: str | Path, ctx: SourceContext, default_file: str | None = None
) -> MaterializedData:
    """Write the data ``spec`` describes into the folder ``dest`` (created if needed).

    ``default_file`` is the file name the consumer expects when its contract path names a file;
    the returned ``path`` is then that file, else the folder.
    """
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SourceError(
            f"cannot create the folder ({exc.strerror or exc})",
            where=str(dest),
            hint="check the permissions of the runs folder",
        ) from None
    source = get_source(spec.kind)
    try:
        return source.materialize(spec, dest, ctx, default_file=default_file)
    except ScriptTestingError:
        raise
    except OSError as exc:
        raise SourceError(
            f"could not write {spec.describe()} ({exc.strerror or exc})",
            where=str(dest),
            hint="check free disk space and permissions",
        ) from None


def check(spec: SourceSpec, ctx: SourceContext) -> list[str]:
    """Problems that would make :func:`materialize` fail, found before any script runs."""
    try:
        return list(get_source(spec.kind).check(spec, ctx))
    except ScriptTestingError as exc:
        return [str(exc)]
    except Exception as exc:  # a check must report, never crash the planner
        return [f"{spec.describe()}: the check itself failed ({type(exc).__name__}: {exc})."]
