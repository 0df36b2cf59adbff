"""Run one user script's ``main()`` in an isolated, forked worker process.

Public API::

    WorkerPool(preimport=[...]).run(ScriptJob(...)) -> ScriptResult
    shared_pool(preimport) -> WorkerPool
    discover_imports(script_paths) -> list[str]
    resolve_module(script_path, python_path) -> (root, dotted name or None)
    Redactor.from_environ()(text) -> text with the tool's secrets masked
    resolve_environment(spec, root, cache_dir) -> python path of the scripts' environment

No Dagster import anywhere in this package. The worker side (zygote, child, models, procs,
redaction) needs only the standard library: it runs in the scripts' own interpreter. Names are
imported on first use, so the worker does not import the pool's modules.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "discover_imports": ".discovery",
    "resolve_module": ".discovery",
    "OutputInventory": ".models",
    "ScriptJob": ".models",
    "ScriptResult": ".models",
    "WorkerPool": ".pool",
    "shared_pool": ".pool",
    "Redactor": ".redaction",
    "resolve_environment": ".environments",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
