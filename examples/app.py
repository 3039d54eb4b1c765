"""A small but realistic ferrule API: an in-memory notes service.

Run it on ferrule's own server::

    ferrule run examples.app:app --port 8000

then open http://127.0.0.1:8000/docs. What it shows:

* CRUD on a pydantic model kept in memory, split into routers with prefixes
  and tags;
* an app-scoped dependency (the store: created once at startup, closed at
  shutdown) and a ``yield`` dependency (a per-request audit record);
* header auth with a security helper (``X-API-Key``), checked for writes;
* a Server-Sent Events feed of changes and a WebSocket chat room on
  ``ferrule.channels`` (set ``FERRULE_REDIS_URL`` to share them between
  processes: ``ferrule run`` twice on two ports, publish on one, listen on the
  other; a reconnecting EventSource resumes from ``Last-Event-ID``), and a
  JSON Lines export.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from typing import Annotated

from pydantic import BaseModel, Field

from ferrule import APIRouter, App, Depends, Header, HTTPException, Query, Security, WebSocket, status
from ferrule.channels import Channels, ChannelBackend, MemoryBackend, RedisBackend, Room, sse_response
from ferrule.security import APIKeyHeader
from ferrule.sse import EventSourceResponse

API_KEY = "secret-key"


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    tags: list[str] = []


class Note(NoteIn):
    id: int


class Store:
    """In-memory notes."""

    def __init__(self) -> None:
        self.notes: dict[int, Note] = {}
        self.ids = itertools.count(1)


def get_store() -> Store:
    """App-scoped: one store for the app's lifetime."""
    return Store()


StoreDep = Annotated[Store, Depends(get_store, scope="app")]


async def get_channels() -> AsyncIterator[Channels]:
    """App-scoped: the publish/subscribe hub, started and stopped with the app's lifespan."""
    url = os.environ.get("FERRULE_REDIS_URL")
    backend: ChannelBackend = RedisBackend(url) if url else MemoryBackend()
    async with Channels(backend) as channels:
        yield channels


ChannelsDep = Annotated[Channels, Depends(get_channels, scope="app")]

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def require_api_key(key: Annotated[str | None, Security(api_key_header)]) -> str:
    if key != API_KEY:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong X-API-Key header")
    return key


async def audit() -> AsyncIterator[dict[str, str]]:
    """A yield dependency: a record the endpoint can annotate, finished after the response."""
    record: dict[str, str] = {"status": "started"}
    yield record
    record["status"] = "done"


notes = APIRouter(prefix="/notes", tags=["notes"])


@notes.get("", response_model=list[Note])
def list_notes(store: StoreDep, tag: str | None = None, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[Note]:
    """List notes, optionally only those with ``tag``."""
    found = [n for n in store.notes.values() if tag is None or tag in n.tags]
    return found[:limit]


@notes.post("", status_code=status.HTTP_201_CREATED, dependencies=[Depends(require_api_key)])
async def create_note(
    note: NoteIn, store: StoreDep, channels: ChannelsDep, record: Annotated[dict[str, str], Depends(audit)]
) -> Note:
    created = Note(id=next(store.ids), **note.model_dump())
    store.notes[created.id] = created
    await channels.publish("note", created)
    record["note"] = str(created.id)
    return created


@notes.get("/{note_id}")
def read_note(note_id: int, store: StoreDep) -> Note:
    try:
        return store.notes[note_id]
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"note {note_id} not found") from None


@notes.put("/{note_id}", dependencies=[Depends(require_api_key)])
async def replace_note(note_id: int, note: NoteIn, store: StoreDep, channels: ChannelsDep) -> Note:
    if note_id not in store.notes:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"note {note_id} not found")
    updated = Note(id=note_id, **note.model_dump())
    store.notes[note_id] = updated
    await channels.publish("note", updated)
    return updated


@notes.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(require_api_key)])
def delete_note(note_id: int, store: StoreDep) -> None:
    if store.notes.pop(note_id, None) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"note {note_id} not found")


streams = APIRouter(tags=["streams"])


@streams.get("/feed")
def feed(channels: ChannelsDep, last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    """Server-Sent Events: one ``note`` event per created or changed note.

    A client that reconnects with ``Last-Event-ID`` first gets the events it missed.
    """
    return sse_response(channels, "note", last_event_id=last_event_id, name_events=True, retry=2000)


@streams.get("/export")
async def export(store: StoreDep) -> AsyncIterator[Note]:
    """JSON Lines: every note, one JSON document per line."""
    for note in list(store.notes.values()):
        yield note


@streams.websocket("/chat")
async def chat(websocket: WebSocket, channels: ChannelsDep, name: str = "anonymous") -> None:
    """A chat room: every text message is broadcast to everyone as ``name: text``.

    Each member has its own bounded buffer: one that stops reading is closed
    (code 1013) instead of stalling the room.
    """
    room = Room(channels, "chat", buffer=100, policy="disconnect")
    async with room.join(websocket):
        async for text in websocket.iter_text():
            await room.broadcast(f"{name}: {text}")


app = App(title="ferrule notes", version="1.0.0", description="An example ferrule API.")
app.include_router(notes)
app.include_router(streams)


@app.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    return {"status": "ok"}
