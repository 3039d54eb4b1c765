"""pydantic.v1 models are refused, and ``jsonable_encoder`` covers ``Color`` (issue 23 item 2).

From FastAPI's docs and release notes: pydantic v1 is no longer supported, a
``pydantic.v1`` model used as a parameter or response model is refused with
``fastapi.exceptions.PydanticV1NotSupportedError`` (a ``FastAPIError``), as is
encoding an instance; ``jsonable_encoder`` turns pydantic's ``Color`` into its
string form.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from pydantic import BaseModel

from ferrule import App
from ferrule.encoders import jsonable_encoder
from ferrule.exceptions import FastAPIError, PydanticV1NotSupportedError

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pydantic warns about v1 on some Pythons
    from pydantic import v1


class LegacyItem(v1.BaseModel):
    name: str


class Item(BaseModel):
    name: str


def test_a_v1_model_parameter_is_refused_at_declaration() -> None:
    app = App()
    with pytest.raises(PydanticV1NotSupportedError, match=r"parameter .item. of \S*create") as info:

        @app.post("/items")
        def create(item: LegacyItem) -> None:
            return None

    assert isinstance(info.value, FastAPIError)
    assert "LegacyItem" in str(info.value) and "port it to pydantic v2" in str(info.value)


@pytest.mark.parametrize("annotation", [LegacyItem, list[LegacyItem], "LegacyItem | None"])
def test_a_v1_response_model_is_refused(annotation: Any) -> None:
    app = App()
    model = eval(annotation) if isinstance(annotation, str) else annotation  # noqa: S307 - a test literal
    with pytest.raises(PydanticV1NotSupportedError, match=r"the response model of \S*read uses"):

        @app.get("/items", response_model=model)
        def read() -> None:
            return None


def test_v2_generics_are_accepted_while_pydantic_v1_is_loaded() -> None:
    # This module imported pydantic.v1, so every annotation is searched for a v1
    # model. COMPAT(python3.10): there ``list[Item]`` passes isinstance(x, type)
    # and issubclass on it raised TypeError at declaration (the minimum-versions job).
    from ferrule.testclient import TestClient

    app = App()

    @app.post("/items")
    def create(items: list[Item]) -> dict[str, list[Item]]:
        return {"got": items}

    response = TestClient(app).post("/items", json=[{"name": "a"}])
    assert (response.status_code, response.json()) == (200, {"got": [{"name": "a"}]})


def test_encoding_a_v1_instance_is_refused() -> None:
    with pytest.raises(PydanticV1NotSupportedError, match="cannot encode"):
        jsonable_encoder({"item": LegacyItem(name="x")})


def test_pydantic_color_encodes_as_its_string() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pydantic.color.Color is deprecated
        from pydantic.color import Color

        assert jsonable_encoder(Color("red")) == "red"
        assert jsonable_encoder({"c": [Color("#00ff0080")]}) == {"c": ["#00ff0080"]}


def test_pydantic_extra_types_color_is_recognised_by_its_module() -> None:
    # pydantic-extra-types is optional (not a test dependency); a class of that
    # module and name is what jsonable_encoder looks for, as FastAPI maps it to str.
    class Color:
        def __str__(self) -> str:
            return "blue"

    Color.__module__ = "pydantic_extra_types.color"
    assert jsonable_encoder(Color()) == "blue"
