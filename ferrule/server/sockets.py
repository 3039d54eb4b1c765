"""Where the server listens: TCP host/port, a Unix socket (`uds`), an inherited
socket (`fd`), optionally with TLS (stdlib `ssl`).

Rules:
1. One kind of socket: `fd`, else `uds`, else TCP on host/port (the config
   refuses `uds` together with `fd`).
2. A Unix socket path left by a previous run is replaced only if it is a
   socket (never a regular file); the file is made with the process umask.
3. TLS: the certificate and key are loaded at startup (a bad file is a
   startup error naming it). Each connection's handshake runs in its own task
   and must finish within `header_timeout` (a peer cannot hold a slot by
   never finishing it). Scopes then say `https` / `wss` (before proxy
   headers, which may override it from a trusted proxy).
4. `bind_socket` makes the listening socket a supervisor shares with its
   workers (`--workers`): bound once, inherited by fd.
"""

from __future__ import annotations

import os
import socket
import ssl
import stat
from typing import Any, Final

import anyio
import anyio.abc
from anyio.abc import SocketAttribute

from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send

from .config import ServerConfig, ServerConfigError

__all__ = ["bind_socket", "open_listeners", "make_ssl_context", "TLSScheme", "describe_listener", "BACKLOG"]

BACKLOG: Final = 2048


def make_ssl_context(config: ServerConfig) -> ssl.SSLContext | None:
    """The server's TLS context, or None without a certificate.

    Raises:
        ServerConfigError: the certificate or key cannot be loaded.
    """
    if config.ssl_certfile is None or config.ssl_keyfile is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # SECURITY: TLS 1.2+ only (the stdlib default context's floor, stated here on purpose).
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["http/1.1"])
    try:
        context.load_cert_chain(config.ssl_certfile, config.ssl_keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ServerConfigError(
            f"cannot load the TLS certificate {config.ssl_certfile!r} with key {config.ssl_keyfile!r}: {exc}; "
            "pass PEM files (--ssl-certfile, --ssl-keyfile)"
        ) from None
    return context


def bind_socket(config: ServerConfig) -> socket.socket:
    """Bind and listen on the configured TCP address or Unix socket; the socket is inheritable.

    Raises:
        OSError: the address cannot be bound.
    """
    if config.fd is not None:
        sock = socket.socket(fileno=config.fd)
    elif config.uds is not None:
        _remove_stale_socket(config.uds)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(config.uds)
        sock.listen(BACKLOG)
    else:
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        sock = socket.create_server((config.host, config.port), family=family, backlog=BACKLOG)
    sock.set_inheritable(True)
    return sock


def _remove_stale_socket(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ServerConfigError(f"uds={path!r} exists and is not a socket: remove it or choose another path")
    os.unlink(path)


async def _from_socket(sock: socket.socket) -> anyio.abc.SocketListener:
    from_socket = getattr(anyio.abc.SocketListener, "from_socket", None)
    if from_socket is None:
        raise ServerConfigError("serving on an inherited socket (fd, workers) needs anyio >= 4.10")
    sock.setblocking(False)
    listener: anyio.abc.SocketListener = await from_socket(sock)
    return listener


async def open_listeners(config: ServerConfig, sock: socket.socket | None = None) -> list[anyio.abc.SocketListener]:
    """Listeners for the config: on `sock` if given, else as `fd` / `uds` / host:port say.

    Raises:
        OSError: the address cannot be bound.
        ServerConfigError: a stale path that is not a socket, or an anyio without fd support.
    """
    if sock is not None:
        return [await _from_socket(sock)]
    if config.fd is not None:
        try:
            inherited = socket.socket(fileno=config.fd)
        except OSError as exc:
            raise ServerConfigError(f"fd={config.fd} is not an open socket: {exc}") from None
        return [await _from_socket(inherited)]
    if config.uds is not None:
        _remove_stale_socket(config.uds)
        return [await anyio.create_unix_listener(config.uds, backlog=BACKLOG)]
    multi = await anyio.create_tcp_listener(local_host=config.host, local_port=config.port, backlog=BACKLOG)
    return [x for x in multi.listeners if isinstance(x, anyio.abc.SocketListener)]


def describe_listener(listener: anyio.abc.SocketListener, tls: bool) -> tuple[str, tuple[str, int]]:
    """(URL shown in the log, (host, port) reported to `task_status`) for a listener."""
    local: Any = listener.extra(SocketAttribute.local_address)
    if isinstance(local, tuple) and len(local) >= 2:
        host, port = str(local[0]), int(local[1])
        shown = f"[{host}]" if ":" in host else host
        return f"{'https' if tls else 'http'}://{shown}:{port}", (host, port)
    path = local.decode() if isinstance(local, bytes) else str(local)
    return f"unix:{path}{' (TLS)' if tls else ''}", (path, 0)


class TLSScheme:
    """Set `https` / `wss` in every scope of a TLS server (innermost proxy headers may override)."""

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            scope["scheme"] = "https"
        elif kind == "websocket":
            scope["scheme"] = "wss"
        await self.app(scope, receive, send)
