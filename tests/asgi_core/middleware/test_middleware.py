"""Middleware: the (class, args, kwargs) holder the app builds its stack from."""

from __future__ import annotations

from ferrule.asgi_core.middleware import Middleware
from ferrule.asgi_core.middleware.cors import CORSMiddleware
from ferrule.asgi_core.middleware.gzip import GZipMiddleware
from ferrule.asgi_core.types import Receive, Scope, Send


async def inner(scope: Scope, receive: Receive, send: Send) -> None:
    return None


def test_unpacks_like_a_tuple_and_builds() -> None:
    entry = Middleware(GZipMiddleware, 1000, compresslevel=5)
    cls, args, kwargs = entry
    assert (cls, args, kwargs) == (GZipMiddleware, (1000,), {"compresslevel": 5})
    built = cls(inner, *args, **kwargs)
    assert isinstance(built, GZipMiddleware)
    assert (built.minimum_size, built.compresslevel, built.app) == (1000, 5, inner)


def test_repr() -> None:
    entry = Middleware(CORSMiddleware, allow_origins=["https://a.example"])
    assert repr(entry) == "Middleware(CORSMiddleware, allow_origins=['https://a.example'])"
