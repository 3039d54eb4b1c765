"""Option defaults a router may replace.

The options themselves are ``RouteOptions`` (``api_route.py``, beside the
``APIRoute`` that stores them).

``Default(value)`` marks a value that was not given explicitly, so that a
router's setting (``default_response_class``, ``generate_unique_id_function``)
can replace it while an explicit per-route value still wins (FastAPI's rule).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

__all__ = ["Default", "DefaultPlaceholder", "resolve_default"]

T = TypeVar("T")


class DefaultPlaceholder(Generic[T]):
    """A default that a router-level setting may replace."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return bool(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DefaultPlaceholder) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("DefaultPlaceholder", id(self.value)))

    def __repr__(self) -> str:
        return f"Default({self.value!r})"


def Default(value: T) -> Any:  # noqa: N802 - FastAPI's name
    """Wrap ``value`` as a replaceable default."""
    return DefaultPlaceholder(value)


def resolve_default(*candidates: Any) -> Any:
    """The first explicit value among ``candidates``, else the first default's value."""
    for candidate in candidates:
        if not isinstance(candidate, DefaultPlaceholder):
            return candidate
    first = candidates[0]
    return first.value if isinstance(first, DefaultPlaceholder) else first
