"""Streams batch what the iterator makes without waiting, and never hold a
chunk back while the iterator waits (streaming/_steps.py, StreamingResponse)."""

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
from ferrule.streaming._steps import ASYNC_GEN_STEP, Pending, abandon, finish
from streaming_harness import Client, http_scope

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- the step primitives ---------------------------------------------------------------


def next_item(iterator: Any) -> tuple[bool, Any]:
    """Start a step as the stream loop does: (True, item) or (False, Pending)."""
    step: Any = iterator.__anext__()
    if type(step) is not ASYNC_GEN_STEP:
        step = step.__await__()
    try:
        yielded = step.send(None)
    except StopIteration as done:
        return True, done.value
    return False, Pending(step, yielded)


async def test_a_ready_step_needs_no_trip_through_the_loop() -> None:
    async def gen() -> AsyncIterator[int]:
        yield 1
        await anyio.lowlevel.checkpoint()
        yield 2

    it = gen()
    assert next_item(it) == (True, 1)
    ready, pending = next_item(it)
    assert not ready
    assert await finish(pending) == 2
    with pytest.raises(StopAsyncIteration):
        ready, pending = next_item(it)
        assert not ready
        await finish(pending)


class Countdown:
    """An async iterator that is not an async generator: its steps are coroutines."""

    def __init__(self, start: int) -> None:
        self.left = start

    def __aiter__(self) -> Countdown:
        return self

    async def __anext__(self) -> bytes:
        if self.left == 0:
            raise StopAsyncIteration
        self.left -= 1
        if self.left % 2 == 0:
            await anyio.lowlevel.checkpoint()  # every other step waits
        return b"%d," % self.left


async def test_steps_of_other_async_iterators_are_started_through_their_awaitable() -> None:
    it = Countdown(2)
    assert next_item(it) == (True, b"1,")
    ready, pending = next_item(it)
    assert not ready and await finish(pending) == b"0,"
    with pytest.raises(StopAsyncIteration):
        next_item(it)

    client = Client()
    await StreamingResponse(Countdown(6))(http_scope(), client.receive, client.send)
    assert b"".join(client.chunks) == b"5,4,3,2,1,0,"


async def test_finish_forwards_a_cancellation_to_where_the_step_waits() -> None:
    seen: list[str] = []

    async def gen() -> AsyncIterator[int]:
        try:
            await anyio.sleep(10)
            yield 1
        except BaseException as exc:
            seen.append(type(exc).__name__)
            raise

    it = gen()
    ready, pending = next_item(it)
    assert not ready
    with anyio.move_on_after(0.01):
        await finish(pending)
    assert seen == ["CancelledError"]
    await it.aclose()  # the step ended: the generator can be closed


async def test_a_step_that_handles_what_is_thrown_in_gives_its_item() -> None:
    async def gen() -> AsyncIterator[str]:
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            yield "caught"  # swallows the cancellation: the step still ends with an item

    it = gen()
    ready, pending = next_item(it)
    assert not ready
    with anyio.move_on_after(0.01):
        assert await finish(pending) == "caught"
    await it.aclose()


def test_closing_a_finish_closes_the_step_it_waits_for() -> None:
    closed: list[str] = []

    class Slow:
        def __aiter__(self) -> Slow:
            return self

        async def __anext__(self) -> int:
            try:
                await anyio.lowlevel.checkpoint()
                return 1
            finally:
                closed.append("step closed")

    async def main() -> None:
        ready, pending = next_item(Slow())
        assert not ready
        waiting = finish(pending)
        waiting.send(None)  # suspended where the step waits, as a task would be
        waiting.close()  # the awaiting coroutine is closed (say, garbage-collected)

    anyio.run(main)
    assert closed == ["step closed"]


async def test_abandon_runs_an_awaiting_cleanup_and_frees_the_generator() -> None:
    log: list[str] = []

    async def gen() -> AsyncIterator[int]:
        try:
            await anyio.lowlevel.checkpoint()
            yield 1
        finally:
            await anyio.lowlevel.checkpoint()
            log.append("cleaned")

    it = gen()
    ready, pending = next_item(it)
    assert not ready
    await abandon(pending)
    assert log == ["cleaned"]
    await abandon(pending)  # a second time: nothing left to end
    assert log == ["cleaned"]
    await it.aclose()  # no "asynchronous generator is already running"


async def test_abandon_reports_a_failing_cleanup() -> None:
    async def gen() -> AsyncIterator[int]:
        try:
            await anyio.lowlevel.checkpoint()
            yield 1
        finally:
            raise ValueError("cleanup broke")

    ready, pending = next_item(gen())
    assert not ready
    with pytest.raises(ValueError, match="cleanup broke"):
        await abandon(pending)


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


@pytest.mark.parametrize("on_error", ["end", "raise"])
async def test_chunks_made_before_an_error_are_delivered(on_error: Any, caplog: pytest.LogCaptureFixture) -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"one,"
        yield b"two,"
        raise RuntimeError("upstream broke")

    client = Client()
    response = StreamingResponse(gen(), on_error=on_error)
    with caplog.at_level(logging.ERROR, logger="ferrule.streaming"):
        if on_error == "raise":
            with pytest.raises(RuntimeError, match="upstream broke"):
                await response(http_scope(), client.receive, client.send)
        else:
            await response(http_scope(), client.receive, client.send)
    assert b"".join(client.chunks) == b"one,two,"


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


# A generator program: ("yield", size) makes a chunk, ("pause",) awaits a checkpoint.
programs = st.lists(
    st.one_of(st.tuples(st.just("yield"), st.integers(0, 700)), st.tuples(st.just("pause"))),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(program=programs, cap=st.integers(1, 2000))
def test_every_chunk_is_sent_before_the_generator_waits(program: list[tuple[Any, ...]], cap: int) -> None:
    """After each wait of the generator, everything it made before was sent; the
    bytes arrive complete and in order; no message is over the cap but by the
    last chunk added to it."""

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
                    await anyio.lowlevel.checkpoint()
                    checked.append(b"".join(client.chunks) == bytes(made))

        with mock.patch.object(response_module, "BATCH_BYTES", cap):
            await StreamingResponse(gen())(http_scope(), client.receive, client.send)
        assert all(checked)
        assert b"".join(client.chunks) == bytes(made)
        assert all(len(chunk) < cap + 700 for chunk in client.chunks)

    anyio.run(main)
