"""S3 support of the core (no Dagster import): client, cache, transfer, deep-dive layout, publish."""

from script_testing.s3.cache import S3Cache, default_cache_dir
from script_testing.s3.client import make_s3_client, redact, s3_error
from script_testing.s3.deep_dive import (
    DEFAULT_TEMPLATE,
    ExecutionLayout,
    check_layout,
    deep_dive_sources,
    execution_layout,
    layout_from_execution,
    missing_layout,
)
from script_testing.s3.errors import ObjectChangedError, S3Error, S3NotFoundError
from script_testing.s3.publish import publish_run
from script_testing.s3.transfer import S3Object, download_object, list_prefix, resolve
from script_testing.s3.uri import S3Uri, parse_s3_uri

__all__ = [
    "DEFAULT_TEMPLATE",
    "ExecutionLayout",
    "ObjectChangedError",
    "S3Cache",
    "S3Error",
    "S3NotFoundError",
    "S3Object",
    "S3Uri",
    "check_layout",
    "deep_dive_sources",
    "default_cache_dir",
    "download_object",
    "execution_layout",
    "layout_from_execution",
    "list_prefix",
    "make_s3_client",
    "missing_layout",
    "parse_s3_uri",
    "publish_run",
    "redact",
    "resolve",
    "s3_error",
]
