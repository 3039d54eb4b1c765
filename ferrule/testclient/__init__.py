"""The in-process test client (FastAPI's ``fastapi.testclient``), with httpx's names.

A tool built on the request layer: it speaks ASGI to any app and never imports
routing, so it lives beside the server (``ferrule.server``), not inside
``asgi_core``. ``client`` holds TestClient/AsyncTestClient, ``session`` what
they share; ``request``, ``response``, ``cookies``, ``transport`` and
``websocket`` their parts.
"""

from .transport import ASGIProtocolError as ASGIProtocolError
from .client import AsyncTestClient as AsyncTestClient
from .transport import ClientDisconnectedError as ClientDisconnectedError
from .request import ClientRequest as ClientRequest
from .response import ClientResponse as ClientResponse
from .cookies import Cookies as Cookies
from .response import DecodingError as DecodingError
from .response import HTTPStatusError as HTTPStatusError
from .transport import LifespanError as LifespanError
from .session import RequestOptions as RequestOptions
from .response import ResponseHeaders as ResponseHeaders
from .response import ResponseNotRead as ResponseNotRead
from .response import StreamConsumed as StreamConsumed
from .client import TestClient as TestClient
from .session import TooManyRedirects as TooManyRedirects
from .websocket import WebSocketDenialResponse as WebSocketDenialResponse
from .websocket import WebSocketTestSession as WebSocketTestSession

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
