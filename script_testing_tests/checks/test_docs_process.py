"""Data Docs built by the process of their own: one site per request, errors as answers, reused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from script_testing.checks import pandas_engine
from script_testing.checks.docs_process import BackgroundDocs, DocsError, DocsProcess
from script_testing.checks.pandas_engine import ShardRows
from script_testing.checks.requirements import Rule

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def process():
    """One Data Docs process for the module: GX is imported once (seconds of CPU), as in a session."""
    docs = DocsProcess()
    docs.start()
    yield docs
    docs.close()


def test_the_docs_process_builds_sites_and_survives_a_bad_request(tmp_path, process) -> None:
    rules = [Rule("not_null", "a", "r"), Rule("range", "a", "r", {"min": 0, "max": 1})]
    rows = pandas_engine.evaluate(pd.DataFrame({"a": [0.5, None, 3.0]}), rules)
    index = process.build(tmp_path / "one", [("A.out-_B.in", [("part.csv", ShardRows(rules, rows))])])
    assert index.endswith("index.html") and (tmp_path / "one" / "index.html").exists()
    with pytest.raises(DocsError):  # a row without its counts: an answer, not a dead process
        process.build(tmp_path / "bad", [("x", [("p.csv", ShardRows(rules, [{"key": rules[0].key}]))])])
    index = process.build(tmp_path / "two", [("A.out-_B.in", [("part.csv", ShardRows(rules, rows))])])
    assert (tmp_path / "two" / "index.html").exists()


def test_background_docs_answer_at_once_and_the_sites_land(tmp_path, process) -> None:
    rules = [Rule("not_null", "a", "r")]
    rows = pandas_engine.evaluate(pd.DataFrame({"a": [1.0, None]}), rules)
    docs = BackgroundDocs(process)
    first = docs.build(tmp_path / "site", [("A.out-_B.in", [("p.csv", ShardRows(rules, rows))])])
    second = docs.build(tmp_path / "site", [("B.out-_C.in", [("p.csv", ShardRows(rules, rows))])])
    assert first == second == str(tmp_path / "site" / "index.html")  # the link, before the build
    assert "being built" in Path(first).read_text()  # and it opens at once, saying so
    docs.build(tmp_path / "bad", [("x", [("p.csv", ShardRows(rules, [{"key": rules[0].key}]))])])
    assert docs.drain(timeout=500)
    assert "being built" not in Path(first).read_text()  # the site replaced it
    assert len(docs.errors) == 1 and str(tmp_path / "bad") in docs.errors[0]  # told, not swallowed
    assert "could not be built" in (tmp_path / "bad" / "index.html").read_text()  # where the link opens
