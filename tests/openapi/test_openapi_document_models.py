"""``ferrule.openapi.models`` holds a model for every OpenAPI 3.1 object (issue 23 item 5).

FastAPI's ``fastapi.openapi.models`` names (``Schema``, ``SchemaType``, ``Operation``,
``PathItem``, ``Components``...) are used to post-process or validate documents;
written from the OpenAPI 3.1 specification's object definitions.
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import BaseModel

from ferrule import App, Depends, Header, Query
from ferrule.openapi import models
from ferrule.security import OAuth2PasswordBearer


oauth = OAuth2PasswordBearer(tokenUrl="token")


class Item(BaseModel):
    name: str
    tags: list[str] = []


def _app() -> App:
    app = App(title="Shop", version="1")
    @app.post("/items/{item_id}", responses={404: {"description": "gone"}}, tags=["items"])
    def create(
        item_id: int,
        item: Item,
        token: Annotated[str, Header()],
        q: Annotated[str | None, Query(max_length=3)] = None,
    ) -> Item:
        return item

    @app.get("/me")
    def me(token: Annotated[str, Depends(oauth)]) -> str:
        return token

    return app


def test_every_object_has_a_model() -> None:
    for name in ("Schema", "SchemaType", "SchemaOrBool", "XML", "Encoding", "MediaType", "Parameter",
                 "ParameterBase", "Header", "RequestBody", "Link", "Response", "Operation", "PathItem",
                 "Components", "SecurityScheme", "BaseModelWithConfig", "EmailStr"):
        assert hasattr(models, name), name
        assert name in models.__all__
    assert set(get_args(models.SchemaType)) == {"array", "boolean", "integer", "null", "number", "object", "string"}


def test_a_generated_document_round_trips_through_the_models() -> None:
    document = _app().openapi()
    parsed = models.OpenAPI.model_validate(document)
    operation = parsed.paths["/items/{item_id}"].post  # type: ignore[index,union-attr]
    assert isinstance(operation, models.Operation)
    assert [p.name for p in operation.parameters] == ["item_id", "q", "token"]  # path, query, header  # type: ignore[union-attr]
    assert operation.parameters[0].in_ is models.ParameterInType.path  # type: ignore[index,union-attr]
    assert isinstance(operation.requestBody, models.RequestBody)
    assert isinstance(parsed.components, models.Components)
    item_schema = parsed.components.schemas["Item"]  # type: ignore[index]
    assert isinstance(item_schema, models.Schema) and item_schema.required == ["name"]
    scheme = parsed.components.securitySchemes["OAuth2PasswordBearer"]  # type: ignore[index]
    assert isinstance(scheme, models.OAuth2)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_none=True) == document


def test_schema_keywords_by_alias_booleans_and_extensions() -> None:
    schema = models.Schema.model_validate(
        {"$ref": "#/components/schemas/A", "type": ["string", "null"], "not": False,
         "properties": {"a": True, "b": {"type": "integer"}}, "x-internal": 1}
    )
    assert schema.ref == "#/components/schemas/A"
    assert schema.not_ is False and schema.properties["a"] is True  # type: ignore[index]
    assert isinstance(schema.properties["b"], models.Schema)  # type: ignore[index]
    assert schema.model_dump(by_alias=True, exclude_none=True) == {
        "$ref": "#/components/schemas/A", "type": ["string", "null"], "not": False,
        "properties": {"a": True, "b": {"type": "integer"}}, "x-internal": 1,
    }
