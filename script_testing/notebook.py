"""The notebook API: a pipeline, a script or an edge tested in one call, with a readable result.

    import script_testing as st
    result = st.test_pipeline("tabular_simple")
    result            # rich HTML in Jupyter, a text summary elsewhere
    assert result.success
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from script_testing.api import plan_pipeline
from script_testing.execute import RunOptions, run_pipeline
from script_testing.formats.project import Project
from script_testing.report import REPORT_FILE, RunReport, edge_line, node_line, summary_text


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
    def nodes(self):
        return self.report.nodes

    @property
    def edges(self):
        return self.report.edges

    @property
    def run_dir(self) -> Path:
        return Path(self.report.run_dir or ".")

    @property
    def failed(self) -> list[str]:
        return [n for n, r in self.report.nodes.items() if r.status == "failed"]

    def __bool__(self) -> bool:
        return self.success

    def html_report(self, path: str | Path | None = None) -> Path:
        """Write the self-contained HTML report (default: ``<run dir>/report.html``) and return its path."""
        from script_testing.reports import write_html
        return write_html(self.report, Path(path) if path else self.run_dir / "report.html")

    def __repr__(self) -> str:
        lines = [summary_text(self.report)]
        lines += [node_line(n, r) for n, r in self.report.nodes.items()]
        lines += [edge_line(e) for e in self.report.edges if e.status in ("failed", "warn")]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from script_testing.reports import summary_html
        return summary_html(self.report)


def _run(target: Any, project: Any, options: RunOptions, nodes: list[str] | None = None,
         reuse_run: str | Path | None = None) -> TestResult:
    plan = plan_pipeline(target, project)
    notes: list[str] = []
    if nodes is not None:
        from script_testing.selection import options_for, select
        sel = select(plan, nodes, Path(reuse_run) if reuse_run else None)
        options = options_for(sel, options)
        notes = sel.notes
    report = run_pipeline(plan, options)
    try:
        from script_testing.reports import write_html
        write_html(report, Path(report.run_dir) / "report.html")
    except ImportError:
        pass
    return TestResult(report, notes)


def test_pipeline(pipeline: str | Path, project: str | Path | Project | None = None, *, rows: int | None = None,
                  seed: int | None = None, checks: bool = True, parallelism: int | None = None,
                  rebaseline: bool = False) -> TestResult:
    """Run a whole pipeline: a name of the project, a ``*.dag.json`` path, or a project folder."""
    return _run(pipeline, project, RunOptions(rows_override=rows, seed_override=seed, checks=checks,
                                              parallelism=parallelism, rebaseline=rebaseline))


def test_script(node: str, pipeline: str | Path | None = None, project: str | Path | Project | None = None, *,
                reuse_run: str | Path | None = None, rows: int | None = None, checks: bool = True) -> TestResult:
    """Run one node alone. Its inputs come from sources, an earlier run's outputs, or are synthesized
    from what the node declares it needs (expectations, column env vars)."""
    target = pipeline if pipeline is not None else _pipeline_of(node, project)
    return _run(target, project, RunOptions(rows_override=rows, checks=checks), [node], reuse_run)


def test_compatibility(upstream: str, downstream: str, pipeline: str | Path | None = None,
                       project: str | Path | Project | None = None, *, reuse_run: str | Path | None = None,
                       rows: int | None = None) -> TestResult:
    """Run ``upstream``, check the data on the edge, then run ``downstream`` on its outputs."""
    target = pipeline if pipeline is not None else _pipeline_of(upstream, project, also=downstream)
    plan = plan_pipeline(target, project)
    if upstream not in plan.dag.predecessors.get(downstream, []):
        from script_testing.errors import ScriptTestingError
        raise ScriptTestingError(f"{upstream} does not feed {downstream} in pipeline {plan.name}",
                                 hint=f"{downstream}'s upstream nodes: "
                                      f"{', '.join(plan.dag.predecessors.get(downstream, [])) or 'none'}")
    return _run(target, project, RunOptions(rows_override=rows), [upstream, downstream], reuse_run)


def _pipeline_of(node: str, project: Any, also: str | None = None) -> str:
    """The pipeline holding ``node`` (and ``also``), when the caller did not name one."""
    from script_testing.api import open_project
    from script_testing.errors import ScriptTestingError
    from script_testing.formats.dag import PipelineDag
    proj = open_project(project)
    found = []
    for name, cfg in proj.config.pipelines.items():
        dag = PipelineDag.load(proj.resolve(cfg.dag))
        if node in dag.nodes and (also is None or also in dag.nodes):
            found.append(name)
    if not found:
        raise ScriptTestingError(f"no pipeline of {proj.file} has node {node}" + (f" and {also}" if also else ""),
                                 hint="name the pipeline: pipeline=...")
    return found[0]


def load_result(run_dir: str | Path) -> TestResult:
    """A past run's result, from its folder or its report.json."""
    path = Path(run_dir)
    return TestResult(RunReport.read(path if path.name == REPORT_FILE else path / REPORT_FILE))
