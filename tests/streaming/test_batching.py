"""Streams batch what the iterator makes without waiting, and never hold a
chunk back while the iterator waits (streaming/batching.py, StreamingResponse)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from unittest import mock

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.streaming import StreamingResponse
from ferrule.streaming import response as response_module
from ferrule.streaming.batching import DIRECT_ITEMS, SAMPLE_BATCHES
from streaming_harness import Client, http_scope

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- StreamingResponse -------------------------------------------------------------------


@pytest.fixture
def long_time_slice() -> Any:
    """No time-slice flush in between (a slow machine or a tracer could reach 2 ms)."""
    with mock.patch.object(response_module, "YIELD_INTERVAL", 60.0):
        yield


async def test_chunks_made_without_waiting_go_out_in_one_message(long_time_slice: None) -> None:
    async def gen() -> AsyncIterator[bytes]:
        for i in range(500):
            yield b"%d," % i

    client = Client()
    await StreamingResponse(gen())(http_scope(), client.receive, client.send)
    assert client.chunks == [b"".join(b"%d," % i for i in range(500))]


async def test_nothing_is_held_back_while_the_generator_waits(long_time_slice: None) -> None:
    # The generator waits for an event that only the client's receipt of the
    # chunks made before sets: holding them back would hang the stream.
    got_first = anyio.Event()

    async def on_body(client: Client, body: bytes) -> None:
        if b"ab" in b"".join(client.chunks):
            got_first.set()

    async def gen() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"
        await got_first.wait()
        yield b"c"

    client = Client(on_body=on_body)
    with anyio.fail_after(5):
        await StreamingResponse(gen())(http_scope(), client.receive, client.send)
    assert client.chunks == [b"ab", b"c"]


async def test_batches_are_capped(long_time_slice: None) -> None:
    async def gen() -> AsyncIterator[bytes]:
        for _ in range(200):
            yield b"x" * 1024

    client = Client()
    await StreamingResponse(gen())(http_scope(), client.receive, client.send)
    assert b"".join(client.chunks) == b"x" * 1024 * 200
    cap = response_module.BATCH_BYTES
    # Full batches of exactly the cap (1 KiB chunks), then the rest: not 200 messages.
    full, rest = divmod(200 * 1024, cap)
    assert [len(chunk) for chunk in client.chunks] == [cap] * full + ([rest] if rest else [])


async def test_a_failed_send_before_a_wait_closes_the_generator_once(caplog: pytest.LogCaptureFixture) -> None:
    finalized: list[str] = []

    async def gen() -> AsyncIterator[bytes]:
        try:
            for _ in range(10):
                yield b"z"
                yield b"z"
                await anyio.lowlevel.checkpoint()  # the batch is sent here; the send fails
        finally:
            await anyio.lowlevel.checkpoint()  # a cleanup that awaits
            finalized.append("finally")

    client = Client(send_raises_after=0)
    response = StreamingResponse(gen())
    with caplog.at_level(logging.ERROR, logger="ferrule.streaming"):
        await response(http_scope(), client.receive, client.send)
    assert response.outcome == "disconnected"
    assert finalized == ["finally"]
    assert not [r for r in caplog.records if "already running" in r.getMessage()]


async def test_a_disconnect_while_the_generator_waits_closes_it_once() -> None:
    finalized: list[str] = []
    waiting = anyio.Event()

    async def gen() -> AsyncIterator[bytes]:
        try:
            yield b"first"
            waiting.set()
            await anyio.sleep(30)
            yield b"never"
        finally:
            finalized.append("finally")

    client = Client()

    async def leave() -> None:
        await waiting.wait()
        client.disconnect()

    response = StreamingResponse(gen())
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(leave)
            await response(http_scope(), client.receive, client.send)
    assert client.chunks == [b"first"]
    assert response.outcome == "disconnected"
    assert finalized == ["finally"]


# --- direct mode: a generator that waits between its items -------------------------------


async def test_a_waiting_generator_gets_direct_sends_then_batching_again(long_time_slice: None) -> None:
    """Items made one per wait go out one message each: the first
    ``SAMPLE_BATCHES`` through the sender task, the next ``DIRECT_ITEMS`` from
    the request's own task (direct mode); then batching is tried again, and
    the ready items that follow are batched."""
    waiting_items = SAMPLE_BATCHES + DIRECT_ITEMS
    senders: list[Any] = []

    async def on_body(client: Client, body: bytes) -> None:
        senders.append(anyio.get_current_task().id)

    async def gen() -> AsyncIterator[bytes]:
        for i in range(waiting_items):
            await anyio.wait_all_tasks_blocked()  # a real wait: every other task ran
            yield b"w%d," % i
        for i in range(300):
            yield b"r%d," % i

    client = Client(on_body=on_body)
    request_task = anyio.get_current_task().id
    with anyio.fail_after(10):
        await StreamingResponse(gen())(http_scope(), client.receive, client.send)
    assert client.chunks[:waiting_items] == [b"w%d," % i for i in range(waiting_items)]
    assert client.chunks[waiting_items:] == [b"".join(b"r%d," % i for i in range(300))]
    assert request_task not in senders[:SAMPLE_BATCHES]  # the sender task sent these
    assert set(senders[SAMPLE_BATCHES:waiting_items]) == {request_task}  # direct sends
    assert senders[waiting_items] != request_task  # batching again


@pytest.mark.parametrize("waits", [False, True], ids=["batched", "direct"])
@pytest.mark.parametrize("on_error", ["end", "raise"])
async def test_chunks_made_before_an_error_are_delivered(
    on_error: Any, waits: bool, long_time_slice: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Batched (made without waiting) or sent directly (one wait per item):
    what was made before the error arrives, and ``finally`` runs once."""
    finalized: list[str] = []
    count = 3 * SAMPLE_BATCHES

    async def gen() -> AsyncIterator[bytes]:
        try:
            for i in range(count):
                if waits:
                    await anyio.wait_all_tasks_blocked()
                yield b"%d," % i
            raise RuntimeError("upstream broke")
        finally:
            finalized.append("finally")

    client = Client()
    response = StreamingResponse(gen(), on_error=on_error)
    with caplog.at_level(logging.ERROR, logger="ferrule.streaming"):
        if on_error == "raise":
            with pytest.raises(RuntimeError, match="upstream broke"):
                await response(http_scope(), client.receive, client.send)
            assert not client.finished  # a truncated body, not a complete one
        else:
            await response(http_scope(), client.receive, client.send)
            assert client.finished
            assert "upstream broke" in caplog.text
    assert client.body == b"".join(b"%d," % i for i in range(count))
    assert len(client.chunks) == (count if waits else 1)
    assert response.outcome == "failed"
    assert finalized == ["finally"]


