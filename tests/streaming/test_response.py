"""StreamingResponse driven directly over hand-written receive/send."""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import anyio
import pytest

from ferrule.asgi_core.background import BackgroundTask, BackgroundTasks
from ferrule.streaming import StreamingResponse
from ferrule.asgi_core.types import Message
from streaming_harness import Client, Life, http_scope

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_async_iterable_of_bytes_str_memoryview(monkeypatch: pytest.MonkeyPatch) -> None:
    # No time-slice flush in between, however slow the machine.
    monkeypatch.setattr("ferrule.streaming.response.YIELD_INTERVAL", 60.0)

    async def gen() -> AsyncIterator[Any]:
        yield b"a"
        yield "é"
        yield memoryview(b"mv")
        yield bytearray(b"ba")

    client = Client()
    response = StreamingResponse(gen(), media_type="text/plain", headers={"x-a": "1"}, status_code=201)
    await response(http_scope(), client.receive, client.send)
    assert client.start["status"] == 201
    assert client.headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert client.headers[b"x-a"] == b"1"
    assert b"content-length" not in client.headers
    # Made without waiting in between: one message (see test_batching.py).
    assert client.chunks == [b"a" + "é".encode() + b"mvba"]
    assert all(type(chunk) is bytes for chunk in client.chunks)
    assert client.finished and response.outcome == "complete"


async def test_sync_iterable_runs_in_a_worker_thread() -> None:
    life = Life()
    loop_thread = threading.get_ident()

    def gen() -> Iterator[bytes]:
        try:
            for i in range(3):
                life.threads.add(threading.get_ident())
                yield b"%d" % i
        finally:
            life.finalized += 1

    client = Client()
    await StreamingResponse(gen())(http_scope(), client.receive, client.send)
    assert client.body == b"012"
    assert life.threads and loop_thread not in life.threads
    assert life.finalized == 1


async def test_list_content_and_background_runs_after_the_body() -> None:
    order: list[str] = []

    async def send_recorder(message: Message) -> None:
        end = message["type"] == "http.response.body" and not message.get("more_body", False)
        order.append(message["type"] + (":end" if end else ""))

    tasks = BackgroundTasks()
    tasks.add_task(order.append, "bg1")
    tasks.add_task(order.append, "bg2")
    client = Client()
    await StreamingResponse([b"x", b"y"], background=tasks)(http_scope(), client.receive, send_recorder)
    assert order == [
        "http.response.start",
        "http.response.body",
        "http.response.body",
        "http.response.body:end",
        "bg1",
        "bg2",
    ]


async def test_head_sends_headers_only_and_never_runs_the_generator() -> None:
    started = False

    def gen() -> Generator[bytes, None, None]:
        nonlocal started
        started = True
        yield b"body"

    generator = gen()
    life = Life()
    client = Client()
    response = StreamingResponse(generator, background=BackgroundTask(life.background))
    await response(http_scope("HEAD"), client.receive, client.send)
    assert [m["type"] for m in client.messages] == ["http.response.start", "http.response.body"]
    assert client.messages[1]["body"] == b"" and client.finished
    assert not started
    assert inspect.getgeneratorstate(generator) == inspect.GEN_CLOSED
    assert life.background_runs == 1


async def test_no_body_status_sends_no_chunks() -> None:
    client = Client()
    await StreamingResponse([b"ignored"], status_code=204)(http_scope(), client.receive, client.send)
    assert client.chunks == [] and client.finished


async def test_disconnect_closes_the_iterator_once_and_skips_background() -> None:
    life = Life()
    before = len(anyio.get_running_tasks())

    client = Client(disconnect_after=3)
    response = StreamingResponse(
        life.stream(itertools.repeat(b"chunk")),
        background=BackgroundTask(life.background),
        on_disconnect=life.on_disconnect,
    )
    with anyio.fail_after(5):
        await response(http_scope(), client.receive, client.send)
    assert response.outcome == "disconnected" and not client.finished
    life.assert_ended_by_disconnect()
    assert len(anyio.get_running_tasks()) == before


async def test_disconnect_while_the_generator_is_idle() -> None:
    life = Life()

    async def on_disconnect() -> None:
        life.disconnects += 1

    client = Client(disconnect_after=1)
    with anyio.fail_after(5):
        await StreamingResponse(life.idle_after(b"first"), on_disconnect=on_disconnect)(
            http_scope(), client.receive, client.send
        )
    assert client.chunks == [b"first"]
    assert (life.finalized, life.disconnects) == (1, 1)


async def test_sync_generator_closed_once_after_disconnect() -> None:
    life = Life()

    def gen() -> Generator[bytes, None, None]:
        try:
            while True:
                yield b"s"
        finally:
            life.finalized += 1

    generator = gen()
    client = Client(disconnect_after=2)
    with anyio.fail_after(5):
        await StreamingResponse(generator)(http_scope(), client.receive, client.send)
    assert life.finalized == 1
    assert inspect.getgeneratorstate(generator) == inspect.GEN_CLOSED


