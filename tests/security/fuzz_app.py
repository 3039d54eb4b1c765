"""The app the fuzz tests attack: every kind of parameter, body, dependency and response lane.

Endpoints answer with sizes and types rather than echoing raw input, except
where echoing is the point (a model's validated fields). Teardowns are
counted in ``TEARDOWNS`` so the stateful fuzzer can check they balance.
"""

import enum
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path as FilePath
from typing import Annotated, Any

import anyio
from pydantic import BaseModel, Field

from ferrule import (
    APIRouter,
    App,
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
)
from ferrule.responses import FileResponse, PlainTextResponse, StreamingResponse
from ferrule.security import HTTPBasic, HTTPBasicCredentials, OAuth2PasswordBearer
from ferrule.sse import EventSourceResponse
from ferrule.staticfiles import StaticFiles
from sec_driver import streamed_length, tracked_dependency

__all__ = ["ROUTES", "TEARDOWNS", "build_app"]

#: Set-ups ("x+") and teardowns ("x-") of the yield dependencies, across requests.
TEARDOWNS: Counter[str] = Counter()

#: (method, path template) of every route, for the request strategies.
ROUTES = [
    ("GET", "/items/{item_id}"),
    ("POST", "/items"),
    ("PUT", "/items/{item_id}"),
    ("PATCH", "/items/{item_id}"),
    ("DELETE", "/items/{item_id}"),
    ("POST", "/form"),
    ("POST", "/upload"),
    ("POST", "/form-model"),
    ("GET", "/files/{rest}"),
    ("GET", "/uuid/{value}"),
    ("GET", "/color/{color}"),
    ("GET", "/price/{value}"),
    ("POST", "/raw"),
    ("POST", "/raw-json"),
    ("POST", "/raw-form"),
    ("GET", "/secure"),
    ("GET", "/basic"),
    ("GET", "/jsonl"),
    ("GET", "/sse"),
    ("GET", "/stream"),
    ("GET", "/download"),
    ("GET", "/static/{rest}"),
    ("GET", "/r/nested/{item_id}"),
    ("OPTIONS", "/items"),
    ("HEAD", "/items/{item_id}"),
]


class Color(str, enum.Enum):
    red = "red"
    green = "green"


class Sub(BaseModel):
    label: str = Field(max_length=50)
    weight: float | None = None


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(gt=0, allow_inf_nan=False)
    tags: list[str] = Field(default_factory=list, max_length=20)
    sub: Sub | None = None


class User(BaseModel):
    username: str
    full_name: str | None = None


class FormModel(BaseModel):
    username: str
    age: int = Field(ge=0)
    hobbies: list[str] = []


def _count(event: str) -> None:
    TEARDOWNS[event] += 1


# Each gives its kind's name and counts "<kind>+" / "<kind>-" in TEARDOWNS.
async_resource = tracked_dependency(_count, "async", "async", is_async=True)
sync_resource = tracked_dependency(_count, "sync", "sync", is_async=False)
function_resource = tracked_dependency(_count, "function", "function", is_async=True)


class Pagination:
    def __init__(self, skip: int = Query(0, ge=0), limit: int = Query(10, ge=1, le=100)) -> None:
        self.skip = skip
        self.limit = limit


def common(
    q: str | None = Query(None, max_length=50),
    resource: str = Depends(async_resource),
    sync: str = Depends(sync_resource),
) -> dict[str, Any]:
    return {"q": q, "resources": [resource, sync]}


def verify_token(x_token: Annotated[str | None, Header()] = None) -> None:
    if x_token == "forbidden":
        raise HTTPException(403, "forbidden token")


oauth2 = OAuth2PasswordBearer(tokenUrl="token")
basic = HTTPBasic()


