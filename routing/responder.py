"""Turning an endpoint's return value into a response: the lane is chosen once.

``compile_responder(route)`` looks at the route (generator endpoint?
``response_class``? response model?) at startup and returns the one coroutine
that the route calls per request. No per-request ``isinstance`` chains beyond
the one check FastAPI semantics require: a returned ``Response`` passes
through untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ferrule.asgi_core.background import BackgroundTasks
from ferrule.asgi_core.response import (
    JSON_CONTENT_TYPE,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    content_type_header,
    status_has_no_body,
)
from ferrule.validation.encoders import jsonable_encoder
from ferrule.validation.errors import EndpointContext
from ferrule.validation.serialize import ResponseSerializer, compile_response, serialize_without_model


__all__ = ["Responder", "ResponseSpec", "compile_responder", "merge_sub_response"]


class ResponseSpec(Protocol):
    """What a route's responder is compiled from (``APIRoute`` has these, FastAPI's names)."""

    @property
    def actual_response_class(self) -> type[Response]: ...
    @property
    def response_serializer(self) -> ResponseSerializer | None: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def response_model(self) -> Any: ...
    @property
    def response_model_include(self) -> Any: ...
    @property
    def response_model_exclude(self) -> Any: ...
    @property
    def response_model_by_alias(self) -> bool: ...
    @property
    def response_model_exclude_unset(self) -> bool: ...
    @property
    def response_model_exclude_defaults(self) -> bool: ...
    @property
    def response_model_exclude_none(self) -> bool: ...
    @property
    def endpoint_ctx(self) -> EndpointContext: ...
    @property
    def sse_ping_interval(self) -> Any: ...



def compile_route_serializer(route: ResponseSpec, annotation: Any) -> ResponseSerializer | None:
    """The serializer of ``annotation`` with the route's ``response_model_*`` filters
    (the whole return value, or one item of a streaming endpoint)."""
    return compile_response(
        annotation,
        include=route.response_model_include,
        exclude=route.response_model_exclude,
        by_alias=route.response_model_by_alias,
        exclude_unset=route.response_model_exclude_unset,
        exclude_defaults=route.response_model_exclude_defaults,
        exclude_none=route.response_model_exclude_none,
        endpoint_ctx=route.endpoint_ctx,
    )


Responder = Callable[[Any, "Response | None", "BackgroundTasks | None"], Response]
"""``respond(result, sub_response, background) -> Response``: the endpoint's result, the
``Response`` parameter it was given (if any) and the background tasks injected into it
(if any). Plain functions: nothing in them waits (PERF: no coroutine per request)."""

def _passthrough(response: Response, background: BackgroundTasks | None) -> Response:
    # COMPAT(fastapi): a returned Response keeps its own headers and status;
    # only background tasks injected into the endpoint are attached.
    if response.background is None and background is not None:
        response.background = background
    return response


def _status(default: int | None, sub: Response | None, fallback: int) -> int:
    if sub is not None and sub.status_code:
        return sub.status_code
    return default if default is not None else fallback


def _sub_status(sub: Response, default: int) -> tuple[int, bool]:
    """The status an injected ``Response`` parameter set (else ``default``), and whether it has no body."""
    code = sub.status_code or default
    return code, status_has_no_body(code)


def merge_sub_response(raw: list[tuple[bytes, bytes]], sub: Response) -> None:
    """Add the headers an injected ``Response`` parameter set (all but Content-Length)."""
    raw.extend(pair for pair in sub.raw_headers if pair[0] != b"content-length")


def compile_responder(route: ResponseSpec) -> Responder:
    """The per-request function that makes a (non-generator) endpoint's response from its result."""
    response_class = route.actual_response_class
    serializer = route.response_serializer
    status_code = route.status_code
    if response_class is JSONResponse:
        to_bytes: Callable[[Any], bytes] = (
            serializer.to_json if serializer is not None else serialize_without_model
        )

        default_code = status_code if status_code is not None else 200
        default_no_body = status_has_no_body(default_code)

        def respond_json(result: Any, sub: Response | None, background: BackgroundTasks | None) -> Response:
            if isinstance(result, Response):
                return _passthrough(result, background)
            # PERF: the status is decided at startup unless a Response parameter
            # changes it (the sub-response is only looked at when there is one).
            code, no_body = (default_code, default_no_body) if sub is None else _sub_status(sub, default_code)
            # PERF: build the JSONResponse around bytes the serializer already
            # produced; JSONResponse.render would encode a second time.
            if no_body:
                body = b""
                raw = [JSON_CONTENT_TYPE]
            else:
                body = to_bytes(result)
                raw = [(b"content-length", str(len(body)).encode("ascii")), JSON_CONTENT_TYPE]
            if sub is not None:
                merge_sub_response(raw, sub)
            return JSONResponse.prerendered(body, code, raw, background)

        return respond_json

    to_content: Callable[[Any], Any] = serializer.to_python if serializer is not None else jsonable_encoder
    if response_class in _TEXT_CLASSES:
        return _compile_text_responder(response_class, to_content, status_code, route.response_model is str)

    def respond_custom(result: Any, sub: Response | None, background: BackgroundTasks | None) -> Response:
        if isinstance(result, Response):
            return _passthrough(result, background)
        code = _status(status_code, sub, 0)
        content = to_content(result)
        if code:
            response = response_class(content, status_code=code)
        else:
            response = response_class(content)
        if status_has_no_body(response.status_code):
            response.body = b""
            response.raw_headers[:] = [p for p in response.raw_headers if p[0] != b"content-length"]
        if sub is not None:
            merge_sub_response(response.raw_headers, sub)
        if response.background is None:
            response.background = background
        return response

    return respond_custom


_TEXT_CLASSES = (PlainTextResponse, HTMLResponse)


def _compile_text_responder(
    response_class: type[Response], to_content: Callable[[Any], Any], status_code: int | None, str_model: bool
) -> Responder:
    """``PlainTextResponse``/``HTMLResponse`` lane: str results encoded once, headers precomputed."""
    type_header = content_type_header(response_class.media_type or "text/plain", response_class.charset)
    charset = response_class.charset

    default_code = status_code if status_code is not None else 200
    default_no_body = status_has_no_body(default_code)

    def respond_text(result: Any, sub: Response | None, background: BackgroundTasks | None) -> Response:
        if isinstance(result, Response):
            return _passthrough(result, background)
        # PERF: a str returned for a `-> str` route needs no validation round trip.
        content = result if str_model and type(result) is str else to_content(result)
        code, no_body = (default_code, default_no_body) if sub is None else _sub_status(sub, default_code)
        if type(content) is str:
            if no_body:
                body = b""
                raw = [type_header]
            else:
                body = content.encode(charset)
                raw = [(b"content-length", str(len(body)).encode("ascii")), type_header]
            if sub is not None:
                merge_sub_response(raw, sub)
            return response_class.prerendered(body, code, raw, background)
        response = response_class(content, status_code=code)
        if sub is not None:
            merge_sub_response(response.raw_headers, sub)
        response.status_code = code
        response.background = background
        return response

    return respond_text
