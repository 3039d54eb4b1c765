"""Refusing requests for unknown hosts (FastAPI's ``fastapi.middleware.trustedhost``)."""

from ferrule.asgi_core.middleware.trustedhost import TrustedHostMiddleware as TrustedHostMiddleware

__all__ = ["TrustedHostMiddleware"]
