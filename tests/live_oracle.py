"""Driving a ferrule app and the same app under FastAPI with the same raw request.

The live FastAPI oracle (issue 16): tests build one app body for both
frameworks (``build(fw)``, where ``fw`` is ``ferrule`` or ``fastapi``; FastAPI is
a test-only dependency, ferrule's code never imports it) and compare what each
sends back, on whatever pydantic is installed. ``call`` speaks plain ASGI, so
both apps see byte for byte the same scope, headers and body (no test client
adds or reorders anything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio


@dataclass(frozen=True)
class Sent:
    """A raw HTTP request: what both apps receive."""

    method: str = "POST"
    path: str = "/"
    query: bytes = b""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""


@dataclass
class Answer:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


def framework_app(fw: Any) -> Any:
    """A new app of ``fw``'s class (``FastAPI`` or ``App``)."""
    return fw.FastAPI() if fw.__name__ == "fastapi" else fw.App()


async def _call(app: Any, sent: Sent) -> Answer:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": sent.method,
        "scheme": "http",
        "path": sent.path,
        "raw_path": sent.path.encode(),
        "root_path": "",
        "query_string": sent.query,
        "headers": list(sent.headers),
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }
    delivered = False
    answer = Answer()

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": sent.body, "more_body": False}
        await anyio.sleep_forever()  # the response is sent before a disconnect would come
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    with anyio.fail_after(30):
        await app(scope, receive, send)
    return answer


def call(app: Any, sent: Sent) -> Answer:
    """Run ``sent`` through ``app`` (an ASGI app) on asyncio and collect the response."""
    return anyio.run(_call, app, sent)
