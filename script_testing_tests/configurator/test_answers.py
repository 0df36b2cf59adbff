"""One answer -> one value, or a sentence saying why not."""

from __future__ import annotations

import pytest

from script_testing.configurator import parse_source_answer, require_answer
from script_testing.errors import ConfigError


def test_parse_source_answer_forms():
    assert parse_source_answer("synthetic:p") == {"synthetic": "p"}
    assert parse_source_answer("local: data/x") == {"local": "data/x"}
    assert parse_source_answer("json:{a: 1}") == {"json": {"a": 1}}
    assert parse_source_answer('json:{"a": [1, 2]}') == {"json": {"a": [1, 2]}}
    assert parse_source_answer("s3:s3://b/k/") == {"s3": "s3://b/k/"}
    assert parse_source_answer("s3://b/k") == {"s3": "s3://b/k"}
    assert parse_source_answer("{synthetic: p, format: csv}") == {"synthetic": "p", "format": "csv"}
    with pytest.raises(ConfigError, match="not a source"):
        parse_source_answer("tabular_binary")
    with pytest.raises(ConfigError, match=r"^not a valid JSON document: .* in '\{a: \[1'"):
        parse_source_answer("json:{a: [1")
    with pytest.raises(ConfigError, match="the source is empty"):
        parse_source_answer("  ")


def test_require_answer_says_there_is_no_default():
    assert require_answer("X", " v ") == "v"
    assert require_answer("X", "", "the default") == "the default"
    with pytest.raises(ConfigError, match=r"^an answer is required: LABEL_FIELD has no default\.$"):
        require_answer("LABEL_FIELD", "  ")
