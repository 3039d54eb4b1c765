"""The `fanout` benchmark's apps: an SSE endpoint fed from a channel, per framework and backend.

Each builder returns ``(app, hub)`` where ``hub.publish(i)`` publishes event
``{"i": i}`` on channel ``fan`` through that framework's channels API, written
the way its users write it:

* ferrule: ``ferrule.channels`` in an app-scoped dependency, ``sse_response``;
* litestar: the Channels plugin (``ChannelsPlugin``), an SSE handler iterating
  ``start_subscription(...).iter_events()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

Publish = Callable[[int], Awaitable[None]]


def ferrule_app(redis_url: str | None) -> tuple[Any, Callable[[], Publish]]:
    from ferrule import App, Depends
    from ferrule.channels import Channels, ChannelBackend, MemoryBackend, RedisBackend, sse_response
    from ferrule.sse import EventSourceResponse

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

        async def publish(i: int) -> None:
            await hub.publish("fan", {"i": i})

        return publish

    return app, publisher


def litestar_app(redis_url: str | None) -> tuple[Any, Callable[[], Publish]]:
    from litestar import Litestar, get
    from litestar.channels import ChannelsPlugin
    from litestar.channels.backends.memory import MemoryChannelsBackend
    from litestar.response import ServerSentEvent

    if redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

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
        async def publish(i: int) -> None:
            plugin.publish({"i": i}, "fan")

        return publish

    return app, publisher


BUILDERS: dict[str, Callable[[str | None], tuple[Any, Callable[[], Publish]]]] = {
    "ferrule": ferrule_app,
    "litestar": litestar_app,
}
