"""A long chain loads in Dagster: edge checks are asset checks of the producer's step, not steps of their
own (a step per check doubled the graph's depth: a chain of 700 nodes failed with a RecursionError)."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from script_testing.orchestration import build_definitions

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

INTERFACE = """
step_type: Link
contract:
  entry_point: link.py
  inputs:
    input_data: {path: /opt/ml/processing/input/data}
  outputs:
    data: {path: /opt/ml/processing/output/data}
spec:
  dependencies:
    input_data: {type: processing_output}
  outputs:
    data: {type: processing_output, aliases: [input_data]}
"""


def test_a_chain_of_800_nodes_loads_with_its_checks(tmp_path: Path) -> None:
    steps = tmp_path / "steps" / "link"
    steps.mkdir(parents=True)
    (steps / "link.step.yaml").write_text(INTERFACE.lstrip())
    (steps / "link.py").write_text("def main(input_paths, output_paths, environ_vars, job_args):\n    pass\n")
    (tmp_path / "in.csv").write_text("id,x\n1,2\n")
    nodes = [f"Link_n{i:03d}" for i in range(800)]
    (tmp_path / "chain.dag.json").write_text(
        json.dumps({"dag": {"nodes": nodes, "edges": [list(p) for p in pairwise(nodes)]}})
    )
    (tmp_path / "script_testing.yaml").write_text(
        "workspaces: [steps]\npipelines:\n  chain:\n    dag: chain.dag.json\n"
        f"    sources:\n      {nodes[0]}.input_data: {{local: {tmp_path / 'in.csv'}}}\n"
    )
    defs = build_definitions(tmp_path)
    graph = defs.resolve_asset_graph()
    job = defs.resolve_job_def("chain")
    assert len(job.graph.node_defs) == 801  # one op per node and one for the source: no op per check
    checks = list(graph.asset_check_keys)
    assert sum(c.name.startswith("feeds_") for c in checks) == 800  # every edge (and the source's) checked
    assert sum(c.name == "contract" for c in checks) == 800  # and every node's contract
