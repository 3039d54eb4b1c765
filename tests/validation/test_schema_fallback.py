"""The fallback for a pydantic release that shapes model core schemas differently.

``validation/_models.py`` validates a group's plain dict against the
``model-fields`` part of the group model's ``__pydantic_core_schema__`` (PERF,
see its docstring). That layout is pydantic's choice, not a promise: when it is
not the expected shape, ``_fields_schema`` returns ``None`` and the group falls
back to the model's own validator, and the single-body lane is not used. These
tests force that branch and check that every answer of an app is unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from ferrule import App, Body, Header, Query
from ferrule.testclient import TestClient
from ferrule.validation import _models


class Item(BaseModel):
    name: str
    price: float = Field(gt=0)
    tags: list[str] = []


class User(BaseModel):
    username: str


def make_app() -> App:
    app = App()

    @app.get("/items")
    def list_items(
        q: Annotated[str | None, Query(max_length=5)] = None,
        limit: int = 10,
        ids: Annotated[list[int], Query()] = [],
        x_token: Annotated[str, Header(alias="x-token")] = "none",
    ) -> dict[str, Any]:
        return {"q": q, "limit": limit, "ids": ids, "token": x_token}

    @app.post("/items")
    def create(item: Item) -> Item:
        return item

    @app.post("/pair")
    def pair(item: Item, user: User, importance: Annotated[int, Body(ge=1)]) -> dict[str, Any]:
        return {"item": item.model_dump(), "user": user.username, "importance": importance}

    @app.put("/embed")
    def embed(item: Annotated[Item, Body(embed=True)]) -> dict[str, Any]:
        return {"name": item.name}

    return app


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/items", {}),
    ("GET", "/items", {"params": {"q": "abc", "limit": "3", "ids": ["1", "2"]}, "headers": {"x-token": "t"}}),
    ("GET", "/items", {"params": {"q": "toolong", "limit": "x", "ids": ["a"]}}),
    ("POST", "/items", {"json": {"name": "a", "price": 2}}),
    ("POST", "/items", {"json": {"name": "a", "price": -1, "tags": "x"}}),
    ("POST", "/items", {"json": []}),
    ("POST", "/items", {"content": b"{bad", "headers": {"content-type": "application/json"}}),
    ("POST", "/items", {}),
    ("POST", "/pair", {"json": {"item": {"name": "a", "price": 1}, "user": {"username": "u"}, "importance": 2}}),
    ("POST", "/pair", {"json": {"item": {"name": "a"}, "user": {}, "importance": 0}}),
    ("PUT", "/embed", {"json": {"item": {"name": "e", "price": 3}}}),
    ("PUT", "/embed", {"json": {"name": "e", "price": 3}}),
]


def answers() -> list[tuple[int, Any]]:
    with TestClient(make_app()) as client:
        return [
            (response.status_code, response.json())
            for response in (client.request(method, url, **kwargs) for method, url, kwargs in REQUESTS)
        ]


def test_the_expected_schema_shape_is_what_the_installed_pydantic_builds() -> None:
    # If this fails, pydantic changed its model schema layout: the fallback below
    # is then what serves every request (slower, same answers).
    group = _models.build_group("shape_probe", [_models.GroupField("q", int, {}, 1, None, "parameter 'q'")])
    assert _models._fields_schema(group.model) is not None
    assert _models.present_value_validator(group) is not None


def test_every_answer_is_the_same_when_the_schema_shape_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = answers()
    assert {status for status, _ in expected} == {200, 422}  # both outcomes are compared

    monkeypatch.setattr(_models, "_GROUPS", {})  # no group built with the fast shape is reused
    monkeypatch.setattr(_models, "_fields_schema", lambda model: None)
    group = _models.build_group("fallback_probe", [_models.GroupField("q", int, {}, 1, None, "parameter 'q'")])
    assert _models.present_value_validator(group) is None  # the branch under test is taken
    assert group.validate({"q": "7"})[0] == {_models.field_name(0): 7}

    assert answers() == expected
