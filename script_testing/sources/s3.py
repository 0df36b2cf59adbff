"""``s3:`` sources: an S3 object or prefix, downloaded (through a local cache) into the run folder.

``SourceContext.options`` may hold:

- ``"s3_client"``: a ready boto3 S3 client, or a zero-argument factory (the Dagster layer passes
  ``S3Resource.get_client``); otherwise a client is built from the standard AWS configuration;
- ``"s3"`` (or ``"s3_settings"``): client and transfer settings, normally ``ProjectConfig.s3``
  (see :mod:`script_testing.s3.client`);
- ``"s3_cache"``: False to bypass the cache.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

from script_testing import files
from script_testing.config.project import SourceSpec
from script_testing.errors import SourceError
from script_testing.s3.cache import S3Cache, place
from script_testing.s3.client import make_s3_client, normalize_settings, s3_error, setting
from script_testing.s3.transfer import S3Object, download_object, resolve, run_parallel
from script_testing.s3.uri import S3Uri
from script_testing.sources.base import DataSource, MaterializedData, SourceContext

log = logging.getLogger(__name__)


def _settings(ctx: SourceContext) -> dict[str, Any]:
    raw = ctx.options.get("s3", ctx.options.get("s3_settings")) or {}
    return normalize_settings(raw)


class S3Source(DataSource):
    kind = "s3"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def __repr__(self) -> str:
        return "S3Source()"

    # -- client -----------------------------------------------------------------------------
    def client(self, ctx: SourceContext, where: str = "s3 client") -> Any:
        injected = ctx.options.get("s3_client")
        settings = _settings(ctx)
        if injected is not None:
            return make_s3_client(settings, client=injected, where=where)
        memo = repr(sorted(settings.items()))
        with self._lock:
            if memo not in self._clients:
                self._clients[memo] = make_s3_client(settings, where=where)
            return self._clients[memo]

    def _cache(self, ctx: SourceContext, settings: dict[str, Any]) -> S3Cache | None:
        if ctx.options.get("s3_cache") is False or settings.get("cache") is False:
            return None
        return S3Cache(settings.get("cache_dir") or ctx.cache_dir)

    # -- DataSource -------------------------------------------------------------------------
    def check(self, spec: SourceSpec, ctx: SourceContext) -> list[str]:
        """Cheap: one HEAD (object) and/or one LIST of at most one key; no download."""
        uri = spec.s3 or ""
        try:
            client = self.client(ctx, where=uri)
            resolve(client, uri, limit=1)
        except SourceError as exc:
            return [str(exc)]
        except Exception as exc:
            return [str(s3_error(exc, uri))]
        return []

    def materialize(
        self, spec: SourceSpec, dest: Path, ctx: SourceContext, default_file: str | None = None
    ) -> MaterializedData:
        uri = spec.s3 or ""
        S3Uri.parse(uri)
        settings = _settings(ctx)
        try:
            client = self.client(ctx, where=uri)
        except SourceError:
            raise
        except Exception as exc:
            raise s3_error(exc, uri, settings=settings) from None
        objects, is_prefix = resolve(client, uri)

        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        # every key lands inside dest (a key with '..' or an absolute name is refused)
        if is_prefix:
            targets = [files.confined(dest, *obj.relative.split("/")) for obj in objects]
        else:
            name = spec.file or default_file or objects[0].key.rsplit("/", 1)[-1] or "data"
            targets = [files.confined(dest, name)]

        cache = self._cache(ctx, settings)
        link = str(settings.get("link") or "copy")
        workers = int(setting(settings, "max_workers"))
        stats = {"downloaded": 0, "cached": 0}
        stats_lock = threading.Lock()

        def fetch(obj: S3Object, target: Path):
            def task() -> int:
                if cache is None:
                    download_object(client, obj, target)
                    fresh = True
                else:
                    cached, fresh = cache.fetch(client, obj)
                    place(cached, target, link=link)
                with stats_lock:
                    stats["downloaded" if fresh else "cached"] += 1
                return obj.size

            return task

        run_parallel([fetch(o, t) for o, t in zip(objects, targets, strict=False)], workers)

        path = dest
        if default_file:
            candidate = dest / default_file
            if not is_prefix or candidate.is_file():
                path = candidate
        total = sum(o.size for o in objects)
        version = hashlib.sha256(
            "\n".join(f"{o.key}\t{o.etag}\t{o.size}" for o in objects).encode()
        ).hexdigest()[:16]
        what = "object" if not is_prefix else f"{len(objects)} objects"
        log.info("s3 %s: %s, %d downloaded, %d from cache", uri, what, stats["downloaded"], stats["cached"])
        return MaterializedData(
            path=path,
            files=sorted(targets),
            description=f"s3: {uri} ({what}, {total / 1e6:.1f} MB, {stats['cached']} from cache)",
            bytes=total,
            extra={
                "uri": uri,
                "prefix": is_prefix,
                "objects": len(objects),
                "downloaded": stats["downloaded"],
                "from_cache": stats["cached"],
                "data_version": version,
                "etags": {(o.relative or o.key): o.etag for o in objects},
            },
        )
