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

from .proxy_headers import parse_allow_list

__all__ = [
    "ServerConfig",
    "ServerConfigError",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_MAX_HEAD_BYTES",
    "DEFAULT_MAX_HEADER_COUNT",
    "DEFAULT_KEEP_ALIVE_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_BODY_MIN_RATE",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_SHUTDOWN_TIMEOUT",
    "DEFAULT_WS_MAX_MESSAGE_SIZE",
    "DEFAULT_WS_CLOSE_TIMEOUT",
    "DEFAULT_WS_PING_INTERVAL",
    "DEFAULT_WS_PING_TIMEOUT",
    "DEFAULT_WS_IDLE_TIMEOUT",
    "DEFAULT_FORWARDED_ALLOW_IPS",
    "ACCESS_LOG_FORMATS",
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
#: Longest wait for more request body bytes, in seconds; also the grace period
#: before `DEFAULT_BODY_MIN_RATE` applies. A slower body gets 408 (or a close).
DEFAULT_BODY_TIMEOUT: Final = 30.0
#: Average request body bytes per second required once `body_timeout` has passed.
DEFAULT_BODY_MIN_RATE: Final = 1024
#: Open connections at once; the next one gets 503 and is closed.
DEFAULT_MAX_CONNECTIONS: Final = 1000
#: Seconds in-flight requests get to finish after SIGINT/SIGTERM.
DEFAULT_SHUTDOWN_TIMEOUT: Final = 10.0
#: Largest WebSocket message (after reassembly of fragments). Over it: close 1009.
DEFAULT_WS_MAX_MESSAGE_SIZE: Final = 16 * 1024 * 1024
#: Seconds to wait for the peer's close frame after sending ours.
DEFAULT_WS_CLOSE_TIMEOUT: Final = 5.0
#: Seconds between the server's pings on an open WebSocket (None: no pings).
DEFAULT_WS_PING_INTERVAL: Final = 20.0
#: Seconds a ping waits for any frame from the peer before the server closes (1011).
DEFAULT_WS_PING_TIMEOUT: Final = 20.0
#: Seconds an open WebSocket may carry no message either way before the server closes it (1001).
DEFAULT_WS_IDLE_TIMEOUT: Final = 600.0
#: Peers whose X-Forwarded-* / Forwarded headers are trusted with proxy_headers on.
DEFAULT_FORWARDED_ALLOW_IPS: Final = "127.0.0.1,::1"

ACCESS_LOG_FORMATS: Final = ("common", "json")

LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug")

LifespanMode = Literal["auto", "on", "off"]
AccessLogFormat = Literal["common", "json"]


_OPTIONAL_SECONDS: Final = frozenset({"ws_ping_interval", "ws_idle_timeout"})


class ServerConfigError(ValueError):
    """A server option has a value the server cannot run with."""


def _check_body_limits(timeout: object, min_rate: object) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ServerConfigError(f"body_timeout={timeout!r} must be a positive number of seconds")
    if isinstance(min_rate, bool) or not isinstance(min_rate, int) or min_rate < 1:
        raise ServerConfigError(f"body_min_rate={min_rate!r} must be a positive integer (bytes per second)")


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
        body_timeout: longest wait for request body bytes, and the grace
            period before `body_min_rate` applies (408 after).
        body_min_rate: average request body bytes/s required after
            `body_timeout` seconds (slow bodies hold no connection slot).
        max_connections: concurrent connections (503 above it).
        shutdown_timeout: seconds in-flight requests get on graceful stop.
        ws_max_message_size: largest WebSocket message in bytes (close 1009).
        ws_close_timeout: seconds to wait for the peer's closing frame.
        server_header: value of the `server` response header; "" sends none.
        ws_ping_interval: seconds between pings on an open WebSocket; None: no pings.
        ws_ping_timeout: seconds to wait for any frame after a ping; then close 1011.
        ws_idle_timeout: seconds without a data message either way; then close 1001.
            None: no limit.
        access_log_format: "common" (one text line) or "json" (one JSON object per line).
        proxy_headers: trust X-Forwarded-For/-Proto/-Host and RFC 7239 Forwarded
            from the peers in `forwarded_allow_ips` (see `proxy_headers.py`).
        forwarded_allow_ips: comma-separated addresses or networks of trusted
            proxies ("*": any peer, "unix" for a Unix socket peer).
        uds: serve on this Unix domain socket path instead of host/port.
        fd: serve on this already-listening socket file descriptor.
        ssl_certfile: PEM certificate chain; with ssl_keyfile, serve HTTPS/WSS.
        ssl_keyfile: PEM private key of the certificate.
        max_requests: stop gracefully after about this many requests (a worker
            is then replaced by its supervisor); None: no limit.
        max_requests_jitter: up to this many requests added at random to
            max_requests, so workers do not all restart at once.
        max_body_size: largest request body in bytes for any app (413 above
            it, see `body_limit.py`); None: the app decides (ferrule apps
            have their own 16 MiB default).
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
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    body_min_rate: int = DEFAULT_BODY_MIN_RATE
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    ws_max_message_size: int = DEFAULT_WS_MAX_MESSAGE_SIZE
    ws_close_timeout: float = DEFAULT_WS_CLOSE_TIMEOUT
    server_header: str = "ferrule"
    ws_ping_interval: float | None = DEFAULT_WS_PING_INTERVAL
    ws_ping_timeout: float = DEFAULT_WS_PING_TIMEOUT
    ws_idle_timeout: float | None = DEFAULT_WS_IDLE_TIMEOUT
    access_log_format: AccessLogFormat = "common"
    proxy_headers: bool = False
    forwarded_allow_ips: str = DEFAULT_FORWARDED_ALLOW_IPS
    uds: str | None = None
    fd: int | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    max_requests: int | None = None
    max_requests_jitter: int = 0
    max_body_size: int | None = None

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
        _check_body_limits(self.body_timeout, self.body_min_rate)
        for name in ("max_head_bytes", "max_header_count", "max_connections", "ws_max_message_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ServerConfigError(f"{name}={value!r} must be a positive integer")
        for name in (
            "keep_alive_timeout", "header_timeout", "shutdown_timeout", "ws_close_timeout", "ws_ping_timeout",
            "ws_ping_interval", "ws_idle_timeout",
        ):
            value = getattr(self, name)
            if value is None and name in _OPTIONAL_SECONDS:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                off = " (or None to turn it off)" if name in _OPTIONAL_SECONDS else ""
                raise ServerConfigError(f"{name}={value!r} must be a positive number of seconds{off}")
        if self.access_log_format not in ACCESS_LOG_FORMATS:
            raise ServerConfigError(
                f"access_log_format={self.access_log_format!r} is unknown: use 'common' or 'json'"
            )
        if self.max_requests is not None and (
            isinstance(self.max_requests, bool) or not isinstance(self.max_requests, int) or self.max_requests < 1
        ):
            raise ServerConfigError(f"max_requests={self.max_requests!r} must be a positive integer or None")
        if self.max_body_size is not None and (
            isinstance(self.max_body_size, bool) or not isinstance(self.max_body_size, int) or self.max_body_size < 0
        ):
            raise ServerConfigError(f"max_body_size={self.max_body_size!r} must be a number of bytes (>= 0) or None")
        if isinstance(self.max_requests_jitter, bool) or not isinstance(self.max_requests_jitter, int) or (
            self.max_requests_jitter < 0
        ):
            raise ServerConfigError(f"max_requests_jitter={self.max_requests_jitter!r} must be an integer >= 0")
        if self.fd is not None and (isinstance(self.fd, bool) or not isinstance(self.fd, int) or self.fd < 0):
            raise ServerConfigError(f"fd={self.fd!r} must be an open file descriptor number (>= 0)")
        if self.uds is not None and self.fd is not None:
            raise ServerConfigError("uds and fd both given: serve on one socket, pass only one of them")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ServerConfigError(
                "TLS needs both ssl_certfile and ssl_keyfile (a PEM certificate and its private key)"
            )
        try:
            parse_allow_list(self.forwarded_allow_ips)
        except ValueError as exc:
            raise ServerConfigError(f"forwarded_allow_ips={self.forwarded_allow_ips!r}: {exc}") from None

    @property
    def python_log_level(self) -> int:
        """The `logging` module's number for `log_level`."""
        return int(logging.getLevelName(self.log_level.upper()))

    @classmethod
    def option_names(cls) -> frozenset[str]:
        """Names accepted as keyword options by `run()`."""
        return frozenset(f.name for f in dataclasses.fields(cls))
