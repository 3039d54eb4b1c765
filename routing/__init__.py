"""ferrule.routing: the radix-tree router, routes, mounts and ``APIRouter``.

This is also FastAPI's ``fastapi.routing`` for ferrule users
(``from ferrule.routing import APIRouter, APIRoute, APIWebSocketRoute``).
"""

from .api_route import APIRoute as APIRoute
from .api_route import APIWebSocketRoute as APIWebSocketRoute
from .convertors import Convertor as Convertor
from .convertors import register_convertor as register_convertor
from .errors import RouteConfigError as RouteConfigError
from .errors import RouteConflictError as RouteConflictError
from .lifespan import Lifespan as Lifespan
from .api_route import RouteOptions as RouteOptions
from .api_router import APIRouter as APIRouter
from .options import Default as Default
from .api_route import generate_unique_id as generate_unique_id
from .router import Mount as Mount
from .router import Router as Router
from .routes import BaseRoute as BaseRoute
from .routes import NoMatchFound as NoMatchFound
from .routes import Route as Route
from .routes import WebSocketRoute as WebSocketRoute
from .table import print_routes as print_routes
from .table import route_table as route_table

__all__ = [
    "APIRoute",
    "APIRouter",
    "APIWebSocketRoute",
    "BaseRoute",
    "Convertor",
    "Default",
    "Lifespan",
    "Mount",
    "NoMatchFound",
    "Route",
    "RouteConfigError",
    "RouteConflictError",
    "RouteOptions",
    "Router",
    "WebSocketRoute",
    "generate_unique_id",
    "print_routes",
    "route_table",
    "register_convertor",
]
