"""Listing and downloading S3 objects: streaming to a temp file then rename, ETag-guarded, in parallel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from script_testing import files
from script_testing.errors import DiskFullError, SourceError
from script_testing.s3.client import s3_error
from script_testing.s3.errors import ObjectChangedError, S3Error, S3NotFoundError
from script_testing.s3.uri import S3Uri

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024  # bytes held in memory per download at a time


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int
    etag: str  # without quotes
    relative: str  # path below the listed prefix ("" → the basename is used)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def _etag(value: Any) -> str:
    return str(value or "").strip().strip('"')


def _relative_parts(uri: str, relative: str) -> str:
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise S3Error(
            f"the key '{relative}' would escape the download folder",
            where=uri,
            hint="rename the object; keys below a prefix may not contain '..'",
        )
    return "/".join(parts)


def list_prefix(
    client: Any, uri: S3Uri, *, limit: int | None = None, where: str | None = None
) -> list[S3Object]:
    """Every object below ``uri`` (read as a prefix), keys relative to it; folder markers skipped.

    ``where`` is the URI named in errors (default: the prefix).
    """
    prefix = uri.as_prefix()
    where = where or str(prefix)
    out: list[S3Object] = []
    kwargs: dict[str, Any] = {"Bucket": prefix.bucket, "Prefix": prefix.key}
    if limit:
        kwargs["MaxKeys"] = limit
    try:
        while True:
            page = client.list_objects_v2(**kwargs)
            for item in page.get("Contents", []) or []:
                key = item["Key"]
                if key.endswith("/"):
                    continue
                rel = _relative_parts(where, key[len(prefix.key) :])
                out.append(
                    S3Object(prefix.bucket, key, int(item.get("Size", 0)), _etag(item.get("ETag")), rel)
                )
                if limit and len(out) >= limit:
                    return out
            if not page.get("IsTruncated"):
                return out
            kwargs["ContinuationToken"] = page["NextContinuationToken"]
    except SourceError:
        raise
    except Exception as exc:
        raise s3_error(exc, where, client=client) from None


def head_object(client: Any, uri: S3Uri) -> S3Object | None:
    """The object at ``uri``, or None when there is none (404)."""
    from botocore.exceptions import ClientError

    try:
        head = client.head_object(Bucket=uri.bucket, Key=uri.key)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            return None
        raise s3_error(exc, str(uri), client=client) from None
    except Exception as exc:
        raise s3_error(exc, str(uri), client=client) from None
    return S3Object(uri.bucket, uri.key, int(head.get("ContentLength", 0)), _etag(head.get("ETag")), "")


def resolve(client: Any, uri_text: str, *, limit: int | None = None) -> tuple[list[S3Object], bool]:
    """The objects a URI names and whether it is a prefix.

    ``s3://b/k`` is one object if it exists, else the prefix ``k/``; ``s3://b/p/`` is always a prefix.
    Raises one-sentence :class:`SourceError` for a missing bucket, a missing key or an empty prefix.
    """
    uri = S3Uri.parse(uri_text)
    if not uri.is_prefix:
        obj = head_object(client, uri)
        if obj is not None:
            return [obj], False
    objects = list_prefix(client, uri, limit=limit, where=str(uri))  # NoSuchBucket surfaces here
    if not objects:
        if uri.is_prefix:
            raise S3NotFoundError(
                "no objects under this prefix",
                where=str(uri),
                hint="check the prefix, for example with 'aws s3 ls' on it, or whether the execution "
                "wrote its outputs elsewhere",
            )
        raise S3NotFoundError(
            "no object and no objects under this prefix",
            where=str(uri),
            hint="check the key, for example with 'aws s3 ls' on its parent prefix",
        )
    return objects, True


def download_object(client: Any, obj: S3Object, target: Path, *, chunk_size: int = CHUNK) -> int:
    """Stream ``obj`` into ``target`` (temp file + rename), refusing a different version than listed.

    ``IfMatch`` makes S3 refuse the GET if the object was replaced since it was listed; the size and
    ETag of what arrived are compared too. Returns the number of bytes written.
    """
    written = 0
    with files.atomic_path(target, suffix=".part") as tmp:
        try:
            kwargs: dict[str, Any] = {"Bucket": obj.bucket, "Key": obj.key}
            if obj.etag:
                kwargs["IfMatch"] = f'"{obj.etag}"'
            response = client.get_object(**kwargs)
            body = response["Body"]
            with files.disk_errors(target), open(tmp, "wb") as fh:
                for chunk in body.iter_chunks(chunk_size):
                    fh.write(chunk)
                    written += len(chunk)
            body.close()
        except (SourceError, DiskFullError):
            raise
        except Exception as exc:
            raise s3_error(exc, obj.uri, client=client) from None
        got_etag = _etag(response.get("ETag"))
        if written != obj.size or (obj.etag and got_etag and got_etag != obj.etag):
            raise ObjectChangedError(
                "the object changed while it was being downloaded "
                f"(listed {obj.size} bytes, received {written})",
                where=obj.uri,
                hint="run again once the writer has finished, or point at an execution that is "
                "no longer being written",
            )
    return written


def run_parallel(tasks: list[Callable[[], Any]], max_workers: int) -> list[Any]:
    """Run ``tasks`` on a thread pool; the first failure cancels what has not started and is raised."""
    if not tasks:
        return []
    if len(tasks) == 1 or max_workers <= 1:
        return [t() for t in tasks]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(tasks)), thread_name_prefix="s3") as pool:
        futures = [pool.submit(t) for t in tasks]
        _done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for f in futures:
            if f.done() and f.exception() is not None:
                for p in pending:
                    p.cancel()
                raise f.exception()
        return [f.result() for f in futures]
