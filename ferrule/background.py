"""``BackgroundTasks`` (FastAPI's ``fastapi.background``)."""

from ferrule.asgi_core.background import BackgroundTask as BackgroundTask
from ferrule.asgi_core.background import BackgroundTasks as BackgroundTasks

__all__ = ["BackgroundTask", "BackgroundTasks"]
