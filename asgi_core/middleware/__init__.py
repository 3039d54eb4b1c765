"""ASGI middleware: each one is a pure ASGI app wrapping another.

``Middleware(cls, *args, **kwargs)`` records how to build one; the app builds
its stack from a list of them at startup (``cls(app, *args, **kwargs)``,
first in the list is outermost). It unpacks like a tuple:
``cls, args, kwargs = middleware``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ParamSpec, Protocol

from ..types import ASGIApp

__all__ = ["Middleware"]

P = ParamSpec("P")


class _MiddlewareFactory(Protocol[P]):
    def __call__(self, app: ASGIApp, /, *args: P.args, **kwargs: P.kwargs) -> ASGIApp: ...


class Middleware:
    """A middleware class with the arguments to build it with.

    Args:
        cls: the middleware class (or any ``factory(app, ...) -> ASGIApp``).
        *args: positional arguments after ``app``.
        **kwargs: keyword arguments.
    """

    __slots__ = ("cls", "args", "kwargs")

    def __init__(self, cls: _MiddlewareFactory[P], *args: P.args, **kwargs: P.kwargs) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        name = getattr(self.cls, "__name__", repr(self.cls))
        parts = [name, *(repr(a) for a in self.args), *(f"{k}={v!r}" for k, v in self.kwargs.items())]
        return f"Middleware({', '.join(parts)})"
