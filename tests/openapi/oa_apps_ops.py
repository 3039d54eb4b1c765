"""OpenAPI test apps, part 2: app metadata, operation settings, routers, responses, dependencies.

See ``oa_apps_basic`` for how the expected documents were captured.
"""

# No `from __future__ import annotations`: the apps declare local classes.

from enum import Enum
from typing import Annotated, Any, Union

from pydantic import BaseModel


def metadata(fw: Any) -> Any:
    class Tags(Enum):
        items = "items"
        users = "users"

    app = fw.App(
        title="ChimichangApp",
        summary="Deadpool's favorite app. Nuff said.",
        description="ChimichangApp API helps you do awesome stuff. \U0001f680\n\n## Items\n\nYou can **read items**.",
        version="0.0.1",
        terms_of_service="http://example.com/terms/",
        contact={"name": "Deadpoolio the Amazing", "url": "http://x-force.example.com/contact/",
                 "email": "dp@x-force.example.com"},
        license_info={"name": "Apache 2.0", "identifier": "Apache-2.0"},
        openapi_tags=[
            {"name": "users", "description": "Operations with users. The **login** logic is also here."},
            {"name": "items", "description": "Manage items.",
             "externalDocs": {"description": "Items external docs", "url": "https://fastapi.tiangolo.com/"}},
        ],
        servers=[
            {"url": "https://stag.example.com", "description": "Staging environment"},
            {"url": "/api/v1"},
        ],
        openapi_external_docs={"description": "More docs", "url": "https://example.com/docs"},
    )

    @app.get("/items/", tags=[Tags.items])
    async def get_items():
        return ["Portal gun", "Plumbus"]

    @app.get("/users/", tags=[Tags.users, "admin"])
    async def read_users():
        return ["Rick", "Morty"]

    return app


def license_url(fw: Any) -> Any:
    app = fw.App(
        title="Licensed",
        license_info={"name": "MIT", "url": "https://opensource.org/licenses/MIT"},
        contact={"url": "https://Example.com"},
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
    )

    @app.get("/")
    def root():
        return {}

    return app


def operation_settings(fw: Any) -> Any:
    app = fw.App()

    class Item(BaseModel):
        name: str

    @app.post("/items/", response_model=Item, summary="Create an item",
              response_description="The created item", status_code=fw.status.HTTP_201_CREATED)
    async def create_item(item: Item):
        """
        Create an item with all the information:

        - **name**: each item must have a name
        \f
        :param item: User input.
        """
        return item

    @app.get("/elements/", tags=["items"], deprecated=True, description="Explicit description")
    async def read_elements():
        """This docstring is not used."""
        return [{"item_id": "Foo"}]

    @app.get("/custom-id/", operation_id="some_specific_id_you_define")
    async def read_custom():
        return []

    @app.get("/hidden/", include_in_schema=False)
    async def read_hidden():
        return []

    @app.api_route("/multi", methods=["GET"])
    async def multi():
        return {}

    return app


def unique_ids(fw: Any) -> Any:
    def app_id(route: Any) -> str:
        return f"app-{route.name}"

    def router_id(route: Any) -> str:
        return f"{route.tags[0]}-{route.name}"

    def route_id(route: Any) -> str:
        return f"custom-{route.name}"

    app = fw.App(generate_unique_id_function=app_id)
    router = fw.APIRouter(tags=["users"], generate_unique_id_function=router_id)

    class Item(BaseModel):
        name: str

    @app.post("/items/")
    async def create_item(item: Item, note: Annotated[str, fw.Body()]):
        return {}

    @router.post("/users/")
    async def create_user(item: Item, note: Annotated[str, fw.Body()]):
        return {}

    @router.get("/users/{uid}", generate_unique_id_function=route_id)
    async def get_user(uid: int):
        return {}

    app.include_router(router)
    return app


def routers(fw: Any) -> Any:
    async def get_token_header(x_token: Annotated[str, fw.Header()]):
        return x_token

    async def get_query_token(token: str):
        return token

    app = fw.App(dependencies=[fw.Depends(get_query_token)])

    class Message(BaseModel):
        message: str

    users = fw.APIRouter()

    @users.get("/users/", tags=["users"])
    async def read_users():
        return []

    @users.get("/users/{username}", tags=["users"])
    async def read_user(username: str):
        return {}

    items = fw.APIRouter(
        prefix="/items",
        tags=["items"],
        dependencies=[fw.Depends(get_token_header)],
        responses={404: {"description": "Not found"}},
    )

    @items.get("/")
    async def read_items():
        return {}

    @items.put("/{item_id}", tags=["custom"], responses={403: {"description": "Operation forbidden"}})
    async def update_item(item_id: str):
        return {}

    admin = fw.APIRouter()

    @admin.post("/")
    async def update_admin():
        return {}

    nested = fw.APIRouter(prefix="/nested")

    @nested.get("/leaf", responses={418: {"model": Message}})
    async def leaf():
        return {}

    items.include_router(nested)
    app.include_router(users)
    app.include_router(items)
    app.include_router(admin, prefix="/admin", tags=["admin"], dependencies=[fw.Depends(get_token_header)],
                       responses={418: {"description": "I'm a teapot"}}, deprecated=True)
    return app