def build_app(static_dir: FilePath) -> App:
    """The fuzz target; ``static_dir`` holds ``a.txt`` (served under ``/static`` and ``/download``)."""
    app = App(dependencies=[Depends(verify_token)], max_body_size=256 * 1024)
    router = APIRouter(prefix="/r")

    @app.get("/items/{item_id}")
    async def read_item(
        item_id: int,
        commons: Annotated[dict[str, Any], Depends(common)],
        page: Annotated[Pagination, Depends()],
        tags: Annotated[list[str], Query()] = [],
        flag: bool = False,
        ratio: Annotated[float, Query(ge=0, le=1)] = 0.5,
        user_agent: Annotated[str | None, Header()] = None,
        x_multi: Annotated[list[str], Header()] = [],
        session: Annotated[str | None, Cookie()] = None,
        fn: Annotated[str, Depends(function_resource, scope="function")] = "",
    ) -> dict[str, Any]:
        return {
            "item_id": item_id,
            "tags": len(tags),
            "flag": flag,
            "page": [page.skip, page.limit],
            "has_session": session is not None,
            "multi": len(x_multi),
            "agent": user_agent is not None,
        }

    @app.post("/items", status_code=201)
    async def create_item(item: Item, background: BackgroundTasks, response: Response) -> Item:
        background.add_task(lambda: None)
        response.headers["x-created"] = "1"
        return item

    @app.put("/items/{item_id}")
    def update_item(
        item_id: Annotated[int, Path(ge=0, le=10**9)],
        item: Item,
        user: User,
        importance: Annotated[int, Body(gt=0)],
    ) -> dict[str, Any]:
        return {"item_id": item_id, "name": item.name, "user": user.username, "importance": importance}

    @app.patch("/items/{item_id}")
    async def patch_item(item_id: int, payload: Annotated[dict[str, int | str | None], Body()]) -> dict[str, int]:
        return {"keys": len(payload)}

    @app.delete("/items/{item_id}", status_code=204)
    async def delete_item(item_id: int) -> None:
        return None

    @app.post("/form")
    async def form(
        username: Annotated[str, Form(max_length=100)],
        age: Annotated[int, Form()] = 0,
        choices: Annotated[list[str], Form()] = [],
    ) -> dict[str, Any]:
        return {"username": len(username), "age": age, "choices": len(choices)}

    @app.post("/upload")
    async def upload(
        file: Annotated[UploadFile, File()],
        extra: Annotated[bytes | None, File()] = None,
        more: Annotated[list[UploadFile], File()] = [],
        note: Annotated[str, Form()] = "",
    ) -> dict[str, Any]:
        content = await file.read()
        return {"size": len(content), "extra": None if extra is None else len(extra), "more": len(more)}

    @app.post("/form-model")
    async def form_model(data: Annotated[FormModel, Form()]) -> dict[str, Any]:
        return {"age": data.age, "hobbies": len(data.hobbies)}

    @app.get("/files/{rest:path}")
    async def files(rest: str) -> dict[str, int]:
        return {"length": len(rest)}

    @app.get("/uuid/{value}")
    async def by_uuid(value: uuid.UUID) -> dict[str, str]:
        return {"version": str(value.version)}

    @app.get("/color/{color}")
    async def by_color(color: Color) -> dict[str, str]:
        return {"color": color.value}

    @app.get("/price/{value:float}")
    async def by_price(value: float) -> dict[str, bool]:
        return {"positive": value > 0}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"n": await streamed_length(request)}

    @app.post("/raw-json")
    async def raw_json(request: Request) -> dict[str, str]:
        return {"type": type(await request.json()).__name__}

    @app.post("/raw-form")
    async def raw_form(request: Request) -> dict[str, int]:
        form = await request.form()
        return {"fields": len(form)}

    @app.get("/secure")
    async def secure(token: Annotated[str, Depends(oauth2)]) -> dict[str, int]:
        return {"token": len(token)}

    @app.get("/basic")
    async def basic_auth(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> dict[str, int]:
        return {"user": len(credentials.username)}

    @app.get("/jsonl")
    async def jsonl(n: Annotated[int, Query(ge=0, le=5)] = 3) -> AsyncIterator[Sub]:
        for index in range(n):
            yield Sub(label=str(index))

    @app.get("/sse", response_class=EventSourceResponse)
    async def sse(n: Annotated[int, Query(ge=0, le=5)] = 2) -> AsyncIterator[dict[str, int]]:
        for index in range(n):
            yield {"i": index}

    @app.get("/stream")
    def stream() -> StreamingResponse:
        def chunks() -> Iterator[bytes]:
            yield b"a"
            yield b"b"

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/download")
    async def download() -> FileResponse:
        return FileResponse(static_dir / "a.txt", filename="a file.txt")

    @app.options("/items")
    async def options_items() -> PlainTextResponse:
        return PlainTextResponse("", headers={"Allow": "GET, POST"})

    @router.get("/nested/{item_id}")
    async def nested(item_id: int, r: Annotated[str, Depends(async_resource)]) -> dict[str, int]:
        await anyio.sleep(0)
        return {"item_id": item_id}

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=static_dir))
    return app
