"""Building (or accepting) a boto3 S3 client, and turning S3 failures into one-sentence errors.

No Dagster import here: the orchestration layer injects its own client (``S3Resource.get_client``)
through ``SourceContext.options["s3_client"]`` (a ready client or a zero-argument factory).

Settings (``script_testing.yaml``'s ``s3:`` mapping, never credentials):

============================  ===========================================================
``endpoint_url``              S3 endpoint (else ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` / config)
``region_name`` / ``region``  else ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile's region
``profile_name`` / ``profile``  else ``AWS_PROFILE``; credentials come from the standard chain
``max_attempts``              total attempts per request (default 3, or ``AWS_MAX_ATTEMPTS``)
``retry_mode``                ``standard`` (default, or ``AWS_RETRY_MODE``) or ``adaptive``
``connect_timeout``           seconds (default 5): an unreachable endpoint fails in seconds
``read_timeout``              seconds (default 60)
``max_workers``               parallel downloads/uploads (default 8)
``addressing_style``          ``auto`` / ``path`` / ``virtual``
``unsigned``                  true for a public bucket (no credentials needed)
``verify``, ``use_ssl``       TLS settings for private endpoints
``cache``                     false to skip the local download cache
``cache_dir``                 cache folder (else ``SourceContext.cache_dir``, ``$SCRIPT_TESTING_S3_CACHE``,
                              ``~/.cache/script_testing/s3``)
``link``                      accepted for compatibility; always a copy (reflink) with its own inode
============================  ===========================================================
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from script_testing.errors import SourceError
from script_testing.s3.errors import ObjectChangedError, S3Error, S3NotFoundError

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "max_attempts": 3,
    "retry_mode": "standard",
    "connect_timeout": 5.0,
    "read_timeout": 60.0,
    "max_workers": 8,
}

_ALIASES = {
    "region": "region_name",
    "profile": "profile_name",
    "use_unsigned_session": "unsigned",
    "endpoint": "endpoint_url",
}
KNOWN_SETTINGS = frozenset(
    {
        "endpoint_url",
        "region_name",
        "profile_name",
        "max_attempts",
        "retry_mode",
        "connect_timeout",
        "read_timeout",
        "max_workers",
        "addressing_style",
        "unsigned",
        "verify",
        "use_ssl",
        "cache",
        "cache_dir",
        "link",
    }
)
_CREDENTIAL_WORDS = ("access_key", "secret", "session_token", "security_token", "password", "credential")

ClientLike = Any  # a botocore S3 client, or a zero-argument callable returning one


def normalize_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Apply aliases, refuse credentials, warn on unknown keys; values are never echoed."""
    out: dict[str, Any] = {}
    for raw_key, value in (settings or {}).items():
        key = _ALIASES.get(str(raw_key), str(raw_key))
        if any(word in key.lower() for word in _CREDENTIAL_WORDS):
            raise S3Error(
                f"the s3 setting '{raw_key}' looks like a credential, which script_testing never reads "
                "from its project file",
                where="script_testing.yaml: s3",
                hint="remove it and use AWS_PROFILE, the environment or an instance role instead",
            )
        if key not in KNOWN_SETTINGS:
            log.warning(
                "ignoring unknown s3 setting '%s' (known: %s)", raw_key, ", ".join(sorted(KNOWN_SETTINGS))
            )
            continue
        if value is not None:
            out[key] = value
    return out


def setting(settings: Mapping[str, Any] | None, name: str, default: Any = None) -> Any:
    value = normalize_settings(settings).get(name) if settings else None
    if value is None:
        value = DEFAULTS.get(name, default)
    return value


def make_s3_client(
    settings: Mapping[str, Any] | None = None, client: ClientLike | None = None, *, where: str = "s3 client"
) -> Any:
    """An S3 client: ``client`` if given (a ready client, or a zero-argument factory such as
    ``S3Resource.get_client``), else a new boto3 client from the standard AWS configuration
    (environment, profile, credential chain) with ``settings`` overriding, retries with backoff for
    transient errors, and short connect timeouts. ``where`` (a URI) is named in errors.
    """
    if client is not None:
        return _resolve_injected(client, where)

    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    s = normalize_settings(settings)
    profile = s.get("profile_name")
    region = s.get("region_name") or os.environ.get("AWS_REGION") or None
    max_attempts = int(
        s.get("max_attempts") or os.environ.get("AWS_MAX_ATTEMPTS") or DEFAULTS["max_attempts"]
    )
    retry_mode = s.get("retry_mode") or os.environ.get("AWS_RETRY_MODE") or DEFAULTS["retry_mode"]
    workers = int(s.get("max_workers") or DEFAULTS["max_workers"])
    config_kwargs: dict[str, Any] = dict(
        retries={"mode": retry_mode, "total_max_attempts": max(1, max_attempts)},
        connect_timeout=float(s.get("connect_timeout") or DEFAULTS["connect_timeout"]),
        read_timeout=float(s.get("read_timeout") or DEFAULTS["read_timeout"]),
        max_pool_connections=max(10, workers + 2),
    )
    if s.get("addressing_style"):
        config_kwargs["s3"] = {"addressing_style": s["addressing_style"]}
    if s.get("unsigned"):
        config_kwargs["signature_version"] = UNSIGNED
    client_kwargs: dict[str, Any] = {"config": Config(**config_kwargs)}
    if s.get("endpoint_url"):
        client_kwargs["endpoint_url"] = str(s["endpoint_url"])
    if region:
        client_kwargs["region_name"] = region
    if "verify" in s:
        client_kwargs["verify"] = s["verify"]
    if "use_ssl" in s:
        client_kwargs["use_ssl"] = bool(s["use_ssl"])
    try:
        session = boto3.session.Session(profile_name=profile) if profile else boto3.session.Session()
        return session.client("s3", **client_kwargs)
    except BotoCoreError as exc:
        raise s3_error(exc, where, settings=s) from None


