"""Accepting connections, and the tasks that serve them.

Two ways in:
1. asyncio, plain TCP or a Unix socket: the loop's own server
   (`loop.create_server` on a duplicate of the listener's socket) accepts every
   pending connection in one callback and makes an `AsyncioWire` its protocol.
   PERF (issue 19, the p99 under CPU contention): anyio's `accept()` takes a
   few loop iterations per connection (a checkpoint, the accept, the
   transport's setup, the task's start), and each iteration also serves every
   connection already open. With the server starved of CPU, the last of 64
   connections opened at once waited up to 1.7 s for its first response
   (uvicorn, which accepts this way: under 0.2 s); that was wrk's p99.
2. trio, and TLS on either loop: one anyio accept loop per listener; each
   connection gets a `StreamWire` (after its TLS handshake).

Rules:
1. Connection tasks are plain asyncio tasks on asyncio (`NativeTasks`), as
   under uvicorn; on trio they are children of the server's task group. PERF:
   outside anyio's task groups the app runs in no anyio cancel scope, so the
   teardowns of `yield` dependencies need no shielding scope
   (`di/_anyio_adapter.py`; bench `deps`). The cost: a connection cancelled
   at the end of `shutdown_timeout` (or by a second signal) is cancelled
   with `Task.cancel()`, which a teardown in progress does not survive -- the
   same as under uvicorn.
2. Tasks never outlive `serve()`: `cancel_all()` cancels those still running
   and waits for them (again every `_CANCEL_RETRY` s, for an app that
   swallows one cancellation); a task that fails is logged, never silent.
3. Past `max_connections` a connection gets 503 and is closed; the refusals
   are logged at most once per interval (`log_limit`). A connection accepted
   after the shutdown began is told to shut down at once (it may still send
   its first request, `http11` rule 8).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any, Final, Protocol

import anyio
import anyio.abc
from anyio.abc import SocketAttribute
from anyio.streams.tls import TLSStream

from .http11 import HTTP11Connection, error_response
from .log_limit import RateLimitedLog
from .sockets import BACKLOG
from .state import ServerState, server_logger
from .wire import BUFFER_BUDGET, AsyncioWire, StreamWire

__all__ = ["ConnectionTasks", "NativeTasks", "TaskGroupTasks", "connection_tasks", "Acceptor"]

#: Seconds between cancellations of a connection task that survived one (`cancel_all`).
_CANCEL_RETRY: Final = 0.1


def _address(raw: Any) -> tuple[str, int] | None:
    if isinstance(raw, tuple) and len(raw) >= 2:
        return str(raw[0]), int(raw[1])
    return None


class ConnectionTasks(Protocol):
    """Where connection tasks run (rules 1 and 2)."""

    def spawn(self, func: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None: ...

    async def cancel_all(self) -> None: ...


class NativeTasks:
    """Connection tasks as plain asyncio tasks (rule 1)."""

    __slots__ = ("_loop", "_tasks")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, func: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
        task = self._loop.create_task(func(*args))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            exc = task.exception()
            if exc is not None:
                server_logger.error("connection task failed", exc_info=exc)

    async def cancel_all(self) -> None:
        while self._tasks:
            pending = set(self._tasks)
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=_CANCEL_RETRY)


class TaskGroupTasks:
    """Connection tasks in an anyio task group (trio)."""

    __slots__ = ("_tg",)

    def __init__(self, tg: anyio.abc.TaskGroup) -> None:
        self._tg = tg

    def spawn(self, func: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
        self._tg.start_soon(func, *args)

    async def cancel_all(self) -> None:
        self._tg.cancel_scope.cancel()


def connection_tasks(tg: anyio.abc.TaskGroup) -> ConnectionTasks:
    """Plain tasks when running on asyncio, else the task group `tg`."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # trio
        return TaskGroupTasks(tg)
    return NativeTasks(loop)


