"""Helpers for the di tests: hand-made requests and plans solved with an exit stack."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from typing import Any, Literal

from asgi_scopes import http_scope
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.types import Message
from ferrule.asgi_core.websocket import WebSocket
from ferrule.di import AppScope, DependencyOverrides, EndpointPlan, SolveContext, compile_endpoint
from ferrule.di.markers import Depends
from ferrule.validation.compile import RequestConfig
from ferrule.validation.errors import EndpointContext


def make_request(
    path: str = "/",
    *,
    query: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
    path_params: dict[str, Any] | None = None,
    body: bytes = b"",
    receive: Callable[[], Any] | None = None,
) -> Request:
    sent = False

    async def default_receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return Request(
        http_scope(path, query=query, headers=headers, path_params=path_params),
        receive or default_receive,
    )


def make_websocket(path: str = "/ws", *, query: bytes = b"") -> WebSocket:
    scope = http_scope(path, query=query)
    scope["type"] = "websocket"

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        pass

    return WebSocket(scope, receive, send)


def plan_for(
    call: Callable[..., Any],
    *,
    path: str = "/",
    path_param_names: frozenset[str] = frozenset(),
    dependencies: Sequence[Depends] = (),
    overrides: DependencyOverrides | None = None,
    kind: Literal["http", "websocket"] = "http",
    app_scope: AppScope | None = None,
) -> EndpointPlan:
    return compile_endpoint(
        call,
        path_param_names=path_param_names,
        dependencies=dependencies,
        overrides=overrides,
        request_config=RequestConfig(),
        endpoint_ctx=EndpointContext.from_callable(call, f"GET {path}"),
        kind=kind,
        app_scope=app_scope,
    )


async def solve(
    plan: EndpointPlan, conn: Request | WebSocket | None = None, **ctx_kwargs: Any
) -> Any:
    """Solve like routing will: request stack closed after the (imaginary) response."""
    async with AsyncExitStack() as stack:
        ctx = SolveContext(stack, **ctx_kwargs)
        return await plan.solve(conn if conn is not None else make_request(), ctx)


class Recorder:
    """Collects events in order, to assert setup/teardown sequences."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def __call__(self, event: str) -> None:
        self.events.append(event)

    def count(self, prefix: str) -> int:
        return sum(1 for e in self.events if e.startswith(prefix))
