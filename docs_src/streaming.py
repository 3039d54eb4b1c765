"""Tutorial: StreamingResponse, Server-Sent Events and JSON Lines (docs/tutorial/streaming.md)."""

from collections.abc import AsyncIterator, Iterator

from pydantic import BaseModel

from ferrule import App
from ferrule.responses import StreamingResponse
from ferrule.sse import EventSourceResponse, ServerSentEvent

app = App()


class Tick(BaseModel):
    n: int


@app.get("/download")
def download() -> StreamingResponse:
    def chunks() -> Iterator[bytes]:
        for n in range(3):
            yield f"line {n}\n".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/ticks")
async def ticks(count: int = 3) -> AsyncIterator[Tick]:
    # A generator endpoint streams JSON Lines, each item validated as a Tick.
    for n in range(count):
        yield Tick(n=n)


@app.get("/events", response_class=EventSourceResponse)
async def events(count: int = 3) -> AsyncIterator[ServerSentEvent]:
    for n in range(count):
        yield ServerSentEvent(data={"n": n}, event="tick", id=str(n))
