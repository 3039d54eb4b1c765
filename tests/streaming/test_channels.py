"""Channels: the backend contract (memory and Redis), fan-out, resume, buffers and policies."""

from __future__ import annotations

import gc
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
from backends import running_backend
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from ferrule.channels import (
    ChannelBackend,
    ChannelEvent,
    Channels,
    ChannelsNotStarted,
    MemoryBackend,
    RedisBackend,
    SlowConsumer,
)
from ferrule.streaming.channels.event import parse_event_id

pytestmark = pytest.mark.anyio


REDIS_IS_ASYNCIO = "redis-py's client (redis.asyncio) runs on asyncio only, so does the Redis backend"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.asyncio_only(REDIS_IS_ASYNCIO))])
def make_backend(request: pytest.FixtureRequest) -> Any:
    """A factory of fresh backends of one kind (each Redis one has its own key prefix)."""
    if request.param == "memory":
        return lambda **kw: MemoryBackend(**kw)
    url = request.getfixturevalue("redis_url")
    prefix = f"test:{uuid.uuid4().hex}"
    return lambda **kw: RedisBackend(url, prefix=prefix, **kw)


@pytest.fixture
async def hub(make_backend: Any) -> AsyncIterator[Channels]:
    async with Channels(make_backend()) as channels:
        yield channels


async def take(sub: Any, n: int, timeout: float = 5.0) -> list[ChannelEvent]:
    got: list[ChannelEvent] = []
    with anyio.fail_after(timeout):
        async for event in sub:
            got.append(event)
            if len(got) == n:
                break
    return got


class Note(BaseModel):
    id: int
    title: str


# -- the contract: every backend ------------------------------------------------


async def test_publish_reaches_every_subscriber_in_order(hub: Channels) -> None:
    async with hub.subscribe("a") as first, hub.subscribe(["a", "b"]) as second:
        ids = [await hub.publish("a", {"n": i}) for i in range(5)]
        await hub.publish("b", "for b")
        got_first = await take(first, 5)
        got_second = await take(second, 6)
    assert [e.data for e in got_first] == [{"n": i} for i in range(5)]
    assert [e.id for e in got_first] == ids
    assert [e.data for e in got_second] == [{"n": i} for i in range(5)] + ["for b"]
    assert [e.channel for e in got_second] == ["a"] * 5 + ["b"]


async def test_ids_grow_across_channels(hub: Channels) -> None:
    ids = [int(await hub.publish(name, 1)) for name in ("x", "y", "x", "z", "y")]
    assert ids == sorted(ids) and len(set(ids)) == 5


async def test_data_is_json_of_dicts_models_and_strings(hub: Channels) -> None:
    async with hub.subscribe("d") as sub:
        await hub.publish("d", Note(id=1, title="t"))
        await hub.publish("d", "text")
        await hub.publish("d", [1, None, 2.5])
        got = await take(sub, 3)
    assert [e.raw for e in got] == [b'{"id": 1, "title": "t"}', b'"text"', b"[1, null, 2.5]"]


async def test_no_delivery_before_subscribe_and_after_leave(hub: Channels) -> None:
    await hub.publish("c", "before")
    async with hub.subscribe("c") as sub:
        await hub.publish("c", "during")
        assert [e.data for e in await take(sub, 1)] == ["during"]
    assert hub.subscriber_count("c") == 0
    await hub.publish("c", "after")  # nobody listens: no error


async def test_resume_gives_exactly_the_missed_events(hub: Channels) -> None:
    async with hub.subscribe(["r1", "r2"]) as sub:
        for i in range(3):
            await hub.publish("r1" if i % 2 else "r2", i)
        seen = await take(sub, 3)
    last = seen[-1].id
    missed = [await hub.publish("r1" if i % 2 else "r2", i) for i in range(3, 8)]
    await hub.publish("other", "not subscribed")
    async with hub.subscribe(["r1", "r2"], last_id=last) as sub:
        live = await hub.publish("r2", "live")
        got = await take(sub, 6)
    assert [e.id for e in got] == [*missed, live]
    assert [e.data for e in got] == [3, 4, 5, 6, 7, "live"]


