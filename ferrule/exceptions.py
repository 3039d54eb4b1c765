"""Exceptions (FastAPI's ``fastapi.exceptions``)."""

from ferrule.asgi_core.exceptions import FerruleError as FerruleError
from ferrule.di import FastAPIError as FastAPIError
from ferrule.asgi_core.exceptions import HTTPException as HTTPException
from ferrule.asgi_core.exceptions import WebSocketException as WebSocketException
from ferrule.validation import RequestValidationError as RequestValidationError
from ferrule.validation import ResponseValidationError as ResponseValidationError
from ferrule.validation import ValidationException as ValidationException
from ferrule.validation import WebSocketRequestValidationError as WebSocketRequestValidationError

__all__ = [
    "FastAPIError",
    "FerruleError",
    "HTTPException",
    "RequestValidationError",
    "ResponseValidationError",
    "ValidationException",
    "WebSocketException",
    "WebSocketRequestValidationError",
]
