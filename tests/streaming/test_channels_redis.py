"""The Redis backend's faults: Redis restarted mid-stream, a listener that reconnects and catches up."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from ferrule.channels import Channels, ChannelsUnavailable, RedisBackend
from redis_server import RedisServer

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.asyncio_only("the Redis channel backend uses redis.asyncio, which runs on asyncio only"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


async def test_redis_restarted_mid_stream(server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    """A subscriber keeps its stream across a restart: no loss, no duplicate, in order.

    The subscriber's listener waits long before reconnecting, so the events
    published meanwhile (by another process's hub) reach it only through the
    catch-up read of the streams.
    """
    prefix = f"t:{uuid.uuid4().hex}"
    listener = RedisBackend(server.url, prefix=prefix, backoff=0.5, max_backoff=0.5, ping_interval=1)
    publisher = RedisBackend(server.url, prefix=prefix, backoff=0.02, publish_timeout=10)
    caplog.set_level(logging.WARNING, logger="ferrule.channels")
    async with Channels(listener) as subscriber_hub, Channels(publisher) as publisher_hub:
        async with subscriber_hub.subscribe("feed") as sub:
            for i in range(3):
                await publisher_hub.publish("feed", i)
            with anyio.fail_after(5):
                got = [(await sub.__anext__()).data for _ in range(3)]
            await anyio.to_thread.run_sync(server.stop)
            await anyio.to_thread.run_sync(server.start)
            for i in range(3, 6):  # published while the listener is still waiting to reconnect
                await publisher_hub.publish("feed", i)
            with anyio.fail_after(10):
                got += [(await sub.__anext__()).data for _ in range(3)]
            await publisher_hub.publish("feed", 6)  # and live again after it
            with anyio.fail_after(5):
                got.append((await sub.__anext__()).data)
            assert sub.get_nowait() is None  # nothing twice
    assert got == list(range(7))
    assert listener.reconnects >= 1
    assert "Redis connection lost" in caplog.text


async def test_publish_while_redis_is_down_fails_clearly(server: RedisServer) -> None:
    backend = RedisBackend(server.url, prefix=f"t:{uuid.uuid4().hex}", publish_timeout=0.3, backoff=0.05)
    async with Channels(backend) as hub:
        await anyio.to_thread.run_sync(server.stop)
        with pytest.raises(ChannelsUnavailable, match="unreachable for 0.3 s"):
            await hub.publish("x", 1)
        await anyio.to_thread.run_sync(server.start)
        with anyio.fail_after(5):
            assert int(await hub.publish("x", 2)) >= 1  # the app goes on once Redis is back


async def test_ids_never_go_back_when_redis_lost_its_data(tmp_path: Path) -> None:
    """Without persistence a restart resets the counter; ids still grow for this process."""
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        backend = RedisBackend(redis.url, prefix="t:lost", backoff=0.05, max_backoff=0.1, publish_timeout=10)
        async with Channels(backend) as hub:
            async with hub.subscribe("c") as sub:
                first = int(await hub.publish("c", "before"))
                await anyio.to_thread.run_sync(redis.stop)
                for name in tmp_path.iterdir():  # the RDB is gone: Redis starts empty
                    name.unlink()
                await anyio.to_thread.run_sync(redis.start)
                second = int(await hub.publish("c", "after"))
                with anyio.fail_after(10):
                    got = [(await sub.__anext__()).data for _ in range(2)]
        assert second > first
        assert got == ["before", "after"]
    finally:
        redis.stop()


async def test_start_without_redis_is_a_clear_error() -> None:
    from local_ports import free_port

    backend = RedisBackend(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=0.3)
    with pytest.raises(ChannelsUnavailable, match="could not reach Redis"):
        async with Channels(backend):
            pass


async def test_foreign_messages_on_the_prefix_are_skipped(server: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    """SECURITY: whatever else is published or stored under the prefix never ends the listener."""
    import redis.asyncio as redis_asyncio

    prefix = f"t:{uuid.uuid4().hex}"
    caplog.set_level(logging.WARNING, logger="ferrule.channels")
    other = redis_asyncio.from_url(server.url)
    try:
        async with Channels(RedisBackend(server.url, prefix=prefix)) as hub:
            async with hub.subscribe("feed") as sub:
                for junk in (b"hello", b"12", b"-3 {}", b"9" * 30 + b" {}"):
                    await other.publish(f"{{{prefix}}}:c:feed", junk)
                await other.xadd(f"{{{prefix}}}:s:feed", {b"x": b"not ours"})
                real = await hub.publish("feed", "real")
                with anyio.fail_after(5):
                    event = await sub.__anext__()
                assert (event.id, event.data) == (real, "real")
                assert sub.get_nowait() is None
            assert [e.data for e in await hub.backend.history(["feed"], 0)] == ["real"]
    finally:
        await other.aclose()
    assert caplog.text.count("ignored a malformed message") == 4


async def test_sse_response_needs_a_started_hub() -> None:
    from ferrule.channels import ChannelsNotStarted, sse_response

    with pytest.raises(ChannelsNotStarted, match="scope='app'"):
        sse_response(Channels(), "feed")