async def test_resume_from_the_newest_id_gives_only_live_events(hub: Channels) -> None:
    last = await hub.publish("n", "old")
    async with hub.subscribe("n", last_id=last) as sub:
        await hub.publish("n", "new")
        assert [e.data for e in await take(sub, 1)] == ["new"]


async def test_history_is_bounded(make_backend: Any) -> None:
    async with Channels(make_backend(history=10)) as hub:
        for i in range(200):
            await hub.publish("h", i)
        kept = await hub.backend.history(["h"], 0)
    # memory keeps exactly 10; Redis trims approximately (MAXLEN ~) but never below 10
    assert 10 <= len(kept) < 200
    assert [e.data for e in kept] == list(range(200 - len(kept), 200))


async def test_a_slow_subscriber_does_not_slow_the_others(hub: Channels) -> None:
    async with (
        hub.subscribe("s", buffer=4, policy="drop_oldest") as stalled,
        hub.subscribe("s", buffer=4, policy="disconnect") as doomed,
        hub.subscribe("s", buffer=1000) as reader,
    ):
        for i in range(100):  # the publisher never waits for the stalled ones
            await hub.publish("s", i)
        got = await take(reader, 100)
        assert [e.data for e in got] == list(range(100))
        # the stalled subscriber kept the newest 4 and counts what it dropped
        assert [e.data for e in await take(stalled, 4)] == [96, 97, 98, 99]
        assert stalled.dropped == 96
        # the doomed one gets what it had buffered, then a clear error
        assert [e.data for e in await take(doomed, 4)] == [0, 1, 2, 3]
        with pytest.raises(SlowConsumer, match="buffer of 4 events was full"):
            await take(doomed, 1)


async def test_stop_ends_every_subscription(make_backend: Any) -> None:
    hub = Channels(make_backend())
    await hub.start()
    async with hub.subscribe("e") as sub:
        await hub.stop()
        with anyio.fail_after(5):
            assert [e async for e in sub] == []


# -- the hub's own rules ---------------------------------------------------------


async def test_use_before_start_is_a_clear_error() -> None:
    hub = Channels()
    with pytest.raises(ChannelsNotStarted, match="lifespan"):
        await hub.publish("a", 1)
    with pytest.raises(ChannelsNotStarted, match="scope='app'"):
        async with hub.subscribe("a"):
            pass


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("", ValueError, "1 to 256"),
        ("x" * 257, ValueError, "1 to 256"),
        ("a\nb", ValueError, "control"),
        ("a\x00", ValueError, "control"),
        (b"bytes", TypeError, "is a str"),
    ],
)
async def test_bad_channel_names(name: Any, error: type[Exception], match: str) -> None:
    async with Channels() as hub:
        with pytest.raises(error, match=match):
            await hub.publish(name, 1)
        with pytest.raises(error, match=match):
            async with hub.subscribe([name]):
                pass


async def test_bad_buffer_and_policy() -> None:
    with pytest.raises(ValueError, match="buffer is a number"):
        Channels(buffer=0)
    with pytest.raises(ValueError, match="policy must be one of"):
        Channels(policy="block")  # type: ignore[arg-type]
    async with Channels() as hub:
        with pytest.raises(ValueError, match="at least one channel"):
            async with hub.subscribe([]):
                pass


@pytest.mark.parametrize(
    ("header", "expected"),
    [("42", 42), ("0", 0), (None, None), ("", None), ("-1", None), (" 4", None), ("4.0", None),
     ("1" * 20, None), ("١٢", None), ("abc", None), ("9" * 19, 10**19 - 1)],
)
def test_last_event_id_parsing_is_strict(header: str | None, expected: int | None) -> None:
    assert parse_event_id(header) == expected


