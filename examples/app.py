"""A small but realistic ferrule API: an in-memory notes service.

Run it on ferrule's own server::

    ferrule run examples.app:app --port 8000

then open http://127.0.0.1:8000/docs. What it shows:

* CRUD on a pydantic model kept in memory, split into routers with prefixes
  and tags;
* an app-scoped dependency (the store: created once at startup, closed at
  shutdown) and a ``yield`` dependency (a per-request audit record);
* header auth with a security helper (``X-API-Key``), checked for writes;
* a Server-Sent Events feed of changes, a JSON Lines export and a WebSocket
  chat room.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import anyio
from pydantic import BaseModel, Field

from ferrule import APIRouter, App, Depends, HTTPException, Query, Security, WebSocket, WebSocketDisconnect, status
from ferrule.security import APIKeyHeader
from ferrule.sse import EventSourceResponse, ServerSentEvent

API_KEY = "secret-key"


class NoteIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    tags: list[str] = []


class Note(NoteIn):
    id: int


class Store:
    """In-memory notes plus a broadcast channel for the change feed."""

    def __init__(self) -> None:
        self.notes: dict[int, Note] = {}
        self.ids = itertools.count(1)
        self.subscribers: set[anyio.abc.ObjectSendStream[Note]] = set()

    def publish(self, note: Note) -> None:
        for stream in list(self.subscribers):
            try:
                stream.send_nowait(note)
            except (anyio.WouldBlock, anyio.BrokenResourceError, anyio.ClosedResourceError):
                self.subscribers.discard(stream)

    def close(self) -> None:
        for stream in self.subscribers:
            stream.close()
        self.subscribers.clear()


def get_store() -> Iterator[Store]:
    """App-scoped: one store for the app's lifetime, closed at shutdown."""
    store = Store()
    yield store
    store.close()


StoreDep = Annotated[Store, Depends(get_store, scope="app")]

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
def create_note(note: NoteIn, store: StoreDep, record: Annotated[dict[str, str], Depends(audit)]) -> Note:
    created = Note(id=next(store.ids), **note.model_dump())
    store.notes[created.id] = created
    store.publish(created)
    record["note"] = str(created.id)
    return created


@notes.get("/{note_id}")
def read_note(note_id: int, store: StoreDep) -> Note:
    try:
        return store.notes[note_id]
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"note {note_id} not found") from None


@notes.put("/{note_id}", dependencies=[Depends(require_api_key)])
def replace_note(note_id: int, note: NoteIn, store: StoreDep) -> Note:
    if note_id not in store.notes:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"note {note_id} not found")
    updated = Note(id=note_id, **note.model_dump())
    store.notes[note_id] = updated
    store.publish(updated)
    return updated


@notes.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(require_api_key)])
def delete_note(note_id: int, store: StoreDep) -> None:
    if store.notes.pop(note_id, None) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"note {note_id} not found")


streams = APIRouter(tags=["streams"])


@streams.get("/feed", response_class=EventSourceResponse)
async def feed(store: StoreDep) -> AsyncIterator[ServerSentEvent]:
    """Server-Sent Events: one ``note`` event per created or changed note."""
    send, receive = anyio.create_memory_object_stream[Note](16)
    store.subscribers.add(send)
    try:
        async with send, receive:
            async for note in receive:
                yield ServerSentEvent(data=note, event="note", id=str(note.id))
    finally:
        store.subscribers.discard(send)


@streams.get("/export")
async def export(store: StoreDep) -> AsyncIterator[Note]:
    """JSON Lines: every note, one JSON document per line."""
    for note in list(store.notes.values()):
        yield note


class Room:
    def __init__(self) -> None:
        self.members: set[WebSocket] = set()

    async def broadcast(self, text: str) -> None:
        for member in list(self.members):
            try:
                await member.send_text(text)
            except WebSocketDisconnect:
                self.members.discard(member)


room = Room()


@streams.websocket("/chat")
async def chat(websocket: WebSocket, name: str = "anonymous") -> None:
    """A chat room: every text message is broadcast to everyone as ``name: text``."""
    await websocket.accept()
    room.members.add(websocket)
    try:
        async for text in websocket.iter_text():
            await room.broadcast(f"{name}: {text}")
    finally:
        room.members.discard(websocket)


app = App(title="ferrule notes", version="1.0.0", description="An example ferrule API.")
app.include_router(notes)
app.include_router(streams)


@app.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    return {"status": "ok"}
