"""Validate the data crossing one edge: :func:`validate_edge`.

Order of checks (each failure is one :class:`FailedExpectation` with a sentence naming the data, the
file and the consumer):

1. structural (ours, always blocking): ``expect_path_to_exist``, ``expect_output_not_empty``,
   ``expect_channel_to_exist`` (per channel), ``expect_tabular_data`` (only when the consumer has
   tabular requirements; otherwise non-tabular outputs pass with a note), ``expect_file_readable``
   (every tabular file parses in its format), ``expect_shards_to_share_columns`` (files of one folder
   have the same columns);
2. the GX expectations built from the requirements, evaluated with pandas with GX's results
   (:mod:`.pandas_engine`; GX itself is imported only to render Data Docs), shard by shard (one
   file, or one batch of ``batch_rows`` rows of a large file, at a time): ``expect_column_to_exist``,
   ``expect_column_values_to_not_be_null``, ``..._to_be_between``, ``..._to_be_in_set``,
   ``..._to_be_unique``; counts are summed across shards and decided on the totals (a profile's
   null rate is a rate over the whole output; uniqueness is also checked across shards through
   64-bit value hashes);
3. ours on every shard: ``expect_column_kind`` (type kinds, see :mod:`script_testing.checks.kinds`),
   ``expect_table_row_count_to_be_between`` (on the total rows);
4. drift against a :class:`~script_testing.checks.baseline.SchemaBaseline`, when given.

Severity: the requirements' ``severity`` (block|warn) applies to 2-4; structural failures always
block (the consumer cannot run on data that is not there); a row count outside the baseline range
is always a warning.

About 550 lines, above the ~400 guideline: one streaming validator whose per-batch steps
(our expectations, GX, drift) share one pass over the data.

Above ~400 lines: the ordered checks of one edge share their shard-by-shard walk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from script_testing.checks import pandas_engine
from script_testing.checks.baseline import SchemaBaseline
from script_testing.checks.gx_engine import build_docs, build_docs_many, shard_results
from script_testing.checks.kinds import dtype_name, kind_of, matches, merge_kinds
from script_testing.checks.pandas_engine import ShardRows
from script_testing.checks.requirements import EdgeRequirements, Rule
from script_testing.checks.result import EdgeCheckResult, FailedExpectation
from script_testing.data.tabular import DataFile, UnreadableFile, describe_files, iter_batches

DEFAULT_BATCH_ROWS = 1_000_000


def validate_edge(
    path: str | Path,
    requirements: EdgeRequirements | None = None,
    *,
    baseline: SchemaBaseline | str | Path | None = None,
    docs_dir: str | Path | None = None,
    batch_rows: int | None = DEFAULT_BATCH_ROWS,
    docs: DocsBatch | None = None,
) -> EdgeCheckResult:
    """Check that the data at ``path`` (an upstream output folder, or one file) fits ``requirements``.

    ``baseline``: a :class:`SchemaBaseline` (or its JSON path) to compare the schema with; the edge's
    schema is recorded there on its first passing run. ``docs_dir``: build a GX Data Docs site there.
    ``batch_rows``: the most rows held in memory at once (a larger file is validated in batches).
    ``docs``: a :class:`DocsBatch` collecting this validation for one Data Docs build at the end of a
    run (building the site costs ~0.3 s, so a run builds it once rather than per edge).
    Never raises for bad data: every problem is a failed expectation in the result.
    """
    started = time.perf_counter()
    req = requirements or EdgeRequirements()
    if baseline is not None and not isinstance(baseline, SchemaBaseline):
        baseline = SchemaBaseline(baseline)
    run = _EdgeRun(Path(path), req, batch_rows, keep_gx_results=docs_dir is not None or docs is not None)
    run.execute()
    if baseline is not None:
        run.compare_baseline(baseline)
    result = run.result(time.perf_counter() - started, None)
    if docs is not None:
        if docs.wants(result):
            docs.add(req.key, run.gx_results)
            result.docs_path = str(docs.index)
    elif docs_dir is not None:
        result.docs_path = build_docs(Path(docs_dir), req.key, shard_results(req.key, run.gx_results))
    return result


class DocsBatch:
    """Validation results of several edges, built into one Data Docs site with :meth:`build`.

    ``builder(docs_dir, items)`` builds the site elsewhere (a
    :class:`~script_testing.checks.docs_process.DocsProcess`); by default, in this process.
    """

    def __init__(
        self,
        docs_dir: str | Path,
        builder: Callable[[Path, list], str] | None = None,
        *,
        failures_only: bool = False,
    ) -> None:
        self.docs_dir = Path(docs_dir)
        self.builder = builder
        self.failures_only = failures_only  # a passed check gets no page (and a run of passes, no site)
        self.items: list[tuple[str, list[tuple[str, Any]]]] = []

    def wants(self, result: EdgeCheckResult) -> bool:
        """Whether ``result`` gets a Data Docs page."""
        return not (self.failures_only and result.passed)

    @property
    def index(self) -> Path:
        return self.docs_dir / "index.html"

    def add(self, suite_name: str, shard_results: list[tuple[str, Any]]) -> None:
        self.items.append((suite_name, list(shard_results)))

    def build(self) -> str | None:
        """Build the site (once) for everything added; returns the index path, or None if empty."""
        if not self.items:
            return None
        items, self.items = self.items, []
        if self.builder is not None:
            return self.builder(self.docs_dir, items)
        return build_docs_many(self.docs_dir, [(name, shard_results(name, shards)) for name, shards in items])


# ---- one run -------------------------------------------------------------------------------------


@dataclass
class _Agg:
    """A GX expectation's counts summed over shards."""

    rule: Rule
    gx_type: str | None = None
    element_count: int = 0
    unexpected_count: int = 0
    missing_count: int = 0
    samples: list[Any] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # shards where it failed
    exceptions: list[str] = field(default_factory=list)
    evaluated: bool = False

    def add(self, row: dict[str, Any], file: str) -> None:
        self.evaluated = True
        self.gx_type = row["type"]
        self.element_count += row["element_count"] or 0
        self.unexpected_count += row["unexpected_count"] or 0
        self.missing_count += row["missing_count"] or 0
        if row["exception"]:
            self.exceptions.append(f"{file}: {row['exception']}")
        if not row["success"] and file not in self.files:
            self.files.append(file)
        for v in row["partial"]:
            if len(self.samples) < 5 and v not in self.samples:
                self.samples.append(v)


