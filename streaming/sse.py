"""Server-Sent Events framing: event -> bytes, no I/O.

The wire format is WHATWG HTML, "Server-sent events", §9.2.5-9.2.6
(https://html.spec.whatwg.org/multipage/server-sent-events.html):

* A stream is UTF-8 lines; a line ends with CRLF, LF or CR. A blank line
  dispatches the event gathered so far.
* ``field: value``; the client drops ONE space after the colon, so ferrule
  always writes ``": "`` and a value that starts with a space survives.
* ``data`` may span lines: each line becomes its own ``data:`` line and the
  client joins them with LF. CR and CRLF inside data therefore reach the
  client as LF (the format cannot carry them).
* ``event`` and ``id`` are single-line; an ``id`` holding NUL is ignored by
  clients, so both are refused here rather than sent wrong. SECURITY: a
  newline in them would let a value inject fields or whole events.
* ``retry`` is the reconnection time in ms: ASCII digits only.
* Lines starting with ``:`` are comments, ignored by clients (keepalives).

Every frame ends with a blank line, so frames can be concatenated and a
keepalive comment can go between any two of them. Field order is comment,
event, data, id, retry; COMPAT(fastapi): the same bytes as ``fastapi.sse``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, Field, model_validator

from ._encode import jsonable_json

__all__ = [
    "KEEPALIVE_COMMENT",
    "ServerSentEvent",
    "encode_event",
    "format_sse_event",
    "frame_data",
]

KEEPALIVE_COMMENT: Final = b": ping\n\n"
"""The idle keepalive. COMPAT(fastapi): the exact bytes FastAPI sends."""


def _single_line(value: str | None, field: str) -> str | None:
    if value is not None and ("\n" in value or "\r" in value):
        raise ValueError(f"sse {field!r} must be a single line: remove CR and LF from it")
    return value


def _check_event(value: str | None) -> str | None:
    return _single_line(value, "event")


def _check_id(value: str | None) -> str | None:
    if value is not None and "\0" in value:
        # SPEC: WHATWG SSE "id" field: a value containing NULL is ignored by clients.
        raise ValueError("sse 'id' must not contain NUL characters")
    return _single_line(value, "id")


class ServerSentEvent(BaseModel):
    """One Server-Sent Event, for endpoints with ``response_class=EventSourceResponse``.

    Yield it to control every field; a plain object yielded instead becomes the
    ``data`` of an event. ``data`` is always JSON-encoded (``"hi"`` is sent as
    ``data: "hi"``); ``raw_data`` is sent as written. Set at most one of them.

    Attributes:
        data: the payload, any JSON-able value (models, dicts, strings...).
        raw_data: a preformatted payload sent without JSON encoding.
        event: the event type (``addEventListener(event, ...)``); single line.
        id: the event id (sent back as ``Last-Event-ID``); single line, no NUL.
        retry: the client's reconnection delay in milliseconds (>= 0).
        comment: comment text, possibly multi-line; clients ignore it.
    """

    data: Any = None
    raw_data: str | None = None
    event: Annotated[str | None, AfterValidator(_check_event)] = None
    id: Annotated[str | None, AfterValidator(_check_id)] = None
    retry: Annotated[int | None, Field(ge=0)] = None
    comment: str | None = None

    @model_validator(mode="after")
    def _data_or_raw_data(self) -> ServerSentEvent:
        if self.data is not None and self.raw_data is not None:
            raise ValueError(
                "set either 'data' (sent JSON-encoded) or 'raw_data' (sent as is), not both"
            )
        return self


def _lines(value: bytes) -> list[bytes]:
    # SPEC: WHATWG SSE: CRLF, LF and CR all end a line; nothing else does
    # (str.splitlines would also split on U+2028, VT, FF...).
    return value.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")


def frame_data(data: bytes) -> bytes:
    """Frame a data-only event from UTF-8 ``data`` (e.g. one JSON document)."""
    # PERF: compact JSON never holds a raw line break; skip the split then.
    if b"\n" not in data and b"\r" not in data:
        return b"data: " + data + b"\n\n"
    return b"".join([b"data: " + line + b"\n" for line in _lines(data)]) + b"\n"


def format_sse_event(
    *,
    data_str: str | bytes | None = None,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """Frame one event from already-serialized data.

    Args:
        data_str: the ``data`` payload as text (or UTF-8 bytes), sent as is.
        event: the ``event`` field; single line.
        id: the ``id`` field; single line, no NUL.
        retry: the ``retry`` field in milliseconds, >= 0.
        comment: comment text; each of its lines becomes a ``:`` line.

    Returns:
        The frame, ending with a blank line (just ``b"\\n"`` if every field is None).

    Raises:
        ValueError: ``event``/``id`` is not a single line, ``id`` holds NUL,
            or ``retry`` is negative.
    """
    out: list[bytes] = []
    if comment is not None:
        out.extend(b": " + line + b"\n" for line in _lines(comment.encode("utf-8")))
    if event is not None:
        _check_event(event)
        out.append(b"event: " + event.encode("utf-8") + b"\n")
    if data_str is not None:
        data = data_str.encode("utf-8") if isinstance(data_str, str) else data_str
        out.extend(b"data: " + line + b"\n" for line in _lines(data))
    if id is not None:
        _check_id(id)
        out.append(b"id: " + id.encode("utf-8") + b"\n")
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValueError(f"sse 'retry' must be an integer >= 0 (milliseconds), got {retry!r}")
        out.append(b"retry: %d\n" % retry)
    out.append(b"\n")
    return b"".join(out)


def encode_event(
    event: ServerSentEvent, encode_data: Callable[[Any], bytes] = jsonable_json
) -> bytes:
    """Frame a ``ServerSentEvent``.

    Args:
        event: the event.
        encode_data: turns ``event.data`` into JSON bytes; a pydantic model is
            dumped with its own ``model_dump_json()`` (COMPAT(fastapi)).

    Raises:
        ValueError: a field was assigned an invalid value after validation.
    """
    data: str | bytes | None
    if event.raw_data is not None:
        data = event.raw_data
    elif event.data is None:
        data = None
    elif isinstance(event.data, BaseModel):
        data = event.data.model_dump_json()
    else:
        data = encode_data(event.data)
    # The single-line checks run again: a model can be mutated after validation.
    return format_sse_event(
        data_str=data, event=event.event, id=event.id, retry=event.retry, comment=event.comment
    )
