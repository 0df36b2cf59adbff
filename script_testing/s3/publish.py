"""Publishing a run folder (report + outputs) to S3 with boto3's transfer manager."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from script_testing.errors import SourceError
from script_testing.s3.client import make_s3_client, s3_error
from script_testing.s3.errors import S3Error
from script_testing.s3.uri import S3Uri

MB = 1024 * 1024


def publish_run(
    run_dir: Path,
    s3_uri: str,
    client: Any = None,
    *,
    max_workers: int = 8,
    multipart_threshold: int = 16 * MB,
    multipart_chunksize: int = 16 * MB,
) -> list[str]:
    """Upload every file under ``run_dir`` to ``s3_uri`` (a prefix), keys relative to ``run_dir``.

    Large files go up in parallel multipart chunks, many files side by side. Returns the uploaded
    URIs, sorted. ``client`` is a boto3 S3 client or a zero-argument factory (None: a new client).
    """
    from boto3.s3.transfer import TransferConfig, create_transfer_manager

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise S3Error(
            "the run folder to publish does not exist",
            where=str(run_dir),
            hint="publish a folder under the runs root, after the run has finished",
        )
    target = S3Uri.parse(s3_uri).as_prefix()
    client = make_s3_client(client=client) if client is not None else make_s3_client()
    files = sorted(p for p in run_dir.rglob("*") if p.is_file() and not p.is_symlink())
    config = TransferConfig(
        multipart_threshold=multipart_threshold,
        multipart_chunksize=multipart_chunksize,
        max_concurrency=max_workers,
        use_threads=True,
    )
    uploaded: list[tuple[str, Any]] = []
    try:
        with create_transfer_manager(client, config) as manager:
            for path in files:
                rel = path.relative_to(run_dir).as_posix()
                key = target.key + rel
                ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                future = manager.upload(str(path), target.bucket, key, extra_args={"ContentType": ctype})
                uploaded.append((f"s3://{target.bucket}/{key}", future))
            for _, future in uploaded:
                future.result()
    except SourceError:
        raise
    except Exception as exc:
        raise s3_error(getattr(exc, "last_exception", None) or exc, str(target), client=client) from None
    return sorted(uri for uri, _ in uploaded)
