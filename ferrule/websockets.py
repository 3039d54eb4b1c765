"""WebSocket classes (FastAPI's ``fastapi.websockets``)."""

from ferrule.asgi_core.websocket import WebSocket as WebSocket
from ferrule.asgi_core.websocket import WebSocketDisconnect as WebSocketDisconnect
from ferrule.asgi_core.websocket import WebSocketState as WebSocketState

__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketState"]
