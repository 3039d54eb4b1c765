"""The app the two-process channels tests serve (``ferrule run channels_app:app``).

Redis URL and key prefix come from the environment (FERRULE_CHANNELS_URL,
FERRULE_CHANNELS_PREFIX); the hub is an app-scoped dependency.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Annotated, Any

from ferrule import App, Depends, Header
from ferrule.channels import Channels, RedisBackend, sse_response
from ferrule.sse import EventSourceResponse


async def get_channels() -> AsyncIterator[Channels]:
    backend = RedisBackend(os.environ["FERRULE_CHANNELS_URL"], prefix=os.environ["FERRULE_CHANNELS_PREFIX"],
                           backoff=0.05, max_backoff=0.2, publish_timeout=10)
    async with Channels(backend) as channels:
        yield channels


ChannelsDep = Annotated[Channels, Depends(get_channels, scope="app")]
app = App()


@app.get("/health")
def health(channels: ChannelsDep) -> dict[str, bool]:
    return {"started": channels.started}


@app.post("/publish/{channel}")
async def publish(channel: str, data: dict[str, Any], channels: ChannelsDep) -> dict[str, str]:
    return {"id": await channels.publish(channel, data), "worker": str(os.getpid())}


@app.get("/events/{channel}")
def events(
    channel: str, channels: ChannelsDep, last_event_id: Annotated[str | None, Header()] = None
) -> EventSourceResponse:
    return sse_response(
        channels, channel, last_event_id=last_event_id, ping_interval=1, headers={"x-worker": str(os.getpid())}
    )
