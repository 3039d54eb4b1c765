"""Whole OpenAPI documents of test apps compared with FastAPI's for the same apps.

Each app in ``oa_apps_*`` is written once against a framework namespace; the
expected documents in ``oa_expected_*`` are FastAPI's output for the same app
bodies (see ``oa_apps_basic`` for how they were captured). Every document
must be equal as data, have FastAPI's key order (so ``/openapi.json`` is the
same bytes), and pass openapi-spec-validator.
"""

from __future__ import annotations

import json
from typing import Any

import oa_apps_basic
import oa_apps_extra
import oa_apps_misc
import oa_apps_ops
import oa_expected_basic
import oa_expected_extra
import oa_expected_misc
import oa_expected_ops
import pydantic
import pytest
from oa_framework import ferrule_framework, framework
from pinned import CAPTURED
from openapi_spec_validator import validate
from pydantic.errors import PydanticUndefinedAnnotation

CASES: list[tuple[str, Any, dict[str, Any]]] = []
for _apps, _expected in (
    (oa_apps_basic, oa_expected_basic),
    (oa_apps_ops, oa_expected_ops),
    (oa_apps_extra, oa_expected_extra),
    (oa_apps_misc, oa_expected_misc),
):
    assert set(_apps.APPS) == set(_expected.EXPECTED), _apps.__name__
    CASES.extend((name, build, _expected.EXPECTED[name]) for name, build in _apps.APPS.items())

FW = ferrule_framework()


def test_enough_apps_are_compared() -> None:
    assert len(CASES) >= 25
    assert len({name for name, _, _ in CASES}) == len(CASES)


@CAPTURED
@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_document_equals_fastapis(name: str, build: Any, expected: dict[str, Any]) -> None:
    document = build(FW).openapi()
    assert document == expected
    # Same key order everywhere: the served JSON is byte for byte FastAPI's.
    assert json.dumps(document) == json.dumps(expected)


def _fastapi_framework() -> Any:
    fastapi = pytest.importorskip("fastapi")  # the `test` extra installs it; ferrule never imports it
    import fastapi.responses
    import fastapi.security
    import fastapi.sse

    return framework(fastapi, fastapi.FastAPI, security=fastapi.security, responses=fastapi.responses,
                     sse=fastapi.sse)


# Apps the live oracle cannot document with some pydantic: FastAPI raises building
# its own document. (app name, lowest pydantic FastAPI documents it with, why).
ORACLE_NEEDS = {
    "recursive_model": ((2, 10), "FastAPI re-evaluates a self-referencing model's field annotation "
                        "(list['Node']) in its own module on pydantic < 2.10: PydanticUndefinedAnnotation"),
}


def _live_cases() -> list[Any]:
    installed = tuple(int(part) for part in pydantic.VERSION.split(".")[:2])
    cases = []
    for name, build, expected in CASES:
        marks = []
        if name in ORACLE_NEEDS and installed < ORACLE_NEEDS[name][0]:
            needed, why = ORACLE_NEEDS[name]
            marks.append(pytest.mark.xfail(raises=PydanticUndefinedAnnotation, strict=True, reason=(
                f"the oracle fails: FastAPI {_fastapi_version()} on pydantic {pydantic.VERSION} cannot document "
                f"this app ({why}); ferrule's document is checked by test_document_is_valid_openapi")))
        cases.append(pytest.param(name, build, expected, id=name, marks=marks))
    return cases


def _fastapi_version() -> str:
    from importlib.metadata import version

    return version("fastapi")


@pytest.mark.parametrize(("name", "build", "expected"), _live_cases())
def test_document_equals_live_fastapis(name: str, build: Any, expected: dict[str, Any]) -> None:
    # The same app body under FastAPI itself, on whatever pydantic is installed:
    # a new pydantic release changes both documents alike.
    ours = build(FW).openapi()
    theirs = build(_fastapi_framework()).openapi()
    assert ours == theirs
    assert json.dumps(ours) == json.dumps(theirs)


@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=[c[0] for c in CASES])
def test_document_is_valid_openapi(name: str, build: Any, expected: dict[str, Any]) -> None:
    document = build(FW).openapi()
    if "itemSchema" in json.dumps(document):
        # COMPAT(fastapi): JSON Lines / SSE responses use OpenAPI 3.2's `itemSchema`
        # (FastAPI emits it in its 3.1 documents): check those against 3.2's rules.
        document = {**document, "openapi": "3.2.0"}
    validate(document)


def test_document_is_built_once_and_cached() -> None:
    app = oa_apps_basic.first_steps(FW)
    assert app.openapi_schema is None
    first = app.openapi()
    assert app.openapi_schema is first
    assert app.openapi() is first


def test_served_document_is_the_cached_one() -> None:
    from ferrule.testclient import TestClient

    app = oa_apps_basic.first_steps(FW)
    response = TestClient(app).get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == oa_expected_basic.EXPECTED["first_steps"]
    assert app.openapi_schema == oa_expected_basic.EXPECTED["first_steps"]


def test_duplicate_operation_ids_warn_like_fastapi() -> None:
    from ferrule import App

    app = App()

    @app.get("/a", operation_id="same")
    def first() -> None: ...

    @app.get("/b", operation_id="same")
    def second() -> None: ...

    with pytest.warns(UserWarning, match="Duplicate Operation ID same for function second"):
        app.openapi()


def test_multi_method_route_documents_each_method_without_warning() -> None:
    from ferrule import App

    app = App()

    @app.api_route("/both", methods=["GET", "POST"])
    def both(q: int = 0) -> None: ...

    operations = app.openapi()["paths"]["/both"]  # -W error: a warning would fail here
    assert set(operations) == {"get", "post"}
    assert operations["get"]["operationId"] == operations["post"]["operationId"]
    assert operations["get"]["parameters"] == operations["post"]["parameters"]