async def test_a_failed_send_in_direct_mode_closes_the_generator_once(long_time_slice: None) -> None:
    made = 0
    finalized: list[str] = []
    limit = SAMPLE_BATCHES + 10  # a send in direct mode fails

    async def gen() -> AsyncIterator[bytes]:
        nonlocal made
        try:
            while True:
                await anyio.wait_all_tasks_blocked()
                made += 1
                yield b"z"
        finally:
            await anyio.lowlevel.checkpoint()  # a cleanup that awaits
            finalized.append("finally")

    client = Client(send_raises_after=limit)
    response = StreamingResponse(gen())
    with anyio.fail_after(10):
        await response(http_scope(), client.receive, client.send)
    assert client.chunks == [b"z"] * limit
    assert response.outcome == "disconnected"
    assert made == limit + 1  # the failed send was the request task's own: nothing more was asked
    assert finalized == ["finally"]


async def test_a_sync_iterator_streams_in_order_through_the_worker_thread() -> None:
    # Every item is a thread hop (a wait): direct mode after the first batches.
    client = Client()
    await StreamingResponse(iter([b"%d," % i for i in range(100)]))(http_scope(), client.receive, client.send)
    assert client.body == b"".join(b"%d," % i for i in range(100))
    assert client.finished


# A generator program: ("yield", size) makes a chunk, ("pause",) awaits a checkpoint.
programs = st.lists(
    st.one_of(st.tuples(st.just("yield"), st.integers(0, 700)), st.tuples(st.just("pause"))),
    max_size=60,
)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@settings(max_examples=150, deadline=None)
@given(program=programs, cap=st.integers(1, 2000))
def test_every_chunk_is_sent_before_the_generator_waits(
    backend: str, program: list[tuple[Any, ...]], cap: int
) -> None:
    """After each wait of the generator, everything it made before was sent; the
    bytes arrive complete and in order; no message is over the cap but by the
    last chunk added to it.

    The wait: one checkpoint on asyncio (it runs woken tasks in order, so the
    sender goes first); on trio, until every other task is blocked, because
    trio runs the tasks woken in one turn in a random order and the generator
    may resume before the sender in that same turn.
    """
    pause = anyio.lowlevel.checkpoint if backend == "asyncio" else anyio.wait_all_tasks_blocked

    async def main() -> None:
        client = Client()
        made = bytearray()
        checked: list[bool] = []

        async def gen() -> AsyncIterator[bytes]:
            for number, step in enumerate(program):
                if step[0] == "yield":
                    chunk = bytes([65 + number % 26]) * step[1]
                    made.extend(chunk)
                    yield chunk
                else:
                    await pause()
                    checked.append(b"".join(client.chunks) == bytes(made))

        with mock.patch.object(response_module, "BATCH_BYTES", cap):
            await StreamingResponse(gen())(http_scope(), client.receive, client.send)
        assert all(checked)
        assert b"".join(client.chunks) == bytes(made)
        assert all(len(chunk) < cap + 700 for chunk in client.chunks)

    anyio.run(main, backend=backend)
