"""EventSourceResponse: framing, retry, error events, HEAD, settings, and its lifetime on an exit stack."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest

from ferrule.asgi_core.background import BackgroundTask
from ferrule.streaming import (
    DEFAULT_ERROR_EVENT,
    EventSourceResponse,
    ServerSentEvent,
    encode_event,
    jsonable_json,
)
from backends import all_tasks
from sse_reference import parse
from sse_helpers import assert_whole_events, encode_item, Item
from streaming_harness import Client, Life, http_scope

pytestmark = pytest.mark.anyio


async def test_headers_and_encoded_items() -> None:
    async def gen() -> AsyncIterator[Any]:
        yield {"name": "a", "price": 1}
        yield Item(name="b", price=2.5)
        yield ServerSentEvent(raw_data="raw\nlines", event="note", id="9")

    client = Client()
    response = EventSourceResponse(gen(), encode_item=encode_item, headers={"cache-control": "no-store"})
    await response(http_scope(), client.receive, client.send)
    assert client.headers[b"content-type"] == b"text/event-stream; charset=utf-8"
    assert client.headers[b"cache-control"] == b"no-store"  # the caller's header wins
    assert client.headers[b"x-accel-buffering"] == b"no"
    assert client.body == (
        b'data: {"name":"a","price":1.0}\n\n'
        b'data: {"name":"b","price":2.5}\n\n'
        b"event: note\ndata: raw\ndata: lines\nid: 9\n\n"
    )
    assert_whole_events(client.chunks)
    assert client.finished and response.outcome == "complete"
    assert client.headers == dict(EventSourceResponse([]).raw_headers) | {b"cache-control": b"no-store"}


async def test_without_encode_item_every_plain_item_is_json_data() -> None:
    client = Client()
    content = ["hello", b"bytes", {"k": [1, float("nan")]}, ServerSentEvent(data="s")]
    await EventSourceResponse(content)(http_scope(), client.receive, client.send)
    # COMPAT(fastapi): the untyped route lane's bytes (json.dumps, NaN -> null).
    assert client.body == b'data: "hello"\n\ndata: "bytes"\n\ndata: {"k": [1, null]}\n\ndata: "s"\n\n'


async def test_preframed_sends_str_and_bytes_as_given() -> None:
    client = Client()
    content = ["data: pre-framed\n\n", b": raw bytes\n\n", {"k": [1]}, ServerSentEvent(data="s")]
    await EventSourceResponse(content, preframed=True)(http_scope(), client.receive, client.send)
    assert client.body == b'data: pre-framed\n\n: raw bytes\n\ndata: {"k": [1]}\n\ndata: "s"\n\n'


async def test_retry_is_sent_once_first() -> None:
    client = Client()
    await EventSourceResponse([1, 2], encode_item=jsonable_json, retry=2500)(http_scope(), client.receive, client.send)
    assert client.chunks[0] == b"retry: 2500\n\n"
    assert client.body == b"retry: 2500\n\ndata: 1\n\ndata: 2\n\n"
    assert parse(client.body).retries == [2500]


async def test_generator_error_ends_stream_with_optional_error_event(caplog: pytest.LogCaptureFixture) -> None:
    life = Life()

    async def gen() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
            raise RuntimeError("upstream exploded")
        finally:
            life.finalized += 1

    client = Client()
    response = EventSourceResponse(
        gen(),
        encode_item=jsonable_json,
        error_event=True,
        endpoint_ctx="GET /events -> app:events (app.py:10)",
        background=BackgroundTask(life.background),
    )
    with caplog.at_level(logging.ERROR, logger="ferrule.streaming"):
        await response(http_scope(), client.receive, client.send)  # no exception: no 500
    assert client.body == b"data: 1\n\ndata: 2\n\n" + encode_event(DEFAULT_ERROR_EVENT)
    assert client.body.endswith(b'\n\nevent: error\ndata: {"detail": "Internal Server Error"}\n\n')
    assert client.finished and response.outcome == "failed"
    assert (life.finalized, life.background_runs) == (1, 0)
    [record] = caplog.records
    assert "GET /events -> app:events (app.py:10)" in record.getMessage()
    assert "upstream exploded" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


async def test_bad_item_ends_stream_without_error_event_by_default(caplog: pytest.LogCaptureFixture) -> None:
    def gen() -> Iterator[Any]:
        yield {"name": "ok", "price": 1}
        yield {"name": "bad", "price": "not a number"}
        yield {"name": "never", "price": 3}

    client = Client()
    with caplog.at_level(logging.ERROR, logger="ferrule.streaming"):
        await EventSourceResponse(gen(), encode_item=encode_item)(http_scope(), client.receive, client.send)
    assert client.chunks == [b'data: {"name":"ok","price":1.0}\n\n']
    assert client.finished
    assert "ValidationError" in caplog.records[0].getMessage()


async def test_custom_error_event() -> None:
    async def gen() -> AsyncIterator[int]:
        raise KeyError("x")
        yield 1

    client = Client()
    error = ServerSentEvent(event="failed", raw_data="try later", retry=10_000)
    await EventSourceResponse(gen(), encode_item=jsonable_json, error_event=error)(
        http_scope(), client.receive, client.send
    )
    assert client.chunks == [b"event: failed\ndata: try later\nretry: 10000\n\n"]


async def test_head_sends_headers_only_and_never_starts_the_generator() -> None:
    started = False

    async def gen() -> AsyncIterator[int]:
        nonlocal started
        started = True
        yield 1

    client = Client()
    response = EventSourceResponse(gen(), encode_item=jsonable_json, retry=100)
    await response(http_scope("HEAD"), client.receive, client.send)
    assert client.chunks == [] and client.finished and not started
    assert response.source.closed


async def test_entered_on_an_exit_stack_the_pump_lives_with_the_request() -> None:
    life = Life()
    before = len(all_tasks())

    async def gen() -> AsyncIterator[int]:
        try:
            for i in range(3):
                yield i
        finally:
            life.finalized += 1

    client = Client()
    async with AsyncExitStack() as stack:
        response = await stack.enter_async_context(EventSourceResponse(gen(), encode_item=jsonable_json))
        assert len(all_tasks()) == before + 1  # the producer; the sending task forwards
        await response(http_scope(), client.receive, client.send)
        assert life.finalized == 1  # finalized before the call returned
    assert client.body == b"data: 0\n\ndata: 1\n\ndata: 2\n\n" and client.finished
    assert len(all_tasks()) == before


async def test_exit_stack_closes_a_response_that_was_never_sent() -> None:
    life = Life()

    async def gen() -> AsyncIterator[int]:
        try:
            while True:
                yield 1
        finally:
            life.finalized += 1

    async with AsyncExitStack() as stack:
        await stack.enter_async_context(EventSourceResponse(gen(), encode_item=jsonable_json))
        await anyio.wait_all_tasks_blocked()  # the producer is parked on the full buffer
    assert life.finalized == 1


async def test_exit_stack_disconnect_calls_hook_after_finalizing() -> None:
    order: list[str] = []

    async def gen() -> AsyncIterator[int]:
        try:
            while True:
                yield 1
        finally:
            order.append("finally")

    async def on_body(client: Client, body: bytes) -> None:
        client.disconnect()

    client = Client(on_body=on_body)
    async with AsyncExitStack() as stack:
        response = await stack.enter_async_context(
            EventSourceResponse(gen(), encode_item=jsonable_json, on_disconnect=lambda: order.append("hook"))
        )
        with anyio.fail_after(5):
            await response(http_scope(), client.receive, client.send)
        assert order == ["finally", "hook"]


async def test_a_response_streams_once() -> None:
    response = EventSourceResponse([1], encode_item=jsonable_json)
    client = Client()
    await response(http_scope(), client.receive, client.send)
    with pytest.raises(RuntimeError, match="EventSourceResponse already sent: a streaming response can be sent once"):
        await response(http_scope(), client.receive, client.send)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ping_interval": 0}, "ping_interval must be a positive number of seconds"),
        ({"ping_interval": -1.5}, "ping_interval must be a positive number of seconds"),
        ({"max_keepalives": -1}, "max_keepalives must be >= 0"),
        ({"retry": -1}, "'retry' must be an integer >= 0"),
    ],
)
def test_bad_settings_are_refused_at_construction(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EventSourceResponse([], **kwargs)


async def test_a_response_built_in_a_worker_thread_runs() -> None:
    # a sync endpoint returns an EventSourceResponse it built in a worker thread,
    # where no anyio object can be made: the pump makes its own when it starts
    response = await anyio.to_thread.run_sync(lambda: EventSourceResponse([1, 2], encode_item=jsonable_json))
    client = Client()
    await response(http_scope(), client.receive, client.send)
    assert b"".join(client.chunks) == b"data: 1\n\ndata: 2\n\n"
