"""Tutorial: middleware (docs/tutorial/middleware.md)."""

import time
from collections.abc import Awaitable, Callable

from ferrule import App, Request, Response
from ferrule.middleware.cors import CORSMiddleware
from ferrule.middleware.gzip import GZipMiddleware

app = App()
app.add_middleware(GZipMiddleware, minimum_size=500)
app.add_middleware(CORSMiddleware, allow_origins=["https://example.com"], allow_methods=["GET", "POST"])


@app.middleware("http")
async def add_timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Process-Time"] = f"{time.perf_counter() - started:.6f}"
    return response


@app.get("/report")
def report() -> dict[str, str]:
    return {"text": "x" * 1000}
