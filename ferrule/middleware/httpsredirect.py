"""Redirecting http to https (FastAPI's ``fastapi.middleware.httpsredirect``)."""

from ferrule.asgi_core.middleware.httpsredirect import HTTPSRedirectMiddleware as HTTPSRedirectMiddleware

__all__ = ["HTTPSRedirectMiddleware"]
