"""Cross-Origin Resource Sharing (FastAPI's ``fastapi.middleware.cors``)."""

from ferrule.asgi_core.middleware.cors import CORSMiddleware as CORSMiddleware

__all__ = ["CORSMiddleware"]
