"""Great Expectations (GX Core 1.x), imported lazily and once per process.

- :func:`gx_context` returns one cached ephemeral context with progress bars and analytics off, a
  pandas data source, a dataframe asset and a whole-dataframe batch definition; every shard is
  validated through that batch definition (``get_batch(batch_parameters={"dataframe": df})``,
  then ``batch.validate(suite)``), so nothing is added per call and the context does not grow.
- :func:`build_suite` turns :class:`~script_testing.checks.requirements.Rule` objects into an
  ``ExpectationSuite`` for one shard (only columns that shard has; type rules stay ours, see
  :mod:`script_testing.checks.kinds`). Each expectation carries ``meta={"st_key": rule.key}`` so
  results map back to rules.
- :class:`DocsSites` stores shard results and builds a filesystem Data Docs site per folder;
  :func:`make_offline` then makes its pages render without a network (GX links Bootstrap, Font Awesome,
  jQuery and Vega from CDNs: those tags are removed and ``data_docs_offline.css`` is inlined instead).

GX calls are serialized with a lock: the context is shared by every thread of the process.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from script_testing.checks.pandas_engine import ShardRows
from script_testing.checks.requirements import Rule
from script_testing.files import write_text

_LOCK = threading.RLock()
_STATE: dict[str, Any] = {}

DATASOURCE = "script_testing_checks"
ASSET = "frames"
BATCH_DEFINITION = "whole_frame"
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}


def gx_context() -> Any:
    """The process-wide ephemeral GX context (imports great_expectations on first call)."""
    with _LOCK:
        if "context" in _STATE:
            return _STATE["context"]
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        try:
            context.enable_analytics(False)
        except Exception:  # pragma: no cover - older/newer GX without the switch
            pass
        _skip_batch_fingerprint()
        source = context.data_sources.add_pandas(DATASOURCE)
        batch_definition = source.add_dataframe_asset(ASSET).add_batch_definition_whole_dataframe(
            BATCH_DEFINITION
        )
        _STATE.update(context=context, batch_definition=batch_definition, gx=gx)
        return context


def _skip_batch_fingerprint() -> None:
    """GX md5-hashes every in-memory frame below HASH_THRESHOLD (1 GB) for a batch marker that we
    never use: ~10% of a validation's time on 1M rows. Lower the threshold when the knob exists."""
    try:
        from great_expectations.execution_engine import pandas_execution_engine as pee
    except ImportError:  # pragma: no cover
        return
    if hasattr(pee, "HASH_THRESHOLD"):
        pee.HASH_THRESHOLD = 0


def _gx():
    gx_context()
    return _STATE["gx"]


def build_suite(name: str, rules: list[Rule]) -> Any:
    """An ExpectationSuite for the given (already filtered) rules; type rules are skipped."""
    gx = _gx()
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=name)
    for r in rules:
        meta = {"st_key": r.key, "reason": r.reason}
        if r.check == "exists":
            exp = gxe.ExpectColumnToExist(column=r.column, meta=meta)
        elif r.check in ("not_null", "null_rate"):
            # null_rate: the rate is aggregated across shards by us; GX reports per shard counts
            exp = gxe.ExpectColumnValuesToNotBeNull(column=r.column, meta=meta)
        elif r.check == "range":
            exp = gxe.ExpectColumnValuesToBeBetween(
                column=r.column, min_value=r.params.get("min"), max_value=r.params.get("max"), meta=meta
            )
        elif r.check == "in_set":
            exp = gxe.ExpectColumnValuesToBeInSet(
                column=r.column, value_set=list(r.params["values"]), meta=meta
            )
        elif r.check == "unique":
            exp = gxe.ExpectColumnValuesToBeUnique(column=r.column, meta=meta)
        else:
            continue
        suite.add_expectation(exp)
    return suite


def validate_frame(df: Any, suite: Any) -> Any:
    """Validate one shard; returns the GX ExpectationSuiteValidationResult."""
    with _LOCK:
        gx_context()
        batch = _STATE["batch_definition"].get_batch(batch_parameters={"dataframe": df})
        return batch.validate(suite, result_format=RESULT_FORMAT)


def _kwargs(rule: Rule) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"column": rule.column}
    if rule.check == "range":
        kwargs.update(min_value=rule.params.get("min"), max_value=rule.params.get("max"))
    elif rule.check == "in_set":
        kwargs["value_set"] = list(rule.params["values"])
    return kwargs


