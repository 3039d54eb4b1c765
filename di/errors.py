"""Errors raised by dependency injection.

Two kinds (STYLE.md "Errors"):

* ``DependencyError`` and subclasses: a dependency graph that cannot work,
  found when the endpoint is compiled (at startup). The message says what is
  wrong, why, and how to fix it, then the chain of callables
  (``Path: read_item -> get_db -> get_settings``) and the endpoint. The chain
  and the endpoint are kept as data too (``.path``, ``.endpoint``).
* ``DependencyRuntimeError``: a dependency misbehaved while a request was
  being solved (a ``yield`` dependency swallowed an exception, never yielded,
  or yielded twice). It is a bug in the dependency, so it becomes a 500.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ferrule.asgi_core.exceptions import FastAPIError as FastAPIError
from ferrule.asgi_core.exceptions import FerruleError
from ferrule.asgi_core.source import source_location

if TYPE_CHECKING:
    from ferrule.validation.errors import EndpointContext

__all__ = [
    "DependencyConfigError",
    "DependencyCycleError",
    "DependencyError",
    "DependencyRuntimeError",
    "DependencyScopeError",
    "FastAPIError",
    "SWALLOWED_MESSAGE",
    "describe_callable",
    "format_endpoint",
    "format_path",
    "name_of",
]


def name_of(call: Any) -> str:
    """A short human name for a dependency callable (``get_db``, ``Settings``)."""
    if isinstance(call, functools.partial):
        return f"partial({name_of(call.func)})"
    name = getattr(call, "__qualname__", None) or getattr(call, "__name__", None)
    if not isinstance(name, str):
        # An instance with __call__: name its class.
        name = type(call).__qualname__
    # `make_app.<locals>.get_db` -> `get_db`; `Service.get` stays qualified.
    return name.rpartition("<locals>.")[2]


def describe_callable(call: Any) -> str:
    """``name (file:line)``: where a dependency is defined, for error messages."""
    target = call
    while isinstance(target, functools.partial):
        target = target.func
    if not (inspect.isroutine(target) or inspect.isclass(target)):
        target = type(target)
    try:
        target = inspect.unwrap(target)
    except ValueError:  # a __wrapped__ cycle
        return name_of(call)
    file, line = source_location(target)
    if file is None:
        return name_of(call)
    return f"{name_of(call)} ({file}:{line})"


def format_path(path: Sequence[str]) -> str:
    return "Path: " + " -> ".join(path)


def format_endpoint(endpoint: EndpointContext | None) -> str:
    if endpoint is None:
        return ""
    where = endpoint.function
    if endpoint.file is not None:
        where += f" ({endpoint.file}:{endpoint.line})" if endpoint.line else f" ({endpoint.file})"
    return f"Endpoint: {endpoint.method_path} -> {where}"


class DependencyError(FerruleError):
    """A dependency graph that cannot work (found when the endpoint is compiled).

    Attributes:
        message: what is wrong, why, and how to fix it (without the context lines).
        path: the chain of callables from the endpoint to the problem.
        endpoint: the route whose graph is wrong, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Sequence[str] = (),
        endpoint: EndpointContext | None = None,
    ) -> None:
        self.message = message
        self.path = tuple(path)
        self.endpoint = endpoint
        lines = [message]
        if self.path:
            lines.append(format_path(self.path))
        where = format_endpoint(endpoint)
        if where:
            lines.append(where)
        super().__init__("\n".join(lines))


class DependencyConfigError(DependencyError, ValueError):
    """A parameter or dependency declaration that ferrule cannot use."""


class DependencyCycleError(DependencyError):
    """Dependencies that depend on each other in a loop.

    Attributes:
        cycle: the callables of the loop, first one repeated at the end.
    """

    def __init__(
        self,
        message: str,
        *,
        cycle: Sequence[str],
        path: Sequence[str] = (),
        endpoint: EndpointContext | None = None,
    ) -> None:
        self.cycle = tuple(cycle)
        super().__init__(message, path=path, endpoint=endpoint)


class DependencyScopeError(DependencyError):
    """A dependency uses a value that does not live as long as it does."""


# FastAPIError lives in asgi_core (every layer raises subclasses); re-exported here.
#: COMPAT(fastapi): FastAPI's message when a ``yield`` dependency swallowed an exception.
SWALLOWED_MESSAGE = (
    "Response not awaited. There's a high chance that the application code is raising an "
    "exception and a dependency with yield has a block with a bare except, or a block with "
    "except Exception, and is not raising the exception again. Read more about it in the "
    "docs: https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/"
    "#dependencies-with-yield-and-except"
)


class DependencyRuntimeError(FastAPIError):
    """A dependency broke the rules of ``yield`` dependencies during a request.

    A ``FastAPIError`` (a ``RuntimeError``), as in FastAPI. Swallowing an
    exception gives FastAPI's message (``SWALLOWED_MESSAGE``) followed by the
    dependency's name and the exception it swallowed.

    Attributes:
        dependency: the name of the dependency at fault.
    """

    def __init__(self, message: str, *, dependency: str) -> None:
        self.dependency = dependency
        super().__init__(message)
