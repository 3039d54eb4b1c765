"""The `fanout` benchmark's apps: an SSE endpoint fed from a channel, per framework and backend.

Each builder returns ``(app, publisher)``; ``publisher()`` gives ``publish(ids)``,
which publishes event ``{"i": i}`` for each id on channel ``fan`` through that
framework's channels API, without waiting for one publish before the next
(Litestar's ``publish`` is fire-and-forget; ferrule's ``await publish`` returns
the stored id, so the events are published from concurrent tasks, which the
Redis backend sends in pipelines), written the way its users write it:

* ferrule: ``ferrule.channels`` in an app-scoped dependency, ``sse_response``;
* litestar: the Channels plugin (``ChannelsPlugin``), an SSE handler iterating
  ``start_subscription(...).iter_events()``.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import anyio
from litestar import Litestar, get
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.response import ServerSentEvent
from redis.asyncio import Redis

from ferrule import App, Depends
from ferrule.channels import ChannelBackend, Channels, MemoryBackend, RedisBackend, sse_response
from ferrule.sse import EventSourceResponse

Publish = Callable[[range], Awaitable[None]]


def ferrule_app(redis_url: str | None) -> tuple[Any, Callable[[], Publish]]:
    created: list[Channels] = []

    async def get_channels() -> AsyncIterator[Channels]:
        backend: ChannelBackend = (
            RedisBackend(redis_url, prefix="bench:fanout") if redis_url else MemoryBackend()
        )
        async with Channels(backend, buffer=1024) as channels:
            created.append(channels)
            yield channels

    app = App()

    @app.get("/sse")
    def sse(channels: Annotated[Channels, Depends(get_channels, scope="app")]) -> EventSourceResponse:
        return sse_response(channels, "fan")

    def publisher() -> Publish:
        hub = created[-1]

        async def publish(ids: range) -> None:
            async with anyio.create_task_group() as group:
                for i in ids:
                    group.start_soon(hub.publish, "fan", {"i": i})

        return publish

    return app, publisher


def litestar_app(redis_url: str | None) -> tuple[Any, Callable[[], Publish]]:
    if redis_url:
        backend: Any = RedisChannelsPubSubBackend(redis=Redis.from_url(redis_url))
    else:
        backend = MemoryChannelsBackend()
    plugin = ChannelsPlugin(backend=backend, channels=["fan"], subscriber_max_backlog=1024)

    @get("/sse")
    async def sse(channels: ChannelsPlugin) -> ServerSentEvent:
        async def events() -> AsyncIterator[str]:
            async with channels.start_subscription(["fan"]) as subscriber:
                async for message in subscriber.iter_events():
                    yield message.decode()

        return ServerSentEvent(events())

    app = Litestar(route_handlers=[sse], plugins=[plugin])

    def publisher() -> Publish:
        async def publish(ids: range) -> None:
            for i in ids:
                plugin.publish({"i": i}, "fan")

        return publish

    return app, publisher


BUILDERS: dict[str, Callable[[str | None], tuple[Any, Callable[[], Publish]]]] = {
    "ferrule": ferrule_app,
    "litestar": litestar_app,
}
