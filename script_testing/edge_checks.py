"""Edge checks for a plan: build each edge's requirements from the project and validate the data.

What a consumer needs from an input comes from three places: the project's ``expectations`` for
that input, the column names the consumer is configured with through environment variables
(``LABEL_FIELD=label``: a non-empty ``*_FIELD``/``*_COLUMN``/``*_COL`` variable names a column; a
``*_FIELD_LIST``/``*_COLUMNS`` variable a comma-separated list), applied to tabular inputs
(csv, tsv, parquet files), and, for synthetic data, the profile's own schema.
"""

from __future__ import annotations

import re
from pathlib import Path

from script_testing.plan import PipelinePlan
from script_testing.report import EdgeReport
from script_testing.state import state_root

_COLUMN_VAR = re.compile(r"(^|_)(FIELD|COLUMN|COL)(_NAME)?$")
_COLUMN_LIST_VAR = re.compile(r"(^|_)(FIELD_LIST|FIELDS|COLUMNS|COLUMN_LIST|COLS)$")
_TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".csv.gz", ".tsv.gz")
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


def holds_tables(path: Path) -> bool:
    """True when ``path`` is, or contains, a csv/tsv/parquet file."""
    if path.is_file():
        return path.name.lower().endswith(_TABLE_SUFFIXES)
    if not path.is_dir():
        return False
    return any(p.is_file() and p.name.lower().endswith(_TABLE_SUFFIXES) for p in path.rglob("*"))


def baseline_path(plan: PipelinePlan) -> Path:
    return state_root(plan.project) / "baselines" / f"{plan.name}.json"


class EdgeChecker:
    """Validates the edges of one run of ``plan``; Data Docs go under ``<run dir>/data_docs``."""

    def __init__(self, plan: PipelinePlan, run_dir: Path, *, rebaseline: bool = False, docs: bool = True,
                 baseline: bool = True) -> None:
        from script_testing.checks import DocsBatch, SchemaBaseline
        self.plan = plan
        self.run_dir = Path(run_dir)
        self.docs = DocsBatch(self.run_dir / "data_docs") if docs else None
        self.baseline = SchemaBaseline(baseline_path(plan)) if baseline else None
        if rebaseline and self.baseline is not None:
            self.baseline.rebaseline()

    def requirements(self, edge: EdgeReport, path: Path):
        from script_testing.checks import EdgeRequirements
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
            source=f"{edge.from_}.{edge.output}" if edge.kind == "edge" else f"source of {edge.to}.{edge.input}",
            consumer=f"{edge.to}.{edge.input}", edge_id=edge.id)

    def _profile_name(self, edge: EdgeReport) -> str | None:
        from script_testing.execute import source_for
        if edge.kind == "source":
            spec = source_for(self.plan, edge.to, edge.input)
        elif self.plan.nodes[edge.from_].role != "script":
            spec = source_for(self.plan, edge.from_, edge.output)
        else:
            return None
        return spec.synthetic if spec is not None else None

    def check(self, edge: EdgeReport, path: Path, *, synthesized: bool = False) -> EdgeReport:
        """Validate the data at ``path`` for ``edge`` and fill the report entry in place.

        ``synthesized`` data (made up for a partial run) is never compared with, nor recorded as,
        the drift baseline.
        """
        from script_testing.checks import validate_edge
        result = validate_edge(path, self.requirements(edge, path),
                               baseline=None if synthesized else self.baseline, docs=self.docs)
        edge.status = result.status
        edge.summary = result.summary
        edge.failed_expectations = [f.to_dict() if hasattr(f, "to_dict") else dict(f.__dict__)
                                    for f in result.failed_expectations]
        edge.expectations_evaluated = result.expectations_evaluated
        edge.duration_s = round(result.duration_s, 4)
        edge.docs_path = result.docs_path
        return edge

    def build_docs(self) -> str | None:
        """Build the run's Data Docs site once, for every edge checked so far."""
        return self.docs.build() if self.docs is not None else None
