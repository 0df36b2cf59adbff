"""Keep the tool's secrets out of what scripts get and out of what we report.

:func:`is_secret_name` says whether an environment variable looks like a credential (scripts
get those only when a node opts in with ``pass_env``). :class:`Redactor` replaces the *values*
of such variables with ``***`` in any text: captured output, error messages, tracebacks.

    redact = Redactor.from_environ()
    safe = redact("token was abc123secret")   # -> "token was ***"

Standard library only.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping

#: Names that look like credentials: any AWS_* variable, or a name containing one of these words.
_SECRET_NAME = re.compile(
    r"(^AWS_|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|KEY|CREDENTIAL|AUTH|PRIVATE|COOKIE|"
    r"SESSION|SIGNATURE|_PAT$|^PAT_|DSN$|CONNECTION_STRING|DATABASE_URL)",
    re.IGNORECASE,
)
#: Values shorter than this are not redacted (``1``, ``yes``, ``us``: they would mask too much).
MIN_SECRET_LENGTH = 4
#: Values shorter than this are masked only as whole tokens (not inside a longer word): a test
#: credential such as ``test`` must not turn ``script_testing`` into ``script_***ing`` in paths.
WHOLE_TOKEN_BELOW = 12
MASK = "***"


def is_secret_name(name: str) -> bool:
    """True if an environment variable named ``name`` probably holds a credential."""
    return bool(_SECRET_NAME.search(name))


class Redactor:
    """Replaces known secret values with ``***`` in text."""

    def __init__(self, secrets: Iterable[str] = (), min_length: int = MIN_SECRET_LENGTH) -> None:
        values = {s for s in secrets if isinstance(s, str) and len(s) >= min_length}
        # longest first, so a secret that contains another one is masked whole
        self._values = sorted(values, key=len, reverse=True)
        self._pattern = re.compile("|".join(_alternative(v) for v in self._values)) if self._values else None

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, min_length: int = MIN_SECRET_LENGTH
    ) -> Redactor:
        """A redactor for the values of the secret-looking variables of ``environ``
        (default: this process's environment)."""
        environ = os.environ if environ is None else environ
        return cls((value for name, value in environ.items() if is_secret_name(name)), min_length=min_length)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str | None) -> str | None:
        return self.redact(text)

    def redact(self, text: str | None) -> str | None:
        """``text`` with every secret value replaced by ``***`` (``None`` stays ``None``)."""
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def redact_any(self, value):
        """Redact strings inside nested lists/dicts (JSON-like data)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self.redact_any(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.redact_any(v) for v in value]
        return value


def _alternative(value: str) -> str:
    """The regex of one secret value: anywhere when long, as a whole token when short."""
    if len(value) >= WHOLE_TOKEN_BELOW:
        return re.escape(value)
    return rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])"


@functools.cache
def tool_redactor() -> Redactor:
    """The redactor of the tool's own environment, built once per process (``cache_clear()`` rebuilds)."""
    return Redactor.from_environ()


def scrub_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without its secret-looking variables."""
    return {k: v for k, v in environ.items() if not is_secret_name(k)}
