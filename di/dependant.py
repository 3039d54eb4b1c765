"""The dependency graph's data: ``Dependant`` nodes and what their arguments are.

Built by ``graph.build_dependant`` at startup and read by the plan compiler
and by OpenAPI (``walk``, ``security_requirements``). A ``Dependant``
is one *use* of a callable: the same function used twice is two nodes with
equal ``cache_key``.
"""

from __future__ import annotations

import enum
import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ferrule.asgi_core.background import BackgroundTasks
from ferrule.asgi_core.request import HTTPConnection, Request
from ferrule.asgi_core.response import Response
from ferrule.asgi_core.websocket import WebSocket
from ferrule.validation.fields import ParamField

from .callables import CallKind, CallIdentity
from .markers import DependencyScope, SecurityBase, SecurityScopes

__all__ = ["Argument", "CacheKey", "Dependant", "SecurityRequirement", "SpecialKind"]


class SpecialKind(enum.Enum):
    """Values ferrule injects by type instead of calling or validating anything."""

    REQUEST = "Request"
    WEBSOCKET = "WebSocket"
    HTTP_CONNECTION = "HTTPConnection"
    RESPONSE = "Response"
    BACKGROUND_TASKS = "BackgroundTasks"
    SECURITY_SCOPES = "SecurityScopes"


# Order matters: WebSocket and Request are both HTTPConnection subclasses.
SPECIAL_TYPES: tuple[tuple[type, SpecialKind], ...] = (
    (Request, SpecialKind.REQUEST),
    (WebSocket, SpecialKind.WEBSOCKET),
    (HTTPConnection, SpecialKind.HTTP_CONNECTION),
    (Response, SpecialKind.RESPONSE),
    (BackgroundTasks, SpecialKind.BACKGROUND_TASKS),
    (SecurityScopes, SpecialKind.SECURITY_SCOPES),
)
PER_REQUEST_SPECIALS = frozenset(SpecialKind) - {SpecialKind.SECURITY_SCOPES}

CacheKey = tuple[CallIdentity, tuple[str, ...], str]


@dataclass(frozen=True, slots=True)
class Argument:
    """Where one parameter of a callable gets its value."""

    name: str
    positional: bool  # positional-only: passed by position; every other parameter by keyword, as FastAPI does
    source: ParamField | Dependant | SpecialKind


@dataclass(frozen=True, slots=True)
class SecurityRequirement:
    """A security scheme used by an endpoint, with the OAuth2 scopes required there."""

    security_scheme: SecurityBase
    scopes: tuple[str, ...]


@dataclass(eq=False, slots=True)
class Dependant:
    """One callable in the graph: the endpoint, or a dependency.

    Attributes:
        call: the callable that runs (the override, when there is one).
        original: the callable declared in the code (the override's key).
        name: the parameter of the parent that receives the value; ``None`` for
            the endpoint and for ``dependencies=[...]`` entries.
        kind: how the callable runs (async, sync, generator, async generator).
        arguments: every injected parameter, in signature order.
        dependencies: sub-dependencies, in the order they run (route-level
            ``dependencies=[...]`` first, for the endpoint).
        params: request parameters declared directly by this callable.
        own_scopes: scopes declared by the ``Security`` marker of this use.
        scopes: the parents' scopes plus ``own_scopes``, without duplicates.
        use_cache: whether the value is shared within a request.
        scope: the scope declared on the marker.
        computed_scope: the effective scope (``"app"``, ``"request"``,
            ``"function"``, or ``None`` for plain callables).
        uses_scopes: whether the scopes reach anything that reads them (part
            of the cache key only then, as in FastAPI).
        path: the chain of callable names from the endpoint to this one.
    """

    call: Callable[..., Any]
    original: Callable[..., Any]
    name: str | None
    kind: CallKind
    arguments: tuple[Argument, ...]
    dependencies: tuple[Dependant, ...]
    params: tuple[ParamField, ...]
    own_scopes: tuple[str, ...]
    scopes: tuple[str, ...]
    use_cache: bool
    scope: DependencyScope | None
    computed_scope: DependencyScope | None
    uses_scopes: bool
    path: tuple[str, ...]

    @property
    def cache_key(self) -> CacheKey:
        """``(callable, scopes if used, computed scope)``: equal keys share one value."""
        scopes = tuple(sorted(set(self.scopes))) if self.uses_scopes else ()
        return (CallIdentity(self.call), scopes, self.computed_scope or "")

    @property
    def security_scheme(self) -> SecurityBase | None:
        """The security scheme this dependency is, if any."""
        target = self.call
        while isinstance(target, functools.partial):
            target = target.func
        target = inspect.unwrap(target)
        return target if isinstance(target, SecurityBase) else None

    def walk(self) -> Iterator[Dependant]:
        """This dependant and every one below it, pre-order, skipping repeats (by cache key)."""
        seen: set[CacheKey] = set()
        stack: list[Dependant] = [self]
        while stack:
            current = stack.pop()
            key = current.cache_key
            if key in seen:
                continue
            seen.add(key)
            yield current
            stack.extend(reversed(current.dependencies))

    def security_requirements(self) -> list[SecurityRequirement]:
        """Security schemes below this dependant (pre-order, no repeats), for OpenAPI."""
        found: list[SecurityRequirement] = []
        for dep in self.walk():
            if dep is self:
                continue
            scheme = dep.security_scheme
            if scheme is not None:
                found.append(SecurityRequirement(scheme, dep.scopes))
        return found
