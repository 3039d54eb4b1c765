"""OpenAPI test apps, part 3: security, forms and files, examples, openapi_extra,
callbacks, webhooks, streaming (JSON Lines and SSE).

See ``oa_apps_basic`` for how the expected documents were captured.
"""

# No `from __future__ import annotations`: the apps declare local classes.

import datetime
from collections.abc import AsyncIterable, Iterable
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


def security(fw: Any) -> Any:
    s = fw.security
    app = fw.App()
    oauth2 = s.OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "Read yourself.", "items": "Read items."})
    basic = s.HTTPBasic(description="Basic auth")
    bearer = s.HTTPBearer(bearerFormat="JWT", scheme_name="jwt")
    header_key = s.APIKeyHeader(name="X-API-Key")
    query_key = s.APIKeyQuery(name="api_key", auto_error=False)
    cookie_key = s.APIKeyCookie(name="session")
    oidc = s.OpenIdConnect(openIdConnectUrl="https://example.com/.well-known/openid-configuration")
    code_flow = s.OAuth2AuthorizationCodeBearer(authorizationUrl="https://example.com/auth",
                                                tokenUrl="https://example.com/token",
                                                refreshUrl="https://example.com/refresh",
                                                scopes={"read": "Read things"})

    async def get_current_user(security_scopes: s.SecurityScopes, token: Annotated[str, fw.Depends(oauth2)]):
        return token

    async def get_active_user(user: Annotated[str, fw.Security(get_current_user, scopes=["me"])]):
        return user

    @app.post("/token")
    async def login(form_data: Annotated[s.OAuth2PasswordRequestForm, fw.Depends()]):
        return {}

    @app.get("/users/me/")
    async def read_me(user: Annotated[str, fw.Depends(get_active_user)]):
        return user

    @app.get("/users/me/items/")
    async def read_own_items(user: Annotated[str, fw.Security(get_active_user, scopes=["items"])],
                             again: Annotated[str, fw.Security(get_current_user, scopes=["items", "me"])]):
        return []

    @app.get("/basic")
    async def read_basic(credentials: Annotated[s.HTTPBasicCredentials, fw.Depends(basic)]):
        return {}

    @app.get("/keys", dependencies=[fw.Depends(header_key), fw.Depends(query_key), fw.Depends(cookie_key)])
    async def read_keys(token: Annotated[Any, fw.Depends(bearer)]):
        return {}

    @app.get("/oidc")
    async def read_oidc(token: Annotated[Any, fw.Depends(oidc)], code: Annotated[Any, fw.Depends(code_flow)]):
        return {}

    return app


def forms_and_files(fw: Any) -> Any:
    app = fw.App()

    class FormData(BaseModel):
        username: str
        password: str
        model_config = ConfigDict(extra="forbid")

    @app.post("/login/")
    async def login(username: Annotated[str, fw.Form()], password: Annotated[str, fw.Form()]):
        return {}

    @app.post("/model-login/")
    async def model_login(data: Annotated[FormData, fw.Form()]):
        return {}

    @app.post("/files/")
    async def create_file(file: Annotated[bytes, fw.File(description="A file read as bytes")]):
        return {}

    @app.post("/uploadfile/")
    async def create_upload_file(file: fw.UploadFile):
        return {}

    @app.post("/optional-upload/")
    async def optional_upload(file: Union[fw.UploadFile, None] = None):
        return {}

    @app.post("/multi-files/")
    async def create_files(files: Annotated[list[fw.UploadFile], fw.File()],
                           note: Annotated[str, fw.Form()] = "none"):
        return {}

    @app.post("/mixed/")
    async def mixed(file: Annotated[bytes, fw.File()], fileb: Annotated[fw.UploadFile, fw.File()],
                    token: Annotated[str, fw.Form()]):
        return {}

    return app


