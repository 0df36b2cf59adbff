"""The Dagster code location: ``dagster dev`` (workspace.yaml / [tool.dagster]) and
``dagster job execute -m script_testing.definitions -j <pipeline>`` load ``defs`` from here.

The testing project is ``$SCRIPT_TESTING_PROJECT``, else the bundled examples. A project that cannot
be loaded stops the code location with the core's message (what, where, what to do), not a traceback
through the loader.
"""

from __future__ import annotations

import sys

from script_testing.config.state import default_project_dir
from script_testing.errors import ScriptTestingError
from script_testing.orchestration import build_definitions


class ProjectLoadError(Exception):
    """The testing project behind this code location cannot be loaded; the message says why."""


def _load():
    try:
        return build_definitions()
    except ScriptTestingError as exc:
        message = (
            f"script_testing could not load the testing project {default_project_dir()} "
            f"(set SCRIPT_TESTING_PROJECT to choose another):\n{exc.message}"
        )
        print(f"error: {message}", file=sys.stderr)
        raise ProjectLoadError(message) from None


defs = _load()
