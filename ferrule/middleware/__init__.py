"""Middleware (FastAPI's ``fastapi.middleware``): ``Middleware`` and the submodules
``cors``, ``gzip``, ``trustedhost`` and ``httpsredirect``."""

from ferrule.asgi_core.middleware import Middleware as Middleware

__all__ = ["Middleware"]
