"""JUnit XML of runs (``script-testing run --junit-xml PATH``), for CI systems.

One ``<testsuite>`` per run; a ``<testcase>`` per node and per edge check (classname
``<pipeline>.nodes`` / ``<pipeline>.checks``), one for the run's budgets when it has any, and one for
a problem that stopped the whole run. A failure carries its sentence; a skipped node or check is
``<skipped>`` with the reason; nothing that did not run is reported as passed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from script_testing import files
from script_testing.reports.model import EdgeReport, NodeReport, RunReport
from script_testing.vocabulary import EdgeStatus, NodeStatus

_MAX_EXPECTATIONS = 20


def log_pointer(node: NodeReport) -> str | None:
    """``see stderr.log: /path`` for a node that has a log, else ``None``."""
    if node.stderr_path:
        return f"see stderr.log: {node.stderr_path}"
    return None


def _case(suite: ET.Element, classname: str, name: str, time_s: float | None) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=classname, name=name, time=f"{time_s or 0:.3f}")


def _node_case(suite: ET.Element, pipeline: str, name: str, node: NodeReport) -> str:
    case = _case(suite, f"{pipeline}.nodes", name, node.duration_s)
    if node.status == NodeStatus.FAILED:
        sentence = (node.error or "the script failed").splitlines()[0]
        body = [node.error or sentence]
        if pointer := log_pointer(node):
            body.append(pointer)
        if node.stderr_tail:
            body += ["", "stderr (last lines):", node.stderr_tail]
        ET.SubElement(case, "failure", message=sentence, type=node.error_kind or "failed").text = "\n".join(
            body
        )
        return "failure"
    if node.status in (NodeStatus.SKIPPED, NodeStatus.PENDING, NodeStatus.RUNNING):
        reason = node.skipped_because or f"did not run (status {node.status})"
        ET.SubElement(case, "skipped", message=reason)
        return "skipped"
    if node.status == NodeStatus.SOURCE and node.source:
        ET.SubElement(case, "system-out").text = node.source
    return "passed"


def _edge_case(suite: ET.Element, pipeline: str, edge: EdgeReport) -> str:
    case = _case(suite, f"{pipeline}.checks", edge.id, edge.duration_s)
    details = [
        str(f.get("message") or f.get("expectation") or f)
        for f in edge.failed_expectations[:_MAX_EXPECTATIONS]
    ]
    if edge.status == EdgeStatus.FAILED:
        sentence = edge.summary or f"the data check on {edge.id} failed"
        ET.SubElement(case, "failure", message=sentence, type=f"check ({edge.severity})").text = "\n".join(
            [sentence, *details]
        )
        return "failure"
    if edge.status in (EdgeStatus.SKIPPED, EdgeStatus.PENDING):
        ET.SubElement(case, "skipped", message=edge.summary or f"not checked (status {edge.status})")
        return "skipped"
    if edge.status == EdgeStatus.WARN:
        ET.SubElement(case, "system-out").text = "\n".join([f"warning: {edge.summary or ''}", *details])
    return "passed"


def _suite(root: ET.Element, report: RunReport) -> None:
    suite = ET.SubElement(
        root,
        "testsuite",
        name=report.pipeline,
        timestamp=report.started_at,
        time=f"{report.duration_s or 0:.3f}",
        id=report.run_id,
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (("run_id", report.run_id), ("run_dir", report.run_dir), ("status", report.status)):
        ET.SubElement(props, "property", name=key, value=str(value or ""))
    outcomes = [_node_case(suite, report.pipeline, n, rep) for n, rep in report.nodes.items()]
    outcomes += [_edge_case(suite, report.pipeline, e) for e in report.edges]
    if report.budgets or report.budget_breaches:
        case = _case(suite, f"{report.pipeline}.budgets", "budgets", None)
        if report.budget_breaches:
            ET.SubElement(case, "failure", message=report.budget_breaches[0], type="budget").text = "\n".join(
                report.budget_breaches
            )
            outcomes.append("failure")
        else:
            outcomes.append("passed")
    if report.error:
        case = _case(suite, f"{report.pipeline}.run", "run", report.duration_s)
        ET.SubElement(case, "error", message=report.error.splitlines()[0], type="run").text = report.error
        outcomes.append("error")
    suite.set("tests", str(len(outcomes)))
    for key, word in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        suite.set(key, str(outcomes.count(word)))


def junit_xml(reports: list[RunReport]) -> str:
    """The JUnit XML document of these runs."""
    root = ET.Element("testsuites", name="script_testing")
    for report in reports:
        _suite(root, report)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(reports: list[RunReport], path: Path) -> Path:
    path = Path(path)
    files.write_text(path, junit_xml(reports))
    return path
