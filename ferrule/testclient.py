"""The in-process test client (FastAPI's ``fastapi.testclient``)."""

from ferrule.asgi_core.testclient import AsyncTestClient as AsyncTestClient
from ferrule.asgi_core.testclient import TestClient as TestClient

__all__ = ["AsyncTestClient", "TestClient"]
