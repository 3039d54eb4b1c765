"""Tutorial: channels - fan-out with resume (docs/tutorial/streaming.md)."""

from collections.abc import AsyncIterator
from typing import Annotated

from ferrule import App, Depends, Header, WebSocket
from ferrule.channels import Channels, Room, sse_response
from ferrule.sse import EventSourceResponse


async def get_channels() -> AsyncIterator[Channels]:
    # Channels() keeps events in this process; Channels(RedisBackend(url)) shares
    # them between every worker and machine on the same Redis.
    async with Channels() as channels:
        yield channels


ChannelsDep = Annotated[Channels, Depends(get_channels, scope="app")]
app = App()


@app.post("/notes")
async def create(note: dict[str, str], channels: ChannelsDep) -> dict[str, str]:
    return {"id": await channels.publish("notes", note)}


@app.get("/feed")
def feed(channels: ChannelsDep, last_event_id: Annotated[str | None, Header()] = None) -> EventSourceResponse:
    # A client that reconnects with Last-Event-ID gets exactly what it missed, then live events.
    return sse_response(channels, "notes", last_event_id=last_event_id)


@app.get("/missed")
async def missed(channels: ChannelsDep, after: str) -> list[dict[str, str]]:
    # The API underneath sse_response: subscribe, resuming after an event id.
    found: list[dict[str, str]] = []
    async with channels.subscribe("notes", last_id=after) as subscription:
        # What is already there (the retained events after `after`), without waiting for more.
        while (event := subscription.get_nowait()) is not None:
            found.append(event.data)
    return found


@app.websocket("/chat")
async def chat(websocket: WebSocket, channels: ChannelsDep) -> None:
    room = Room(channels, "chat", policy="disconnect")
    async with room.join(websocket):
        async for text in websocket.iter_text():
            await room.broadcast(text)