def suite_result(name: str, rules: list[Rule], rows: list[dict[str, Any]]) -> Any:
    """GX's result object for rows computed without GX (:mod:`script_testing.checks.pandas_engine`),
    for Data Docs: the same expectations, counts and unexpected samples GX's validation gives."""
    _gx()
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    by_key = {r.key: r for r in rules}
    results = []
    for row in rows:
        rule = by_key.get(row["key"])
        if rule is None:
            continue
        result: dict[str, Any] = {}
        if row["element_count"] is not None:
            total = row["element_count"]
            unexpected = row["unexpected_count"] or 0
            missing = row["missing_count"] or 0
            result = {
                "element_count": total,
                "unexpected_count": unexpected,
                "unexpected_percent": 100.0 * unexpected / max(1, total - missing) if total else None,
                "partial_unexpected_list": list(row["partial"]),
            }
            if row["missing_count"] is not None:
                result.update(
                    missing_count=missing, missing_percent=100.0 * missing / total if total else None
                )
        exception = row["exception"]
        results.append(
            ExpectationValidationResult(
                success=row["success"],
                expectation_config=ExpectationConfiguration(
                    type=row["type"], kwargs=_kwargs(rule), meta={"st_key": rule.key, "reason": rule.reason}
                ),
                result=result,
                exception_info={
                    "raised_exception": bool(exception),
                    "exception_message": exception,
                    "exception_traceback": None,
                },
            )
        )
    evaluated = len(results)
    successful = sum(1 for r in results if r.success)
    return ExpectationSuiteValidationResult(
        success=successful == evaluated,
        results=results,
        suite_name=name,
        statistics={
            "evaluated_expectations": evaluated,
            "successful_expectations": successful,
            "unsuccessful_expectations": evaluated - successful,
            "success_percent": 100.0 * successful / evaluated if evaluated else None,
        },
        meta={},
    )


def shard_results(suite_name: str, shards: list[tuple[str, ShardRows]]) -> list[tuple[str, Any]]:
    """``(label, GX result)`` per shard, for Data Docs (imports GX)."""
    return [(label, suite_result(safe_name(suite_name), s.rules, s.rows)) for label, s in shards]


def result_rows(suite_result: Any) -> list[dict[str, Any]]:
    """Flatten a suite result: one dict per expectation with our key, GX type and counts."""
    rows = []
    for r in suite_result.results:
        cfg = r.expectation_config
        res = r.result or {}
        exc = _exception_text(r.exception_info)
        rows.append(
            {
                "key": (cfg.meta or {}).get("st_key"),
                "type": cfg.type,
                "column": cfg.kwargs.get("column"),
                "success": bool(r.success),
                "element_count": res.get("element_count"),
                "unexpected_count": res.get("unexpected_count"),
                "missing_count": res.get("missing_count"),
                "partial": list(res.get("partial_unexpected_list") or []),
                "observed_value": res.get("observed_value"),
                "exception": exc,
            }
        )
    return rows


def _exception_text(info: Any) -> str | None:
    if not info:
        return None
    if isinstance(info, dict):
        if "raised_exception" in info:
            return (info.get("exception_message") or "error") if info.get("raised_exception") else None
        for v in info.values():  # keyed by metric configuration
            text = _exception_text(v)
            if text:
                return text
        return None
    raised = getattr(info, "raised_exception", False)
    return getattr(info, "exception_message", "error") if raised else None


# ---- Data Docs -----------------------------------------------------------------------------------

_SAFE = re.compile(r"[^A-Za-z0-9_\-]+")


def safe_name(text: str) -> str:
    return _SAFE.sub("_", text).strip("_") or "edge"