async def test_oserror_on_send_ends_the_stream_quietly() -> None:
    life = Life()

    async def gen() -> AsyncIterator[bytes]:
        try:
            for _ in range(100):
                # Each chunk is sent during this wait (a bare checkpoint would not
                # do on trio, which may resume this task before the sender).
                await anyio.wait_all_tasks_blocked()
                life.produced += 1
                yield b"z"
        finally:
            life.finalized += 1

    client = Client(send_raises_after=2)
    response = StreamingResponse(
        gen(), background=BackgroundTask(life.background), on_disconnect=life.on_disconnect
    )
    await response(http_scope(), client.receive, client.send)  # no exception
    assert client.chunks == [b"z", b"z"]
    assert response.outcome == "disconnected"
    # The third chunk's send failed while the generator was making the fourth:
    # that wait is not interrupted, and no fifth chunk is asked for.
    assert life.produced == 4
    life.assert_ended_by_disconnect()


async def test_oserror_on_the_start_message_is_quiet_too() -> None:
    async def send(message: Message) -> None:
        raise OSError("gone")

    client = Client()
    response = StreamingResponse([b"a"])
    await response(http_scope(), client.receive, send)
    assert response.outcome == "disconnected"
    assert response.source.closed


async def test_request_body_messages_are_ignored_by_the_watcher() -> None:
    messages = [{"type": "http.request", "body": b"unread", "more_body": True}]
    release = anyio.Event()

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await release.wait()
        return {"type": "http.disconnect"}

    async def gen() -> AsyncIterator[bytes]:
        yield b"1"
        await anyio.wait_all_tasks_blocked()
        yield b"2"

    client = Client()
    await StreamingResponse(gen())(http_scope(), receive, client.send)
    assert client.chunks == [b"1", b"2"] and client.finished


async def test_error_after_start_raises_by_default_without_ending_the_body() -> None:
    life = Life()

    async def gen() -> AsyncIterator[bytes]:
        try:
            yield b"partial"
            raise RuntimeError("disk on fire")
        finally:
            life.finalized += 1

    client = Client()
    response = StreamingResponse(gen(), background=BackgroundTask(life.background))
    with pytest.raises(RuntimeError, match="disk on fire"):
        await response(http_scope(), client.receive, client.send)
    assert client.chunks == [b"partial"]
    assert not client.finished  # the server aborts: the client sees a truncated body
    assert response.outcome == "failed"
    assert (life.finalized, life.background_runs) == (1, 0)


async def test_error_after_start_with_on_error_end_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def gen() -> AsyncIterator[bytes]:
        yield b"partial"
        raise RuntimeError("disk on fire")

    client = Client()
    response = StreamingResponse(gen(), on_error="end", endpoint_ctx="GET /files -> app:download")
    with caplog.at_level(logging.ERROR, logger="ferrule.streaming"):
        await response(http_scope(), client.receive, client.send)
    assert client.chunks == [b"partial"] and client.finished
    assert response.outcome == "failed"
    [record] = caplog.records
    assert "GET /files -> app:download" in record.getMessage()
    assert "disk on fire" in record.getMessage()
    assert record.exc_info is not None


async def test_bad_chunk_type_is_an_error_after_start() -> None:
    client = Client()
    with pytest.raises(TypeError, match="chunks must be bytes, str or memoryview, not int"):
        await StreamingResponse([b"ok", 1])(http_scope(), client.receive, client.send)
    assert client.chunks == [b"ok"]


async def test_failing_on_disconnect_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def on_disconnect() -> None:
        raise ValueError("hook broke")

    client = Client(send_raises_after=0)
    with caplog.at_level(logging.ERROR, logger="ferrule.streaming"):
        await StreamingResponse([b"a"], on_disconnect=on_disconnect)(http_scope(), client.receive, client.send)
    assert any("hook broke" in r.getMessage() for r in caplog.records)


async def test_outer_cancellation_still_closes_the_generator() -> None:
    life = Life()
    blocked = anyio.Event()

    async def gen() -> AsyncIterator[bytes]:
        try:
            yield b"a"
            blocked.set()
            await anyio.sleep_forever()
            yield b"b"
        finally:
            life.finalized += 1

    client = Client()
    response = StreamingResponse(gen())
    async def respond() -> None:
        await response(http_scope(), client.receive, client.send)

    async with anyio.create_task_group() as group:
        group.start_soon(respond)
        await blocked.wait()
        group.cancel_scope.cancel()
    assert life.finalized == 1
    assert response.source.closed


@pytest.mark.parametrize("content", [b"bytes", "text", bytearray(b"x"), 42])
def test_non_iterable_or_string_content_is_refused(content: Any) -> None:
    with pytest.raises(TypeError, match="streaming content must be"):
        StreamingResponse(content)


def test_bad_on_error_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'end', got 'ignore'"):
        StreamingResponse([], on_error="ignore")  # type: ignore[arg-type]
