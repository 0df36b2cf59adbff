"""Deep dives: feed selected nodes with the real outputs a production execution left in S3.

An execution writes each node's outputs under a predictable layout, by default
``{prefix}/{node}/{output}/``. Given the edges feeding the nodes being tested
(``(consumer_node, consumer_input, upstream_node, upstream_output)``), :func:`deep_dive_sources`
maps each ``Consumer.input`` to an ``s3:`` source at the upstream output's location, and
:func:`check_layout` reports, in one message, every expected location that holds nothing.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from script_testing.config.project import SourceSpec
from script_testing.errors import ConfigError, SourceError
from script_testing.s3.client import make_s3_client, s3_error
from script_testing.s3.errors import S3Error, S3NotFoundError
from script_testing.s3.transfer import resolve, run_parallel
from script_testing.s3.uri import S3Uri

DEFAULT_TEMPLATE = "{prefix}/{node}/{output}/"
_FIELDS = {"prefix", "node", "output"}

Edge = tuple[str, str, str, str]  # (consumer_node, consumer_input, upstream_node, upstream_output)


class ExecutionLayout:
    """``layout(node, output) -> 's3://...'`` for one execution prefix and template."""

    def __init__(self, prefix: str, template: str | None = None) -> None:
        template = template or DEFAULT_TEMPLATE
        S3Uri.parse(prefix)
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        unknown = sorted(fields - _FIELDS)
        if unknown or "node" not in fields or "output" not in fields:
            problem = (
                f"unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}"
                if unknown
                else "it must contain {node} and {output}"
            )
            raise ConfigError(
                f"the execution layout template '{template}' is invalid: {problem}",
                where="execution layout",
                hint="use {prefix}, {node} and {output}, e.g. " + DEFAULT_TEMPLATE,
            )
        self.prefix = prefix.rstrip("/")
        self.template = template

    def __call__(self, node: str, output: str) -> str:
        uri = self.template.format(prefix=self.prefix, node=node, output=output)
        S3Uri.parse(uri)
        return uri

    def __repr__(self) -> str:
        return f"ExecutionLayout({self.prefix!r}, {self.template!r})"


def execution_layout(prefix: str, template: str = DEFAULT_TEMPLATE) -> Callable[[str, str], str]:
    """A function ``(node, output) -> uri`` for the outputs of one execution."""
    return ExecutionLayout(prefix, template)


def layout_from_execution(execution: Mapping[str, Any]) -> ExecutionLayout:
    """From a pipeline's ``execution:`` mapping: ``prefix`` (or ``s3``) and optional ``template`` (or ``layout``)."""
    prefix = execution.get("prefix") or execution.get("s3")
    if not prefix:
        raise ConfigError(
            "the pipeline's 'execution' needs a 'prefix' (an s3:// URI)",
            where="execution",
            hint="for example execution: {prefix: s3://bucket/exec-123}",
        )
    return ExecutionLayout(str(prefix), execution.get("template") or execution.get("layout"))


def deep_dive_sources(prefix: str, template: str | None, wanted: Iterable[Edge]) -> dict[str, SourceSpec]:
    """``{"Consumer.input": SourceSpec(s3=<upstream output in S3>)}`` for every wanted edge."""
    layout = ExecutionLayout(prefix, template)
    out: dict[str, SourceSpec] = {}
    conflicts: list[str] = []
    for consumer, port, upstream, output in wanted:
        key = f"{consumer}.{port}"
        uri = layout(upstream, output)
        if key in out and out[key].s3 != uri:
            conflicts.append(f"{key} ({out[key].s3} and {uri})")
            continue
        out[key] = SourceSpec.model_validate({"s3": uri})
    if conflicts:
        raise ConfigError(
            f"input(s) fed by more than one upstream output: {'; '.join(conflicts)}",
            where="deep dive",
            hint="bind each such input explicitly in the pipeline's bindings",
        )
    return out


def missing_layout(
    client: Any, prefix: str, template: str | None, wanted: Iterable[Edge], *, max_workers: int = 8
) -> list[tuple[str, str]]:
    """``[(upstream "Node.output", uri)]`` whose location holds nothing (one LIST of one key each).

    Any other failure (missing bucket, access denied, unreachable endpoint) is raised as SourceError.
    """
    layout = ExecutionLayout(prefix, template)
    client = make_s3_client(client=client) if client is not None else make_s3_client()
    expected: dict[str, str] = {}
    for _, _, upstream, output in wanted:
        expected.setdefault(f"{upstream}.{output}", layout(upstream, output))

    def probe(name: str, uri: str):
        def task():
            try:
                resolve(client, uri, limit=1)
            except S3NotFoundError:
                return name, uri
            except SourceError:
                raise
            except Exception as exc:
                raise s3_error(exc, uri, client=client) from None
            return None

        return task

    results = run_parallel([probe(n, u) for n, u in expected.items()], max_workers)
    return [r for r in results if r is not None]


def check_layout(
    client: Any, prefix: str, template: str | None, wanted: Iterable[Edge], *, max_workers: int = 8
) -> list[str]:
    """Problems with an execution's layout, before anything runs: ``[]``, or ONE message listing
    every missing location (or the one failure that stops all of them, such as a missing bucket)."""
    wanted = list(wanted)
    try:
        missing = missing_layout(client, prefix, template, wanted, max_workers=max_workers)
    except SourceError as exc:
        return [str(exc)]
    if not missing:
        return []
    total = len({(u, o) for _, _, u, o in wanted})
    listing = ", ".join(f"{name} ({uri})" for name, uri in missing)
    err = S3Error(
        f"{len(missing)} of {total} expected execution outputs are missing: {listing}",
        where=prefix.rstrip("/") + "/",
        hint=f"check the execution prefix and the layout template "
        f"'{template or DEFAULT_TEMPLATE}', or give those inputs another source",
    )
    return [str(err)]
