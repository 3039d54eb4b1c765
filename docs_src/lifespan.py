"""Tutorial: lifespan (docs/tutorial/lifespan.md)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ferrule import App, Request

LOG: list[str] = []


@asynccontextmanager
async def lifespan(app: App) -> AsyncIterator[dict[str, Any]]:
    LOG.append("startup")
    # What the lifespan yields becomes request.state for every request.
    yield {"model": {"answer": 42}}
    LOG.append("shutdown")


app = App(lifespan=lifespan)


@app.get("/answer")
def answer(request: Request) -> dict[str, int]:
    return {"answer": request.state.model["answer"]}
