"""Server-Sent Events (FastAPI's ``fastapi.sse``)."""

from ferrule.streaming import EventSourceResponse as EventSourceResponse
from ferrule.streaming import ServerSentEvent as ServerSentEvent

__all__ = ["EventSourceResponse", "ServerSentEvent"]
