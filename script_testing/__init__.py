"""script_testing: run ML pipeline scripts locally, in DAG order, with checks on every edge.

Notebook use::

    import script_testing as st
    result = st.test_pipeline("tabular_simple")
    result.success

The public API is listed in ``__all__``; attributes are imported on first use, so
``import script_testing`` stays fast (type checkers and IDEs see the real imports below).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover - the same names, imported lazily by __getattr__ at run time
    from script_testing.api import (
        TestResult,
        load_result,
        open_project,
        plan_pipeline,
        run,
        serve_runs,
        test_compatibility,
        test_pipeline,
        test_script,
    )
    from script_testing.configurator import InteractiveRuntimeTestingFactory
    from script_testing.errors import ScriptTestingError
    from script_testing.execution.options import RunOptions
    from script_testing.pipeline.specs import PipelineTestingSpec, ScriptExecutionSpec

__all__ = [
    # configure
    "InteractiveRuntimeTestingFactory",
    "PipelineTestingSpec",
    "RunOptions",
    "ScriptExecutionSpec",
    # errors
    "ScriptTestingError",
    "TestResult",
    "load_result",
    "open_project",
    "plan_pipeline",
    "run",
    "serve_runs",
    "test_compatibility",
    # run and inspect
    "test_pipeline",
    "test_script",
]

_EXPORTS = {
    "test_pipeline": "script_testing.api",
    "test_script": "script_testing.api",
    "test_compatibility": "script_testing.api",
    "load_result": "script_testing.api",
    "TestResult": "script_testing.api",
    "open_project": "script_testing.api",
    "plan_pipeline": "script_testing.api",
    "run": "script_testing.api",
    "serve_runs": "script_testing.api",
    "RunOptions": "script_testing.execution.options",
    "InteractiveRuntimeTestingFactory": "script_testing.configurator",
    "ScriptExecutionSpec": "script_testing.pipeline.specs",
    "PipelineTestingSpec": "script_testing.pipeline.specs",
    "ScriptTestingError": "script_testing.errors",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'script_testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
