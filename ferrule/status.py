"""HTTP and WebSocket status constants (FastAPI's ``fastapi.status``)."""

from ferrule.asgi_core.status import *  # noqa: F403
from ferrule.asgi_core.status import __all__ as __all__
