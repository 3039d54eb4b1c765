"""OpenAPI test apps, part 4: corners (empty app, hidden routers, app-level settings,
name clashes, generics, duplicated parameters, non-API routes), and the calls of the
docs pages (``oa_expected_html`` holds FastAPI's answer to each).

See ``oa_apps_basic`` for how the expected documents were captured.
"""

# No `from __future__ import annotations`: the apps declare local classes.

from typing import Annotated, Any, Generic, TypeVar, Union

from pydantic import BaseModel

T = TypeVar("T")


def empty(fw: Any) -> Any:
    return fw.App(title="Empty", version="2.0", description="")


def app_level_settings(fw: Any) -> Any:
    app = fw.App(responses={500: {"description": "Server error"}}, deprecated=True)
    hidden = fw.APIRouter(include_in_schema=False)

    @hidden.get("/secret")
    async def secret():
        return {}

    @app.get("/visible")
    async def visible():
        return {}

    async def ws(websocket: Any):
        await websocket.close()

    app.include_router(hidden)
    app.add_api_websocket_route("/ws", ws)
    app.mount("/static", fw.App())
    app.add_route("/plain", lambda request: fw.responses.PlainTextResponse("x"))
    return app


def generics_and_clashes(fw: Any) -> Any:
    app = fw.App()

    class Page(BaseModel, Generic[T]):
        items: list[T]
        total: int

    class User(BaseModel):
        name: str

    def make_other() -> Any:
        class User(BaseModel):
            email: str

        return User

    OtherUser = make_other()

    @app.get("/users/")
    async def list_users() -> Page[User]:
        return Page[User](items=[], total=0)

    @app.post("/others/")
    async def create_other(other: OtherUser, user: User) -> Union[User, None]:  # type: ignore[valid-type]
        return None

    return app


def duplicated_parameters(fw: Any) -> Any:
    app = fw.App()

    def optional_q(q: Union[str, None] = None):
        return q

    def required_q(q: str):
        return q

    def shared_header(x_trace: Annotated[Union[str, None], fw.Header()] = None):
        return x_trace

    @app.get("/items/")
    async def read_items(a: Annotated[Any, fw.Depends(optional_q)], b: Annotated[Any, fw.Depends(required_q)],
                         c: Annotated[Any, fw.Depends(shared_header)]):
        return {}

    @app.get("/cached/")
    async def read_cached(a: Annotated[Any, fw.Depends(shared_header)],
                          b: Annotated[Any, fw.Depends(shared_header, use_cache=False)]):
        return {}

    return app


APPS = {
    "empty": empty,
    "app_level_settings": app_level_settings,
    "generics_and_clashes": generics_and_clashes,
    "duplicated_parameters": duplicated_parameters,
}

# The docs pages: keyword arguments of get_swagger_ui_html / get_redoc_html, by the name of
# FastAPI's page in oa_expected_html (test_docs_routes makes ferrule's from the same calls).
SWAGGER_PAGES: dict[str, dict[str, Any]] = {
    "SWAGGER_DEFAULT": {"openapi_url": "/openapi.json", "title": "T - Swagger UI"},
    "SWAGGER_CUSTOM": {
        "openapi_url": "/api/openapi.json",
        "title": "T",
        "oauth2_redirect_url": "/api/docs/oauth2-redirect",
        "init_oauth": {"clientId": "</script>", "scopes": "a b"},
        "swagger_ui_parameters": {"syntaxHighlight": False, "dom_id": "#x"},
        "swagger_js_url": "/static/js",
        "swagger_css_url": "/static/css",
        "swagger_favicon_url": "/f.png",
    },
}
REDOC_PAGES: dict[str, dict[str, Any]] = {
    "REDOC_DEFAULT": {"openapi_url": "/openapi.json", "title": "T - ReDoc"},
    "REDOC_CUSTOM": {
        "openapi_url": "/o.json", "title": "T", "redoc_js_url": "/r.js", "redoc_favicon_url": "/f.png",
        "with_google_fonts": False,
    },
}
