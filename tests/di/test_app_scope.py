"""``scope="app"``: created once per lifespan, shared, torn down at shutdown; scope checks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest
from di_helpers import Recorder, make_request, plan_for, solve

from ferrule.asgi_core.background import BackgroundTasks
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import Response
from ferrule.di import AppScope, DependencyScopeError, Depends, SecurityScopes, build_dependant

pytestmark = pytest.mark.anyio


def make_deps(rec: Recorder) -> dict[str, Any]:
    def get_settings() -> dict[str, str]:
        rec("settings")
        return {"dsn": "db://"}

    async def get_pool(settings: dict[str, str] = Depends(get_settings)) -> AsyncIterator[str]:
        rec("open pool")
        yield f"pool({settings['dsn']})"
        rec("close pool")

    def get_cache() -> Iterator[str]:
        rec("open cache")
        yield "cache"
        rec("close cache")

    async def get_conn(pool: str = Depends(get_pool, scope="app")) -> AsyncIterator[str]:
        rec("open conn")
        yield f"conn@{pool}"
        rec("close conn")

    return {"settings": get_settings, "pool": get_pool, "cache": get_cache, "conn": get_conn}


async def test_app_dependencies_are_created_at_start_and_shared() -> None:
    rec = Recorder()
    d = make_deps(rec)
    app_scope = AppScope()

    async def one(conn: str = Depends(d["conn"]), cache: str = Depends(d["cache"], scope="app")) -> str:
        return f"{conn}+{cache}"

    async def two(pool: str = Depends(d["pool"], scope="app")) -> str:
        return pool

    plan_one = plan_for(one, app_scope=app_scope)
    plan_two = plan_for(two, app_scope=app_scope)
    await app_scope.start()
    assert rec.events == ["settings", "open pool", "open cache"]
    for _ in range(3):
        assert await solve(plan_one) == "conn@pool(db://)+cache"
        assert await solve(plan_two) == "pool(db://)"
    assert rec.count("open pool") == rec.count("open cache") == 1
    assert rec.count("open conn") == rec.count("close conn") == 3  # request-scoped
    assert rec.count("close pool") == 0
    await app_scope.aclose()
    assert rec.events[-2:] == ["close cache", "close pool"]  # reverse creation order


async def test_created_lazily_without_lifespan_and_only_once() -> None:
    rec = Recorder()
    gate = anyio.Event()

    async def slow_resource() -> AsyncIterator[str]:
        rec("create")
        await gate.wait()
        yield "resource"
        rec("destroy")

    async def endpoint(r: str = Depends(slow_resource, scope="app")) -> str:
        return r

    app_scope = AppScope()
    plan = plan_for(endpoint, app_scope=app_scope)
    results: list[str] = []

    async def request() -> None:
        results.append(await solve(plan))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(request)
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert results == ["resource"] * 5
    assert rec.events == ["create"]
    await app_scope.aclose()
    assert rec.events == ["create", "destroy"]
    # after shutdown, a new request creates it again
    assert await solve(plan) == "resource"
    assert rec.count("create") == 2
    await app_scope.aclose()


async def test_route_compiled_after_start_creates_lazily() -> None:
    rec = Recorder()
    d = make_deps(rec)
    app_scope = AppScope()
    await app_scope.start()
    plan = plan_for(lambda p=Depends(d["pool"], scope="app"): p, app_scope=app_scope)
    assert rec.events == []
    assert await solve(plan) == "pool(db://)"
    assert rec.events == ["settings", "open pool"]
    await app_scope.aclose()
    assert rec.events[-1] == "close pool"


async def test_undeclared_sub_dependencies_become_app_scoped_and_shared() -> None:
    rec = Recorder()
    d = make_deps(rec)

    def get_client(settings: dict[str, str] = Depends(d["settings"])) -> str:
        return "client"

    async def endpoint(
        pool: str = Depends(d["pool"], scope="app"),
        client: str = Depends(get_client, scope="app"),
        settings: dict[str, str] = Depends(d["settings"]),
    ) -> None:
        pass

    app_scope = AppScope()
    plan = plan_for(endpoint, app_scope=app_scope)
    dependant = plan.dependant
    assert [dep.computed_scope for dep in dependant.dependencies[0].dependencies] == ["app"]
    async with app_scope:
        await solve(plan)
        await solve(plan)
    # settings: once for both app dependencies, and once per request for the endpoint
    assert rec.count("settings") == 3


@pytest.mark.parametrize(
    ("bad", "what"),
    [
        ("request", "Request \\(parameter 'request'\\)"),
        ("response", "Response \\(parameter 'response'\\)"),
        ("tasks", "BackgroundTasks \\(parameter 'tasks'\\)"),
        ("query", "the request parameter 'q' \\(query\\)"),
        ("scoped", "'per_request' \\(declared scope=\"request\"\\)"),
    ],
)
def test_app_scope_cannot_use_request_values(bad: str, what: str) -> None:
    def uses_request(request: Request) -> None:
        pass

    def uses_response(response: Response) -> None:
        pass

    def uses_tasks(tasks: BackgroundTasks) -> None:
        pass

    def uses_query(q: int) -> None:
        pass

    def per_request() -> None:
        pass

    def uses_scoped(x: None = Depends(per_request, scope="request")) -> None:
        pass

    inners: dict[str, Callable[..., None]] = {
        "request": uses_request,
        "response": uses_response,
        "tasks": uses_tasks,
        "query": uses_query,
        "scoped": uses_scoped,
    }
    inner = inners[bad]

    def middle(x: None = Depends(inner)) -> None:
        pass

    def resource(x: None = Depends(middle)) -> None:
        pass

    def endpoint(r: None = Depends(resource, scope="app")) -> None:
        pass

    with pytest.raises(DependencyScopeError, match=f"'resource' is declared scope=\"app\".*{what}") as info:
        build_dependant(endpoint)
    assert info.value.path[:4] == ("endpoint", "resource", "middle", inner.__name__)
    assert f"Path: endpoint -> resource -> middle -> {inner.__name__}" in str(info.value)


async def test_security_scopes_are_allowed_in_app_scope() -> None:
    def needs_scopes(scopes: SecurityScopes) -> str:
        return scopes.scope_str

    app_scope = AppScope()
    plan = plan_for(lambda s=Depends(needs_scopes, scope="app"): s, app_scope=app_scope)
    async with app_scope:
        assert await solve(plan) == ""


def test_app_scope_without_an_app_scope_object_is_an_error() -> None:
    def resource() -> None:
        pass

    with pytest.raises(DependencyScopeError, match="compiled without an AppScope"):
        plan_for(lambda r=Depends(resource, scope="app"): r)


async def test_request_dependency_may_use_an_app_dependency() -> None:
    rec = Recorder()
    d = make_deps(rec)
    app_scope = AppScope()
    plan = plan_for(lambda c=Depends(d["conn"]): c, app_scope=app_scope)
    async with app_scope:
        assert await solve(plan, make_request()) == "conn@pool(db://)"
    assert rec.events == ["settings", "open pool", "open conn", "close conn", "close pool"]
