"""Gzip compression of responses (FastAPI's ``fastapi.middleware.gzip``)."""

from ferrule.asgi_core.middleware.gzip import GZipMiddleware as GZipMiddleware

__all__ = ["GZipMiddleware"]
