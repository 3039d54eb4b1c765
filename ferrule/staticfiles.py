"""Serving static files (FastAPI's ``fastapi.staticfiles``)."""

from ferrule.asgi_core.staticfiles import StaticFiles as StaticFiles

__all__ = ["StaticFiles"]
