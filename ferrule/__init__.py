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

# The one list of the package's names: name -> (module, attribute); an empty
# attribute means the module itself. `__all__` and `__getattr__` are derived
# from it; the TYPE_CHECKING imports above are what type checkers read, and
# tests/test_public_api.py fails when they and this list differ.
_LAZY: dict[str, tuple[str, str]] = {
    "APIRouter": ("ferrule.routing", "APIRouter"),
    "App": ("ferrule.applications", "App"),
    "BackgroundTasks": ("ferrule.asgi_core.background", "BackgroundTasks"),
    "Body": ("ferrule.validation.param_functions", "Body"),
    "Cookie": ("ferrule.validation.param_functions", "Cookie"),
    "Depends": ("ferrule.di", "Depends"),
    "FastAPI": ("ferrule.applications", "FastAPI"),
    "File": ("ferrule.validation.param_functions", "File"),
    "Form": ("ferrule.validation.param_functions", "Form"),
    "HTTPConnection": ("ferrule.asgi_core.request", "HTTPConnection"),
    "HTTPException": ("ferrule.asgi_core.exceptions", "HTTPException"),
    "Header": ("ferrule.validation.param_functions", "Header"),
    "Path": ("ferrule.validation.param_functions", "Path"),
    "Query": ("ferrule.validation.param_functions", "Query"),
    "Request": ("ferrule.asgi_core.request", "Request"),
    "Response": ("ferrule.asgi_core.response", "Response"),
    "Security": ("ferrule.di", "Security"),
    "UploadFile": ("ferrule.validation.uploads", "UploadFile"),
    "WebSocket": ("ferrule.asgi_core.websocket", "WebSocket"),
    "WebSocketDisconnect": ("ferrule.asgi_core.websocket", "WebSocketDisconnect"),
    "WebSocketException": ("ferrule.asgi_core.exceptions", "WebSocketException"),
    "status": ("ferrule.asgi_core.status", ""),
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'ferrule' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = getattr(module, attr) if attr else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
