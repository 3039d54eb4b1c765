"""State shared by every connection of one running server, and the server's errors."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any, Final, Protocol

import anyio

from ferrule.asgi_core.types import ASGIApp

from .config import ServerConfig

__all__ = [
    "ClientDisconnected",
    "ConnectionHandle",
    "UpgradedConnection",
    "ServerState",
    "ASGI_VERSION",
    "server_logger",
]

ASGI_VERSION: Final = {"version": "3.0", "spec_version": "2.4"}
server_logger: Final = logging.getLogger("ferrule.server")


class ClientDisconnected(OSError):
    """Raised by `send()` once the client is gone (ASGI spec 2.4: an OSError subclass)."""


class ConnectionHandle(Protocol):
    """What the server needs from a live connection to stop it gracefully."""

    def begin_shutdown(self) -> None:
        """Stop taking new requests; finish the one in flight, then close."""


class _ByteReceiver(Protocol):
    async def receive(self, max_bytes: int = ...) -> bytes: ...


class UpgradedConnection(Protocol):
    """What a protocol that takes a connection over (WebSocket) uses of it."""

    @property
    def stream(self) -> _ByteReceiver: ...

    @property
    def state(self) -> ServerState: ...

    @property
    def client(self) -> tuple[str, int] | None: ...

    @property
    def server(self) -> tuple[str, int | None] | None: ...

    async def write(self, data: bytes) -> None: ...

    async def reject(self, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> None: ...

    def set_delegate(self, delegate: ConnectionHandle | None) -> None: ...


class ServerState:
    """One server's app, config and live connections."""

    __slots__ = (
        "app",
        "config",
        "connections",
        "shutting_down",
        "lifespan_state",
        "_date",
        "_date_at",
        "_drained",
    )

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.config = config
        self.connections: set[ConnectionHandle] = set()
        self.shutting_down = False
        #: The lifespan scope's "state"; each request scope gets a shallow copy.
        self.lifespan_state: dict[str, Any] | None = None
        self._date = b""
        self._date_at = -1
        self._drained: anyio.Event | None = None

    def add_connection(self, conn: ConnectionHandle) -> None:
        self.connections.add(conn)

    def remove_connection(self, conn: ConnectionHandle) -> None:
        self.connections.discard(conn)
        if not self.connections and self._drained is not None:
            self._drained.set()

    async def wait_drained(self) -> None:
        """Return once no connection is open."""
        if self.connections:
            self._drained = anyio.Event()
            await self._drained.wait()

    def begin_shutdown(self) -> None:
        """Tell every connection to finish its request and close."""
        self.shutting_down = True
        for conn in list(self.connections):
            conn.begin_shutdown()

    def date_header(self) -> bytes:
        """The `date` header value (RFC 9110 §6.6.1), recomputed at most once a second."""
        now = int(time.time())
        if now != self._date_at:
            self._date = email.utils.formatdate(now, usegmt=True).encode("ascii")
            self._date_at = now
        return self._date

    def default_headers(self) -> list[tuple[bytes, bytes]]:
        """`date` and (unless disabled) `server` headers for every response."""
        headers = [(b"date", self.date_header())]
        if self.config.server_header:
            headers.append((b"server", self.config.server_header.encode("latin-1")))
        return headers
