"""The default exception handlers (FastAPI's ``fastapi.exception_handlers``)."""

from ferrule.asgi_core.middleware.exceptions import http_exception_handler as http_exception_handler
from ferrule.asgi_core.middleware.exceptions import websocket_exception_handler as websocket_exception_handler
from ferrule.validation import request_validation_exception_handler as request_validation_exception_handler
from ferrule.validation import (
    websocket_request_validation_exception_handler as websocket_request_validation_exception_handler,
)

__all__ = [
    "http_exception_handler",
    "request_validation_exception_handler",
    "websocket_exception_handler",
    "websocket_request_validation_exception_handler",
]
