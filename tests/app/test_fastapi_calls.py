"""How endpoints and dependencies are called, end to end, as FastAPI calls them.

COMPAT(fastapi): every callable gets its arguments by keyword (decorators such
as slowapi's ``@limiter.limit`` read ``kwargs["request"]``), dependencies run
before the 422 is decided (an authentication dependency's 401 wins), and a
``yield`` dependency that swallows an exception is FastAPI's ``FastAPIError``.
"""

import functools
import inspect
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from ferrule import App, Depends, Header, HTTPException, Query, Request, Response
from ferrule.exceptions import FastAPIError
from ferrule.testclient import TestClient


def records_kwargs(seen: list[dict[str, Any]]) -> Any:
    """A decorator in the style of slowapi's: positional arguments are refused."""

    def decorate(func: Any) -> Any:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if args:
                    raise TypeError(f"called with positional arguments {args!r}")
                seen.append(kwargs)
                return await func(**kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if args:
                raise TypeError(f"called with positional arguments {args!r}")
            seen.append(kwargs)
            return func(**kwargs)

        return wrapper

    return decorate


class Item(BaseModel):
    name: str


def test_every_kind_of_endpoint_is_called_by_keyword() -> None:
    app = App()
    seen: list[dict[str, Any]] = []

    @records_kwargs(seen)
    def token(x_token: Annotated[str, Header()]) -> str:
        return x_token

    @app.get("/plain")
    @records_kwargs(seen)
    async def plain() -> str:
        return "plain"

    @app.get("/query")
    @records_kwargs(seen)
    async def query(q: int, limit: Annotated[int, Query()] = 5) -> int:
        return q + limit

    @app.post("/body")
    @records_kwargs(seen)
    async def body(item: Item, q: int = 0) -> str:
        return item.name * (q + 1)

    @app.get("/request")
    @records_kwargs(seen)
    async def with_request(request: Request, response: Response) -> str:
        response.headers["x-seen"] = "1"
        return request.url.path

    @app.get("/deps")
    @records_kwargs(seen)
    def sync_with_deps(user: Annotated[str, Depends(token)], q: int = 1) -> str:
        return user * q

    client = TestClient(app)
    assert client.get("/plain").json() == "plain"
    assert client.get("/query?q=2").json() == 7
    assert client.post("/body?q=1", json={"name": "ab"}).json() == "abab"
    response = client.get("/request")
    assert response.json() == "/request" and response.headers["x-seen"] == "1"
    assert client.get("/deps?q=2", headers={"x-token": "t"}).json() == "tt"
    assert [sorted(kwargs) for kwargs in seen] == [
        [], ["limit", "q"], ["item", "q"], ["request", "response"], ["x_token"], ["q", "user"]
    ]


def test_a_yield_dependency_that_swallows_an_exception_is_fastapis_error() -> None:
    # FastAPI's docs, "Dependencies with yield and except" (tutorial008c).
    app = App()

    class InternalError(Exception):
        pass

    def get_username() -> Iterator[str]:
        try:
            yield "Rick"
        except InternalError:
            pass

    @app.get("/items/{item_id}")
    def get_item(item_id: str, username: Annotated[str, Depends(get_username)]) -> str:
        if item_id == "portal-gun":
            raise InternalError(f"The portal gun is too dangerous to be owned by {username}")
        return item_id

    client = TestClient(app)
    assert client.get("/items/plumbus").json() == "plumbus"
    with pytest.raises(FastAPIError) as info:
        client.get("/items/portal-gun")
    assert "raising an exception and a dependency with yield" in info.value.args[0]
    quiet = TestClient(app, raise_server_exceptions=False).get("/items/portal-gun")
    assert quiet.status_code == 500 and quiet.text == "Internal Server Error"
def _auth(authorization: Annotated[str | None, Header()] = None) -> str:
    if authorization != "secret":
        raise HTTPException(401, "Not authenticated")
    return "user"


def test_an_authentication_401_wins_over_a_422() -> None:
    app = App()

    @app.post("/items")
    async def create(item: Item, user: Annotated[str, Depends(_auth)], q: int = 0) -> str:
        return user

    client = TestClient(app)
    bad = client.post("/items?q=x", json={"nom": 1})
    assert bad.status_code == 401 and bad.json() == {"detail": "Not authenticated"}
    invalid = client.post("/items?q=x", json={"nom": 1}, headers={"authorization": "secret"})
    assert invalid.status_code == 422
    assert [tuple(e["loc"]) for e in invalid.json()["detail"]] == [("query", "q"), ("body", "name")]




def test_positional_only_parameters_are_passed_positionally_the_rest_by_keyword() -> None:
    # The endpoints have nothing to inject, so they take the route's direct lane.
    app = App()

    @app.get("/mixed/{a}")
    async def mixed(a: int, /, b: int, *, c: int = 0) -> list[int]:
        return [a, b, c]

    @app.get("/only/{a}")
    def only(a: int, b: int = 5, /) -> list[int]:
        return [a, b]

    client = TestClient(app)
    assert client.get("/mixed/1?b=2&c=3").json() == [1, 2, 3]
    assert client.get("/only/7").json() == [7, 5]
    assert client.get("/only/7?b=8").json() == [7, 8]
