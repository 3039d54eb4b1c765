"""OpenAPI test apps, part 1: parameters, bodies, models, response models.

Every app is ``build(fw)`` (see ``oa_framework``); ``APPS`` maps a name to it.
The expected documents (``oa_expected_*.py``) are written by
``tests/capture_fastapi.py``, which builds the same functions under FastAPI
(``oa_framework.framework(fastapi, fastapi.FastAPI, ...)``) and prints
``app.openapi()`` with ``pprint`` (keys stay in FastAPI's order, which the
tests check too); run it with ``--out tests`` to rewrite them.
"""

# No `from __future__ import annotations`: the apps declare local classes that
# their annotations refer to.

import datetime
import uuid
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, computed_field


def first_steps(fw: Any) -> Any:
    app = fw.App()

    class Item(BaseModel):
        name: str
        description: Optional[str] = None
        price: float
        tax: Optional[float] = None

    @app.get("/")
    async def root():
        return {"message": "Hello World"}

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: Union[str, None] = None, short: bool = False):
        return {}

    @app.post("/items/")
    async def create_item(item: Item) -> Item:
        return item

    @app.put("/items/{item_id}")
    async def update_item(item_id: int, item: Item, q: Union[str, None] = None):
        return {}

    return app


def multiple_bodies(fw: Any) -> Any:
    app = fw.App()

    class Item(BaseModel):
        name: str
        price: float

    class User(BaseModel):
        username: str
        full_name: Union[str, None] = None

    @app.put("/items/{item_id}")
    async def update_item(item_id: int, item: Item, user: User, importance: Annotated[int, fw.Body(gt=0)],
                          q: Union[str, None] = None):
        return {}

    @app.put("/embedded/{item_id}")
    async def update_embedded(item_id: int, item: Annotated[Item, fw.Body(embed=True)]):
        return {}

    @app.post("/optional-body")
    async def optional_body(item: Union[Item, None] = None):
        return {}

    @app.post("/list-body")
    async def list_body(images: list[Item]):
        return images

    @app.post("/dict-body")
    async def dict_body(weights: dict[int, float]):
        return weights

    @app.post("/scalar-body")
    async def scalar_body(note: Annotated[str, fw.Body(description="a note", max_length=20)] = "x"):
        return note

    return app


def query_validations(fw: Any) -> Any:
    app = fw.App()

    @app.get("/items/")
    async def read_items(
        q: Annotated[Union[str, None], fw.Query(min_length=3, max_length=50, pattern="^fixedquery$")] = None,
        tags: Annotated[list[str], fw.Query(title="Tags", description="Item tags")] = ["a", "b"],
        item_query: Annotated[Union[str, None], fw.Query(alias="item-query", deprecated=True)] = None,
        hidden: Annotated[Union[str, None], fw.Query(include_in_schema=False)] = None,
        limit: Annotated[int, fw.Query(ge=1, le=100, examples=[10])] = 10,
        ratio: Annotated[float, fw.Query(gt=0, lt=1.5, multiple_of=0.5)] = 0.5,
        when: Union[datetime.date, None] = None,
        ident: Union[uuid.UUID, None] = None,
        amount: Annotated[Decimal, fw.Query(max_digits=5, decimal_places=2)] = Decimal("1.5"),
        mode: Literal["fast", "slow"] = "fast",
    ):
        return {}

    @app.get("/required/")
    async def required_query(needy: str, ids: Annotated[list[int], fw.Query()], flag: Optional[bool] = None):
        return {}

    return app


def paths_and_enums(fw: Any) -> Any:
    app = fw.App()

    class ModelName(str, Enum):
        alexnet = "alexnet"
        resnet = "resnet"
        lenet = "lenet"

    class Size(int, Enum):
        small = 1
        large = 2

    @app.get("/models/{model_name}")
    async def get_model(model_name: ModelName, size: Size = Size.small):
        return {}

    @app.get("/items/{item_id}")
    async def read_items(item_id: Annotated[int, fw.Path(title="The ID of the item to get", ge=0, le=1000)],
                         size: Annotated[float, fw.Query(gt=0, lt=10.5)]):
        return {}

    @app.get("/files/{file_path:path}")
    async def read_file(file_path: str):
        return {}

    @app.get("/users/{user_id}/items/{item_id}")
    async def read_user_item(user_id: uuid.UUID, item_id: str, needy: str):
        return {}

    return app


def headers_and_cookies(fw: Any) -> Any:
    app = fw.App()

    @app.get("/items/")
    async def read_items(
        user_agent: Annotated[Union[str, None], fw.Header()] = None,
        strange_header: Annotated[Union[str, None], fw.Header(convert_underscores=False)] = None,
        x_token: Annotated[Union[list[str], None], fw.Header()] = None,
        ads_id: Annotated[Union[str, None], fw.Cookie()] = None,
        session: Annotated[str, fw.Cookie(description="session id")] = "anon",
    ):
        return {}

    return app


