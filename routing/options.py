"""Per-route options: FastAPI's decorator parameters, documented once.

Every verb decorator (``get``, ``post``, ...) is a one-line call to
``api_route(path, methods=[...], **options)``, whose options are typed by
``RouteOptions`` (PEP 692 ``Unpack``), so the ~25 parameters are declared in
exactly one place.

``Default(value)`` marks a value that was not given explicitly, so that a
router's setting (``default_response_class``, ``generate_unique_id_function``)
can replace it while an explicit per-route value still wins (FastAPI's rule).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

if TYPE_CHECKING:
    from ferrule.asgi_core.response import Response

    from .api_route import APIRoute

__all__ = ["Default", "DefaultPlaceholder", "RouteOptions", "generate_unique_id", "resolve_default"]

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


_NON_WORD = re.compile(r"\W")


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's operation id: route name + path, non-word characters as ``_``, + method."""
    base = _NON_WORD.sub("_", f"{route.name}{route.path_format}")
    method = sorted(route.methods)[0].lower() if route.methods else "get"
    return f"{base}_{method}"


class RouteOptions(TypedDict, total=False):
    """The options of ``api_route`` and every verb decorator (FastAPI's names).

    Attributes:
        response_model: the model the return value is validated and serialized
            with; by default the return annotation; ``None`` disables it.
        status_code: the success status (default 200, or the response class').
        tags: OpenAPI tags.
        dependencies: dependencies run for their side effects, results discarded.
        summary: OpenAPI summary.
        description: OpenAPI description (default: the endpoint's docstring).
        response_description: description of the success response.
        responses: extra OpenAPI responses, by status code.
        deprecated: mark the operation deprecated in OpenAPI.
        operation_id: explicit OpenAPI operationId.
        response_model_include: fields to include when serializing.
        response_model_exclude: fields to exclude when serializing.
        response_model_by_alias: serialize with field aliases (default True).
        response_model_exclude_unset: drop fields that were never set.
        response_model_exclude_defaults: drop fields equal to their default.
        response_model_exclude_none: drop fields that are None.
        include_in_schema: list the route in OpenAPI (default True).
        response_class: the response class (default ``JSONResponse``).
        name: the route name for ``url_path_for`` (default: the endpoint's name).
        callbacks: OpenAPI callbacks (routes of an ``APIRouter``).
        openapi_extra: merged into the operation's OpenAPI object.
        generate_unique_id_function: computes the operation's unique id.
        strict_content_type: only parse JSON bodies sent as JSON (default True).
        max_body_size: request body limit in bytes (413 above); None = no limit.
        sse_ping_interval: seconds of silence before an SSE keepalive comment.
        body_timeout: seconds allowed to receive the request body (408 after);
            None = no limit (see ``ferrule.routing.timeouts``).
        response_timeout: seconds allowed to solve dependencies (body reading
            included) and run the endpoint (503 after); None = no limit.
    """

    response_model: Any
    status_code: int | None
    tags: list[str | Enum] | None
    dependencies: Sequence[Any] | None
    summary: str | None
    description: str | None
    response_description: str
    responses: dict[int | str, dict[str, Any]] | None
    deprecated: bool | None
    operation_id: str | None
    response_model_include: Any
    response_model_exclude: Any
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool
    include_in_schema: bool
    response_class: type[Response] | Any
    name: str | None
    callbacks: list[Any] | None
    openapi_extra: dict[str, Any] | None
    generate_unique_id_function: Callable[[APIRoute], str] | Any
    strict_content_type: bool | Any
    max_body_size: int | None | Any
    sse_ping_interval: float | Any
    body_timeout: float | None | Any
    response_timeout: float | None | Any
