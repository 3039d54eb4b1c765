"""``ferrule.openapi.models``: OpenAPI objects as pydantic models, usable where ferrule takes dicts."""

from __future__ import annotations

import oa_expected_ops

from ferrule import App, Depends, Query
from ferrule.openapi.models import Example, OAuthFlowPassword, OAuthFlows, OpenAPI, Tag
from ferrule.security import OAuth2


def test_oauth2_accepts_flow_models() -> None:
    scheme = OAuth2(flows=OAuthFlows(password=OAuthFlowPassword(tokenUrl="token", scopes={"me": "Me"})))
    app = App()

    @app.get("/me")
    def me(token: str | None = Depends(scheme)) -> None: ...

    document = app.openapi()
    assert document["components"]["securitySchemes"] == {
        "OAuth2": {"type": "oauth2", "flows": {"password": {"scopes": {"me": "Me"}, "tokenUrl": "token"}}},
    }
    assert document["paths"]["/me"]["get"]["security"] == [{"OAuth2": []}]


def test_documents_validate_against_the_models() -> None:
    document = OpenAPI.model_validate(oa_expected_ops.EXPECTED["metadata"])
    assert document.info.title == "ChimichangApp"
    assert document.tags == [Tag.model_validate(tag) for tag in oa_expected_ops.EXPECTED["metadata"]["tags"]]
    assert document.model_dump(by_alias=True, exclude_none=True)["info"] == oa_expected_ops.EXPECTED["metadata"]["info"]


def test_example_objects_reach_the_document() -> None:
    examples: dict[str, Example] = {"small": Example(summary="A small one", value=1)}
    app = App()

    @app.get("/q")
    def q(x: int = Query(0, openapi_examples=examples)) -> None: ...

    (parameter,) = app.openapi()["paths"]["/q"]["get"]["parameters"]
    assert parameter["examples"] == {"small": {"summary": "A small one", "value": 1}}
