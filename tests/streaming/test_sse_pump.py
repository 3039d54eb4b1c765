"""EventPump (through EventSourceResponse): keepalives, disconnects, backpressure, the producer's lifetime."""

from __future__ import annotations

import gc
import itertools
import random
import threading
import tracemalloc
from collections.abc import AsyncGenerator, AsyncIterator, Iterator

import anyio
import pytest

from ferrule.asgi_core.background import BackgroundTask
from ferrule.streaming import (
    KEEPALIVE_COMMENT,
    EventPump,
    EventSourceResponse,
    jsonable_json,
)
from ferrule.streaming._source import Source
from ferrule.streaming.sse_pump import HOLD_BYTES, HOLD_FRAMES
from backends import all_tasks
from sse_reference import Dispatched, parse
from ferrule.asgi_core.types import Message
from sse_helpers import assert_whole_events, encode_item
from streaming_harness import Client, Life, http_scope

pytestmark = pytest.mark.anyio

PING = KEEPALIVE_COMMENT


async def test_pings_fill_idle_gaps_and_the_generator_is_never_cancelled() -> None:
    life = Life()
    go = anyio.Event()

    async def gen() -> AsyncIterator[int]:
        yield 1
        try:
            await go.wait()  # idle across several ping intervals
        except BaseException:
            life.cancelled_inside += 1
            raise
        yield 2

    async def on_body(client: Client, body: bytes) -> None:
        if client.chunks.count(PING) == 3:
            go.set()

    client = Client(on_body=on_body)
    response = EventSourceResponse(gen(), encode_item=jsonable_json, ping_interval=0.05)
    with anyio.fail_after(5):
        await response(http_scope(), client.receive, client.send)
    first, *middle, last = client.chunks
    assert (first, last) == (b"data: 1\n\n", b"data: 2\n\n")
    assert len(middle) >= 3 and set(middle) == {PING}
    assert life.cancelled_inside == 0
    # Every chunk is whole events or a ping: a client sees exactly the two events.
    assert parse(client.body).events == [Dispatched("message", "1", ""), Dispatched("message", "2", "")]
    assert parse(client.body).comments == ["ping"] * len(middle)


