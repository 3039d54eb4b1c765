"""ferrule: a from-scratch ASGI framework with FastAPI's API."""
