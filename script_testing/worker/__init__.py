"""Run one user script's ``main()`` in an isolated, forked worker process.

Public API::

    WorkerPool(preimport=[...]).run(ScriptJob(...)) -> ScriptResult
    shared_pool(preimport) -> WorkerPool
    discover_imports(script_paths) -> list[str]
    resolve_module(script_path, python_path) -> (root, dotted name or None)

No Dagster import anywhere in this package.
"""

from .discovery import discover_imports, resolve_module
from .models import OutputInventory, ScriptJob, ScriptResult
from .pool import WorkerPool, shared_pool

__all__ = ["OutputInventory", "ScriptJob", "ScriptResult", "WorkerPool", "discover_imports",
           "resolve_module", "shared_pool"]
