"""Configuration of the development server: one frozen dataclass, limits on by default.

Every limit has a `Final` default below and is validated when the config is
built, so a bad value fails at startup with a message saying what to change,
never at the first request.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ServerConfig",
    "ServerConfigError",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_MAX_HEAD_BYTES",
    "DEFAULT_MAX_HEADER_COUNT",
    "DEFAULT_KEEP_ALIVE_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_SHUTDOWN_TIMEOUT",
    "DEFAULT_WS_MAX_MESSAGE_SIZE",
    "DEFAULT_WS_CLOSE_TIMEOUT",
    "LOG_LEVELS",
]

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
#: Request line + headers, in bytes (h11's max_incomplete_event_size). Over it: 431.
DEFAULT_MAX_HEAD_BYTES: Final = 16 * 1024
#: Number of header fields in one request. Over it: 431.
DEFAULT_MAX_HEADER_COUNT: Final = 100
#: Seconds an idle keep-alive connection waits for the next request.
DEFAULT_KEEP_ALIVE_TIMEOUT: Final = 5.0
#: Seconds from a request's first byte (or the connection's opening) to its
#: complete head; a slower client (slowloris) gets 408 and a closed connection.
DEFAULT_HEADER_TIMEOUT: Final = 10.0
#: Open connections at once; the next one gets 503 and is closed.
DEFAULT_MAX_CONNECTIONS: Final = 1000
#: Seconds in-flight requests get to finish after SIGINT/SIGTERM.
DEFAULT_SHUTDOWN_TIMEOUT: Final = 10.0
#: Largest WebSocket message (after reassembly of fragments). Over it: close 1009.
DEFAULT_WS_MAX_MESSAGE_SIZE: Final = 16 * 1024 * 1024
#: Seconds to wait for the peer's close frame after sending ours.
DEFAULT_WS_CLOSE_TIMEOUT: Final = 5.0

LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug")

LifespanMode = Literal["auto", "on", "off"]


class ServerConfigError(ValueError):
    """A server option has a value the server cannot run with."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Options of `serve()`; every field has a safe default.

    Args:
        host: address to bind (IPv4/IPv6 literal or name).
        port: TCP port; 0 picks a free port (reported by `serve`'s task_status).
        root_path: ASGI `root_path` for every scope (app mounted under a prefix).
        log_level: one of LOG_LEVELS; used by `run()` to configure logging.
        access_log: emit one `ferrule.access` line per request.
        lifespan: "auto" tolerates apps without lifespan support, "on" requires
            it, "off" never sends the lifespan scope.
        max_head_bytes: request line + headers limit in bytes (431 above it).
        max_header_count: header field count limit (431 above it).
        keep_alive_timeout: idle seconds between requests before closing.
        header_timeout: seconds to receive a complete request head (408 after).
        max_connections: concurrent connections (503 above it).
        shutdown_timeout: seconds in-flight requests get on graceful stop.
        ws_max_message_size: largest WebSocket message in bytes (close 1009).
        ws_close_timeout: seconds to wait for the peer's closing frame.
        server_header: value of the `server` response header; "" sends none.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    root_path: str = ""
    log_level: str = "info"
    access_log: bool = True
    lifespan: LifespanMode = "auto"
    max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES
    max_header_count: int = DEFAULT_MAX_HEADER_COUNT
    keep_alive_timeout: float = DEFAULT_KEEP_ALIVE_TIMEOUT
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    ws_max_message_size: int = DEFAULT_WS_MAX_MESSAGE_SIZE
    ws_close_timeout: float = DEFAULT_WS_CLOSE_TIMEOUT
    server_header: str = "ferrule"

    def __post_init__(self) -> None:
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ServerConfigError(
                f"port={self.port!r} is not a TCP port: use an integer in 0..65535 (0 picks a free one)"
            )
        if self.root_path and (not self.root_path.startswith("/") or self.root_path.endswith("/")):
            raise ServerConfigError(
                f"root_path={self.root_path!r} must start with '/' and not end with '/', e.g. '/api'"
            )
        if self.log_level not in LOG_LEVELS:
            raise ServerConfigError(
                f"log_level={self.log_level!r} is unknown: use one of {', '.join(LOG_LEVELS)}"
            )
        if self.lifespan not in ("auto", "on", "off"):
            raise ServerConfigError(f"lifespan={self.lifespan!r} is unknown: use 'auto', 'on' or 'off'")
        for name in ("max_head_bytes", "max_header_count", "max_connections", "ws_max_message_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ServerConfigError(f"{name}={value!r} must be a positive integer")
        for name in ("keep_alive_timeout", "header_timeout", "shutdown_timeout", "ws_close_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ServerConfigError(f"{name}={value!r} must be a positive number of seconds")

    @property
    def python_log_level(self) -> int:
        """The `logging` module's number for `log_level`."""
        return int(logging.getLevelName(self.log_level.upper()))

    @classmethod
    def option_names(cls) -> frozenset[str]:
        """Names accepted as keyword options by `run()`."""
        return frozenset(f.name for f in dataclasses.fields(cls))
