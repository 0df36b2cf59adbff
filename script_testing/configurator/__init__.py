"""Guided configuration of what a new DAG is missing: sources, env vars, job args, expectations.

Modules: ``session`` (the factory: pending items, answers, validation, save, run), ``pending`` (what is
still missing, from the wiring), ``answers`` (one answer -> one validated value), ``suggestions``
(defaults, and reuse from the project's other pipelines), ``project_file`` (editing
``script_testing.yaml`` without losing comments or layout), ``display`` (text and HTML), ``targets``
(which project and pipeline a session is about).
"""

from script_testing.configurator.answers import SOURCE_ANSWER_FORMS, parse_source_answer, require_answer
from script_testing.configurator.pending import NodeConfigurationResult, PendingItem
from script_testing.configurator.session import InteractiveRuntimeTestingFactory
from script_testing.configurator.suggestions import Reused, suggested_value

__all__ = [
    "SOURCE_ANSWER_FORMS",
    "InteractiveRuntimeTestingFactory",
    "NodeConfigurationResult",
    "PendingItem",
    "Reused",
    "parse_source_answer",
    "require_answer",
    "suggested_value",
]
