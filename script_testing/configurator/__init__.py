"""Guided configuration of what a new DAG is missing (``InteractiveRuntimeTestingFactory``)."""

from script_testing.configurator.session import (InteractiveRuntimeTestingFactory, NodeConfigurationResult,
                                                 PendingItem, parse_source_answer, suggested_value)

__all__ = ["InteractiveRuntimeTestingFactory", "NodeConfigurationResult", "PendingItem", "parse_source_answer",
           "suggested_value"]
