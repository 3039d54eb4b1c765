"""``App(openapi_nullable_as_30=True)``: OpenAPI 3.0-style nullable schemas (ferrule's own option)."""

from __future__ import annotations

from typing import Annotated, Any, Optional, Union

import oa_apps_basic
import oa_apps_extra
import oa_apps_ops
import pytest
from oa_framework import ferrule_framework
from openapi_spec_validator import OpenAPIV30SpecValidator, validate
from pydantic import BaseModel, Field

from ferrule import App, File, Query
from ferrule.openapi.nullable30 import nullable_as_30, schema_as_30


class Tag(BaseModel):
    label: str


class Item(BaseModel):
    name: str
    note: Optional[str] = None
    tag: Optional[Tag] = None
    size: Union[int, str, None] = None
    kind: str = Field("a", json_schema_extra={"const": "a"})


def _app() -> App:
    app = App(openapi_nullable_as_30=True, summary="only in 3.1", license_info={"name": "MIT", "identifier": "MIT"})

    @app.post("/items/")
    def create(item: Item, q: Annotated[Optional[int], Query(gt=0, examples=[3])] = None) -> Item:
        return item

    @app.post("/files/")
    def upload(data: Annotated[bytes, File()]) -> None:
        return None

    return app


def test_document_is_rewritten_for_30() -> None:
    document = _app().openapi()
    assert document["openapi"] == "3.0.3"
    assert document["info"] == {"title": "FastAPI", "version": "0.1.0", "license": {"name": "MIT"}}
    item = document["components"]["schemas"]["Item"]["properties"]
    assert item["note"] == {"type": "string", "title": "Note", "nullable": True}
    assert item["tag"] == {"allOf": [{"$ref": "#/components/schemas/Tag"}], "nullable": True}
    assert item["size"] == {
        "anyOf": [{"type": "integer"}, {"type": "string"}], "title": "Size", "nullable": True,
    }
    assert item["kind"] == {"type": "string", "title": "Kind", "default": "a", "enum": ["a"]}
    (q,) = document["paths"]["/items/"]["post"]["parameters"]
    assert q["schema"] == {
        "type": "integer", "exclusiveMinimum": True, "minimum": 0, "example": 3, "title": "Q", "nullable": True,
    }
    upload = document["components"]["schemas"]["Body_upload_files__post"]["properties"]["data"]
    assert upload == {"type": "string", "format": "binary", "title": "Data"}
    assert "'null'" not in str(document)  # no 3.1 null type is left
    OpenAPIV30SpecValidator(document).validate()


def test_off_by_default() -> None:
    document = oa_apps_basic.first_steps(ferrule_framework()).openapi()
    assert document["openapi"] == "3.1.0"
    assert "nullable" not in str(document)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["string", "null"]}, {"type": "string", "nullable": True}),
        ({"type": "null"}, {"type": "null"}),
        ({"anyOf": [{"type": "null"}, {"type": "integer"}], "default": 1}, {"type": "integer", "default": 1, "nullable": True}),
        ({"items": {"anyOf": [{"$ref": "#/x"}, {"type": "null"}]}, "type": "array"},
         {"items": {"allOf": [{"$ref": "#/x"}], "nullable": True}, "type": "array"}),
        ({"properties": {"a": {"const": 1}}}, {"properties": {"a": {"enum": [1]}}}),
        ({"type": "number", "exclusiveMaximum": 5}, {"type": "number", "maximum": 5, "exclusiveMaximum": True}),
        ({"type": "string", "examples": []}, {"type": "string"}),
    ],
)
def test_schema_rules(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    assert schema_as_30(schema) == expected


@pytest.mark.parametrize(
    "build",
    [oa_apps_basic.response_models, oa_apps_basic.nested_models, oa_apps_ops.routers, oa_apps_extra.forms_and_files,
     oa_apps_extra.callbacks, oa_apps_extra.streaming],
    ids=lambda build: build.__name__,
)
def test_converted_documents_are_valid_30(build: Any) -> None:
    original = build(ferrule_framework()).openapi()
    converted = nullable_as_30(original)
    validate(converted)
    assert converted["openapi"] == "3.0.3"
    assert original["openapi"] == "3.1.0"  # the cached 3.1 document is left alone