def additional_responses(fw: Any) -> Any:
    app = fw.App()

    class Item(BaseModel):
        id: str
        value: str

    class Message(BaseModel):
        message: str

    @app.get("/items/{item_id}", response_model=Item, responses={404: {"model": Message}})
    async def read_item(item_id: str):
        return {}

    @app.get("/image/{item_id}", response_model=Item,
             responses={200: {"content": {"image/png": {}}, "description": "Return the JSON item or an image."}})
    async def read_image(item_id: str, img: Union[bool, None] = None):
        return {}

    @app.get("/combined/{item_id}", response_model=Item, responses={
        404: {"model": Message, "description": "The item was not found"},
        200: {"description": "Item requested by ID",
              "content": {"application/json": {"example": {"id": "bar", "value": "The bar tenders"}}}},
        "5XX": {"description": "Server trouble"},
        "default": {"description": "Anything else", "model": Message},
    })
    async def read_combined(item_id: str):
        return {}

    @app.get("/client-errors/{code}", responses={"4XX": {"model": Message}, 302: {}})
    async def client_errors(code: int):
        return {}

    @app.get("/headers-response/", responses={200: {"headers": {"X-Rate": {
        "description": "The rate", "schema": {"type": "integer"}}}}})
    async def headers_response():
        return {}

    return app


def response_classes(fw: Any) -> Any:
    r = fw.responses
    app = fw.App(default_response_class=r.HTMLResponse)

    @app.get("/html")
    async def html():
        return "<h1>hi</h1>"

    @app.get("/text", response_class=r.PlainTextResponse)
    async def text():
        return "hi"

    @app.get("/redirect", response_class=r.RedirectResponse)
    async def redirect():
        return "https://example.com"

    @app.get("/redirect-301", response_class=r.RedirectResponse, status_code=301)
    async def redirect_301():
        return "https://example.com"

    @app.get("/json", response_class=r.JSONResponse)
    async def json_route() -> dict[str, int]:
        return {}

    @app.get("/file", response_class=r.FileResponse)
    async def file():
        return "/dev/null"

    @app.get("/direct")
    async def direct() -> r.Response:
        return r.Response("x")

    return app


def dependencies(fw: Any) -> Any:
    app = fw.App()

    async def common_parameters(q: Union[str, None] = None, skip: int = 0, limit: int = 100):
        return {"q": q, "skip": skip, "limit": limit}

    class CommonQueryParams:
        def __init__(self, q: Union[str, None] = None, page: int = 1):
            self.q = q
            self.page = page

    def query_extractor(q: Union[str, None] = None):
        return q

    def query_or_cookie_extractor(q: Annotated[str, fw.Depends(query_extractor)],
                                  last_query: Annotated[Union[str, None], fw.Cookie()] = None):
        return q or last_query

    async def verify_key(x_key: Annotated[str, fw.Header()], q: str):
        return x_key

    @app.get("/items/")
    async def read_items(commons: Annotated[dict, fw.Depends(common_parameters)]):
        return commons

    @app.get("/classes/")
    async def read_classes(commons: Annotated[CommonQueryParams, fw.Depends()]):
        return {}

    @app.get("/sub/")
    async def read_query(query_or_default: Annotated[str, fw.Depends(query_or_cookie_extractor)]):
        return {}

    @app.get("/verified/", dependencies=[fw.Depends(verify_key)])
    async def read_verified(q: Union[str, None] = None):
        return {}

    @app.get("/request/")
    async def raw_request(request: fw.Request, response: fw.Response, background: fw.BackgroundTasks):
        return {}

    return app


APPS = {
    "metadata": metadata,
    "license_url": license_url,
    "operation_settings": operation_settings,
    "unique_ids": unique_ids,
    "routers": routers,
    "additional_responses": additional_responses,
    "response_classes": response_classes,
    "dependencies": dependencies,
}