def _resolve_injected(client: ClientLike, where: str) -> Any:
    if hasattr(client, "meta") and hasattr(client, "get_object"):
        return client
    if callable(client):
        made = client()
        if made is None:
            raise S3Error(
                "the injected S3 client factory returned nothing",
                where=where,
                hint="pass a boto3 S3 client or a function returning one",
            )
        return made
    raise S3Error(
        f"the injected S3 client is a {type(client).__name__}, not an S3 client",
        where=where,
        hint="pass a boto3 S3 client or a function returning one",
    )


def endpoint_of(client: Any) -> str:
    try:
        return str(client.meta.endpoint_url)
    except Exception:
        return "the S3 endpoint"


# ---------------------------------------------------------------------------------------------
# errors

_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b")
_SIGNING = re.compile(r"(?i)(credential|signature|x-amz-security-token|authorization)=[^\s&,]+")


def redact(text: str) -> str:
    """Remove credential values (from the environment) and anything shaped like one from ``text``."""
    if not text:
        return text
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    text = _KEY_ID.sub("***", text)
    return _SIGNING.sub(lambda m: m.group(1) + "=***", text)


def s3_error(
    exc: BaseException,
    uri: str,
    *,
    client: Any = None,
    settings: Mapping[str, Any] | None = None,
    bucket: str | None = None,
    key: str | None = None,
) -> SourceError:
    """Translate a boto3/botocore exception into a one-sentence :class:`SourceError` naming ``uri``."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        CredentialRetrievalError,
        EndpointConnectionError,
        IncompleteReadError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
        ResponseStreamingError,
        SSOError,
        TokenRetrievalError,
    )

    if isinstance(exc, SourceError):
        return exc
    endpoint = (
        endpoint_of(client)
        if client is not None
        else ((settings or {}).get("endpoint_url") or "the S3 endpoint")
    )
    if bucket is None and uri.startswith("s3://"):
        bucket = uri[5:].split("/", 1)[0]

    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return S3Error(
            "no AWS credentials found to read it",
            where=uri,
            hint="set AWS_PROFILE (and run 'aws sso login') or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "in the environment, or 'unsigned: true' in the project's s3 settings for a public bucket",
        )
    if isinstance(exc, (CredentialRetrievalError, TokenRetrievalError, SSOError)):
        return S3Error(
            "the AWS credentials could not be loaded",
            where=uri,
            hint="refresh them (for example 'aws sso login') and run again",
        )
    if isinstance(exc, ProfileNotFound):
        profile = getattr(exc, "kwargs", {}).get("profile", "?")
        return S3Error(
            f"AWS profile '{profile}' does not exist",
            where=uri,
            hint="fix profile_name in the project's s3 settings or AWS_PROFILE, or add the profile to ~/.aws/config",
        )
    if isinstance(exc, NoRegionError):
        return S3Error(
            "no AWS region is configured",
            where=uri,
            hint="set region_name in the project's s3 settings or AWS_REGION",
        )
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return S3Error(
            f"cannot reach the S3 endpoint {endpoint}",
            where=uri,
            hint="check endpoint_url (project s3 settings or AWS_ENDPOINT_URL_S3), the network and any VPN",
        )
    if isinstance(
        exc, (ReadTimeoutError, ConnectionClosedError, ResponseStreamingError, IncompleteReadError)
    ):
        return S3Error(
            f"the connection to {endpoint} broke off while reading",
            where=uri,
            hint="run again; if it persists raise read_timeout in the project's s3 settings",
        )
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {}) or {}
        code = str(err.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchBucket",):
            return S3Error(
                f"bucket '{bucket}' does not exist at {endpoint}",
                where=uri,
                hint="check the bucket name, and the endpoint/region in the project's s3 settings",
            )
        if code in ("NoSuchKey", "404", "NotFound"):
            return S3NotFoundError(
                "no object and no objects under this prefix",
                where=uri,
                hint="check the key, for example with 'aws s3 ls' on its parent prefix",
            )
        if code in ("PreconditionFailed", "412") or status == 412:
            return ObjectChangedError(
                "the object changed while it was being downloaded",
                where=uri,
                hint="run again once the writer has finished, or point at an execution that is "
                "no longer being written",
            )
        if code in (
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "ExpiredToken",
            "InvalidToken",
            "TokenRefreshRequired",
            "InvalidClientTokenId",
            "ExpiredTokenException",
        ):
            return S3Error(
                f"the AWS credentials in use were rejected ({code})",
                where=uri,
                hint="refresh them ('aws sso login' or new keys in the environment) and run again",
            )
        if code in ("AccessDenied", "403", "AllAccessDisabled", "Forbidden") or status == 403:
            return S3Error(
                "access denied",
                where=uri,
                hint="use credentials (AWS_PROFILE or the role in use) allowed s3:ListBucket on the "
                "bucket and s3:GetObject on its keys",
            )
        if (
            code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout")
            or (status or 0) >= 500
        ):
            return S3Error(
                f"S3 kept failing ({code or status}) after retries",
                where=uri,
                hint="run again later, or raise max_attempts in the project's s3 settings",
            )
        message = redact(str(err.get("Message", "")))[:200]
        return S3Error(
            f"the S3 request failed ({code or status}: {message})",
            where=uri,
            hint="check the URI and the project's s3 settings",
        )
    return S3Error(
        f"the S3 request failed ({type(exc).__name__}: {redact(str(exc))[:200]})",
        where=uri,
        hint="check the URI, the endpoint and the credentials",
    )


FactoryOrClient = Callable[[], Any] | Any
