"""Beyond FastAPI: limits, timeouts, stage timing and startup conflict checks (docs/beyond-fastapi.md)."""

from collections.abc import Iterator
from typing import Annotated

import anyio
from pydantic import BaseModel

from ferrule import APIRouter, App, Depends


class Timings:
    """A stage observer: ferrule reports each stage's duration per route."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def on_stage(self, route: str, stage: str, seconds: float) -> None:
        self.seen.append((route, stage))


timings = Timings()
app = App(stage_observer=timings, max_body_size=1024)


class Note(BaseModel):
    text: str


@app.post("/notes")
def add_note(note: Note) -> Note:
    return note


@app.get("/slow", response_timeout=0.05)
async def slow() -> dict[str, bool]:
    await anyio.sleep(10)
    return {"done": True}


def settings() -> Iterator[dict[str, str]]:
    yield {"region": "eu"}


@app.get("/region")
def region(config: Annotated[dict[str, str], Depends(settings, scope="app")]) -> dict[str, str]:
    return config


def conflicting_router() -> APIRouter:
    """Two templates that match the same paths: ferrule refuses this at startup."""
    router = APIRouter()

    @router.get("/users/{user_id}")
    def by_id(user_id: str) -> None: ...

    @router.get("/users/{name}")
    def by_name(name: str) -> None: ...

    return router
