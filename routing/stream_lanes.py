"""The streaming lanes of generator endpoints (FastAPI's API), chosen at startup.

* ``response_class=EventSourceResponse`` (or a subclass): Server-Sent Events;
  plain items are validated against the declared item type and JSON-encoded
  into ``data:``; ``ServerSentEvent`` items are framed field by field.
* ``response_class=StreamingResponse`` (or a subclass other than the two
  here): the generator's chunks are sent raw.
* anything else (the default): JSON Lines (``application/jsonl``), each item
  validated and serialized against the item type of the return annotation
  (``AsyncIterable[Item]``, ``Iterator[Item]``, ``AsyncGenerator[Item, None]``
  ...), or through ``jsonable_encoder`` semantics when there is none.
"""

from __future__ import annotations

import collections.abc
import typing
from collections.abc import Callable
from typing import Any

from ferrule.asgi_core.background import BackgroundTasks
from ferrule.asgi_core.response import Response
from ferrule.streaming import EventSourceResponse, JSONLinesResponse, ServerSentEvent, StreamingResponse

from .options import resolve_default
from .responder import Responder, ResponseSpec, compile_route_serializer, merge_sub_response


__all__ = ["compile_stream_responder", "stream_item_type"]

_ITERABLES = {
    collections.abc.AsyncIterable,
    collections.abc.AsyncIterator,
    collections.abc.AsyncGenerator,
    collections.abc.Iterable,
    collections.abc.Iterator,
    collections.abc.Generator,
}


def stream_item_type(annotation: Any) -> Any:
    """``Item`` of ``AsyncIterable[Item]`` and friends, else ``None``."""
    if annotation is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in _ITERABLES:
        args = typing.get_args(annotation)
        if args and args[0] is not Any:
            return args[0]
    return None


def compile_stream_responder(route: ResponseSpec) -> Responder:
    """The per-request function that wraps a generator result in its streaming response."""
    response_class = route.actual_response_class
    item_type = stream_item_type(route.response_model)
    encode_item: Callable[[Any], bytes] | None = None
    if item_type is not None and item_type is not ServerSentEvent:
        serializer = compile_route_serializer(route, item_type)
        if serializer is not None:
            encode_item = serializer.to_json
    status_code = route.status_code or 200
    ctx_text = str(route.endpoint_ctx)
    ping_interval = resolve_default(route.sse_ping_interval)

    def finish(response: Response, sub: Response | None) -> Response:
        if sub is not None:
            if sub.status_code:
                response.status_code = sub.status_code
            merge_sub_response(response.raw_headers, sub)
        return response

    if isinstance(response_class, type) and issubclass(response_class, EventSourceResponse):
        sse_class = response_class

        def respond_sse(result: Any, sub: Response | None, background: BackgroundTasks | None) -> Response:
            if isinstance(result, Response):
                return result
            response = sse_class(
                result,
                status_code=status_code,
                background=background,
                encode_item=encode_item,
                ping_interval=ping_interval,
                endpoint_ctx=ctx_text,
            )
            return finish(response, sub)

        return respond_sse

    if (
        isinstance(response_class, type)
        and issubclass(response_class, StreamingResponse)
        and not issubclass(response_class, JSONLinesResponse)
    ):
        raw_class = response_class

        def respond_raw(result: Any, sub: Response | None, background: BackgroundTasks | None) -> Response:
            if isinstance(result, Response):
                return result
            return finish(raw_class(result, status_code=status_code, background=background), sub)

        return respond_raw

    jsonl_kwargs: dict[str, Any] = {"endpoint_ctx": ctx_text}
    if encode_item is not None:
        jsonl_kwargs["encode_item"] = encode_item

    def respond_jsonl(result: Any, sub: Response | None, background: BackgroundTasks | None) -> Response:
        if isinstance(result, Response):
            return result
        response = JSONLinesResponse(result, status_code=status_code, background=background, **jsonl_kwargs)
        return finish(response, sub)

    return respond_jsonl
