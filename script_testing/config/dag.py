"""The pipeline DAG file ``*.dag.json``: nodes, edges and free-form metadata."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from script_testing.config.loading import load_model
from script_testing.config.names import SafeName, name_problem
from script_testing.errors import DagError


class _DagBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    nodes: list[SafeName]
    edges: list[tuple[str, str]] = Field(default_factory=list)


class DagFile(BaseModel):
    model_config = ConfigDict(extra="allow")
    dag: _DagBody
    metadata: dict[str, Any] = Field(default_factory=dict)


class PipelineDag:
    """A validated DAG: unique nodes, edges between known nodes, no cycle."""

    def __init__(
        self,
        nodes: list[str],
        edges: list[tuple[str, str]],
        *,
        metadata: dict[str, Any] | None = None,
        source: str = "<dag>",
    ) -> None:
        self.source = source
        self.metadata = dict(metadata or {})
        seen: set[str] = set()
        for n in nodes:
            problem = name_problem(n)
            if problem:
                raise DagError(
                    f"node {n!r} cannot be a folder name: {problem}", where=source, hint="rename it"
                )
            if n in seen:
                raise DagError(
                    f"node '{n}' is listed twice in dag.nodes", where=source, hint="remove the duplicate"
                )
            seen.add(n)
        for i, (a, b) in enumerate(edges):
            for end in (a, b):
                if end not in seen:
                    raise DagError(
                        f"edge {i} [{a!r}, {b!r}] names unknown node '{end}'",
                        where=source,
                        hint="add the node to dag.nodes or fix the edge",
                    )
        self.nodes = list(nodes)
        self.edges = list(dict.fromkeys((a, b) for a, b in edges))
        self.order = self._topological_order()

    @classmethod
    def load(cls, path: Path) -> PipelineDag:
        model = load_model(DagFile, path)
        return cls(model.dag.nodes, model.dag.edges, metadata=model.metadata, source=str(path))

    @cached_property
    def predecessors(self) -> dict[str, list[str]]:
        preds: dict[str, list[str]] = {n: [] for n in self.nodes}
        for a, b in self.edges:
            preds[b].append(a)
        return preds

    @cached_property
    def successors(self) -> dict[str, list[str]]:
        succ: dict[str, list[str]] = {n: [] for n in self.nodes}
        for a, b in self.edges:
            succ[a].append(b)
        return succ

    @property
    def name(self) -> str | None:
        return self.metadata.get("name")

    @property
    def description(self) -> str | None:
        return self.metadata.get("description")

    def descendants(self, node: str) -> set[str]:
        out: set[str] = set()
        stack = [node]
        while stack:
            for nxt in self.successors[stack.pop()]:
                if nxt not in out:
                    out.add(nxt)
                    stack.append(nxt)
        return out

    def ancestors(self, node: str) -> set[str]:
        out: set[str] = set()
        stack = [node]
        while stack:
            for prev in self.predecessors[stack.pop()]:
                if prev not in out:
                    out.add(prev)
                    stack.append(prev)
        return out

    def _topological_order(self) -> list[str]:
        """Kahn's algorithm, stable in the order nodes are listed; a cycle is reported by name."""
        indeg = dict.fromkeys(self.nodes, 0)
        succ: dict[str, list[str]] = defaultdict(list)
        for a, b in self.edges:
            indeg[b] += 1
            succ[a].append(b)
        position = {n: i for i, n in enumerate(self.nodes)}
        ready = [n for n in self.nodes if indeg[n] == 0]
        order: list[str] = []
        while ready:
            ready.sort(key=position.__getitem__)
            n = ready.pop(0)
            order.append(n)
            for m in succ[n]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    ready.append(m)
        if len(order) != len(self.nodes):
            cycle = self._find_cycle({n for n in self.nodes if indeg[n] > 0})
            raise DagError(
                f"the DAG has a cycle: {' -> '.join(cycle)}",
                where=self.source,
                hint="remove one of these edges",
            )
        return order

    def _find_cycle(self, remaining: set[str]) -> list[str]:
        """A cycle among the nodes Kahn's algorithm could not order, as ``[a, b, ..., a]`` along the edges.

        Every remaining node still has a remaining predecessor, so walking predecessors must loop."""
        position = {n: i for i, n in enumerate(self.nodes)}
        node = min(remaining, key=position.__getitem__)
        path: list[str] = []
        index: dict[str, int] = {}
        while node not in index:
            index[node] = len(path)
            path.append(node)
            node = next(p for p in self.predecessors[node] if p in remaining)
        cycle = path[index[node] :][::-1]
        first = min(range(len(cycle)), key=lambda i: position[cycle[i]])
        cycle = cycle[first:] + cycle[:first]
        return [*cycle, cycle[0]]
