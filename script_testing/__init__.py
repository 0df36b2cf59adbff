"""script_testing: run ML pipeline scripts locally, in DAG order, with checks on every edge.

Notebook use::

    import script_testing as st
    result = st.test_pipeline("tabular_simple")
    result.success

Attributes are imported on first use, so ``import script_testing`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "test_pipeline": "script_testing.notebook",
    "test_script": "script_testing.notebook",
    "test_compatibility": "script_testing.notebook",
    "load_result": "script_testing.notebook",
    "TestResult": "script_testing.notebook",
    "InteractiveRuntimeTestingFactory": "script_testing.configurator",
    "open_project": "script_testing.api",
    "plan_pipeline": "script_testing.api",
    "RunOptions": "script_testing.execute",
    "ScriptExecutionSpec": "script_testing.specs",
    "PipelineTestingSpec": "script_testing.specs",
    "ScriptTestingError": "script_testing.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'script_testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
