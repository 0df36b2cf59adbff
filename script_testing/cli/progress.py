"""What ``script-testing run`` shows while a pipeline runs.

In a terminal, a live view (rich): a line per running node, updated in place with its elapsed time,
and a progress bar for the pipeline; each finished node and each failed or warned check is printed
above it as a permanent line. Elsewhere (CI logs, pipes), plain lines, one per event, no escape codes.
Both are ``RunOptions.on_event`` callbacks, used as context managers around one pipeline's run.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click
from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from script_testing.pipeline.plan import PipelinePlan
from script_testing.reports.text import edge_line, node_line
from script_testing.vocabulary import EdgeStatus, NodeRole


def _edge_worth_a_line(edge) -> bool:
    return edge.status in (EdgeStatus.FAILED, EdgeStatus.WARN)


class PlainProgress:
    """One line per event on stderr: a node starting, a node finished, a failed or warned check."""

    def __init__(self, plan: PipelinePlan) -> None:
        self.plan = plan

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "node_started":
            if data.get("role") == NodeRole.SCRIPT:
                click.echo(f"  ....           {data['node']}", err=True)
        elif event == "node_finished":
            click.echo(node_line(data["node"], data["report"]), err=True)
        elif event == "edge_checked" and _edge_worth_a_line(data["edge"]):
            click.echo(edge_line(data["edge"]), err=True)


class LiveProgress:
    """The live view: running nodes updated in place and a progress bar, finished lines above."""

    def __init__(self, plan: PipelinePlan, console: Console | None = None) -> None:
        self.plan = plan
        self.console = console or Console(stderr=True)
        self.total = len(plan.order)
        self.done = 0
        self.running: dict[str, float] = {}  # node -> monotonic start
        self.started = time.monotonic()
        self.live = Live(
            get_renderable=self.render, console=self.console, refresh_per_second=8, transient=True
        )

    def __enter__(self) -> LiveProgress:
        self.started = time.monotonic()
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()

    def render(self) -> Group:
        now = time.monotonic()
        lines = Table.grid(padding=(0, 2))
        for node, t0 in self.running.items():
            lines.add_row(Text("RUN ", style="bold cyan"), Text(f"{now - t0:6.1f}s"), Text(node))
        bar = Table.grid(padding=(0, 1))
        bar.add_row(
            Text(f"pipeline {self.plan.name}", style="bold"),
            ProgressBar(total=self.total, completed=self.done, width=40),
            Text(f"{self.done}/{self.total} nodes  {now - self.started:6.1f}s"),
        )
        return Group(lines, bar)

    def _print(self, line: str) -> None:
        self.console.print(Text(line), highlight=False, soft_wrap=True)

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "node_started":
            self.running[data["node"]] = time.monotonic()
        elif event == "node_finished":
            self.running.pop(data["node"], None)
            self.done += 1
            self._print(node_line(data["node"], data["report"]))
        elif event == "edge_checked" and _edge_worth_a_line(data["edge"]):
            self._print(edge_line(data["edge"]))
        self.live.refresh()


def progress_for(plan: PipelinePlan, *, live: bool | None = None) -> PlainProgress | LiveProgress:
    """The live view when stderr is a terminal (or ``live`` is True), else plain lines."""
    if live is None:
        live = sys.stderr.isatty()
    return LiveProgress(plan) if live else PlainProgress(plan)
