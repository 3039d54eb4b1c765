"""Which dependencies run when parameters are invalid: ferrule against FastAPI itself.

COMPAT(fastapi): dependencies are solved in order; one whose own inputs are
invalid is skipped, the others run, and an ``HTTPException`` from any of them
wins over the collected 422. The same app is built with both frameworks and
driven with the same requests (hypothesis picks which inputs are valid, which
ask a dependency to refuse); status, body and the dependencies that ran must
match. FastAPI is a test-only dependency; ferrule never imports it.

Each request location here belongs to one callable (ferrule validates a
location as a whole, FastAPI each parameter: see ``di.plan.ErrorBlame``);
the last test pins the one documented difference.
"""

from typing import Annotated, Any

import fastapi
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import ferrule
from ferrule.testclient import TestClient


class Item(BaseModel):
    name: str


def build(fw: Any, ran: list[str]) -> Any:
    """One app, written the same way for ``fastapi`` and ``ferrule``."""
    Depends, Header, Query, Cookie = fw.Depends, fw.Header, fw.Query, fw.Cookie

    def always(flag: Annotated[str | None, Cookie()] = None) -> None:
        ran.append("always")
        if flag == "deny":
            raise fw.HTTPException(401, "always says no")

    def by_header(x_key: Annotated[int, Header()]) -> int:
        ran.append("by_header")
        if x_key == 0:
            raise fw.HTTPException(403, "header says no")
        return x_key

    def by_query(q: Annotated[int, Query()]) -> int:
        ran.append("by_query")
        if q == 0:
            raise fw.HTTPException(400, "query says no")
        return q

    def above_query(v: Annotated[int, Depends(by_query)]) -> int:
        ran.append("above_query")
        return v

    def no_inputs() -> None:
        ran.append("no_inputs")

    app = fw.FastAPI() if fw is fastapi else fw.App()

    @app.post("/items", dependencies=[Depends(no_inputs)])
    async def create(
        item: Item,
        a: Annotated[None, Depends(always)],
        h: Annotated[int, Depends(by_header)],
        v: Annotated[int, Depends(above_query)],
    ) -> str:
        ran.append("endpoint")
        return item.name

    return app


_RAN: dict[str, list[str]] = {"fastapi": [], "ferrule": []}
_CLIENTS = {
    "fastapi": TestClient(build(fastapi, _RAN["fastapi"])),
    "ferrule": TestClient(build(ferrule, _RAN["ferrule"])),
}

valid_or_not = st.sampled_from(["ok", "bad", "deny", "absent"])


def _request(flag: str, key: str, query: str, body: str) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    cookies = ""
    if flag != "absent":
        cookies = f"flag={'deny' if flag == 'deny' else 'x'}"
    if key != "absent":
        headers["x-key"] = {"ok": "5", "bad": "five", "deny": "0"}[key]
    if cookies:
        headers["cookie"] = cookies
    params = {} if query == "absent" else {"q": {"ok": "7", "bad": "seven", "deny": "0"}[query]}
    content = {"ok": b'{"name": "n"}', "bad": b'{"nom": 1}', "deny": b"[]", "absent": b""}[body]
    return {"headers": headers, "params": params, "content": content}


def _outcome(name: str, request: dict[str, Any]) -> tuple[int, Any, list[str]]:
    ran = _RAN[name]
    ran.clear()
    response = _CLIENTS[name].post("/items", **request)
    body = response.json()
    if response.status_code == 422:
        # ferrule lists errors by location, FastAPI in solving order: compare the sets.
        body = sorted(body["detail"], key=repr)
    return response.status_code, body, list(ran)


@settings(max_examples=150, deadline=None)
@given(flag=valid_or_not, key=valid_or_not, query=valid_or_not, body=valid_or_not)
def test_dependencies_run_and_refuse_as_in_fastapi(flag: str, key: str, query: str, body: str) -> None:
    request = _request(flag, key, query, body)
    assert _outcome("ferrule", request) == _outcome("fastapi", request)


def test_an_invalid_body_does_not_hide_an_authentication_error() -> None:
    request = _request("deny", "bad", "bad", "bad")
    status, body, ran = _outcome("ferrule", request)
    assert (status, body, ran) == (401, {"detail": "always says no"}, ["no_inputs", "always"])
    assert _outcome("fastapi", request) == (status, body, ran)


def test_a_dependency_sharing_a_location_with_an_invalid_parameter_is_skipped() -> None:
    # The one difference: FastAPI validates `q` alone and runs `by_query`;
    # ferrule has no value for any query parameter once one of them is invalid.
    def build_shared(fw: Any, ran: list[str]) -> Any:
        def by_query(q: int) -> int:
            ran.append("by_query")
            raise fw.HTTPException(400, "query says no")

        app = fw.FastAPI() if fw is fastapi else fw.App()

        @app.get("/")
        async def read(other: int, v: Annotated[int, fw.Depends(by_query)]) -> None:
            ran.append("endpoint")  # pragma: no cover

        return app

    outcomes = {}
    for fw in (fastapi, ferrule):
        ran: list[str] = []
        response = TestClient(build_shared(fw, ran)).get("/?q=1&other=x")
        outcomes[fw.__name__] = (response.status_code, ran)
    assert outcomes == {"fastapi": (400, ["by_query"]), "ferrule": (422, [])}


def test_valid_requests_run_everything_once_in_order() -> None:
    request = _request("ok", "ok", "ok", "ok")
    expected = (200, "n", ["no_inputs", "always", "by_header", "by_query", "above_query", "endpoint"])
    assert _outcome("ferrule", request) == expected == _outcome("fastapi", request)