class DocsSites:
    """One filesystem Data Docs site per folder, listing every edge validated into it.

    GX builds a site's index from the (in-memory) validation results store; the store is shared by
    the process, so before building a folder's site the store is made to hold that folder's
    results only. At most ``max_sites`` folders are remembered (least recently used dropped).
    """

    def __init__(self, max_sites: int = 16) -> None:
        self.max_sites = max_sites
        self._sites: OrderedDict[str, list[tuple[Any, Any]]] = OrderedDict()

    def build(self, docs_dir: Path, suite_name: str, shard_results: list[tuple[str, Any]]) -> str:
        """Store ``(batch label, suite result)`` pairs for ``suite_name`` and build the site.

        Returns the path of the site's index.html.
        """
        return self.build_many(docs_dir, [(suite_name, shard_results)])

    def build_many(self, docs_dir: Path, items: list[tuple[str, list[tuple[str, Any]]]]) -> str:
        """Like :meth:`build` for several suites, with one site build (the expensive part)."""
        gx_context()  # import GX under the lock first: a warm-up thread may be importing it right now
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        docs_dir = Path(docs_dir).resolve()
        docs_dir.mkdir(parents=True, exist_ok=True)
        site = "st_" + hashlib.sha1(str(docs_dir).encode()).hexdigest()[:12]
        with _LOCK:
            context = gx_context()
            if site not in (context.list_data_docs_sites() or {}):
                context.add_data_docs_site(
                    site,
                    {
                        "class_name": "SiteBuilder",
                        "show_how_to_buttons": False,
                        "store_backend": {
                            "class_name": "TupleFilesystemStoreBackend",
                            "base_directory": str(docs_dir),
                        },
                        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    },
                )
            entries = self._sites.setdefault(str(docs_dir), [])
            self._sites.move_to_end(str(docs_dir))
            while len(self._sites) > self.max_sites:
                self._sites.popitem(last=False)
            new_keys = []
            for suite_name, shard_results in items:
                run_time = _dt.datetime.now(_dt.UTC)
                run_id = RunIdentifier(run_name=safe_name(suite_name), run_time=run_time)
                suite_id = ExpectationSuiteIdentifier(name=safe_name(suite_name))
                for label, result in shard_results:
                    key = ValidationResultIdentifier(
                        expectation_suite_identifier=suite_id,
                        run_id=run_id,
                        batch_identifier=safe_name(label),
                    )
                    result.meta["run_id"] = run_id
                    result.meta["validation_time"] = run_time
                    entries.append((key, result))
                    new_keys.append(key)
            store = context.validation_results_store
            wanted = {k.to_tuple() for k, _ in entries}
            for k in list(store.list_keys()):
                if k.to_tuple() not in wanted:
                    store.remove_key(k)
            present = {k.to_tuple() for k in store.list_keys()}
            for k, v in entries:
                if k.to_tuple() not in present:
                    store.set(k, v)
            urls = context.build_data_docs(site_names=[site], resource_identifiers=new_keys or None)
            make_offline(docs_dir)
        index = docs_dir / "index.html"
        url = urls.get(site, "")
        if not index.exists() and url.startswith("file://"):
            index = Path(url[len("file://") :])
        return str(index)


_DOCS = DocsSites()

OFFLINE_MARK = "<!-- script_testing: offline -->"
_REMOTE_LINK = re.compile(r"""<link\b[^>]*\bhref=["'](?:https?:)?//[^"']*["'][^>]*>""", re.I)
_REMOTE_SCRIPT = re.compile(r"""<script\b[^>]*\bsrc=["'](?:https?:)?//[^"']*["'][^>]*>\s*</script>""", re.I)
# GX's logos (an <img> and a CSS background) come from S3: point them at the site's own images folder
_REMOTE_LOGO = re.compile(r"""https://great-expectations-web-assets[^"')\s]*/([\w.-]+)(?:\?[^"')\s]*)?""")


def make_offline(docs_dir: Path) -> int:
    """Make every page of a Data Docs site render offline; returns how many pages were changed.

    Pages already done carry :data:`OFFLINE_MARK` and are left alone (a site is rebuilt per edge).
    The pages stay readable without their scripts: GX renders tables and results into the HTML;
    only sorting/filtering (bootstrap-table) and the Vega charts need the network and are dropped.
    """
    css = (Path(__file__).with_name("data_docs_offline.css")).read_text(encoding="utf-8")
    style = f"{OFFLINE_MARK}\n<style>\n{css}</style>\n"
    changed = 0
    for page in Path(docs_dir).rglob("*.html"):
        try:
            text = page.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if OFFLINE_MARK in text:
            continue
        logo = os.path.relpath(Path(docs_dir) / "static" / "images", page.parent).replace(os.sep, "/")
        text = _REMOTE_SCRIPT.sub("", _REMOTE_LINK.sub("", text))
        text = _REMOTE_LOGO.sub(rf"{logo}/\1", text)
        head = text.lower().find("</head>")
        text = text[:head] + style + text[head:] if head >= 0 else style + text
        write_text(page, text)
        changed += 1
    return changed


def build_docs(docs_dir: Path, suite_name: str, shard_results: list[tuple[str, Any]]) -> str:
    return _DOCS.build(docs_dir, suite_name, shard_results)


def build_docs_many(docs_dir: Path, items: list[tuple[str, list[tuple[str, Any]]]]) -> str:
    return _DOCS.build_many(docs_dir, items)
