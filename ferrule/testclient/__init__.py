"""The in-process test client (FastAPI's ``fastapi.testclient``), with httpx's names.

A tool built on the request layer: it speaks ASGI to any app and never imports
routing, so it lives beside the server (``ferrule.server``), not inside
``asgi_core``. ``client`` holds TestClient/AsyncTestClient; ``request``,
``response``, ``cookies``, ``transport`` and ``websocket`` their parts.
"""

from .client import ASGIProtocolError as ASGIProtocolError
from .client import AsyncTestClient as AsyncTestClient
from .client import ClientDisconnectedError as ClientDisconnectedError
from .client import ClientRequest as ClientRequest
from .client import ClientResponse as ClientResponse
from .client import Cookies as Cookies
from .client import DecodingError as DecodingError
from .client import HTTPStatusError as HTTPStatusError
from .client import LifespanError as LifespanError
from .client import RequestOptions as RequestOptions
from .client import ResponseHeaders as ResponseHeaders
from .client import ResponseNotRead as ResponseNotRead
from .client import StreamConsumed as StreamConsumed
from .client import TestClient as TestClient
from .client import TooManyRedirects as TooManyRedirects
from .client import WebSocketDenialResponse as WebSocketDenialResponse
from .client import WebSocketTestSession as WebSocketTestSession

__all__ = [
    "ASGIProtocolError",
    "AsyncTestClient",
    "ClientDisconnectedError",
    "ClientRequest",
    "ClientResponse",
    "Cookies",
    "DecodingError",
    "HTTPStatusError",
    "LifespanError",
    "RequestOptions",
    "ResponseHeaders",
    "ResponseNotRead",
    "StreamConsumed",
    "TestClient",
    "TooManyRedirects",
    "WebSocketDenialResponse",
    "WebSocketTestSession",
]
