"""Declarations FastAPI's docs describe, checked at registration (issue 23 items 6, 8, 10, 14).

Written from FastAPI's documentation: "Path Parameters and Numeric Validations"
(``Path()`` takes ``alias`` like every parameter function), "Response Status Code"
(``status_code`` accepts ``http.HTTPStatus`` members), "Additional Responses in
OpenAPI" (``responses`` keys are status codes, ranges like ``"4XX"`` or ``"default"``,
values may carry a ``model``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

import pytest
from pydantic import AliasChoices, BaseModel

from ferrule import APIRouter, App, Path, Query
from ferrule.asgi_core.exceptions import FerruleError
from ferrule.routing.errors import RouteConfigError
from ferrule.testclient import TestClient
from ferrule.validation.fields import ParamConfigError
from ferrule.validation.serialize import ResponseConfigError


class Message(BaseModel):
    message: str


# -- item 6: Path(alias=...), Path(validation_alias=...) ----------------------------


def test_path_parameter_read_by_its_alias() -> None:
    app = App()

    @app.get("/a/{itemId}")
    def by_alias(item_id: Annotated[int, Path(alias="itemId", ge=1)]) -> int:
        return item_id

    @app.get("/b/{id}")
    def by_validation_alias(item_id: Annotated[int, Path(validation_alias="id")]) -> int:
        return item_id

    @app.get("/c/{key}")
    def by_choices(item_id: Annotated[str, Path(validation_alias=AliasChoices("id", "key"))]) -> str:
        return item_id

    client = TestClient(app)
    assert client.get("/a/3").json() == 3
    assert client.get("/b/4").json() == 4
    assert client.get("/c/k").json() == "k"
    bad = client.get("/a/0").json()["detail"][0]
    assert bad["loc"] == ["path", "itemId"] and bad["type"] == "greater_than_equal"
    params = app.openapi()["paths"]["/a/{itemId}"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in params] == [("itemId", "path", True)]


def test_path_alias_not_in_the_template_is_still_refused() -> None:
    app = App()
    with pytest.raises(ParamConfigError, match=r"path template has no \{item_id\} or \{id\}"):

        @app.get("/items/{key}")
        def read(item_id: Annotated[int, Path(alias="id")]) -> int:
            return item_id


# -- item 8: IntEnum status codes ----------------------------------------------------


def test_http_status_member_is_stored_and_sent_as_int() -> None:
    app = App()

    @app.post("/items", status_code=HTTPStatus.CREATED)
    def create() -> dict[str, str]:
        return {"ok": "yes"}

    route = app.routes[-1]
    assert type(route.status_code) is int and route.status_code == 201  # type: ignore[attr-defined]
    response = TestClient(app).post("/items")
    assert response.status_code == 201 and response.json() == {"ok": "yes"}
    assert list(app.openapi()["paths"]["/items"]["post"]["responses"]) == ["201"]


# -- item 10: responses= checked at declaration --------------------------------------


@pytest.mark.parametrize(
    "responses",
    [
        {404: {"model": Message}},
        {"404": {"description": "gone"}},
        {"4XX": {"description": "client error"}},
        {"5xx": {"description": "server error"}},
        {"default": {"description": "anything"}},
        {HTTPStatus.NOT_FOUND: {"model": Message}},
    ],
)
def test_valid_responses_are_accepted(responses: dict[Any, Any]) -> None:
    app = App()
    app.get("/", responses=responses)(lambda: None)
    documented = app.openapi()["paths"]["/"]["get"]["responses"]
    assert len(documented) == 2  # 200 and the extra one


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ({"hello": {"description": "x"}}, "responses key 'hello' is not a status code"),
        ({"6XX": {"description": "x"}}, "responses key '6XX'"),
        ({None: {"description": "x"}}, "responses key None"),
        ({404: "Not found"}, r"responses\[404\] must be a dict"),
        ({404: {"model": 3}}, r"responses\[404\]\['model'\] = 3 is not a type"),
        ({404: {"model": "Undefined"}}, r"= 'Undefined' is not a type"),
    ],
)
def test_invalid_responses_are_refused_at_declaration(responses: dict[Any, Any], message: str) -> None:
    app = App()
    with pytest.raises(ResponseConfigError, match=message):
        app.get("/", responses=responses)(lambda: None)
    router = APIRouter(responses=responses)
    with pytest.raises(ResponseConfigError, match="route GET /"):
        router.get("/")(lambda: None)


# -- item 14: declaration errors are AssertionErrors, as FastAPI's are ---------------


def test_declaration_errors_are_catchable_as_assertion_error() -> None:
    with pytest.raises(AssertionError):
        APIRouter(prefix="items")
    def no_content() -> Message:
        return Message(message="x")

    with pytest.raises(AssertionError):
        App().get("/", status_code=204)(no_content)
    app = App()
    with pytest.raises(AssertionError):

        @app.get("/{item_id}")
        def read(item_id: Annotated[int, Query()]) -> int:
            return item_id

    router = APIRouter()
    with pytest.raises(AssertionError):
        router.include_router(router)
    # Still ferrule's errors, with their message and type hierarchy.
    with pytest.raises(RouteConfigError) as info:
        APIRouter(prefix="items")
    assert isinstance(info.value, FerruleError) and isinstance(info.value, ValueError)
    assert "must start with '/'" in str(info.value)
