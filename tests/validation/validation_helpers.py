"""Helpers for the validation tests: hand-made requests and endpoints compiled without routing."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from asgi_scopes import http_scope
from ferrule.asgi_core.request import HTTPConnection, Request
from ferrule.asgi_core.types import Message
from ferrule.validation import (
    EndpointContext,
    RequestConfig,
    RequestValidationError,
    RequestValidator,
    analyze_param,
    compile_request,
    request_validation_exception_handler,
)
from ferrule.validation.fields import ParamField

JSON = [(b"content-type", b"application/json")]

# The headers FastAPI's TestClient (httpx) sends with every request; the
# reference outputs of header parameter models list them.
TESTCLIENT_HEADERS = [
    (b"host", b"testserver"),
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"connection", b"keep-alive"),
    (b"user-agent", b"testclient"),
]


def make_request(
    *,
    method: str = "POST",
    query: bytes = b"",
    headers: Iterable[tuple[bytes, bytes]] = (),
    body: bytes | Sequence[bytes] = b"",
    path_params: dict[str, Any] | None = None,
    max_body_size: int | None = 16 * 1024 * 1024,
) -> Request:
    """A ``Request`` over a hand-made scope; ``body`` may be a list of chunks."""
    chunks = [body] if isinstance(body, bytes) else list(body)
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    ]
    received: list[int] = []

    async def receive() -> Message:
        received.append(1)
        if messages:
            return messages.pop(0)
        return {"type": "http.disconnect"}

    scope = http_scope(method=method, query=query, headers=headers, path_params=path_params)
    request = Request(scope, receive, max_body_size=max_body_size)
    request.scope["test.receive_calls"] = received
    return request


def make_websocket_conn(
    *, query: bytes = b"", headers: Iterable[tuple[bytes, bytes]] = (), path_params: dict[str, Any] | None = None
) -> HTTPConnection:
    return HTTPConnection(http_scope(kind="websocket", query=query, headers=headers, path_params=path_params))


def path_names(template: str) -> frozenset[str]:
    return frozenset(re.findall(r"{(\w+)(?::[^}]*)?}", template))


def fields_of(endpoint: Callable[..., Any], template: str = "/") -> list[ParamField]:
    """``analyze_param`` for every parameter of ``endpoint`` (what di does for a flat endpoint)."""
    # Not typing.get_type_hints: before 3.11 it wraps the annotation of a
    # parameter defaulting to None in Optional[...], hiding an Annotated marker
    # (``Annotated[list[int] | None, Query()] = None``); di reads signatures.
    names = path_names(template)
    return [
        analyze_param(
            name,
            parameter.annotation,
            parameter.default,
            path_param_names=names,
            owner=endpoint.__name__,
        )
        for name, parameter in inspect.signature(endpoint, eval_str=True).parameters.items()
    ]


def compile_endpoint(
    endpoint: Callable[..., Any], template: str = "/", config: RequestConfig | None = None
) -> RequestValidator:
    ctx = EndpointContext.from_callable(endpoint, f"GET {template}")
    return compile_request(fields_of(endpoint, template), config=config or RequestConfig(), endpoint_ctx=ctx)


async def values_of(endpoint: Callable[..., Any], request: HTTPConnection, template: str = "/", **kw: Any) -> dict[str, Any]:
    """Validate ``request`` for ``endpoint`` and return ``{param name: value}``."""
    validator = compile_endpoint(endpoint, template, **kw)
    values = await validator.validate(request)
    return {field.name: value for field, value in zip(validator.fields, values)}


async def rendered_422(
    endpoint: Callable[..., Any], request: Request, template: str = "/", **kw: Any
) -> dict[str, Any]:
    """The JSON body the default handler sends for ``request`` (fails if it validates)."""
    validator = compile_endpoint(endpoint, template, **kw)
    try:
        await validator.validate(request)
    except RequestValidationError as exc:
        response = await request_validation_exception_handler(request, exc)
        assert response.status_code == 422
        body: dict[str, Any] = json.loads(response.body)
        return body
    finally:
        await request.close()
    raise AssertionError("the request validated")


def multipart(parts: Sequence[tuple[str, str | None, bytes]], boundary: str = "xyzBOUNDARYzyx") -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of a multipart/form-data request: (name, filename or None, content)."""
    out = bytearray()
    for name, filename, content in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())], bytes(out)
