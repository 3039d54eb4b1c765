"""Threadpool helpers (FastAPI's ``fastapi.concurrency``)."""

from ferrule.asgi_core.concurrency import iterate_in_threadpool as iterate_in_threadpool
from ferrule.asgi_core.concurrency import run_in_threadpool as run_in_threadpool

__all__ = ["iterate_in_threadpool", "run_in_threadpool"]
