"""The default exception handlers (FastAPI's ``fastapi.exception_handlers``)."""

from __future__ import annotations

import json

from ferrule.asgi_core.middleware.exceptions import http_exception_handler as http_exception_handler
from ferrule.asgi_core.middleware.exceptions import websocket_exception_handler as websocket_exception_handler
from ferrule.asgi_core.status import WS_1008_POLICY_VIOLATION
from ferrule.asgi_core.websocket import WebSocket
from ferrule.validation.encoders import jsonable_encoder
from ferrule.validation.errors import request_validation_exception_handler as request_validation_exception_handler

__all__ = [
    "http_exception_handler",
    "request_validation_exception_handler",
    "websocket_exception_handler",
    "websocket_request_validation_exception_handler",
]

# SPEC: RFC 6455 §5.5 - a control frame payload is at most 125 bytes, 2 of them the code.
_MAX_CLOSE_REASON = 123


async def websocket_request_validation_exception_handler(websocket: WebSocket, exc: Exception) -> None:
    """Close with 1008 (policy violation); the reason is the errors as JSON when it fits."""
    errors: list[dict[str, object]] = getattr(exc, "errors", list)()
    reason = json.dumps(jsonable_encoder(errors), separators=(",", ":"))
    if len(reason.encode("utf-8")) > _MAX_CLOSE_REASON:
        # The whole list does not fit in a close frame: name the errors briefly.
        brief = "; ".join(
            f"{e.get('type')} at {'.'.join(str(p) for p in e.get('loc', ()))}"  # type: ignore[attr-defined]
            for e in errors
        )
        reason = brief.encode("utf-8")[:_MAX_CLOSE_REASON].decode("utf-8", "ignore")
    await websocket.close(code=WS_1008_POLICY_VIOLATION, reason=reason)
