"""JSON Lines responses (``application/jsonl``): one JSON document per line.

Rules (https://jsonlines.org): UTF-8, each line one JSON value, lines end with
LF. Items are encoded by ``encode_item`` (routing passes a pydantic encoder
validated against the declared item type, or a jsonable encoder); sync
iterables run in a worker thread. A raw CR or LF in an encoder's output is
turned into a space. SPEC: RFC 8259 §7: control characters inside strings are
always escaped, so a raw CR/LF in a JSON text can only be whitespace, and the
document's value does not change.

An exception from the generator or the encoder (a bad item: routing's
``ResponseValidationError``) after the response started is logged with
``endpoint_ctx`` and ends the stream normally (``on_error="end"``); see
``response.py`` for disconnects and background tasks.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import Any

from ferrule.asgi_core.background import BackgroundTask

from ._encode import jsonable_json
from .response import OnDisconnect, OnError, StreamingResponse

__all__ = ["JSONLinesResponse"]


class JSONLinesResponse(StreamingResponse):
    """Stream ``content``'s items as JSON Lines.

    Args:
        content: an async or sync iterable of items.
        status_code, headers, media_type, background: as for ``StreamingResponse``.
        encode_item: item -> one JSON document as bytes (no trailing newline).
            Defaults to ``jsonable_json`` (COMPAT(fastapi): the untyped lane's bytes).
        on_disconnect: called once if the client leaves before the end.
        on_error: ``"end"`` (default) or ``"raise"``; see ``response.py``.
        endpoint_ctx: names the endpoint in log lines.
    """

    media_type = "application/jsonl"
    on_error = "end"

    def __init__(
        self,
        content: AsyncIterable[Any] | Iterable[Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        *,
        encode_item: Callable[[Any], bytes] = jsonable_json,
        on_disconnect: OnDisconnect | None = None,
        on_error: OnError | None = None,
        endpoint_ctx: str | None = None,
    ) -> None:
        super().__init__(
            content, status_code, headers, media_type, background,
            on_disconnect=on_disconnect, on_error=on_error, endpoint_ctx=endpoint_ctx,
        )
        self.encode_item = encode_item

    def encode_chunk(self, chunk: Any) -> bytes:
        line = self.encode_item(chunk)
        # PERF: two memchr scans; the replace only runs for pretty-printed output.
        if b"\n" in line or b"\r" in line:
            line = line.replace(b"\r", b" ").replace(b"\n", b" ")
        return line + b"\n"