def parameter_models(fw: Any) -> Any:
    app = fw.App()

    class FilterParams(BaseModel):
        model_config = ConfigDict(extra="forbid")

        limit: int = Field(100, gt=0, le=100)
        offset: int = Field(0, ge=0)
        order_by: Literal["created_at", "updated_at"] = "created_at"
        tags: list[str] = []

    class CommonHeaders(BaseModel):
        host: str
        save_data: bool
        if_modified_since: Union[str, None] = None
        x_tag: list[str] = []

    class Cookies(BaseModel):
        session_id: str
        fatebook_tracker: Union[str, None] = None

    @app.get("/items/")
    async def read_items(filter_query: Annotated[FilterParams, fw.Query()]):
        return filter_query

    @app.get("/headers/")
    async def read_headers(headers: Annotated[CommonHeaders, fw.Header()]):
        return headers

    @app.get("/cookies/")
    async def read_cookies(cookies: Annotated[Cookies, fw.Cookie()]):
        return cookies

    return app


def nested_models(fw: Any) -> Any:
    app = fw.App()

    class Image(BaseModel):
        url: str = Field(description="where it lives", examples=["https://example.com/a.png"])
        name: str

    class Item(BaseModel):
        """An item for sale.\f
        Internal notes that must not reach the docs.
        """

        name: str
        description: Union[str, None] = Field(default=None, title="The description", max_length=300)
        price: float = Field(gt=0, description="The price must be greater than zero")
        tags: set[str] = set()
        images: Union[list[Image], None] = None
        meta: dict[str, int] = {}

    class Offer(BaseModel):
        name: str
        items: list[Item]

    @app.post("/offers/")
    async def create_offer(offer: Offer) -> Offer:
        return offer

    @app.post("/images/multiple/")
    async def create_multiple_images(images: list[Image]) -> list[Image]:
        return images

    return app


def recursive_model(fw: Any) -> Any:
    # Apart from nested_models: FastAPI cannot document a self-referencing model
    # on pydantic < 2.10 (test_documents.ORACLE_NEEDS).
    app = fw.App()

    class Node(BaseModel):
        value: int
        children: list["Node"] = []

    @app.get("/tree")
    async def tree() -> Node:
        return Node(value=1)

    return app


def response_models(fw: Any) -> Any:
    app = fw.App()

    class UserIn(BaseModel):
        username: str
        password: str
        email: str
        full_name: Union[str, None] = None

    class UserOut(BaseModel):
        username: str
        email: str
        full_name: Union[str, None] = None

    class Cat(BaseModel):
        kind: Literal["cat"] = "cat"
        meows: int

    class Dog(BaseModel):
        kind: Literal["dog"] = "dog"
        barks: float

    @app.post("/user/", response_model=UserOut, status_code=201)
    async def create_user(user: UserIn) -> Any:
        return user

    @app.get("/users/", response_model=list[UserOut])
    async def list_users():
        return []

    @app.get("/pets/{pet_id}")
    async def get_pet(pet_id: int) -> Union[Cat, Dog]:
        return Cat(meows=1)

    @app.get("/tagged/{pet_id}")
    async def get_tagged(pet_id: int) -> Annotated[Union[Cat, Dog], Field(discriminator="kind")]:
        return Cat(meows=1)

    @app.get("/keyword-weights/", response_model=dict[str, float])
    async def read_keyword_weights():
        return {}

    @app.delete("/user/{name}", status_code=204)
    async def delete_user(name: str) -> None:
        return None

    @app.get("/none", response_model=None)
    async def no_model() -> Union[UserOut, dict[str, str]]:
        return {}

    @app.get("/any")
    async def any_model() -> Any:
        return {}

    return app


def _schema_routes(app: Any) -> Any:
    class Item(BaseModel):
        name: str
        description: Union[str, None] = None

    class Rectangle(BaseModel):
        width: float
        length: float

        @computed_field  # type: ignore[prop-decorator]
        @property
        def area(self) -> float:
            return self.width * self.length

    @app.post("/items/")
    def create_item(item: Item) -> Item:
        return item

    @app.get("/items/")
    def read_items() -> list[Item]:
        return []

    @app.post("/rectangles/")
    def create_rectangle(rectangle: Rectangle) -> Rectangle:
        return rectangle

    return app


def separate_schemas(fw: Any) -> Any:
    return _schema_routes(fw.App())


def shared_schemas(fw: Any) -> Any:
    return _schema_routes(fw.App(separate_input_output_schemas=False))


APPS = {
    "first_steps": first_steps,
    "multiple_bodies": multiple_bodies,
    "query_validations": query_validations,
    "paths_and_enums": paths_and_enums,
    "headers_and_cookies": headers_and_cookies,
    "parameter_models": parameter_models,
    "nested_models": nested_models,
    "recursive_model": recursive_model,
    "response_models": response_models,
    "separate_schemas": separate_schemas,
    "shared_schemas": shared_schemas,
}
