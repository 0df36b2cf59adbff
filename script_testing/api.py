"""The Python and notebook API: load a project, plan pipelines, run them, and test a pipeline, a
script or an edge in one call with a readable result.

    import script_testing as st
    result = st.test_pipeline("tabular_simple")
    result            # rich HTML in Jupyter, a text summary elsewhere
    assert result.success
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from script_testing.config.project import Project
from script_testing.config.state import runs_root
from script_testing.errors import ScriptTestingError
from script_testing.execution.options import RunOptions
from script_testing.execution.outcome import settled
from script_testing.execution.scheduler import run_pipeline
from script_testing.pipeline.plan import PipelinePlan, load_plan
from script_testing.pipeline.selection import options_for, select
from script_testing.pipeline.targets import open_project, pipeline_of, resolve_target
from script_testing.reports import serve
from script_testing.reports.html import summary_html, write_html
from script_testing.reports.model import REPORT_FILE, EdgeReport, NodeReport, RunReport
from script_testing.reports.text import edge_line, node_line, summary_text
from script_testing.vocabulary import EdgeStatus, NodeStatus

__all__ = [
    "TestResult",
    "load_result",
    "open_project",
    "plan_pipeline",
    "resolve_target",
    "run",
    "test_compatibility",
    "test_pipeline",
    "test_script",
]


def plan_pipeline(target: str | Path, project: str | Path | Project | None = None) -> PipelinePlan:
    """The runnable plan of a pipeline (nothing runs).

    Example::

        plan = plan_pipeline("tabular_simple")
        plan.order          # the nodes in DAG order
    """
    proj, name = resolve_target(target, project)
    return load_plan(proj, name)


def run(
    target: str | Path,
    project: str | Path | Project | None = None,
    options: RunOptions | None = None,
    pool=None,
) -> RunReport:
    """Run a pipeline and return its :class:`RunReport` (no HTML report is written).

    Example::

        report = run("tabular_simple", options=RunOptions(rows_override=50))
        report.success
    """
    report = run_pipeline(plan_pipeline(target, project), options, pool=pool)
    if warning := record_in_dagster(report, "notebook"):
        report.warnings.append(warning)
    return report


def record_in_dagster(report: RunReport, recorded_from: str) -> str | None:
    """Record a run in the Dagster instance of ``$DAGSTER_HOME`` (nothing when it is unset).

    Returns a warning sentence when the run could not be recorded (the run's own result stands).
    """
    if not os.environ.get("DAGSTER_HOME"):
        return None
    try:
        # why lazy: Dagster is heavy, and the core imports it only when DAGSTER_HOME asks for it
        from script_testing.orchestration import record  # lazy: see the line above

        record.record_run(report, recorded_from)
    except Exception as exc:  # the instance is a convenience; never fail a finished run for it
        return (
            f"could not record run {report.run_id} in the Dagster instance of DAGSTER_HOME="
            f"{os.environ.get('DAGSTER_HOME')} ({type(exc).__name__}: {exc}); the run's report.json stands"
        )
    return None


class TestResult:
    """The outcome of a test: ``success``, the per-node and per-edge results, the run folder."""

    __test__ = False  # not a pytest test class

    def __init__(self, report: RunReport, notes: list[str] | None = None) -> None:
        self.report = report
        self.notes = list(notes or [])

    @property
    def success(self) -> bool:
        return self.report.success

    @property
    def nodes(self) -> dict[str, NodeReport]:
        return self.report.nodes

    @property
    def edges(self) -> list[EdgeReport]:
        return self.report.edges

    @property
    def run_dir(self) -> Path:
        return Path(self.report.run_dir or ".")

    @property
    def failed(self) -> list[str]:
        return [n for n, r in self.report.nodes.items() if r.status == NodeStatus.FAILED]

    def __bool__(self) -> bool:
        return self.success

    def html_report(self, path: str | Path | None = None) -> Path:
        """Write the self-contained HTML report (default: ``<run dir>/report.html``) and return its path."""
        return write_html(self.report, Path(path) if path else self.run_dir / "report.html")

    def __repr__(self) -> str:
        lines = [summary_text(self.report)]
        lines += [node_line(n, r) for n, r in self.report.nodes.items()]
        lines += [edge_line(e) for e in self.report.edges if e.status in (EdgeStatus.FAILED, EdgeStatus.WARN)]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return summary_html(self.report)


def _run(
    target: Any,
    project: Any,
    options: RunOptions,
    nodes: list[str] | None = None,
    reuse_run: str | Path | None = None,
) -> TestResult:
    plan = plan_pipeline(target, project)
    notes: list[str] = []
    if nodes is not None:
        sel = select(plan, nodes, Path(reuse_run) if reuse_run else None)
        options = options_for(sel, options)
        notes = sel.notes
    report = run_pipeline(plan, options)
    write_html(report, Path(report.run_dir) / "report.html")
    if warning := record_in_dagster(report, "notebook"):
        notes.append(warning)
    return TestResult(report, notes)


def test_pipeline(
    pipeline: str | Path,
    project: str | Path | Project | None = None,
    *,
    rows: int | None = None,
    seed: int | None = None,
    checks: bool = True,
    parallelism: int | None = None,
    rebaseline: bool = False,
) -> TestResult:
    """Run a whole pipeline: a name of the project, a ``*.dag.json`` path, or a project folder.

    Example::

        result = test_pipeline("tabular_simple", rows=100)
        assert result.success, result
    """
    return _run(
        pipeline,
        project,
        RunOptions(
            rows_override=rows,
            seed_override=seed,
            checks=checks,
            parallelism=parallelism,
            rebaseline=rebaseline,
        ),
    )


test_pipeline.__test__ = False  # type: ignore[attr-defined]  # a user's `from script_testing import test_pipeline` is no pytest test


def test_script(
    node: str,
    pipeline: str | Path | None = None,
    project: str | Path | Project | None = None,
    *,
    reuse_run: str | Path | None = None,
    rows: int | None = None,
    checks: bool = True,
) -> TestResult:
    """Run one node alone. Its inputs come from sources, an earlier run's outputs, or are synthesized
    from what the node declares it needs (expectations, column env vars).

    Example::

        result = test_script("XGBoostTraining", "tabular_simple")
        result.nodes["XGBoostTraining"].status
    """
    target = pipeline if pipeline is not None else pipeline_of(node, project)
    return _run(target, project, RunOptions(rows_override=rows, checks=checks), [node], reuse_run)


test_script.__test__ = False  # type: ignore[attr-defined]


def test_compatibility(
    upstream: str,
    downstream: str,
    pipeline: str | Path | None = None,
    project: str | Path | Project | None = None,
    *,
    reuse_run: str | Path | None = None,
    rows: int | None = None,
) -> TestResult:
    """Run ``upstream``, check the data on the edge, then run ``downstream`` on its outputs.

    Example::

        result = test_compatibility("TabularPreprocessing", "XGBoostTraining")
        [e.status for e in result.edges]
    """
    target = pipeline if pipeline is not None else pipeline_of(upstream, project, also=downstream)
    plan = plan_pipeline(target, project)
    if upstream not in plan.dag.predecessors.get(downstream, []):
        raise ScriptTestingError(
            f"{upstream} does not feed {downstream} in pipeline {plan.name}",
            hint=f"{downstream}'s upstream nodes: "
            f"{', '.join(plan.dag.predecessors.get(downstream, [])) or 'none'}",
        )
    return _run(target, project, RunOptions(rows_override=rows), [upstream, downstream], reuse_run)


test_compatibility.__test__ = False  # type: ignore[attr-defined]


_SERVED: dict[Path, str] = {}


def serve_runs(project: str | Path | Project | None = None, port: int = 0) -> str:
    """Serve the project's runs root read-only on loopback, so that the links of results shown from now on
    in this process (a notebook's tables, reports) are ``http://`` links a browser opens; returns its URL.

    Once per runs root and process; the server stops with the process (the notebook's kernel)."""
    proj = project if isinstance(project, Project) else open_project(project)
    root = runs_root(proj).resolve()
    if root not in _SERVED:
        _SERVED[root] = serve.base_url(serve.start(root, port=port))
    os.environ[serve.URL_ENV], os.environ[serve.ROOT_ENV] = _SERVED[root], str(root)
    return _SERVED[root]


def load_result(run_dir: str | Path) -> TestResult:
    """A past run's result, from its folder or its report.json.

    Example::

        result = load_result(".script_testing/runs/tabular_simple/<run id>")
        result.failed
    """
    path = Path(run_dir)
    return TestResult(settled(RunReport.read(path if path.name == REPORT_FILE else path / REPORT_FILE)))