async def test_no_pings_when_items_keep_coming() -> None:
    async def gen() -> AsyncIterator[int]:
        for i in range(300):
            yield i

    client = Client()
    await EventSourceResponse(gen(), encode_item=jsonable_json, ping_interval=1.0)(
        http_scope(), client.receive, client.send
    )
    assert parse(client.body).events == [Dispatched("message", str(i), "") for i in range(300)]
    assert parse(client.body).comments == []
    # Frames that were ready together went out in one message (the buffered one
    # and the batch the producer held), each message holding whole events.
    assert len(client.chunks) <= -(-300 // (HOLD_FRAMES + 1)) + 2
    assert_whole_events(client.chunks)


async def test_a_steady_trickle_is_not_idleness() -> None:
    """The idle deadline counts from the last frame, not from the start of the stream."""

    async def gen() -> AsyncIterator[int]:
        for i in range(30):
            await anyio.sleep(0.01)
            yield i

    client = Client()
    with anyio.fail_after(5):
        await EventSourceResponse(gen(), encode_item=jsonable_json, ping_interval=0.25)(
            http_scope(), client.receive, client.send
        )
    assert parse(client.body).comments == []  # >= 0.3 s in all, never 0.25 s without a frame
    assert len(parse(client.body).events) == 30


async def test_frames_racing_the_deadline_are_never_lost_or_split() -> None:
    rng = random.Random(7)
    gaps = [rng.choice([0, 0, 0.001, 0.002, 0.003]) for _ in range(150)]

    async def gen() -> AsyncIterator[int]:
        for i, gap in enumerate(gaps):
            if gap:
                await anyio.sleep(gap)
            yield i

    client = Client()
    with anyio.fail_after(10):
        await EventSourceResponse(gen(), encode_item=jsonable_json, ping_interval=0.002)(
            http_scope(), client.receive, client.send
        )
    assert parse(client.body).events == [Dispatched("message", str(i), "") for i in range(150)]
    assert_whole_events(client.chunks)
    assert client.finished


async def test_ping_waits_for_an_event_boundary_in_raw_mode() -> None:
    go = anyio.Event()

    async def gen() -> AsyncIterator[bytes]:
        yield b"data: half an event\n"
        await anyio.sleep(0.2)  # four ping intervals inside an open event: none may be sent
        yield b"\n"
        await go.wait()
        yield b"data: next\n\n"

    async def on_body(client: Client, body: bytes) -> None:
        if body == PING:
            go.set()

    client = Client(on_body=on_body)
    with anyio.fail_after(5):
        await EventSourceResponse(gen(), preframed=True, ping_interval=0.05)(
            http_scope(), client.receive, client.send
        )
    assert client.chunks[:3] == [b"data: half an event\n", b"\n", PING]
    assert client.chunks[-1] == b"data: next\n\n"
    assert [e.data for e in parse(client.body).events] == ["half an event", "next"]


async def test_idle_stream_closed_after_max_keepalives() -> None:
    life = Life()

    client = Client()
    response = EventSourceResponse(life.idle_after(1), encode_item=jsonable_json, ping_interval=0.03, max_keepalives=2)
    with anyio.fail_after(5):
        await response(http_scope(), client.receive, client.send)
    assert client.chunks == [b"data: 1\n\n", PING, PING]
    assert client.finished and response.outcome == "complete"
    assert life.finalized == 1


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_disconnect_mid_stream(kind: str) -> None:
    life = Life()
    before = len(all_tasks())

    def sgen() -> Iterator[int]:
        try:
            yield from range(1, 10**9)
        finally:
            life.finalized += 1

    client = Client(disconnect_after=3)
    response = EventSourceResponse(
        life.stream(itertools.count(1)) if kind == "async" else sgen(),
        encode_item=jsonable_json,
        on_disconnect=life.on_disconnect,
        background=BackgroundTask(life.background),
    )
    with anyio.fail_after(5):
        await response(http_scope(), client.receive, client.send)
    assert response.outcome == "disconnected" and not client.finished
    life.assert_ended_by_disconnect()
    assert len(all_tasks()) == before


async def test_disconnect_while_idle_with_pings_running() -> None:
    life = Life()
    before = len(all_tasks())

    async def on_body(client: Client, body: bytes) -> None:
        if body == PING:
            client.disconnect()

    client = Client(on_body=on_body)
    response = EventSourceResponse(
        life.idle_after(1), encode_item=jsonable_json, ping_interval=0.03, on_disconnect=life.on_disconnect
    )
    with anyio.fail_after(5):
        await response(http_scope(), client.receive, client.send)
    assert client.chunks[:2] == [b"data: 1\n\n", PING]
    assert (life.finalized, life.disconnects) == (1, 1)
    assert len(all_tasks()) == before


async def test_oserror_on_send_ends_quietly() -> None:
    life = Life()

    async def gen() -> AsyncIterator[int]:
        try:
            for i in range(10 * HOLD_FRAMES):  # more batches than the sends that succeed
                yield i
        finally:
            life.finalized += 1

    client = Client(send_raises_after=5)
    response = EventSourceResponse(gen(), encode_item=jsonable_json, on_disconnect=life.on_disconnect)
    await response(http_scope(), client.receive, client.send)
    assert len(client.chunks) == 5
    assert (response.outcome, life.finalized, life.disconnects) == ("disconnected", 1, 1)


async def test_backpressure_keeps_memory_flat() -> None:
    """A 100,000-event generator behind a slow reader stays a few events ahead of it."""
    total, read_before_leaving = 100_000, 3_000
    produced = sent = messages = max_ahead = 0
    life = Life()

    async def gen() -> AsyncIterator[int]:
        nonlocal produced
        try:
            for i in range(total):
                produced += 1
                yield i
        finally:
            life.finalized += 1

    client = Client()

    async def slow_send(message: Message) -> None:
        nonlocal sent, messages, max_ahead
        if message["type"] != "http.response.body":
            return
        sent += message["body"].count(b"data: ")  # a message may carry two events
        messages += 1
        if messages % 250 == 0:
            # Stall until every other task is parked: the producer got every chance to run ahead.
            await anyio.wait_all_tasks_blocked()
        max_ahead = max(max_ahead, produced - sent)
        if sent >= read_before_leaving:
            client.disconnect()

    # ~1 KB per event: buffering the whole generator would take ~100 MB.
    response = EventSourceResponse(gen(), encode_item=lambda i: b"x" * 1000, ping_interval=None)
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        with anyio.fail_after(20):
            await response(http_scope(), client.receive, slow_send)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert sent >= read_before_leaving and response.outcome == "disconnected"
    # At each send every frame made was taken, but for the one being made.
    assert max_ahead <= 3
    # Between sends the producer runs ahead by the buffer of one, a batch that
    # is full at HOLD_BYTES (~1 KB frames) and the frame being made: bounded.
    batch = min(HOLD_FRAMES, HOLD_BYTES // 1008 + 1)
    assert produced <= sent + 1 + batch + 1
    assert peak < 100_000  # a few frames, not 3,000 (3 MB) nor 100,000 (100 MB)
    assert life.finalized == 1


async def test_sync_generator_iterated_in_a_worker_thread() -> None:
    threads: set[int] = set()

    def gen() -> Iterator[int]:
        for i in range(3):
            threads.add(threading.get_ident())
            yield i

    client = Client()
    await EventSourceResponse(gen(), encode_item=jsonable_json)(http_scope(), client.receive, client.send)
    assert client.chunks == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"]
    assert threads and threading.get_ident() not in threads


async def test_pump_closed_before_its_tasks_took_a_step() -> None:
    ran = False

    async def gen() -> AsyncGenerator[int, None]:
        nonlocal ran
        ran = True
        yield 1

    agen = gen()
    pump = EventPump(Source(agen), lambda item: b"data: x\n\n")
    with anyio.fail_after(5):
        async with pump:
            await pump.aclose()  # no checkpoint since the tasks were started
    assert not ran
    assert getattr(agen, "ag_frame") is None  # closed without running (no frame left)