class _EdgeRun:
    def __init__(
        self, path: Path, req: EdgeRequirements, batch_rows: int | None, keep_gx_results: bool = False
    ) -> None:
        self.keep_gx_results = keep_gx_results
        self.path = path
        self.req = req
        self.batch_rows = batch_rows
        self.severity = req.severity
        self.failures: list[FailedExpectation] = []
        self.evaluated: set[str] = set()
        self.notes: list[str] = []
        self.files: list[DataFile] = []
        self.file_rows: dict[str, int] = {}
        self.file_columns: dict[str, list[str]] = {}
        self.columns: dict[str, str] = {}  # schema: name -> kind (merged over shards)
        self.rows: int | None = None
        self.channel_rows: dict[str, int] = {}
        self.gx_results: list[tuple[str, Any]] = []
        self.aggs: dict[str, _Agg] = {}
        self.type_fail: dict[str, dict[str, Any]] = {}
        self.range_not_numeric: dict[str, dict[str, Any]] = {}
        self.hashes: dict[str, list[Any]] = {}
        self.tabular = False

    # -- wording --

    @property
    def src(self) -> str:
        return self.req.source or self.path.name

    def needs(self, reason: str, what: str = "it") -> str:
        if self.req.consumer:
            return f"{self.req.consumer_node} needs {what} ({reason})"
        return f"{what} required by {reason}" if what != "it" else f"required by {reason}"

    def fail(
        self,
        expectation: str,
        message: str,
        *,
        column: str | None = None,
        observed: str = "",
        percent: float | None = None,
        files: list[str] | None = None,
        structural: bool = False,
        severity: str | None = None,
    ) -> None:
        sev = "block" if structural else (severity or self.severity)
        self.failures.append(
            FailedExpectation(
                expectation=expectation,
                column=column,
                observed=observed,
                message=message,
                unexpected_percent=percent,
                severity=sev,
                files=list(files or [])[:10],
            )
        )

    def files_text(self, rels: list[str], of_total: int | None = None) -> str:
        if of_total and len(rels) == of_total and of_total > 3:
            return f"all {of_total} files"
        shown = ", ".join(rels[:3])
        return shown + (f" and {len(rels) - 3} more" if len(rels) > 3 else "")

    # -- checks --

    def execute(self) -> None:
        req = self.req
        self.evaluated.add("expect_path_to_exist")
        if not self.path.exists():
            where = f"; {req.consumer_node} expects its data there" if req.consumer else ""
            self.fail(
                "expect_path_to_exist",
                f"{self.src} does not exist ({self.path}){where}",
                observed="missing",
                structural=True,
            )
            return
        self.files = describe_files(self.path)
        self.evaluated.add("expect_output_not_empty")
        if not self.files or all(f.size == 0 for f in self.files):
            what = "has no data files" if not self.files else "holds only empty files"
            self.fail(
                "expect_output_not_empty",
                f"{self.src} is empty: {self.path} {what}"
                + (f"; {req.consumer_node} needs data" if req.consumer else ""),
                observed="0 files" if not self.files else f"{len(self.files)} empty files",
                structural=True,
            )
        self.check_channels()
        if not self.files or all(f.size == 0 for f in self.files):
            return
        tabular = [f for f in self.files if f.tabular]
        others = [f.rel for f in self.files if not f.tabular]
        if not tabular:
            found = self.files_text(others)
            if req.needs_tabular:
                self.evaluated.add("expect_tabular_data")
                self.fail(
                    "expect_tabular_data",
                    f"no tabular file was found in {self.src} (found {found}); "
                    f"{req.consumer_node} needs a table ({req.tabular_needs_text()})",
                    observed=f"{len(others)} non-tabular files",
                    files=others,
                    structural=True,
                )
            else:
                self.notes.append(
                    f"no tabular file in {self.src} (found {found}): "
                    "tabular expectations skipped, structural checks only"
                )
            return
        if others:
            self.notes.append(f"non-tabular files not validated as tables: {self.files_text(others)}")
        empty = [f.rel for f in tabular if f.size == 0]
        if empty:  # a writer's empty partition: no header, no rows; nothing to check
            self.notes.append(f"empty (0-byte) files skipped: {self.files_text(empty)}")
            tabular = [f for f in tabular if f.size > 0]
        self.tabular = True
        self.evaluated.add("expect_file_readable")
        rules = req.rules()
        for f in tabular:
            self.check_file(f, rules)
        self.check_shard_columns(tabular)
        self.finish_rules(rules, tabular)
        self.check_rows(tabular)

    def check_channels(self) -> None:
        for ch in self.req.channels or []:
            key = f"expect_channel_to_exist:{ch}"
            self.evaluated.add(key)
            p = self.path / ch
            expected = ", ".join(self.req.channels or [])
            if not p.exists():
                self.fail(
                    "expect_channel_to_exist",
                    f"channel '{ch}' is missing from {self.src} ({p}); "
                    f"{self.req.consumer_node} expects sub-folders {expected}",
                    column=None,
                    observed="missing",
                    structural=True,
                    files=[ch],
                )
            elif not any(f.rel.startswith(ch.rstrip("/") + "/") and f.size > 0 for f in self.files):
                self.fail(
                    "expect_channel_to_exist",
                    f"channel '{ch}' of {self.src} is empty ({p}); "
                    f"{self.req.consumer_node} expects data in sub-folders {expected}",
                    observed="empty",
                    structural=True,
                    files=[ch],
                )

    def check_file(self, f: DataFile, rules: list[Rule]) -> None:

        rows = 0
        try:
            for i, df in enumerate(iter_batches(f, self.batch_rows)):
                df.columns = [str(c) for c in df.columns]
                if i == 0:
                    self.file_columns[f.rel] = list(df.columns)
                rows += len(df)
                kinds = {c: kind_of(df[c]) for c in df.columns}
                for c, k in kinds.items():
                    self.columns[c] = merge_kinds(self.columns.get(c), k)
                gx_rules = self.own_checks(df, kinds, rules, f.rel)
                if gx_rules:
                    shard_rows = pandas_engine.evaluate(df, gx_rules)
                    for row in shard_rows:
                        agg = self.aggs.get(row["key"])
                        if agg is not None:
                            agg.add(row, f.rel)
                    if self.keep_gx_results:  # for Data Docs only: small (five samples per rule)
                        label = f.rel if i == 0 else f"{f.rel}#batch{i}"
                        self.gx_results.append((label, ShardRows(gx_rules, shard_rows)))
                del df
        except UnreadableFile as exc:
            self.fail(
                "expect_file_readable",
                f"file '{f.rel}' of {self.src} cannot be read as {exc.fmt}: {exc.reason}",
                observed=f"unreadable {exc.fmt}",
                files=[f.rel],
                structural=True,
            )
            self.file_columns.pop(f.rel, None)
            return
        self.file_rows[f.rel] = rows

    def own_checks(self, df: Any, kinds: dict[str, str], rules: list[Rule], rel: str) -> list[Rule]:
        """Type kinds, ranges on non-numbers, unique hashes; returns the rules GX should evaluate."""
        import pandas as pd

        present = set(df.columns)
        gx_rules: list[Rule] = []
        for r in rules:
            if r.check == "exists":
                self.aggs.setdefault(r.key, _Agg(r))
                gx_rules.append(r)
                continue
            if r.column not in present:
                continue
            kind = kinds[r.column]
            if r.check == "type":
                self.evaluated.add(r.key)
                if not matches(df[r.column], kind, r.params["type"]):
                    slot = self.type_fail.setdefault(r.key, {"rule": r, "files": [], "observed": set()})
                    slot["files"].append(rel)
                    slot["observed"].add(f"dtype {dtype_name(df[r.column])} ({kind})")
                continue
            if r.check == "range" and kind not in ("integer", "float", "null"):
                self.evaluated.add(r.key)
                slot = self.range_not_numeric.setdefault(r.key, {"rule": r, "files": [], "kind": kind})
                slot["files"].append(rel)
                continue
            if r.check == "unique":
                values = df[r.column].dropna()
                try:
                    hashed = pd.util.hash_pandas_object(values, index=False).to_numpy()
                except TypeError:  # unhashable cells (lists, dicts from JSON): hash their text
                    hashed = pd.util.hash_pandas_object(values.astype(str), index=False).to_numpy()
                self.hashes.setdefault(r.key, []).append(hashed)
            self.aggs.setdefault(r.key, _Agg(r))
            gx_rules.append(r)
        return gx_rules

    def check_shard_columns(self, tabular: list[DataFile]) -> None:
        groups: dict[str, list[str]] = {}
        for f in tabular:
            if f.rel in self.file_columns:
                groups.setdefault(str(Path(f.rel).parent), []).append(f.rel)
        for rels in groups.values():
            if len(rels) < 2:
                continue
            self.evaluated.add("expect_shards_to_share_columns")
            ref = rels[0]
            ref_cols = self.file_columns[ref]
            diffs = []
            for rel in rels[1:]:
                cols = self.file_columns[rel]
                lacks = [c for c in ref_cols if c not in cols]
                extra = [c for c in cols if c not in ref_cols]
                if lacks or extra:
                    parts = []
                    if lacks:
                        parts.append(f"lacks {_names(lacks)}")
                    if extra:
                        parts.append(f"has extra {_names(extra)}")
                    diffs.append((rel, " and ".join(parts)))
            if diffs:
                first = "; ".join(f"{rel} {d}" for rel, d in diffs[:3])
                more = f" (and {len(diffs) - 3} more files)" if len(diffs) > 3 else ""
                self.fail(
                    "expect_shards_to_share_columns",
                    f"shards of {self.src} disagree on their columns: {first}, compared with {ref}{more}",
                    observed=f"{len(diffs)} of {len(rels)} files differ",
                    files=[ref] + [r for r, _ in diffs],
                    structural=True,
                )

    def finish_rules(self, rules: list[Rule], tabular: list[DataFile]) -> None:
        readable = [f.rel for f in tabular if f.rel in self.file_columns]
        for r in rules:
            if r.check == "type":
                slot = self.type_fail.get(r.key)
                if slot:
                    observed = ", ".join(sorted(slot["observed"]))
                    self.fail(
                        "expect_column_kind",
                        f"column '{r.column}' of {self.src} is {observed}, but "
                        f"{self.req.consumer_node if self.req.consumer else 'the consumer'} expects "
                        f"{r.params['type']} ({r.reason}) [{self.files_text(slot['files'], len(readable))}]",
                        column=r.column,
                        observed=observed,
                        files=slot["files"],
                    )
                continue
            if r.check == "range" and r.key in self.range_not_numeric:
                slot = self.range_not_numeric[r.key]
                self.fail(
                    "expect_column_values_to_be_between",
                    f"column '{r.column}' of {self.src} is {slot['kind']}, not numeric, so the range "
                    f"{_range_text(r)} ({r.reason}) cannot be checked "
                    f"[{self.files_text(slot['files'], len(readable))}]",
                    column=r.column,
                    observed=f"{slot['kind']} values",
                    files=slot["files"],
                )
                if r.key not in self.aggs:
                    continue
            agg = self.aggs.get(r.key)
            if agg is None or not agg.evaluated:
                continue
            self.evaluated.add(r.key)
            gx_type = agg.gx_type or r.check
            if agg.exceptions:
                self.fail(
                    gx_type,
                    f"column '{r.column}' of {self.src}: {r.check} check could not be "
                    f"evaluated ({agg.exceptions[0]})",
                    column=r.column,
                    observed="error",
                    files=agg.files,
                )
                continue
            if r.check == "exists":
                if agg.files:
                    self.fail(
                        gx_type,
                        f"column '{r.column}' is missing from {self.src} "
                        f"({self.files_text(agg.files, len(readable))}); {self.needs(r.reason)}",
                        column=r.column,
                        observed="missing",
                        files=agg.files,
                        percent=100.0 * len(agg.files) / max(1, len(readable)),
                    )
            elif r.check == "not_null":
                if agg.unexpected_count:
                    pct = 100.0 * agg.unexpected_count / max(1, agg.element_count)
                    self.fail(
                        gx_type,
                        f"column '{r.column}' of {self.src} has {agg.unexpected_count:,} null values "
                        f"of {agg.element_count:,} ({pct:.2f}%); {self.needs(r.reason, 'no nulls')}",
                        column=r.column,
                        observed=f"{agg.unexpected_count:,} nulls",
                        percent=pct,
                        files=agg.files,
                    )
            elif r.check == "null_rate":
                rate = agg.unexpected_count / agg.element_count if agg.element_count else 0.0
                if rate > r.params["max_rate"] + 1e-12:
                    self.fail(
                        gx_type,
                        f"column '{r.column}' of {self.src} is {100 * rate:.2f}% null, more than "
                        f"{100 * r.params['max_rate']:.2f}% (profile rate "
                        f"{100 * r.params['profile_rate']:.2f}% + tolerance; {r.reason})",
                        column=r.column,
                        observed=f"{100 * rate:.2f}% null",
                        percent=100 * rate,
                        files=agg.files,
                    )
            elif r.check in ("range", "in_set"):
                if agg.unexpected_count:
                    denom = max(1, agg.element_count - agg.missing_count)
                    pct = 100.0 * agg.unexpected_count / denom
                    eg = ", ".join(_value_text(v) for v in agg.samples[:3])
                    what = (
                        f"outside {_range_text(r)}"
                        if r.check == "range"
                        else f"not in the allowed set {_set_text(r.params['values'])}"
                    )
                    self.fail(
                        gx_type,
                        f"column '{r.column}' of {self.src} has {agg.unexpected_count:,} of {denom:,} "
                        f"values ({pct:.2f}%) {what}, e.g. {eg} ({r.reason})",
                        column=r.column,
                        observed=f"{agg.unexpected_count:,} values, e.g. {eg}",
                        percent=pct,
                        files=agg.files,
                    )
            elif r.check == "unique":
                import numpy as np

                parts = self.hashes.get(r.key) or []
                hashes = np.concatenate(parts) if parts else np.empty(0, dtype="uint64")
                hashes.sort()  # sort + neighbours: ~8x faster than np.unique here
                dupes = int(np.count_nonzero(hashes[1:] == hashes[:-1])) if len(hashes) > 1 else 0
                if dupes:
                    pct = 100.0 * dupes / max(1, len(hashes))
                    across = "" if agg.files else " across shards"
                    eg = f", e.g. {', '.join(_value_text(v) for v in agg.samples[:3])}" if agg.samples else ""
                    self.fail(
                        gx_type,
                        f"column '{r.column}' of {self.src} has {dupes:,} repeated values{across}{eg}; "
                        f"{self.needs(r.reason, 'unique values')}",
                        column=r.column,
                        observed=f"{dupes:,} duplicates",
                        percent=pct,
                        files=agg.files,
                    )
                self.hashes.pop(r.key, None)

    def check_rows(self, tabular: list[DataFile]) -> None:
        self.rows = sum(self.file_rows.values())
        for ch in self.req.channels or []:
            prefix = ch.rstrip("/") + "/"
            self.channel_rows[ch] = sum(n for rel, n in self.file_rows.items() if rel.startswith(prefix))
        e = self.req.expectations
        if e.min_rows is None and e.max_rows is None:
            return
        self.evaluated.add("expect_table_row_count_to_be_between")
        n = self.rows
        if e.min_rows is not None and n < e.min_rows:
            self.fail(
                "expect_table_row_count_to_be_between",
                f"{self.src} has {n:,} rows; {self.req.consumer_node} needs at least {e.min_rows:,} "
                f"(expectations: min_rows)",
                observed=f"{n:,} rows",
            )
        if e.max_rows is not None and n > e.max_rows:
            self.fail(
                "expect_table_row_count_to_be_between",
                f"{self.src} has {n:,} rows; {self.req.consumer_node} accepts at most {e.max_rows:,} "
                f"(expectations: max_rows)",
                observed=f"{n:,} rows",
            )

    # -- drift --

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"columns": dict(self.columns), "rows": self.rows if self.tabular else None}
        if self.channel_rows:
            out["channels"] = dict(self.channel_rows)
        return out

    def compare_baseline(self, baseline: SchemaBaseline) -> None:
        key = self.req.key
        schema = self.schema()
        others = [f.rel for f in self.files if not f.tabular and f.size > 0]
        if not self.tabular or not self.file_columns:
            if not others:
                if self.files:
                    self.notes.append("no readable tabular data: schema baseline not compared")
                return
            schema = {"columns": {}, "rows": None}  # artifacts: their file names are the schema
        schema["files"] = others
        if key not in baseline:
            if not self.failures:
                baseline.record(key, schema)
                self.notes.append(f"schema baseline recorded for {key} in {baseline.path}")
            return
        for name in (
            "expect_schema_no_removed_columns",
            "expect_schema_no_added_columns",
            "expect_schema_column_kinds_unchanged",
            "expect_schema_column_order_unchanged",
            "expect_schema_no_removed_files",
            "expect_row_count_within_baseline",
        ):
            self.evaluated.add(name)
        if not self.failures and schema.get("rows") is not None and not baseline.has_rows(key):
            baseline.record(key, schema)  # the first run at this row scale: its rows become the range
            self.notes.append(f"row range recorded for {key} at this row scale in {baseline.path}")
        for item in baseline.compare(key, schema):
            sev = None if item.blocking else "warn"
            self.fail(
                item.expectation,
                f"{self.src} drifted from its schema baseline: {item.describe()} "
                f"(baseline {baseline.path.name}; run with rebaseline if intended)",
                column=item.column,
                observed=_drift_observed(item),
                severity=sev,
            )

    # -- result --

    def result(self, duration: float, docs_path: str | None) -> EdgeCheckResult:
        blocking = [f for f in self.failures if f.severity == "block"]
        status = "failed" if blocking else ("warn" if self.failures else "passed")
        n_eval = len(self.evaluated)
        rows = self.rows if self.tabular else None
        shape = f"{rows:,} rows, {len(self.columns)} columns, " if rows is not None else ""
        files_n = len(self.files)
        head = f"{self.src}" + (f" -> {self.req.consumer}" if self.req.consumer else "")
        if status == "passed":
            summary = (
                f"{head}: {n_eval} expectations passed ({shape}{files_n} file{'s' if files_n != 1 else ''})."
            )
        else:
            n_fail = len(self.failures)
            more = f" (and {n_fail - 1} more)" if n_fail > 1 else ""
            tag = "" if status == "failed" else " [severity warn]"
            summary = (
                f"{head}: {n_fail} of {max(n_eval, n_fail)} expectations failed{tag}: "
                f"{self.failures[0].message}{more}."
            )
        files = [
            {
                "path": f.rel,
                "format": f.fmt,
                "tabular": f.tabular,
                "rows": self.file_rows.get(f.rel),
                "bytes": f.size,
            }
            for f in self.files
        ]
        return EdgeCheckResult(
            edge_id=self.req.key,
            path=str(self.path),
            status=status,
            failed_expectations=list(self.failures),
            expectations_evaluated=n_eval,
            schema=self.schema(),
            files=files,
            duration_s=duration,
            summary=summary,
            docs_path=docs_path,
            notes=list(self.notes),
            severity=self.severity,
        )


def _drift_observed(item: Any) -> str:
    if item.drift == "added":
        return f"added ({item.observed})"
    if item.drift == "removed":
        return "removed"
    if item.drift == "retyped":
        return f"{item.baseline} -> {item.observed}"
    if item.drift == "reordered":
        return f"order {', '.join(item.observed)}"
    if item.drift == "file_removed":
        return f"'{item.column}' missing"
    return f"{item.observed:,} rows"


def _value_text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _names(cols: list[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in cols[:5])
    return f"[{shown}{', ...' if len(cols) > 5 else ''}]"


def _range_text(r: Rule) -> str:
    lo, hi = r.params.get("min"), r.params.get("max")
    if lo is not None and hi is not None:
        return f"[{lo:g}, {hi:g}]"
    if lo is not None:
        return f">= {lo:g}"
    return f"<= {hi:g}"


def _set_text(values: list[Any]) -> str:
    shown = ", ".join(map(str, values[:8]))
    return "{" + shown + (", ..." if len(values) > 8 else "") + "}"
