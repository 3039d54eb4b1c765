"""A hostile ASGI client for the security tests: drives an app like a server would.

Unlike the test client it never buffers the request body: chunks are pulled
from the caller's iterator only when the app calls ``receive()``, so a test
can count how much of a body the app read before answering (a 413 must come
*before* the whole body is read) and can stream 100 MB without holding it.

It can also misbehave on purpose:

* ``disconnect_after_chunks=k``: after ``k`` body chunks, ``receive()`` says
  ``http.disconnect`` (the client went away mid-body; ``0`` = before it);
* ``stall_after_chunks=k``: after ``k`` chunks, ``receive()`` blocks forever
  (a slowloris client that stops sending);
* ``drop_response_after=k``: after ``k`` response body messages, ``send()``
  raises ``OSError`` and ``receive()`` says ``http.disconnect`` (the client
  went away mid-response).

Every run is bounded by ``timeout`` seconds (``anyio.fail_after``): an app
that hangs fails the test instead of hanging the suite. The app's exception,
if one escapes it, is recorded in ``Outcome.error`` (never raised here), so
tests can assert that nothing escapes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import trio
from backends import all_tasks, running_backend

from ferrule.asgi_core.request import Request
from ferrule.asgi_core.types import ASGIApp, Message, Scope

__all__ = ["FUZZ_CASES", "Outcome", "drive", "http_scope", "other_tasks", "streamed_length", "tracked_dependency", "cpu_seconds"]

#: Request cases each fuzz test ran, by test name (printed in the session summary).
FUZZ_CASES: dict[str, int] = {}


def http_scope(
    method: str = "GET",
    path: str = "/",
    headers: Iterable[tuple[bytes, bytes]] = (),
    *,
    query_string: bytes = b"",
    raw_path: bytes | None = None,
    root_path: str = "",
) -> Scope:
    """An ASGI 3 ``http`` scope as a conforming server builds it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode("utf-8", "surrogateescape"),
        "query_string": query_string,
        "root_path": root_path,
        "headers": [(name.lower(), value) for name, value in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
        "extensions": {},
    }


@dataclass
class Outcome:
    """What the client saw, and what the app did to the request body."""

    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    error: BaseException | None = None
    chunks_pulled: int = 0
    bytes_pulled: int = 0
    body_complete: bool = False
    response_complete: bool = False

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class _Client:
    def __init__(
        self,
        body: bytes | Iterable[bytes],
        *,
        disconnect_after_chunks: int | None,
        stall_after_chunks: int | None,
        drop_response_after: int | None,
    ) -> None:
        self.chunks: Iterator[bytes] = iter([body] if isinstance(body, bytes) else body)
        self.pending: bytes | None = None
        self.disconnect_after = disconnect_after_chunks
        self.stall_after = stall_after_chunks
        self.drop_after = drop_response_after
        self.outcome = Outcome()
        self.gone = anyio.Event()
        self.body_messages = 0

    def _next_chunk(self) -> tuple[bytes, bool]:
        """The next chunk and whether more follow (one chunk of look-ahead)."""
        chunk = self.pending if self.pending is not None else next(self.chunks, None)
        self.pending = next(self.chunks, None) if chunk is not None else None
        return (chunk or b""), self.pending is not None

    async def receive(self) -> Message:
        outcome = self.outcome
        if self.gone.is_set():
            return {"type": "http.disconnect"}
        if not outcome.body_complete:
            if self.disconnect_after is not None and outcome.chunks_pulled >= self.disconnect_after:
                self.gone.set()
                return {"type": "http.disconnect"}
            if self.stall_after is not None and outcome.chunks_pulled >= self.stall_after:
                await anyio.sleep_forever()
            chunk, more = self._next_chunk()
            outcome.chunks_pulled += 1
            outcome.bytes_pulled += len(chunk)
            if not more:
                outcome.body_complete = True
            return {"type": "http.request", "body": chunk, "more_body": more}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        outcome = self.outcome
        if self.gone.is_set():
            raise OSError("client disconnected")
        kind = message["type"]
        if kind == "http.response.start":
            assert outcome.status is None, "second http.response.start"
            outcome.status = message["status"]
            outcome.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            return
        assert kind == "http.response.body", f"unexpected message {kind!r}"
        assert outcome.status is not None, "body before http.response.start"
        assert not outcome.response_complete, "message after the last body message"
        if self.drop_after is not None and self.body_messages >= self.drop_after:
            self.gone.set()
            raise OSError("client disconnected")
        self.body_messages += 1
        outcome.body += message.get("body", b"")
        if not message.get("more_body", False):
            outcome.response_complete = True
            self.gone.set()  # the response is done: later receive() calls say disconnect


async def drive(
    app: ASGIApp,
    method: str = "GET",
    path: str = "/",
    headers: Iterable[tuple[bytes, bytes]] = (),
    body: bytes | Iterable[bytes] = b"",
    *,
    query_string: bytes = b"",
    raw_path: bytes | None = None,
    scope: Scope | None = None,
    disconnect_after_chunks: int | None = None,
    stall_after_chunks: int | None = None,
    drop_response_after: int | None = None,
    timeout: float = 10.0,
) -> Outcome:
    """Run one request through ``app``; see the module docstring."""
    client = _Client(
        body,
        disconnect_after_chunks=disconnect_after_chunks,
        stall_after_chunks=stall_after_chunks,
        drop_response_after=drop_response_after,
    )
    if scope is None:
        scope = http_scope(method, path, headers, query_string=query_string, raw_path=raw_path)
    with anyio.fail_after(timeout):
        try:
            await app(scope, client.receive, client.send)
        except Exception as exc:  # noqa: BLE001 - recorded for the test to assert on
            client.outcome.error = exc
    return client.outcome


async def aiter_chunks(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    """``chunks`` as an async iterator (for parsers that take one)."""
    for chunk in chunks:
        yield chunk


def other_tasks() -> set[Any]:
    """Every task of the running loop (asyncio's or trio's) except the current one."""
    current = asyncio.current_task() if running_backend() == "asyncio" else trio.lowlevel.current_task()
    return {task for task in all_tasks() if task is not current}


def cpu_seconds(func: Callable[[], object], repeat: int = 5) -> float:
    """Best-of-``repeat`` CPU time of ``func()`` in this thread (other processes on a busy machine do not count)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.thread_time()
        func()
        best = min(best, time.thread_time() - start)
    return best


# --- app-side helpers -------------------------------------------------------------------------


async def streamed_length(request: Request) -> int:
    """An endpoint's read of its body as a stream, chunk by chunk: how many bytes came."""
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
    return total


def tracked_dependency(
    record: Callable[[str], object],
    name: str,
    value: Any,
    *,
    is_async: bool,
    raises: Callable[[str], BaseException] | None = None,
) -> Any:
    """A ``yield`` dependency giving ``value`` that records ``name+`` at set-up, ``name-`` at teardown.

    With ``raises``, the teardown raises ``raises(name)`` after recording (a failing cleanup).
    """

    def teardown() -> None:
        record(f"{name}-")
        if raises is not None:
            raise raises(name)

    async def async_gen() -> AsyncIterator[Any]:
        record(f"{name}+")
        try:
            yield value
        finally:
            teardown()

    def sync_gen() -> Iterator[Any]:
        record(f"{name}+")
        try:
            yield value
        finally:
            teardown()

    return async_gen if is_async else sync_gen
