"""ferrule: a from-scratch ASGI web framework with FastAPI's API.

Porting a FastAPI app is an import change: ``from ferrule import App, Depends,
Query, ...`` where FastAPI had ``from fastapi import FastAPI, Depends, ...``.

The names below are imported lazily (PEP 562), so ``import ferrule.asgi_core``
(the dev server, a bare ASGI app) does not load pydantic, routing or DI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrule.asgi_core import status as status
    from ferrule.asgi_core.background import BackgroundTasks as BackgroundTasks
    from ferrule.asgi_core.exceptions import HTTPException as HTTPException
    from ferrule.asgi_core.exceptions import WebSocketException as WebSocketException
    from ferrule.validation.uploads import UploadFile as UploadFile
    from ferrule.asgi_core.request import HTTPConnection as HTTPConnection
    from ferrule.asgi_core.request import Request as Request
    from ferrule.asgi_core.response import Response as Response
    from ferrule.asgi_core.websocket import WebSocket as WebSocket
    from ferrule.asgi_core.websocket import WebSocketDisconnect as WebSocketDisconnect
    from ferrule.di import Depends as Depends
    from ferrule.di import Security as Security
    from ferrule.routing import APIRouter as APIRouter
    from ferrule.validation.param_functions import Body as Body
    from ferrule.validation.param_functions import Cookie as Cookie
    from ferrule.validation.param_functions import File as File
    from ferrule.validation.param_functions import Form as Form
    from ferrule.validation.param_functions import Header as Header
    from ferrule.validation.param_functions import Path as Path
    from ferrule.validation.param_functions import Query as Query
    from ferrule.applications import App as App
    from ferrule.applications import FastAPI as FastAPI

__version__ = "0.1.0"

_LAZY: dict[str, tuple[str, str]] = {
    "BackgroundTasks": ("ferrule.asgi_core.background", "BackgroundTasks"),
    "HTTPException": ("ferrule.asgi_core.exceptions", "HTTPException"),
    "WebSocketException": ("ferrule.asgi_core.exceptions", "WebSocketException"),
    "UploadFile": ("ferrule.validation.uploads", "UploadFile"),
    "HTTPConnection": ("ferrule.asgi_core.request", "HTTPConnection"),
    "Request": ("ferrule.asgi_core.request", "Request"),
    "Response": ("ferrule.asgi_core.response", "Response"),
    "WebSocket": ("ferrule.asgi_core.websocket", "WebSocket"),
    "WebSocketDisconnect": ("ferrule.asgi_core.websocket", "WebSocketDisconnect"),
    "Depends": ("ferrule.di", "Depends"),
    "Security": ("ferrule.di", "Security"),
    "APIRouter": ("ferrule.routing", "APIRouter"),
    "Body": ("ferrule.validation.param_functions", "Body"),
    "Cookie": ("ferrule.validation.param_functions", "Cookie"),
    "File": ("ferrule.validation.param_functions", "File"),
    "Form": ("ferrule.validation.param_functions", "Form"),
    "Header": ("ferrule.validation.param_functions", "Header"),
    "Path": ("ferrule.validation.param_functions", "Path"),
    "Query": ("ferrule.validation.param_functions", "Query"),
    "App": ("ferrule.applications", "App"),
    "FastAPI": ("ferrule.applications", "FastAPI"),
}


def __getattr__(name: str) -> Any:
    if name == "status":
        value: Any = importlib.import_module("ferrule.asgi_core.status")
    else:
        try:
            module_name, attr = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module 'ferrule' has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

__all__ = [
    "APIRouter",
    "App",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Depends",
    "FastAPI",
    "File",
    "Form",
    "HTTPConnection",
    "HTTPException",
    "Header",
    "Path",
    "Query",
    "Request",
    "Response",
    "Security",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
    "status",
]
