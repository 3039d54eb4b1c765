"""Exceptions (FastAPI's ``fastapi.exceptions``).

ferrule has one ``HTTPException`` and one ``WebSocketException`` (no separate
Starlette classes); ``StarletteHTTPException`` and ``StarletteWebSocketException``
are the same classes under FastAPI's import names, so handlers registered for
either see every such exception.
"""

from ferrule.asgi_core.exceptions import FastAPIDeprecationWarning as FastAPIDeprecationWarning
from ferrule.asgi_core.exceptions import FerruleError as FerruleError
from ferrule.di import FastAPIError as FastAPIError
from ferrule.asgi_core.exceptions import HTTPException as HTTPException
from ferrule.asgi_core.exceptions import WebSocketException as WebSocketException
from ferrule.di.errors import DependencyScopeError as DependencyScopeError
from ferrule.validation import RequestValidationError as RequestValidationError
from ferrule.validation import ResponseValidationError as ResponseValidationError
from ferrule.validation import ValidationException as ValidationException
from ferrule.validation import WebSocketRequestValidationError as WebSocketRequestValidationError
from ferrule.validation.errors import EndpointContext as EndpointContext
from ferrule.validation.errors import PydanticV1NotSupportedError as PydanticV1NotSupportedError

StarletteHTTPException = HTTPException
StarletteWebSocketException = WebSocketException


__all__ = [
    "DependencyScopeError",
    "EndpointContext",
    "FastAPIDeprecationWarning",
    "FastAPIError",
    "FerruleError",
    "HTTPException",
    "PydanticV1NotSupportedError",
    "RequestValidationError",
    "ResponseValidationError",
    "StarletteHTTPException",
    "StarletteWebSocketException",
    "ValidationException",
    "WebSocketException",
    "WebSocketRequestValidationError",
]
