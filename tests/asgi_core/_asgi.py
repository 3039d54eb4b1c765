"""A tiny ASGI driver for tests: build a scope, run an app, check the message order.

``run()`` fails the test if the app breaks the ASGI HTTP message contract:
exactly one ``http.response.start`` first, then body messages until one with
``more_body`` false (or a single ``http.response.pathsend``), then nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ferrule.asgi_core.headers import Headers
from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope


def http_scope(
    path: str = "/",
    method: str = "GET",
    headers: Iterable[tuple[str, str]] = (),
    *,
    root_path: str = "",
    query_string: bytes = b"",
    raw_path: bytes | None = None,
    scheme: str = "http",
    server: tuple[str, int] | None = ("testserver", 80),
    extensions: dict[str, Any] | None = None,
    scope_type: str = "http",
) -> Scope:
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    scope: Scope = {
        "type": scope_type,
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode("utf-8"),
        "query_string": query_string,
        "root_path": root_path,
        "headers": raw_headers,
        "client": ("127.0.0.1", 12345),
        "server": server,
        "extensions": extensions or {},
    }
    return scope


@dataclass
class Result:
    status: int
    headers: Headers
    body: bytes
    messages: list[Message] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def body_receiver(body: bytes | Sequence[bytes]) -> Receive:
    """A ``receive`` that hands out ``body`` (one message a chunk), then reports the client gone."""
    chunks = [body] if isinstance(body, bytes) else list(body)

    async def receive() -> Message:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    return receive


async def run(app: ASGIApp, scope: Scope, body: bytes | Sequence[bytes] = b"") -> Result:
    """Call ``app`` once with ``scope``, feeding ``body``, and collect its answer."""
    receive = body_receiver(body)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        if sent:
            last = sent[-1]
            assert last["type"] != "http.response.pathsend", f"message after pathsend: {message!r}"
            assert not (last["type"] == "http.response.body" and not last.get("more_body", False)), (
                f"message after the final body: {message!r}"
            )
            assert message["type"] in ("http.response.body", "http.response.pathsend"), message
        else:
            assert message["type"] == "http.response.start", f"first message must be start: {message!r}"
            for name, value in message.get("headers", ()):
                assert isinstance(name, bytes) and isinstance(value, bytes), (name, value)
                assert name == name.lower(), name
        sent.append(message)

    await app(scope, receive, send)
    assert sent, "the app sent nothing"
    final = sent[-1]
    assert final["type"] == "http.response.pathsend" or (
        final["type"] == "http.response.body" and not final.get("more_body", False)
    ), "the response never finished"
    return Result(
        status=sent[0]["status"],
        headers=Headers(raw=list(sent[0].get("headers", []))),
        body=b"".join(m.get("body", b"") for m in sent[1:] if m["type"] == "http.response.body"),
        messages=sent,
    )
