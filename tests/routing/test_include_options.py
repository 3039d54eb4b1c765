"""``include_router`` carries every route option (the list comes from ``RouteOptions``)."""

from typing import Any

from pydantic import BaseModel

from ferrule import APIRouter, App, Depends
from ferrule.responses import JSONResponse
from ferrule.routing import APIRoute, RouteOptions


class Item(BaseModel):
    name: str
    price: float = 0


def dep() -> None:
    return None


def unique(route: APIRoute) -> str:
    return "unique-" + route.name


def test_every_route_option_survives_include_router() -> None:
    callbacks = APIRouter()

    @callbacks.post("{$request.body.url}/event")
    def event() -> None:
        return None

    # One non-default value per option. A new RouteOptions key fails the first
    # assertion until it gets a value here, and then must survive the include.
    values: dict[str, Any] = {
        "response_model": Item,
        "status_code": 201,
        "tags": ["t"],
        "dependencies": [Depends(dep)],
        "summary": "s",
        "description": "d",
        "response_description": "rd",
        "responses": {418: {"description": "teapot"}},
        "deprecated": True,
        "operation_id": "op",
        "response_model_include": {"name"},
        "response_model_exclude": {"price"},
        "response_model_by_alias": False,
        "response_model_exclude_unset": True,
        "response_model_exclude_defaults": True,
        "response_model_exclude_none": True,
        "include_in_schema": False,
        "response_class": JSONResponse,
        "name": "n",
        "callbacks": callbacks.routes,
        "openapi_extra": {"x-a": 1},
        "generate_unique_id_function": unique,
        "strict_content_type": False,
        "max_body_size": 123,
        "sse_ping_interval": 3.0,
        "body_timeout": 4.0,
        "response_timeout": 5.0,
    }
    assert set(values) == set(RouteOptions.__annotations__), "give the new option a value in this test"

    router = APIRouter()

    def endpoint() -> dict[str, Any]:
        return {"name": "x"}

    router.add_api_route("/x", endpoint, methods=["POST"], **values)
    app = App()
    app.include_router(router, prefix="/p")
    [route] = [r for r in app.routes if isinstance(r, APIRoute) and r.path == "/p/x"]
    for key, value in values.items():
        assert getattr(route, key) == value, key
    assert route.methods == {"POST"}


def test_include_router_settings_still_merge() -> None:
    router = APIRouter(tags=["router"], strict_content_type=False)

    @router.get("/y", tags=["route"])
    def y() -> None:
        return None

    app = App()
    app.include_router(router, prefix="/p", tags=["include"], deprecated=True, include_in_schema=False)
    [route] = [r for r in app.routes if isinstance(r, APIRoute) and r.path == "/p/y"]
    assert route.tags == ["include", "router", "route"]
    assert (route.deprecated, route.include_in_schema, route.strict_content_type) == (True, False, False)
