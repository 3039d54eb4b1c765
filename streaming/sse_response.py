"""EventSourceResponse: the Server-Sent Events response around an ``EventPump``.

Rules:

* Items become frames once, through a framer built at construction
  (``_item_framer``): a ``ServerSentEvent`` is framed field by field; any other
  item is JSON-encoded into ``data``; with ``preframed=True``, ``bytes``/``str``
  items are sent exactly as given.
* The body comes from the pump (``sse_pump.py``): the response's send loop is
  the pump's forwarder, and the pump lives exactly as long as the request (it
  is entered around ``__call__``, or earlier when a caller enters the response).
* HEAD and no-body statuses never start the pump: the generator never runs.
* Everything else (disconnects, ``on_disconnect``, background tasks, errors
  after the start) is ``StreamingResponse``'s (``response.py``), with
  ``on_error="end"``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import Any, Final

from ferrule.asgi_core.background import BackgroundTask
from ferrule.asgi_core.response import status_has_no_body
from ferrule.asgi_core.types import Receive, Scope, Send

from ._encode import jsonable_json
from .response import OnDisconnect, SendBody, StreamingResponse
from .sse import ServerSentEvent, encode_event, format_sse_event, frame_data
from .sse_pump import DEFAULT_PING_INTERVAL, EventPump

__all__ = ["DEFAULT_ERROR_EVENT", "EventSourceResponse"]

DEFAULT_ERROR_EVENT: Final = ServerSentEvent(event="error", data={"detail": "Internal Server Error"})
"""Sent last when ``error_event=True`` and the generator raised."""


class EventSourceResponse(StreamingResponse):
    """Server-Sent Events (``text/event-stream``): the response class marker and the response.

    Use ``response_class=EventSourceResponse`` on a generator endpoint; routing
    builds this response around the generator. Items:

    * ``ServerSentEvent``: framed field by field (``data`` via ``encode_data``).
    * anything else: ``encode_item(item)`` (JSON bytes; routing passes an encoder
      validating against the declared item type, else ``jsonable_json``) becomes
      ``data``, so ``"hi"`` is sent as ``data: "hi"``.
    * with ``preframed=True``, ``bytes``/``str`` items are sent exactly as
      given (the caller framed them); other items are handled as above.
      COMPAT(fastapi): FastAPI's ``EventSourceResponse`` built by hand is a plain
      ``StreamingResponse`` that sends ``str`` chunks raw; ferrule's JSON-encodes
      them like the route lane does unless ``preframed=True``.

    Sets ``Cache-Control: no-cache`` and ``X-Accel-Buffering: no`` (so nginx
    does not buffer the stream) unless ``headers`` sets them.

    Args:
        content: an async or sync iterable (sync ones run in a worker thread).
        status_code, headers, media_type, background: as for ``StreamingResponse``.
        encode_item: item -> JSON bytes, for items that are not ``ServerSentEvent``
            (``None``: ``jsonable_json``).
        preframed: send ``bytes``/``str`` items as they are.
        encode_data: ``ServerSentEvent.data`` -> JSON bytes.
        ping_interval: idle seconds before a ``: ping`` comment; ``None`` disables.
        max_keepalives: end an idle stream after this many consecutive pings.
        retry: reconnection delay (ms) sent once, first, as a ``retry:`` field.
        error_event: ``True`` (``DEFAULT_ERROR_EVENT``) or an event to send last
            when the generator raises; ``False`` ends the stream silently.
        on_disconnect: called once if the client leaves before the end.
        endpoint_ctx: names the endpoint in log lines.

    Raises:
        ValueError: ``ping_interval`` <= 0, ``max_keepalives`` or ``retry`` < 0.
        TypeError: ``content`` is not iterable.
    """

    media_type = "text/event-stream"
    on_error = "end"

    def __init__(
        self,
        content: AsyncIterable[Any] | Iterable[Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        *,
        encode_item: Callable[[Any], bytes] | None = None,
        preframed: bool = False,
        encode_data: Callable[[Any], bytes] = jsonable_json,
        ping_interval: float | None = DEFAULT_PING_INTERVAL,
        max_keepalives: int | None = None,
        retry: int | None = None,
        error_event: ServerSentEvent | bool = False,
        on_disconnect: OnDisconnect | None = None,
        endpoint_ctx: str | None = None,
    ) -> None:
        if ping_interval is not None and not ping_interval > 0:
            raise ValueError(
                f"ping_interval must be a positive number of seconds (or None for no pings), "
                f"got {ping_interval!r}"
            )
        if max_keepalives is not None and max_keepalives < 0:
            raise ValueError(f"max_keepalives must be >= 0 (or None for no limit), got {max_keepalives!r}")
        first = None if retry is None else format_sse_event(retry=retry)
        super().__init__(
            content, status_code, headers, media_type, background,
            on_disconnect=on_disconnect, on_error="end", endpoint_ctx=endpoint_ctx,
        )
        self.headers.setdefault("cache-control", "no-cache")
        self.headers.setdefault("x-accel-buffering", "no")
        if error_event is True:
            error_event = DEFAULT_ERROR_EVENT
        error_frame = encode_event(error_event, encode_data) if error_event else None
        self.pump = EventPump(
            self.source,
            _item_framer(encode_item or jsonable_json, encode_data, preframed),
            ping_interval=ping_interval,
            max_keepalives=max_keepalives,
            first=first,
            error_frame=error_frame,
            whole_frames=not preframed,
            endpoint_ctx=endpoint_ctx,
        )

    async def __aenter__(self) -> EventSourceResponse:
        """Start the pump early (e.g. ``await exit_stack.enter_async_context(response)``)."""
        await self.pump.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        """Stop the pump (the generator is closed) and wait for its tasks."""
        return await self.pump.__aexit__(*exc_info)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.pump.started
            or scope.get("method") == "HEAD"
            or status_has_no_body(self.status_code)
        ):
            await super().__call__(scope, receive, send)
            return
        async with self:
            await super().__call__(scope, receive, send)

    async def _send_chunks(self, send_body: SendBody) -> None:
        await self.pump.forward(send_body)

    async def _close_chunks(self) -> None:
        if self.pump.started:
            await self.pump.aclose()
        else:  # HEAD or no-body status: the generator never ran
            await self.source.aclose()

    def _chunks_failed(self) -> bool:
        return self.pump.failed


def _item_framer(
    encode_item: Callable[[Any], bytes], encode_data: Callable[[Any], bytes], preframed: bool
) -> Callable[[Any], bytes]:
    """Build the item -> frame function once, at construction."""

    def frame_encoded(item: Any) -> bytes:
        if isinstance(item, ServerSentEvent):
            return encode_event(item, encode_data)
        return frame_data(encode_item(item))

    if not preframed:
        return frame_encoded

    def frame_preframed(item: Any) -> bytes:
        if isinstance(item, bytes):
            return item
        if isinstance(item, str):
            return item.encode("utf-8")
        if isinstance(item, (bytearray, memoryview)):
            return bytes(item)
        return frame_encoded(item)

    return frame_preframed
