"""``starlette.middleware.base`` in drop-in mode: ``BaseHTTPMiddleware`` and its types."""

from ferrule.asgi_core.middleware.base import BaseHTTPMiddleware as BaseHTTPMiddleware
from ferrule.asgi_core.middleware.base import CallNext
from ferrule.asgi_core.middleware.base import DispatchFunction as DispatchFunction

RequestResponseEndpoint = CallNext
"""``call_next``'s type: ``async (request) -> response`` (Starlette's name)."""

__all__ = ["BaseHTTPMiddleware", "DispatchFunction", "RequestResponseEndpoint"]
