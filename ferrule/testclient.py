"""The in-process test client (FastAPI's ``fastapi.testclient``)."""

from ferrule.asgi_core.testclient import AsyncTestClient as AsyncTestClient
from ferrule.asgi_core.testclient import TestClient as TestClient
from ferrule.asgi_core.testclient import WebSocketDenialResponse as WebSocketDenialResponse
from ferrule.asgi_core.testclient import WebSocketTestSession as WebSocketTestSession

__all__ = ["AsyncTestClient", "TestClient", "WebSocketDenialResponse", "WebSocketTestSession"]