def examples(fw: Any) -> Any:
    app = fw.App()

    class Item(BaseModel):
        name: str = Field(examples=["Foo"])
        description: Union[str, None] = Field(default=None, examples=["A very nice Item"])
        price: float = Field(examples=[35.4])

        model_config = {"json_schema_extra": {"examples": [{"name": "Foo", "price": 35.4}]}}

    class Other(BaseModel):
        when: datetime.datetime
        homepage: HttpUrl

    @app.put("/items/{item_id}")
    async def update_item(
        item_id: int,
        item: Annotated[Item, fw.Body(openapi_examples={
            "normal": {"summary": "A normal example", "description": "A **normal** item works correctly.",
                       "value": {"name": "Foo", "price": 35.4}},
            "invalid": {"summary": "Invalid data is rejected with an error",
                        "value": {"name": "Baz", "price": "thirty five point four"}},
        })],
    ):
        return {}

    @app.post("/others/")
    async def create_other(other: Annotated[Other, fw.Body(examples=[{"when": "2024-01-01T00:00:00",
                                                                      "homepage": "https://example.com"}])]):
        return {}

    @app.get("/search/")
    async def search(q: Annotated[str, fw.Query(openapi_examples={
        "short": {"summary": "Short", "value": "ab"},
        "long": {"summary": "Long", "externalValue": "https://example.com/q"},
    })]):
        return {}

    return app


def openapi_extra(fw: Any) -> Any:
    app = fw.App()

    class Item(BaseModel):
        name: str
        tags: list[str]

    @app.get("/items/", openapi_extra={"x-aperture-labs-portal": "blue"})
    async def read_items():
        return []

    @app.post("/raw/", openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {
                "required": ["name", "price"], "type": "object",
                "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
            }}},
            "required": True,
        },
    })
    async def create_raw(request: fw.Request):
        return {}

    @app.post("/yaml/", openapi_extra={
        "requestBody": {"content": {"application/x-yaml": {"schema": Item.model_json_schema()}}, "required": True},
    })
    async def create_yaml(request: fw.Request):
        return {}

    @app.get("/merge/{x}", openapi_extra={
        "parameters": [{"name": "X-Extra", "in": "header", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "Overridden"}},
        "externalDocs": {"url": "https://example.com/merge"},
    })
    async def merge(x: int):
        return {}

    return app


def callbacks(fw: Any) -> Any:
    app = fw.App()

    class Invoice(BaseModel):
        id: str
        title: Union[str, None] = None
        customer: str
        total: float

    class InvoiceEvent(BaseModel):
        description: str
        paid: bool

    class InvoiceEventReceived(BaseModel):
        ok: bool

    invoices_callback_router = fw.APIRouter()

    @invoices_callback_router.post("{$callback_url}/invoices/{$request.body.id}",
                                   response_model=InvoiceEventReceived)
    def invoice_notification(body: InvoiceEvent):
        pass

    @app.post("/invoices/", callbacks=invoices_callback_router.routes)
    def create_invoice(invoice: Invoice, callback_url: Union[HttpUrl, None] = None):
        return {"msg": "Invoice received"}

    return app


def webhooks(fw: Any) -> Any:
    app = fw.App()

    class Subscription(BaseModel):
        username: str
        monthly_fee: float
        start_date: datetime.datetime

    @app.webhooks.post("new-subscription")
    def new_subscription(body: Subscription):
        """
        When a new user subscribes to your service we'll send you a POST request with this
        data to the URL that you register for the event `new-subscription` in the dashboard.
        """

    @app.webhooks.put("/cancelled", tags=["hooks"])
    def cancelled(body: Subscription, reason: str = "none"):
        pass

    @app.get("/users/")
    def read_users():
        return ["Rick", "Morty"]

    return app


def streaming(fw: Any) -> Any:
    app = fw.App()
    sse = fw.sse

    class Item(BaseModel):
        name: str
        price: float

    @app.get("/items/stream")
    async def stream_items() -> AsyncIterable[Item]:
        yield Item(name="a", price=1)

    @app.get("/items/sync-stream")
    def stream_sync(limit: int = 3) -> Iterable[dict[str, int]]:
        yield {"a": 1}

    @app.get("/items/untyped")
    async def stream_untyped():
        yield {"a": 1}

    @app.get("/items/sse", response_class=sse.EventSourceResponse)
    async def sse_items() -> AsyncIterable[Item]:
        yield Item(name="a", price=1)

    @app.post("/items/sse-events", response_class=sse.EventSourceResponse)
    async def sse_events(item: Item) -> AsyncIterable[sse.ServerSentEvent]:
        yield sse.ServerSentEvent(data=item)

    @app.get("/items/raw", response_class=fw.responses.StreamingResponse)
    async def raw_stream() -> AsyncIterable[bytes]:
        yield b"x"

    return app


APPS = {
    "security": security,
    "forms_and_files": forms_and_files,
    "examples": examples,
    "openapi_extra": openapi_extra,
    "callbacks": callbacks,
    "webhooks": webhooks,
    "streaming": streaming,
}
