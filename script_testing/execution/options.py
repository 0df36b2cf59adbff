"""Per-run choices (:class:`RunOptions`) and the description of data made up for a partial run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from script_testing.config.project import DataProfile, SourceSpec

EventHandler = Callable[[str, dict[str, Any]], None]


@dataclass
class SynthesizedInput:
    """Data made up for an input no selected node produces (see :mod:`script_testing.pipeline.selection`)."""

    profile: DataProfile
    channels: list[str] | None = None
    reason: str = ""


@dataclass
class RunOptions:
    """Per-run choices; everything defaults to the project's configuration.

    Example::

        RunOptions(rows_override=100, select=["XGBoostTraining"], checks=False)
    """

    run_id: str | None = None
    run_dir: Path | None = None
    parallelism: int | None = None
    rows_override: int | None = None
    seed_override: int | None = None
    select: list[str] | None = None  # run only these nodes; upstream data from reuse_run / sources
    reuse_run: Path | None = None  # a previous run folder whose outputs feed unselected upstreams
    source_overrides: dict[str, SourceSpec] = field(default_factory=dict)
    source_options: dict[str, Any] = field(default_factory=dict)
    synthesized: dict[str, SynthesizedInput] = field(default_factory=dict)  # "Node.input" -> made-up data
    checks: bool = True
    rebaseline: bool = False
    on_event: EventHandler | None = None
