"""``starlette.routing`` in drop-in mode: ferrule's route classes, ``Router`` and ``Match``.

Every route has Starlette's ``route.matches(scope) -> (Match, child_scope)``
(``ferrule.routing.starlette_match``), which extensions use to find the
endpoint a request will reach.
"""

from ferrule.routing import BaseRoute as BaseRoute
from ferrule.routing import Mount as Mount
from ferrule.routing import NoMatchFound as NoMatchFound
from ferrule.routing import Route as Route
from ferrule.routing import Router as Router
from ferrule.routing import WebSocketRoute as WebSocketRoute
from ferrule.routing.routes import get_route_path as get_route_path
from ferrule.routing.starlette_match import Match as Match

__all__ = ["BaseRoute", "Match", "Mount", "NoMatchFound", "Route", "Router", "WebSocketRoute", "get_route_path"]
