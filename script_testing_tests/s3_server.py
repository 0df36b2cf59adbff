"""A real S3 API on loopback for tests: moto's ThreadedMotoServer on a free port, fake credentials in
the environment, and a count of the requests it served (by S3 operation).

Use it from a test module::

    from s3_server import s3_server  # noqa: F401  (the module-scoped fixture)

    def test_x(s3_server):
        s3_server.client().create_bucket(Bucket="b")
        ...
        assert s3_server.count("GetObject") == 0

Nothing here mocks boto3: every call is real HTTP against moto's werkzeug server.
"""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest

# Distinctive fake credentials, so a test can grep every message for them.
FAKE_ACCESS_KEY_ID = "AKIAFAKESCRIPTTEST01"
FAKE_SECRET_ACCESS_KEY = "fAkE/SeCrEt+script_testing/DoNotLeak/0123456789"
FAKE_SESSION_TOKEN = "FaKeSeSsIoNtOkEn//script_testing//DoNotLeak//9876543210"
FAKE_CREDENTIALS = (FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FAKE_SESSION_TOKEN)
REGION = "us-east-1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    operation: str


def classify(method: str, path: str, query: str, headers: dict[str, str]) -> str:
    """Best-effort S3 operation name of a path-style request (what the tests count)."""
    if path.startswith("/moto-api"):
        return "moto-api"
    q = parse_qs(query, keep_blank_values=True)
    parts = path.lstrip("/").split("/", 1)
    has_key = len(parts) == 2 and parts[1] != ""
    if not parts[0]:
        return "Other"  # service-level (IAM, ListBuckets ...)
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "GET":
        if not has_key:
            return "ListObjectsV2" if "list-type" in q else "GetBucket"
        return "ListParts" if "uploadId" in q else "GetObject"
    if method == "PUT":
        if not has_key:
            return "PutBucket"
        if "partNumber" in q:
            return "UploadPart"
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    if method == "POST" and has_key:
        if "uploads" in q:
            return "CreateMultipartUpload"
        if "uploadId" in q:
            return "CompleteMultipartUpload"
    if method == "DELETE":
        return "DeleteObject" if has_key else "DeleteBucket"
    return "Other"


class CountingMiddleware:
    """WSGI middleware recording every request before moto handles it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self.bytes_in = 0  # request bodies (uploads)
        self.bytes_out = 0  # response bodies (downloads, listings)
        self.seconds = 0.0  # time spent serving

    def __call__(self, environ: dict, start_response: Any) -> Any:
        headers = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
        req = Request(
            environ.get("REQUEST_METHOD", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            "",
        )
        op = classify(req.method, req.path, req.query, headers)
        with self._lock:
            self.requests.append(Request(req.method, req.path, req.query, op))
        return self._measured(environ, start_response)

    def _measured(self, environ: dict, start_response: Any) -> Any:
        """The response, counting bytes in and out and the time the server spent (a benchmark's S3 cost)."""
        t0 = time.perf_counter()
        received = int(environ.get("CONTENT_LENGTH") or 0)
        sent = 0
        result = self.app(environ, start_response)
        try:
            for chunk in result:
                sent += len(chunk)
                yield chunk
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
            with self._lock:
                self.bytes_in += received
                self.bytes_out += sent
                self.seconds += time.perf_counter() - t0


class MotoS3:
    """A started moto server: ``endpoint_url``, ``client()``, request counts, IAM enforcement."""

    def __init__(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.port = port
        self.endpoint_url = f"http://{host}:{port}"
        # Count what the server serves: wrap the WSGI app werkzeug dispatches to.
        wsgi_server = self.server._server
        self.counter = CountingMiddleware(wsgi_server.app)
        wsgi_server.app = self.counter

    def stop(self) -> None:
        self.server.stop()

    # -- clients -------------------------------------------------------------------------------
    def client(self, service: str = "s3", **kwargs: Any) -> Any:
        import boto3

        kwargs.setdefault("endpoint_url", self.endpoint_url)
        kwargs.setdefault("region_name", REGION)
        return boto3.session.Session().client(service, **kwargs)

    # -- request counting ----------------------------------------------------------------------
    @property
    def requests(self) -> list[Request]:
        return list(self.counter.requests)

    def reset_counts(self) -> None:
        with self.counter._lock:
            self.counter.requests.clear()
            self.counter.bytes_in = self.counter.bytes_out = 0
            self.counter.seconds = 0.0

    def traffic(self) -> dict[str, float]:
        """Requests, bytes up and down and serving time since the last :meth:`reset_counts`."""
        with self.counter._lock:
            return {
                "requests": sum(1 for r in self.counter.requests if r.operation != "moto-api"),
                "bytes_up": self.counter.bytes_in,
                "bytes_down": self.counter.bytes_out,
                "seconds": round(self.counter.seconds, 3),
            }

    def count(self, operation: str | None = None, *, path_contains: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (operation is None or r.operation == operation)
            and (path_contains is None or path_contains in r.path)
            and r.operation != "moto-api"
        )

    # -- moto control --------------------------------------------------------------------------
    def _post(self, path: str, data: bytes = b"") -> bytes:
        req = urllib.request.Request(
            self.endpoint_url + path, data=data, method="POST", headers={"Content-Type": "text/plain"}
        )  # not a form: moto reads the raw body
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read()

    def reset(self) -> None:
        """Forget every bucket, user and key (moto's /moto-api/reset)."""
        self._post("/moto-api/reset")

    @contextlib.contextmanager
    def iam_enforced(self) -> Iterator[None]:
        """Make moto check signatures and IAM permissions on every request (/moto-api/reset-auth)."""
        self._post("/moto-api/reset-auth", b"0")
        try:
            yield
        finally:
            self._post("/moto-api/reset-auth", b"inf")


@contextlib.contextmanager
def unresponsive_endpoint() -> Iterator[str]:
    """An endpoint on loopback whose TCP connects time out: a listener whose accept backlog is full.

    (A non-routable address does not work in every sandbox: some intercept all outbound traffic.)
    """
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(3):
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fillers.append(s)
        yield f"http://127.0.0.1:{port}"
    finally:
        for s in fillers:
            s.close()
        listener.close()


def _isolated_env(mp: pytest.MonkeyPatch, endpoint_url: str, cache_dir: str) -> None:
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
        "AWS_SECURITY_TOKEN",
    ):
        mp.delenv(name, raising=False)
    mp.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    mp.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    mp.setenv("AWS_SESSION_TOKEN", FAKE_SESSION_TOKEN)
    mp.setenv("AWS_DEFAULT_REGION", REGION)
    mp.setenv("AWS_ENDPOINT_URL_S3", endpoint_url)
    mp.setenv("AWS_CONFIG_FILE", "/nonexistent/script_testing/aws_config")
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/script_testing/aws_credentials")
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setenv("SCRIPT_TESTING_S3_CACHE", cache_dir)


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    """A moto S3 server on 127.0.0.1 (free port) with fake credentials and the endpoint in the
    environment (``AWS_ENDPOINT_URL_S3``), stopped at the end of the module."""
    server = MotoS3()
    try:
        with pytest.MonkeyPatch.context() as mp:
            _isolated_env(mp, server.endpoint_url, str(tmp_path_factory.mktemp("s3cache")))
            yield server
    finally:
        server.stop()
