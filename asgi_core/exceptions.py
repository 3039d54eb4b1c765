"""Exceptions shared by every layer.

Three kinds, each with its own style (STYLE.md "Errors"):

1. ``FerruleError``: misconfiguration found at startup. Subclasses say what is
   wrong, why, and how to fix it.
2. ``RequestInputError`` and its subclasses: malformed or over-limit client
   input. They carry the status code the client gets (400, 413, 415, 431, ...)
   and a short lowercase message; the app turns them into ``{"detail": msg}``.
   They subclass ``HTTPException`` so a handler registered for
   ``HTTPException`` sees them too.
3. ``HTTPException`` / ``WebSocketException``: the user's intent.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

__all__ = [
    "ClientDisconnect",
    "FastAPIDeprecationWarning",
    "FastAPIError",
    "FerruleError",
    "HTTPException",
    "MalformedInputError",
    "PayloadTooLargeError",
    "RequestHeaderFieldsTooLargeError",
    "RequestInputError",
    "UnsupportedMediaTypeError",
    "WebSocketException",
    "truncated_repr",
    "warn_deprecated",
]


def truncated_repr(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for echoing client input in errors."""
    text = repr(value)
    if len(text) > limit:
        return text[: limit - 3] + "..."
    return text


class FastAPIDeprecationWarning(UserWarning):
    """A FastAPI feature that FastAPI itself deprecated (``regex=``, ``example=``, ...).

    COMPAT(fastapi): FastAPI's class and its base (``UserWarning``, which Python
    shows by default, unlike ``DeprecationWarning``); ferrule warns with it exactly
    where FastAPI does, and nowhere else.
    """


def warn_deprecated(message: str, category: type[Warning] = FastAPIDeprecationWarning) -> None:
    """Warn ``message``, pointing at the first caller outside ferrule (the user's line)."""
    frame = sys._getframe(1)  # the caller, which is warnings.warn's stacklevel 2
    level = 2
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("ferrule."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)


class FastAPIError(RuntimeError):
    """FastAPI's generic error class (``fastapi.exceptions.FastAPIError``).

    COMPAT(fastapi): code ported from FastAPI catches it; ferrule raises its
    subclasses where FastAPI raises it. Defined here, in the lowest layer, so
    every layer can raise a subclass.
    """


class FerruleError(AssertionError):
    """Base class of every configuration error ferrule raises at startup.

    COMPAT(fastapi): an ``AssertionError`` too. FastAPI refuses invalid
    declarations (a bad prefix, a body on a 204, a misplaced parameter, ...)
    with ``AssertionError``, and code and tests written against it catch that;
    ferrule's errors name the culprit and the fix, and stay catchable that way.
    They are raised explicitly, so ``python -O`` does not remove them.
    """


class HTTPException(Exception):
    """Stop handling the request and answer with ``status_code``.

    Args:
        status_code: the HTTP status to send.
        detail: the ``detail`` member of the JSON body; defaults to the
            status' reason phrase.
        headers: extra response headers (e.g. ``WWW-Authenticate``).
    """

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if detail is None:
            try:
                detail = HTTPStatus(status_code).phrase
            except ValueError:
                detail = ""
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers is not None else None
        super().__init__(status_code, detail)

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class WebSocketException(Exception):
    """Close the WebSocket with ``code`` and ``reason`` (RFC 6455 §7.4)."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""
        super().__init__(code, self.reason)

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, reason={self.reason!r})"


class RequestInputError(HTTPException):
    """Malformed or over-limit client input; ``detail`` is a short message."""

    default_status: int = 400

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(status_code or self.default_status, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class MalformedInputError(RequestInputError):
    """The request is not well formed (bad multipart, bad header, bad escape): 400."""

    default_status = 400


class PayloadTooLargeError(RequestInputError):
    """A body, part or field is over its configured limit: 413."""

    default_status = 413


class UnsupportedMediaTypeError(RequestInputError):
    """The body's media type cannot be handled: 415."""

    default_status = 415


class RequestHeaderFieldsTooLargeError(RequestInputError):
    """The request head (or a part's head) is over its limit: 431."""

    default_status = 431


class ClientDisconnect(Exception):
    """The client went away while the app was still reading the request."""
