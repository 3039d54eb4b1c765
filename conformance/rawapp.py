"""Raw ASGI pieces of the conformance app, for what ferrule has no API for.

* ``TraceMiddleware`` records, per request carrying an ``x-trace-id`` header,
  every message the app received and sent (type, sizes, flags; never bodies).
  A check reads the record from ``/trace/{id}``: when the wire shows one thing
  and the app provably sent another, the failure is the server's, and the
  record is the evidence.
* ``raw_app`` is mounted at ``/raw``: ``scope`` (the scope as a mounted child
  sees it), ``extensions``, ``trailers`` (ASGI HTTP Trailers extension) and
  ``zerocopy`` (ASGI Zero Copy Send extension). Each extension endpoint uses
  the extension only when the server advertises it in ``scope["extensions"]``,
  and otherwise says so in an ``x-extension`` response header.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import tempfile
import time
from collections import OrderedDict
from typing import Any, Final

from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope, Send

from .payload import blocks

__all__ = ["TRACES", "TraceMiddleware", "raw_app", "scope_summary", "DATA_FILE_SIZE", "data_file"]

#: Traces kept at once; the oldest go first.
MAX_TRACES: Final = 512
DATA_FILE_SIZE: Final = 300 * 1024 + 17

TRACES: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()


def _latin1(value: Any) -> Any:
    return bytes(value).decode("latin-1") if isinstance(value, (bytes, bytearray)) else value


def scope_summary(scope: Scope) -> dict[str, Any]:
    """The scope as JSON-safe data (byte strings decoded as latin-1)."""
    state = scope.get("state")
    return {
        "type": scope.get("type"),
        "asgi": dict(scope.get("asgi") or {}),
        "http_version": scope.get("http_version"),
        "method": scope.get("method"),
        "scheme": scope.get("scheme"),
        "path": scope.get("path"),
        "raw_path": _latin1(scope["raw_path"]) if scope.get("raw_path") is not None else None,
        "has_raw_path": "raw_path" in scope,
        "root_path": scope.get("root_path", ""),
        "query_string": _latin1(scope.get("query_string", b"")),
        "headers": [[_latin1(k), _latin1(v)] for k, v in scope.get("headers", [])],
        "client": list(scope["client"]) if scope.get("client") else None,
        "server": list(scope["server"]) if scope.get("server") else None,
        "has_state": state is not None,
        "state": {k: v for k, v in (state or {}).items() if isinstance(v, (str, int, float, bool))},
        "extensions": sorted((scope.get("extensions") or {}).keys()),
        "subprotocols": list(scope.get("subprotocols") or []),
        "keys": sorted(scope.keys()),
    }


def _message_summary(direction: str, message: Message, t0: float) -> dict[str, Any]:
    entry: dict[str, Any] = {"dir": direction, "type": message.get("type"), "t": round(time.monotonic() - t0, 4)}
    if "body" in message:
        entry["len"] = len(message.get("body") or b"")
    if "more_body" in message or message.get("type") in ("http.request", "http.response.body"):
        entry["more_body"] = bool(message.get("more_body", False))
    if message.get("type") == "http.response.start":
        entry["status"] = message.get("status")
        entry["headers"] = [[_latin1(k), _latin1(v)] for k, v in message.get("headers", [])]
    return entry


class TraceMiddleware:
    """Record the ASGI messages of requests that carry an ``x-trace-id`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        trace_id = None
        if scope["type"] == "http":
            for key, value in scope.get("headers", []):
                if key.lower() == b"x-trace-id":
                    trace_id = value.decode("latin-1")
        if trace_id is None:
            await self.app(scope, receive, send)
            return
        log: list[dict[str, Any]] = []
        TRACES[trace_id] = log
        while len(TRACES) > MAX_TRACES:
            TRACES.popitem(last=False)
        t0 = time.monotonic()
        complete = False

        async def traced_receive() -> Message:
            message = await receive()
            log.append(_message_summary("recv", message, t0))
            return message

        async def traced_send(message: Message) -> None:
            nonlocal complete
            entry = _message_summary("send", message, t0)
            entry["after_complete"] = complete
            log.append(entry)
            if message.get("type") == "http.response.body" and not message.get("more_body", False):
                complete = True
            try:
                await send(message)
            except BaseException as exc:
                log.append({"dir": "send-raised", "error": type(exc).__name__, "t": round(time.monotonic() - t0, 4)})
                raise

        try:
            await self.app(scope, traced_receive, traced_send)
        except BaseException as exc:
            log.append({"dir": "app-raised", "error": type(exc).__name__, "t": round(time.monotonic() - t0, 4)})
            raise
        log.append({"dir": "app-returned", "t": round(time.monotonic() - t0, 4)})


_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []


def _data_dir() -> str:
    folder = os.environ.get("CONFORMANCE_DATA_DIR")
    if folder:
        return folder
    if not _SCRATCH:
        _SCRATCH.append(tempfile.TemporaryDirectory(prefix="ferrule-conformance-"))
        atexit.register(_SCRATCH[0].cleanup)
    return _SCRATCH[0].name


def data_file() -> str:
    """A file of ``DATA_FILE_SIZE`` payload bytes, written once per process."""
    path = os.path.join(_data_dir(), f"ferrule-conformance-{os.getpid()}.bin")
    if not os.path.exists(path) or os.path.getsize(path) != DATA_FILE_SIZE:
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            for chunk in blocks(DATA_FILE_SIZE):
                fh.write(chunk)
        os.replace(tmp, path)
    return path


async def _json(send: Send, status: int, data: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(data).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


async def _trailers(scope: Scope, send: Send) -> None:
    if "http.response.trailers" not in (scope.get("extensions") or {}):
        await _json(send, 200, {"trailers": False}, [(b"x-extension", b"absent")])
        return
    digest = hashlib.sha256()
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain"), (b"trailer", b"x-checksum"), (b"x-extension", b"used")],
        "trailers": True,
    })
    for part in (b"part one\n", b"part two\n"):
        digest.update(part)
        await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    await send({
        "type": "http.response.trailers",
        "headers": [(b"x-checksum", digest.hexdigest().encode())],
        "more_trailers": False,
    })


async def _zerocopy(scope: Scope, send: Send) -> None:
    if "http.response.zerocopy" not in (scope.get("extensions") or {}):
        await _json(send, 200, {"zerocopy": False}, [(b"x-extension", b"absent")])
        return
    path = data_file()
    with open(path, "rb") as fh:
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/octet-stream"),
                (b"content-length", str(DATA_FILE_SIZE).encode()),
                (b"x-extension", b"used"),
            ],
        })
        await send({"type": "http.response.zerocopy", "file": fh, "offset": 0, "count": DATA_FILE_SIZE})


async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Mounted at ``/raw``: dispatch on the last path segment."""
    if scope["type"] != "http":
        # SPEC: ASGI 3.0 "Applications": reject a protocol you do not speak with an exception.
        raise RuntimeError(f"raw_app speaks only http, not {scope['type']!r}")
    name = scope["path"].rstrip("/").rsplit("/", 1)[-1]
    if name == "scope":
        await _json(send, 200, scope_summary(scope))
    elif name == "extensions":
        await _json(send, 200, {"extensions": scope_summary(scope)["extensions"]})
    elif name == "trailers":
        await _trailers(scope, send)
    elif name == "zerocopy":
        await _zerocopy(scope, send)
    else:
        await _json(send, 404, {"detail": "Not Found"})
