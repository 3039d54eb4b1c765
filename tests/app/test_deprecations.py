"""Deprecations warn where FastAPI warns, with FastAPI's class, and nowhere else (issue 23 item 4).

From FastAPI's docs and release notes: ``regex=`` (use ``pattern=``) and ``example=``
(use ``examples=``) on the parameter functions, ``on_event`` (use ``lifespan``),
``ORJSONResponse``/``UJSONResponse`` and ``FastAPI(root_path=...)`` are deprecated;
FastAPI's own warnings are ``fastapi.exceptions.FastAPIDeprecationWarning``, a
``UserWarning`` (so they are shown by default); ``on_event`` warns ``DeprecationWarning``.
"""

from __future__ import annotations

import warnings
from typing import Annotated

import pytest

from ferrule import APIRouter, App, Body, Query
from ferrule.exceptions import FastAPIDeprecationWarning
from ferrule.responses import JSONResponse, ORJSONResponse, UJSONResponse
from ferrule.testclient import TestClient


def test_the_warning_class_is_fastapis() -> None:
    assert issubclass(FastAPIDeprecationWarning, UserWarning)
    assert not issubclass(FastAPIDeprecationWarning, DeprecationWarning)


def test_regex_and_example_in_an_app_warn_and_still_work() -> None:
    app = App()
    with pytest.warns(FastAPIDeprecationWarning) as record:

        @app.get("/items")
        def items(q: Annotated[str, Query(regex="^[a-z]+$", example="abc")]) -> str:
            return q

        @app.post("/things")
        def things(name: Annotated[str, Body(embed=True, example="n")]) -> str:
            return name

    assert {str(w.message) for w in record} == {
        "`regex` has been deprecated, please use `pattern` instead",
        "`example` has been deprecated, please use `examples` instead",
    }
    client = TestClient(app)
    assert client.get("/items", params={"q": "abc"}).json() == "abc"
    assert client.get("/items", params={"q": "ABC"}).status_code == 422


def test_on_event_warns_deprecation_warning_on_app_and_router() -> None:
    with pytest.warns(DeprecationWarning, match="on_event is deprecated"):
        App().on_event("startup")
    with pytest.warns(DeprecationWarning, match="on_event is deprecated"):
        APIRouter().on_event("shutdown")


def test_root_path_parameter_warns() -> None:
    with pytest.warns(FastAPIDeprecationWarning, match="`root_path` parameter is deprecated"):
        App(root_path="/api/v1")


@pytest.mark.parametrize("response_class", [ORJSONResponse, UJSONResponse])
def test_orjson_and_ujson_responses_warn_when_created(response_class: type[JSONResponse]) -> None:
    with pytest.warns(FastAPIDeprecationWarning, match=f"{response_class.__name__} is deprecated"):
        response = response_class({"a": 1})
    assert response.body == b'{"a":1}'


def test_current_spellings_warn_nowhere() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = App()

        @app.get("/items")
        def items(q: Annotated[str, Query(pattern="^[a-z]+$", examples=["abc"])]) -> str:
            return q

        router = APIRouter()
        router.add_event_handler("startup", lambda: None)
        app.include_router(router)
        with TestClient(app) as client:
            assert client.get("/items", params={"q": "x"}).json() == "x"
            assert client.get("/openapi.json").status_code == 200
