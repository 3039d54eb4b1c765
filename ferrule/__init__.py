"""ferrule: a from-scratch ASGI web framework with FastAPI's API.

Porting a FastAPI app is an import change: ``from ferrule import App, Depends,
Query, ...`` where FastAPI had ``from fastapi import FastAPI, Depends, ...``.
"""

from ferrule.asgi_core import status as status
from ferrule.asgi_core.background import BackgroundTasks as BackgroundTasks
from ferrule.asgi_core.exceptions import HTTPException as HTTPException
from ferrule.asgi_core.exceptions import WebSocketException as WebSocketException
from ferrule.asgi_core.forms import UploadFile as UploadFile
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

from .applications import App as App

__version__ = "0.1.0"

__all__ = [
    "APIRouter",
    "App",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Depends",
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
