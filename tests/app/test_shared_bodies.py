"""Bodies read by several parameters, and unions of form models (issue 23 items 7 and 9).

From FastAPI's docs: "Dependencies" (a dependency's parameters are request parameters
like an endpoint's, so an endpoint and its dependency may both declare the same
body), "Form Models" (a pydantic model read from form fields), and "Request Form
Models"/"Body - Multiple Parameters" (a union annotation validates as that union).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel

from ferrule import App, Depends, Form
from ferrule.testclient import TestClient


class Item(BaseModel):
    name: str


def get_item(item: Item) -> Item:
    return item


def test_an_endpoint_and_its_dependency_share_one_body() -> None:
    app = App()

    @app.post("/items")
    def create(item: Item, checked: Annotated[Item, Depends(get_item)]) -> list[Item]:
        return [item, checked]

    @app.post("/twice")
    def twice(
        a: Annotated[Item, Depends(get_item)], b: Annotated[Item, Depends(get_item, use_cache=False)]
    ) -> list[Item]:
        return [a, b]

    client = TestClient(app)
    assert client.post("/items", json={"name": "n"}).json() == [{"name": "n"}, {"name": "n"}]
    assert client.post("/twice", json={"name": "m"}).json() == [{"name": "m"}, {"name": "m"}]
    # Each parameter reports its own error, as FastAPI does (one per declaration).
    errors = client.post("/items", json={}).json()["detail"]
    assert [e["loc"] for e in errors] == [["body", "name"], ["body", "name"]]
    # The OpenAPI body is the model itself, not an object keyed by name.
    body = app.openapi()["paths"]["/items"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Item"}


class Login(BaseModel):
    username: str
    password: str


class Token(BaseModel):
    token: str
    scopes: list[str] = []


def test_a_union_of_form_models_validates_as_the_union() -> None:
    app = App()

    @app.post("/auth")
    def auth(data: Annotated[Login | Token, Form()]) -> dict[str, object]:
        return {"kind": type(data).__name__, "data": data.model_dump()}

    client = TestClient(app)
    login = client.post("/auth", data={"username": "u", "password": "p"})
    assert login.json() == {"kind": "Login", "data": {"username": "u", "password": "p"}}
    token = client.post("/auth", data={"token": "t", "scopes": ["a", "b"]})
    assert token.json() == {"kind": "Token", "data": {"token": "t", "scopes": ["a", "b"]}}
    missing = client.post("/auth", data={}).json()["detail"]
    assert sorted(tuple(e["loc"]) for e in missing) == [
        ("body", "Login", "password"),
        ("body", "Login", "username"),
        ("body", "Token", "token"),
    ]
    schema = app.openapi()["paths"]["/auth"]["post"]["requestBody"]["content"]
    assert schema["application/x-www-form-urlencoded"]["schema"] == {
        "anyOf": [{"$ref": "#/components/schemas/Login"}, {"$ref": "#/components/schemas/Token"}],
        "title": "Data",
    }


def test_an_optional_union_of_form_models() -> None:
    app = App()

    @app.post("/auth")
    def auth(data: Annotated[Login | Token | None, Form()] = None) -> str:
        return type(data).__name__

    client = TestClient(app)
    assert client.post("/auth", data={"token": "t"}).json() == "Token"
    assert client.post("/auth", data={}).json() == "NoneType"