class Acceptor:
    """Accept on listeners until `close()`; each connection is served in a task of `tasks`."""

    __slots__ = ("state", "tasks", "ssl_context", "_servers", "_refused")

    def __init__(self, state: ServerState, tasks: ConnectionTasks, ssl_context: ssl.SSLContext | None) -> None:
        self.state = state
        self.tasks = tasks
        self.ssl_context = ssl_context
        self._servers: list[asyncio.AbstractServer] = []
        # SECURITY: a flood past the connection cap logs one line per interval, not one per connection.
        self._refused = RateLimitedLog(server_logger)

    async def start(self, listener: anyio.abc.SocketListener, tg: anyio.abc.TaskGroup) -> None:
        """Start accepting on `listener`: the loop's server on asyncio without TLS, else a task in `tg`."""
        server = _address(listener.extra(SocketAttribute.local_address))
        if isinstance(self.tasks, NativeTasks) and self.ssl_context is None:
            raw: socket.socket = listener.extra(SocketAttribute.raw_socket)
            loop = asyncio.get_running_loop()
            factory = partial(self._protocol, server)
            # The duplicate is the server's to close; the listener closes its own socket.
            self._servers.append(await loop.create_server(factory, sock=raw.dup(), backlog=BACKLOG))
        else:
            tg.start_soon(self._accept_loop, listener, server)

    def close(self) -> None:
        """Stop accepting (the anyio accept loops stop when their task group is cancelled)."""
        for server in self._servers:
            server.close()
        self._servers.clear()

    def _full(self) -> bool:
        config = self.state.config
        if len(self.state.connections) < config.max_connections:
            return False
        self._refused.log("refusing connections: max_connections=%d reached", config.max_connections)
        return True

    # -- asyncio: the loop's server ---------------------------------------------

    def _protocol(self, server: tuple[str, int] | None) -> AsyncioWire:
        return AsyncioWire(BUFFER_BUDGET, partial(self._made, server))

    def _made(self, server: tuple[str, int] | None, wire: AsyncioWire) -> None:
        state = self.state
        transport: Any = wire.transport
        if self._full():
            transport.write(error_response(state, 503, "too many connections"))
            transport.close()
            return
        conn = HTTP11Connection(wire, state, _address(transport.get_extra_info("peername")), server)
        state.add_connection(conn)
        if state.shutting_down:
            conn.begin_shutdown()
        self.tasks.spawn(_run_connection, conn)

    # -- anyio: an accept loop per listener ---------------------------------------

    async def _accept_loop(self, listener: anyio.abc.SocketListener, server: tuple[str, int] | None) -> None:
        state = self.state
        while True:
            try:
                stream = await listener.accept()
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                return
            except OSError as exc:  # e.g. EMFILE: back off instead of spinning
                server_logger.error("accept() failed: %s", exc)
                await anyio.sleep(0.1)
                continue
            if self._full():
                self.tasks.spawn(_refuse, stream, state)
            elif self.ssl_context is not None:
                self.tasks.spawn(_run_tls_connection, stream, state, server, self.ssl_context)
            else:
                client = _address(stream.extra(SocketAttribute.remote_address, None))
                conn = HTTP11Connection(StreamWire(stream, BUFFER_BUDGET), state, client, server)
                state.add_connection(conn)  # counted now, not when the task first runs
                self.tasks.spawn(_run_connection, conn)
                # Hold no reference to the last connection: it must be freed when it closes.
                del conn
            del stream


async def _run_tls_connection(
    stream: anyio.abc.SocketStream,
    state: ServerState,
    server: tuple[str, int] | None,
    ssl_context: ssl.SSLContext,
) -> None:
    client = _address(stream.extra(SocketAttribute.remote_address, None))
    tls: TLSStream | None = None
    with anyio.move_on_after(state.config.header_timeout):
        try:
            tls = await TLSStream.wrap(stream, server_side=True, ssl_context=ssl_context, standard_compatible=False)
        except (OSError, ssl.SSLError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
            server_logger.debug("TLS handshake with %s failed: %s", client, exc)
    if tls is None:
        with anyio.CancelScope(shield=True):
            await stream.aclose()
        return
    conn = HTTP11Connection(StreamWire(tls, BUFFER_BUDGET), state, client, server)
    state.add_connection(conn)
    if state.shutting_down:
        conn.begin_shutdown()
    await _run_connection(conn)


async def _run_connection(conn: HTTP11Connection) -> None:
    try:
        await conn.run()
    finally:
        # run() may be cancelled before its first line executes (shutdown right
        # after accept): make sure the socket and the count are released.
        state = conn.state
        state.remove_connection(conn)
        with anyio.CancelScope(shield=True):
            await conn.stream.aclose()


async def _refuse(stream: anyio.abc.SocketStream, state: ServerState) -> None:
    with anyio.move_on_after(1.0):
        try:
            await stream.send(error_response(state, 503, "too many connections"))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
    await stream.aclose()
