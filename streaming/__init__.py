"""ferrule.streaming: StreamingResponse, Server-Sent Events and JSON Lines.

Routing picks the lane at compile time and passes item encoders in as
callables; this area depends only on ``asgi_core`` (and pydantic).
"""

from ._encode import jsonable_json as jsonable_json
from .jsonl import JSONLinesResponse as JSONLinesResponse
from .response import OnDisconnect as OnDisconnect
from .response import OnError as OnError
from .response import StreamingResponse as StreamingResponse
from .sse import KEEPALIVE_COMMENT as KEEPALIVE_COMMENT
from .sse import ServerSentEvent as ServerSentEvent
from .sse import encode_event as encode_event
from .sse import format_sse_event as format_sse_event
from .sse import frame_data as frame_data
from .sse_pump import DEFAULT_PING_INTERVAL as DEFAULT_PING_INTERVAL
from .sse_pump import EventPump as EventPump
from .sse_response import DEFAULT_ERROR_EVENT as DEFAULT_ERROR_EVENT
from .sse_response import EventSourceResponse as EventSourceResponse

__all__ = [
    "DEFAULT_ERROR_EVENT",
    "DEFAULT_PING_INTERVAL",
    "EventPump",
    "EventSourceResponse",
    "JSONLinesResponse",
    "KEEPALIVE_COMMENT",
    "OnDisconnect",
    "OnError",
    "ServerSentEvent",
    "StreamingResponse",
    "encode_event",
    "format_sse_event",
    "frame_data",
    "jsonable_json",
]
