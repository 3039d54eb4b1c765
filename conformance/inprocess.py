"""Checks that call the app directly, for what a server hides from the wire.

A server answers an unknown scope type, a failed lifespan or a stray message
after the response in its own way (often silently), so these drive
``conformance.app`` with hand-made ``receive``/``send`` and look at every
message it sends. Each call is bounded by a timeout: a hang is a failure.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from .app import STARTUP_FAILURE_MESSAGE, app, failing_app
from .outcome import CheckFailed, Result, Status, expect

__all__ = ["INPROCESS_CHECKS", "InProcessCheck"]

Message = dict[str, Any]


@dataclass(frozen=True)
class InProcessCheck:
    id: str
    title: str
    cites: str
    func: Callable[[], Awaitable[str | None]]

    def run(self) -> Result:
        try:
            note = anyio.run(self.func, backend="asyncio")
        except CheckFailed as exc:
            return Result(Status.FAIL, str(exc))
        except Exception as exc:  # noqa: BLE001 - reported with its type
            return Result(Status.FAIL, f"{type(exc).__name__}: {exc}")
        return Result(Status.PASS, note or "")


INPROCESS_CHECKS: list[InProcessCheck] = []


def _register(id: str, title: str, cites: str) -> Callable[[Callable[[], Awaitable[str | None]]], Callable[[], Awaitable[str | None]]]:
    def decorator(func: Callable[[], Awaitable[str | None]]) -> Callable[[], Awaitable[str | None]]:
        INPROCESS_CHECKS.append(InProcessCheck(id, title, cites, func))
        return func

    return decorator


def http_scope(method: str, path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None,
               extensions: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"conformance")] + (headers or []),
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
        "extensions": extensions or {},
    }


class Exchange:
    """One request driven like a well-behaved server: body, then http.disconnect after completion."""

    def __init__(self, body: bytes = b"", *, disconnect_first: bool = False) -> None:
        self.body = body
        self.disconnect_first = disconnect_first
        self.sent: list[Message] = []
        self.body_given = False
        self.complete = anyio.Event()
        self.raised: BaseException | None = None

    async def receive(self) -> Message:
        if self.disconnect_first:
            return {"type": "http.disconnect"}
        if not self.body_given:
            self.body_given = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.complete.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        kind = message["type"]
        if kind == "http.response.pathsend" or (kind == "http.response.body" and not message.get("more_body", False)):
            self.complete.set()

    async def run(self, application: Any, scope: dict[str, Any], timeout: float = 5.0) -> None:
        with anyio.fail_after(timeout):
            try:
                await application(scope, self.receive, self.send)
            except Exception as exc:  # noqa: BLE001 - recorded for the check to judge
                self.raised = exc

    def summary(self) -> list[str]:
        out = []
        for m in self.sent:
            kind = m["type"]
            if kind == "http.response.start":
                out.append(f"start {m['status']}")
            elif kind == "http.response.body":
                out.append(f"body {len(m.get('body', b''))}B{' more' if m.get('more_body') else ''}")
            else:
                out.append(kind)
        return out


@_register("inproc.unknown_scope", "unknown scope type: raise, send nothing",
           "ASGI 3.0 §Applications: reject unknown protocols with an exception")
async def unknown_scope() -> str | None:
    sent: list[Message] = []

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "conformance.unknown", "asgi": {"version": "3.0"}, "path": "/health", "headers": []}
    raised: BaseException | None = None
    with anyio.move_on_after(2) as timer:
        try:
            await app(scope, receive, send)
        except Exception as exc:  # noqa: BLE001 - the expected outcome
            raised = exc
    expect(not timer.cancelled_caught, "the app waited on an unknown scope type instead of raising")
    expect(not sent, f"the app sent {[m['type'] for m in sent]} for an unknown scope type")
    expect(raised is not None, "the app returned normally for an unknown scope type: it must raise")
    return f"{type(raised).__name__}: {raised}"


@_register("inproc.lifespan_startup_failed", "startup raises: one lifespan.startup.failed with the message",
           "ASGI lifespan 2.0 §Startup Failed - send event")
async def lifespan_startup_failed() -> str | None:
    sent: list[Message] = []
    given = False

    async def receive() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "lifespan.startup"}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    raised: BaseException | None = None
    with anyio.move_on_after(2) as timer:
        try:
            await failing_app(scope, receive, send)
        except Exception as exc:  # noqa: BLE001 - allowed after startup.failed
            raised = exc
    expect(not timer.cancelled_caught, "the app hung after its startup failed")
    types = [m["type"] for m in sent]
    expect(types == ["lifespan.startup.failed"], f"the app sent {types}")
    message = sent[0].get("message", "")
    expect(isinstance(message, str) and STARTUP_FAILURE_MESSAGE in message,
           f"lifespan.startup.failed message {message!r} lacks the exception's text")
    return f"then {'raised ' + type(raised).__name__ if raised else 'returned'}"


def _check_sequence(label: str, exchange: Exchange) -> None:
    summary = exchange.summary()
    sent = exchange.sent
    expect(sent and sent[0]["type"] == "http.response.start", f"{label}: first message {summary[:1]}")
    terminal = [
        i for i, m in enumerate(sent)
        if m["type"] == "http.response.pathsend" or (m["type"] == "http.response.body" and not m.get("more_body", False))
    ]
    expect(len(terminal) == 1, f"{label}: {len(terminal)} final body messages: {summary}")
    expect(terminal[0] == len(sent) - 1, f"{label}: sent after the response was complete: {summary}")
    starts = [m for m in sent if m["type"] == "http.response.start"]
    expect(len(starts) == 1, f"{label}: {len(starts)} response starts: {summary}")


@_register("inproc.nothing_after_complete", "no message after the final body, for every response kind",
           "ASGI www 2.5 §Response Body: after more_body=False further messages are ignored")
async def nothing_after_complete() -> str | None:
    cases: list[tuple[str, dict[str, Any], bytes]] = [
        ("GET /text", http_scope("GET", "/text"), b""),
        ("HEAD /text", http_scope("HEAD", "/text"), b""),
        ("GET /no-content", http_scope("GET", "/no-content"), b""),
        ("GET /not-modified", http_scope("GET", "/not-modified"), b""),
        ("GET /download", http_scope("GET", "/download", b"size=200000"), b""),
        ("HEAD /download", http_scope("HEAD", "/download", b"size=200000"), b""),
        ("POST /background", http_scope("POST", "/background/inproc"), b""),
        ("GET /file", http_scope("GET", "/file"), b""),
        ("GET /file (pathsend)", http_scope("GET", "/file", extensions={"http.response.pathsend": {}}), b""),
        ("GET /missing", http_scope("GET", "/missing"), b""),
        ("POST /body", http_scope("POST", "/body"), b"x" * 1000),
        ("GET /scope (405)", http_scope("TRACE", "/scope"), b""),
    ]
    for label, scope, body in cases:
        exchange = Exchange(body)
        await exchange.run(app, scope)
        expect(exchange.raised is None, f"{label}: the app raised {exchange.raised!r}")
        _check_sequence(label, exchange)
    return f"{len(cases)} response kinds"


@_register("inproc.disconnect_first", "receive() gives http.disconnect first: no hang, no error",
           "ASGI www 2.5 §Disconnect - receive event")
async def disconnect_first() -> str | None:
    from .app import EVENTS

    notes = []
    for label, scope in [
        ("POST /body", http_scope("POST", "/body", headers=[(b"content-length", b"10")])),
        ("POST /items (JSON body param)", http_scope("POST", "/items", headers=[(b"content-type", b"application/json"), (b"content-length", b"12")])),
        ("GET /stream/forever", http_scope("GET", "/stream/forever/inproc-dc")),
        ("GET /sse", http_scope("GET", "/sse/inproc-dc")),
    ]:
        exchange = Exchange(disconnect_first=True)
        await exchange.run(app, scope, timeout=3)
        statuses = [m["status"] for m in exchange.sent if m["type"] == "http.response.start"]
        expect(not any(s >= 500 for s in statuses), f"{label}: answered {statuses} to a client that had left")
        expect(exchange.raised is None, f"{label}: the app raised {exchange.raised!r} (the server would log an error)")
        notes.append(f"{label}: {statuses or 'nothing sent'}")
    for token, event in (("inproc-dc", "stream-cleanup"), ("inproc-dc", "sse-cleanup")):
        if event not in EVENTS.get(token, []):
            raise CheckFailed(f"{event} did not run after an immediate disconnect: {EVENTS.get(token)}")
    return "; ".join(notes)


@_register("inproc.scope_unchanged", "the server's scope dict is not modified (app, router, path_params...)",
           "ASGI 3.0 §Applications: copy the scope before mutating it")
async def scope_unchanged() -> str | None:
    scope = http_scope("GET", "/p/a%2Fb")
    scope["path"] = "/p/a/b"
    before = dict(scope)
    exchange = Exchange()
    await exchange.run(app, scope)
    expect(exchange.raised is None, f"the app raised {exchange.raised!r}")
    expect(exchange.summary()[:1] == ["start 200"], f"GET /p/a%2Fb gave {exchange.summary()}")
    added = sorted(set(scope) - set(before))
    changed = sorted(k for k in before if k in scope and scope[k] is not before[k])
    expect(not added and not changed, f"the app added {added} and replaced {changed} in the server's scope")
    return None
