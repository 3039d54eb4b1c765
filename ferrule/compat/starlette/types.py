"""``starlette.types`` in drop-in mode: the ASGI type aliases."""

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar, Union

from ferrule.asgi_core.types import ASGIApp as ASGIApp
from ferrule.asgi_core.types import Message as Message
from ferrule.asgi_core.types import Receive as Receive
from ferrule.asgi_core.types import Scope as Scope
from ferrule.asgi_core.types import Send as Send

AppType = TypeVar("AppType")
StatelessLifespan = Callable[[AppType], AbstractAsyncContextManager[None]]
StatefulLifespan = Callable[[AppType], AbstractAsyncContextManager[Mapping[str, Any]]]
Lifespan = Union[StatelessLifespan[AppType], StatefulLifespan[AppType]]
HTTPExceptionHandler = Callable[[Any, Exception], Any]
WebSocketExceptionHandler = Callable[[Any, Exception], Awaitable[None]]
ExceptionHandler = Union[HTTPExceptionHandler, WebSocketExceptionHandler]

__all__ = [
    "ASGIApp",
    "AppType",
    "ExceptionHandler",
    "HTTPExceptionHandler",
    "Lifespan",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "StatefulLifespan",
    "StatelessLifespan",
    "WebSocketExceptionHandler",
]
