"""``Request`` and ``HTTPConnection`` (FastAPI's ``fastapi.requests``)."""

from ferrule.asgi_core.request import HTTPConnection as HTTPConnection
from ferrule.asgi_core.request import Request as Request

__all__ = ["HTTPConnection", "Request"]
