"""Edge checks for a plan: one report entry per edge, each edge's requirements built from the
project, and the data validated.

What a consumer needs from an input comes from three places: the project's ``expectations`` for
that input, the column names the consumer is configured with through environment variables
(``LABEL_FIELD=label``: a non-empty ``*_FIELD``/``*_COLUMN``/``*_COL`` variable names a column; a
``*_FIELD_LIST``/``*_COLUMNS`` variable a comma-separated list), applied to tabular inputs (every
format :mod:`script_testing.data.tabular` knows), and, for synthetic data, the profile's own schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from script_testing.checks import DocsBatch, EdgeRequirements, SchemaBaseline, validate_edge
from script_testing.config.state import state_root
from script_testing.data.tabular import holds_tables
from script_testing.execution.inputs import all_wires, source_for
from script_testing.pipeline.plan import PipelinePlan
from script_testing.pipeline.wiring import InputWire
from script_testing.reports.model import EdgeReport
from script_testing.vocabulary import UPSTREAM_KINDS, EdgeKind, NodeRole, Severity, WireKind

_COLUMN_VAR = re.compile(r"(^|_)(FIELD|COLUMN|COL)(_NAME)?$")
_COLUMN_LIST_VAR = re.compile(r"(^|_)(FIELD_LIST|FIELDS|COLUMNS|COLUMN_LIST|COLS)$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][\w .-]*$")


def env_columns(environ: dict[str, str]) -> dict[str, str]:
    """Columns named by a consumer's environment variables: ``{"LABEL_FIELD": "label", ...}``."""
    out: dict[str, str] = {}
    for var, value in sorted(environ.items()):
        value = (value or "").strip()
        if not value:
            continue
        if _COLUMN_LIST_VAR.search(var):
            for i, col in enumerate(c.strip() for c in value.split(",")):
                if col and _IDENTIFIER.match(col):
                    out[f"{var}[{i}]"] = col
        elif _COLUMN_VAR.search(var) and _IDENTIFIER.match(value):
            out[var] = value
    return out


def baseline_path(plan: PipelinePlan) -> Path:
    return state_root(plan.project) / "baselines" / f"{plan.name}.json"


def edge_reports(plan: PipelinePlan) -> list[EdgeReport]:
    """One entry per edge (upstream output -> input) and per source feeding an input."""
    out = []
    for w in all_wires(plan):
        if w.kind in UPSTREAM_KINDS:
            out.append(
                EdgeReport(
                    **{"from": w.upstream},
                    output=w.output,
                    to=w.node,
                    input=w.input,
                    severity=_severity(plan, w),
                )
            )
        elif w.kind == WireKind.SOURCE:
            out.append(
                EdgeReport(
                    **{"from": "sources"},
                    output=f"{w.node}.{w.input}",
                    to=w.node,
                    input=w.input,
                    severity=_severity(plan, w),
                    kind=EdgeKind.SOURCE,
                )
            )
    return out


def _severity(plan: PipelinePlan, wire: InputWire) -> Severity:
    exp = plan.expectations_for(wire.node, wire.input)
    return Severity(exp.severity) if exp is not None else Severity.BLOCK


class EdgeChecker:
    """Validates the edges of one run of ``plan``; Data Docs go under ``<run dir>/data_docs``, built
    by ``docs_builder`` (e.g. :meth:`~script_testing.checks.docs_process.DocsProcess.build`) if given."""

    def __init__(
        self,
        plan: PipelinePlan,
        run_dir: Path,
        *,
        rebaseline: bool = False,
        docs: bool = True,
        baseline: bool = True,
        scale: int | None = None,
        docs_builder: Callable[[Path, list], str] | None = None,
    ) -> None:
        self.plan = plan
        self.run_dir = Path(run_dir)
        policy = plan.project.config.runner.data_docs  # failures | all | off
        self.docs = (
            DocsBatch(self.run_dir / "data_docs", builder=docs_builder, failures_only=policy == "failures")
            if docs and policy != "off"
            else None
        )
        # row ranges are kept per row scale (the run's --rows), so other scales are never compared
        self.baseline = SchemaBaseline(baseline_path(plan), scale=scale) if baseline else None
        if rebaseline and self.baseline is not None:
            self.baseline.rebaseline()

    def requirements(self, edge: EdgeReport, path: Path) -> EdgeRequirements:
        plan = self.plan
        consumer = plan.nodes[edge.to]
        contract = consumer.resolved.interface.contract.inputs.get(edge.input)
        profile_name = self._profile_name(edge)
        return EdgeRequirements.from_expectations(
            plan.expectations_for(edge.to, edge.input),
            env_columns=env_columns(consumer.environ_vars) if holds_tables(path) else {},
            profile=plan.project.config.data_profiles.get(profile_name) if profile_name else None,
            profile_name=profile_name,
            channels=list(contract.channels) if contract is not None and contract.channels else None,
            source=f"{edge.from_}.{edge.output}"
            if edge.kind == EdgeKind.EDGE
            else f"source of {edge.to}.{edge.input}",
            consumer=f"{edge.to}.{edge.input}",
            edge_id=edge.id,
        )

    def _profile_name(self, edge: EdgeReport) -> str | None:
        if edge.kind == EdgeKind.SOURCE:
            spec = source_for(self.plan, edge.to, edge.input)
        elif self.plan.nodes[edge.from_].role != NodeRole.SCRIPT:
            spec = source_for(self.plan, edge.from_, edge.output)
        else:
            return None
        return spec.synthetic if spec is not None else None

    def check(self, edge: EdgeReport, path: Path, *, synthesized: bool = False) -> EdgeReport:
        """Validate the data at ``path`` for ``edge`` and fill the report entry in place.

        ``synthesized`` data (made up for a partial run) is never compared with, nor recorded as,
        the drift baseline.
        """
        result = validate_edge(
            path,
            self.requirements(edge, path),
            baseline=None if synthesized else self.baseline,
            docs=self.docs,
        )
        edge.status = result.status
        edge.summary = result.summary
        edge.failed_expectations = [
            f.to_dict() if hasattr(f, "to_dict") else dict(f.__dict__) for f in result.failed_expectations
        ]
        edge.expectations_evaluated = result.expectations_evaluated
        edge.duration_s = round(result.duration_s, 4)
        edge.docs_path = result.docs_path
        return edge

    def build_docs(self) -> str | None:
        """Build the run's Data Docs site once, for every edge checked so far."""
        return self.docs.build() if self.docs is not None else None
