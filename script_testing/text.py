"""Small text rules used across the package: the one "did you mean" helper, and the one place that
turns environment-variable values (as a user writes them in YAML) into strings."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


def close_matches(name: str, known: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The known names closest to ``name``, best first."""
    return difflib.get_close_matches(name, list(known), n=n, cutoff=cutoff)


def did_you_mean(name: str | Iterable[str], known: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """``"did you mean a, b?"`` for the names closest to ``name`` (or to each of several names), else None.

    Example::

        did_you_mean("tabular_simpel", ["tabular_simple", "xgboost"])   # "did you mean tabular_simple?"
    """
    known = list(known)
    names = [name] if isinstance(name, str) else list(name)
    close = list(dict.fromkeys(c for nm in names for c in close_matches(nm, known, cutoff=cutoff)))
    return f"did you mean {', '.join(close)}?" if close else None


def env_value(value: Any) -> str:
    """An environment value as a string: ``None`` -> ``""``, ``True`` -> ``"true"``, ``4`` -> ``"4"``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def env_strings(value: Any) -> Any:
    """A mapping of environment variables with every value a string (anything else unchanged),
    for pydantic ``mode="before"`` validators."""
    if isinstance(value, dict):
        return {str(k): env_value(v) for k, v in value.items()}
    return value