async def test_a_bad_last_event_id_means_live_only() -> None:
    async with Channels() as hub:
        await hub.publish("l", "old")
        async with hub.subscribe("l", last_id="not-an-id") as sub:
            await hub.publish("l", "new")
            assert [e.data for e in await take(sub, 1)] == ["new"]


@settings(max_examples=40, deadline=None)
@given(
    ops=st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 9)), max_size=40),
    resume_at=st.integers(0, 40),
)
def test_memory_resume_matches_a_reference_log(ops: list[tuple[str, int]], resume_at: int) -> None:
    """Reference model: the global log of (id, channel, data); resume = entries after id on the channels."""

    async def run() -> None:
        async with Channels(MemoryBackend(history=1000)) as hub:
            log: list[tuple[int, str, int]] = []
            for channel, value in ops:
                log.append((int(await hub.publish(channel, value)), channel, value))
            after = log[resume_at - 1][0] if 0 < resume_at <= len(log) else 0
            async with hub.subscribe(["a", "b"], last_id=str(after)) as sub:
                expected = [entry for entry in log if entry[0] > after and entry[1] in "ab"]
                got = await take(sub, len(expected)) if expected else []
        assert [(e.seq, e.channel, e.data) for e in got] == expected

    anyio.run(run)


async def test_idle_subscribers_memory_stays_flat(hub: Channels) -> None:
    """10,000 idle subscribers: a bounded cost each, no growth while idle, all freed after.

    Two rounds: the first grows the event loop's own tables (task sets keep
    their capacity); the second must end where the first did.
    """

    async def one_round() -> tuple[int, int]:
        ready = 0
        all_in = anyio.Event()
        leave = anyio.Event()

        async def idle(i: int) -> None:
            nonlocal ready
            async with hub.subscribe(f"room-{i % 100}") as sub:
                ready += 1
                if ready == 10_000:
                    all_in.set()
                await leave.wait()
                assert sub.get_nowait() is None

        async with anyio.create_task_group() as group:
            for i in range(10_000):
                group.start_soon(idle, i)
            await all_in.wait()
            gc.collect()
            with_subs = tracemalloc.get_traced_memory()[0]
            for i in range(2_000):  # traffic on another channel while they idle
                await hub.publish("elsewhere", i)
            gc.collect()
            after_idle = tracemalloc.get_traced_memory()[0]
            leave.set()
        return with_subs, after_idle

    tracemalloc.start()
    try:
        await one_round()
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        with_subs, after_idle = await one_round()
        gc.collect()
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    per_subscriber = (with_subs - base) / 10_000
    # ~6 KB, most of it the waiting task and its frames; the subscription itself is small
    assert per_subscriber < 8_000, f"{per_subscriber:.0f} bytes per idle subscriber (task included)"
    assert after_idle - with_subs < 100_000, "memory grew while the subscribers were idle"
    assert end - base < 100_000, "subscribers were not freed after they left"


def test_backends_satisfy_the_protocol() -> None:
    backends: list[ChannelBackend] = [MemoryBackend(), RedisBackend("redis://127.0.0.1:1")]
    assert len(backends) == 2


async def test_concurrent_publishes_keep_their_order(hub: Channels) -> None:
    """Many tasks publishing at once (the Redis backend sends them in shared pipelines)."""
    ids: dict[int, str] = {}

    async def publish(i: int) -> None:
        ids[i] = await hub.publish("many", i)

    async with hub.subscribe("many", buffer=1000) as sub:
        async with anyio.create_task_group() as group:
            for i in range(300):
                group.start_soon(publish, i)
        got = await take(sub, 300)
    # Each event carries the id its publish() returned, in the order the ids were given.
    assert sorted(e.data for e in got) == list(range(300))
    assert [e.id for e in got] == [ids[e.data] for e in got]
    if running_backend() == "asyncio":  # FIFO scheduling: started in this order, so published in it
        assert [e.data for e in got] == list(range(300))
