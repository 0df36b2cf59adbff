"""S3 errors: :class:`SourceError` subclasses whose message is ONE sentence naming the URI and what to do."""

from __future__ import annotations

from script_testing.errors import SourceError


class S3Error(SourceError):
    """A SourceError whose message is one sentence: ``<uri>: <what happened>; <what to do>.``"""

    @property
    def message(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        text = head.rstrip(". ")
        if self.hint:
            text += "; " + self.hint.rstrip(". ")
        text += "."
        if self.details:
            text += "\n" + self.details
        return text


class ObjectChangedError(S3Error):
    """An object's ETag or size changed between listing and download."""


class S3NotFoundError(S3Error):
    """Nothing at a URI: no such object and no objects under it as a prefix."""
