"""S3 URIs: ``s3://bucket/key`` (one object) or ``s3://bucket/prefix/`` (a folder of objects)."""

from __future__ import annotations

from dataclasses import dataclass

from script_testing.s3.errors import S3Error


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str  # "" for the bucket root; a trailing "/" marks a prefix

    @classmethod
    def parse(cls, uri: str) -> S3Uri:
        text = (uri or "").strip()
        if not text.startswith("s3://"):
            raise S3Error(
                f"'{uri}' is not an S3 URI",
                where=str(uri),
                hint="write it as s3://bucket/key or s3://bucket/prefix/",
            )
        bucket, _, key = text[len("s3://") :].partition("/")
        if not bucket:
            raise S3Error(
                "the S3 URI has no bucket name",
                where=text,
                hint="write it as s3://bucket/key or s3://bucket/prefix/",
            )
        return cls(bucket, key)

    @property
    def is_prefix(self) -> bool:
        return self.key == "" or self.key.endswith("/")

    def as_prefix(self) -> S3Uri:
        """The same location read as a folder (``key/``)."""
        return self if self.is_prefix else S3Uri(self.bucket, self.key + "/")

    def child(self, relative: str) -> S3Uri:
        return S3Uri(self.bucket, self.as_prefix().key + relative.lstrip("/"))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``'s3://bucket/a/b'`` -> ``('bucket', 'a/b')``; raises SourceError on a malformed URI."""
    u = S3Uri.parse(uri)
    return u.bucket, u.key
