"""Solving: order, per-request cache, threads and limiter, injectables, timing hook."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
import anyio.to_thread
import pytest
from di_helpers import Recorder, make_request, make_websocket, plan_for, solve
from hypothesis import given, settings
from hypothesis import strategies as st

import ferrule.di.plan as plan_module
from ferrule.asgi_core.background import BackgroundTasks
from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.request import HTTPConnection, Request
from ferrule.asgi_core.response import Response
from ferrule.asgi_core.websocket import WebSocket
from ferrule.di import Depends, SolveContext
from ferrule.di import markers
from ferrule.validation.params import Cookie, Header
from ferrule.validation.errors import RequestValidationError

pytestmark = pytest.mark.anyio


async def test_dependencies_run_in_topological_order_once_per_request() -> None:
    rec = Recorder()

    def settings_() -> str:
        rec("settings")
        return "S"

    async def db(s: str = Depends(settings_)) -> str:
        rec("db")
        return f"db({s})"

    def repo(d: str = Depends(db), s: str = Depends(settings_)) -> str:
        rec("repo")
        return f"repo({d},{s})"

    async def endpoint(r: str = Depends(repo), d: str = Depends(db)) -> str:
        rec("endpoint")
        return f"{r}|{d}"

    plan = plan_for(endpoint)
    assert await solve(plan) == "repo(db(S),S)|db(S)"
    assert rec.events == ["settings", "db", "repo", "endpoint"]
    assert await solve(plan) == "repo(db(S),S)|db(S)"  # a new request calls them again
    assert rec.count("settings") == 2


async def test_use_cache_false_calls_every_time() -> None:
    rec = Recorder()

    def counter() -> int:
        rec("counter")
        return len(rec.events)

    def endpoint(
        a: int = Depends(counter),
        b: int = Depends(counter, use_cache=False),
        c: int = Depends(counter),
    ) -> tuple[int, int, int]:
        return a, b, c

    # COMPAT(fastapi): the uncached call refreshes the cached value for later users.
    assert await solve(plan_for(endpoint)) == (1, 2, 2)
    assert rec.count("counter") == 2


async def test_route_dependencies_run_first_and_share_the_cache() -> None:
    rec = Recorder()

    def verify_token() -> str:
        rec("verify")
        return "token"

    def audit() -> None:
        rec("audit")

    async def endpoint(token: str = Depends(verify_token)) -> str:
        rec("endpoint")
        return token

    plan = plan_for(endpoint, dependencies=[markers.Depends(audit), markers.Depends(verify_token)])
    assert await solve(plan) == "token"
    assert rec.events == ["audit", "verify", "endpoint"]


async def test_sync_callables_run_in_worker_threads() -> None:
    loop_thread = threading.get_ident()
    seen: dict[str, int] = {}

    def sync_dep() -> None:
        seen["sync"] = threading.get_ident()

    def sync_gen() -> Iterator[None]:
        seen["gen_setup"] = threading.get_ident()
        yield
        seen["gen_teardown"] = threading.get_ident()

    async def async_dep() -> None:
        seen["async"] = threading.get_ident()

    def endpoint(a: None = Depends(sync_dep), b: None = Depends(sync_gen), c: None = Depends(async_dep)) -> None:
        seen["endpoint"] = threading.get_ident()

    await solve(plan_for(endpoint))
    assert seen["async"] == loop_thread
    for key in ("sync", "gen_setup", "gen_teardown", "endpoint"):
        assert seen[key] != loop_thread, key


async def test_sync_callables_use_the_context_limiter() -> None:
    limiter = anyio.CapacityLimiter(1)
    borrowed: list[float] = []

    def dep() -> None:
        borrowed.append(limiter.borrowed_tokens)

    def gen() -> Iterator[None]:
        borrowed.append(limiter.borrowed_tokens)
        yield

    def endpoint(a: None = Depends(dep), b: None = Depends(gen)) -> None:
        borrowed.append(limiter.borrowed_tokens)

    await solve(plan_for(endpoint), limiter=limiter)
    assert borrowed == [1, 1, 1]

    default = anyio.to_thread.current_default_thread_limiter()
    used: list[float] = []

    def dep2() -> None:
        used.append(default.borrowed_tokens)

    before = default.borrowed_tokens
    await solve(plan_for(lambda a=Depends(dep2): a))
    assert used == [before + 1]


async def test_limiter_bounds_concurrency() -> None:
    limiter = anyio.CapacityLimiter(1)
    active = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()

    def blocking() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        release.wait(5)
        with lock:
            active -= 1

    async def endpoint(x: None = Depends(blocking)) -> None:
        pass

    plan = plan_for(endpoint)
    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(lambda: solve(plan, limiter=limiter))
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert peak == 1


async def test_injectables() -> None:
    captured: dict[str, Any] = {}

    def dep(response: Response, tasks: BackgroundTasks, conn: HTTPConnection) -> None:
        response.headers["x-dep"] = "1"
        tasks.add_task(lambda: None)
        captured["dep"] = (response, tasks, conn)

    async def endpoint(request: Request, response: Response, tasks: BackgroundTasks, x: None = Depends(dep)) -> None:
        response.status_code = 201
        captured["endpoint"] = (response, tasks, request)

    request = make_request()
    async with AsyncExitStack() as stack:
        ctx = SolveContext(stack)
        await plan_for(endpoint).solve(request, ctx)
    assert captured["dep"] == captured["endpoint"]
    response, tasks, conn = captured["endpoint"]
    assert conn is request
    assert ctx.response is not None and ctx.background is not None
    assert response is ctx.response and tasks is ctx.background
    assert response.status_code == 201
    assert response.raw_headers == [(b"x-dep", b"1")]  # no content-length of its own
    assert len(tasks.tasks) == 1


async def test_sub_response_starts_undecided_and_unset_ones_stay_none() -> None:
    async def endpoint(response: Response) -> int | None:
        return response.status_code

    async with AsyncExitStack() as stack:
        ctx = SolveContext(stack)
        assert await plan_for(endpoint).solve(make_request(), ctx) is None
        assert ctx.response is not None and ctx.response.raw_headers == []

    async with AsyncExitStack() as stack:
        ctx = SolveContext(stack)
        await plan_for(lambda: None).solve(make_request(), ctx)
        assert ctx.response is None and ctx.background is None


async def test_websocket_route_gets_the_websocket() -> None:
    def dep(conn: HTTPConnection, q: int = 0) -> tuple[HTTPConnection, int]:
        return conn, q

    async def endpoint(websocket: WebSocket, d: tuple[HTTPConnection, int] = Depends(dep)) -> Any:
        return websocket, d

    ws = make_websocket(query=b"q=4")
    result = await solve(plan_for(endpoint, kind="websocket"), ws)
    assert result == (ws, (ws, 4))


async def test_generator_endpoints_are_returned_unstarted() -> None:
    started = []

    async def agen(q: int = 1) -> AsyncIterator[int]:
        started.append(True)
        yield q

    def sgen(q: int = 1) -> Iterator[int]:
        started.append(True)
        yield q

    aplan, splan = plan_for(agen), plan_for(sgen)
    assert aplan.is_generator_endpoint and aplan.is_async
    assert splan.is_generator_endpoint and not splan.is_async
    agen_obj = await solve(aplan, make_request(query=b"q=3"))
    sgen_obj = await solve(splan, make_request(query=b"q=4"))
    assert started == []
    assert [x async for x in agen_obj] == [3]
    assert list(sgen_obj) == [4]

    async def coro() -> None:
        pass

    plan = plan_for(coro)
    assert plan.is_async and not plan.is_generator_endpoint


def _reads_kwargs(seen: list[dict[str, Any]]) -> Any:
    """A decorator like slowapi's ``@limiter.limit``: it finds the request in ``kwargs``."""

    def decorate(func: Any) -> Any:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                assert not args, f"called positionally: {args!r}"
                seen.append(dict(kwargs))
                assert isinstance(kwargs["request"], Request)
                return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            assert not args, f"called positionally: {args!r}"
            seen.append(dict(kwargs))
            assert isinstance(kwargs["request"], Request)
            return func(*args, **kwargs)

        return wrapper

    return decorate


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
async def test_endpoints_and_dependencies_are_called_by_keyword(sync: bool) -> None:
    # COMPAT(fastapi): FastAPI calls every callable with keyword arguments.
    seen: list[dict[str, Any]] = []

    @_reads_kwargs(seen)
    def sync_dep(request: Request, q: int) -> int:
        return q + 1

    @_reads_kwargs(seen)
    async def async_dep(request: Request, d: int = Depends(sync_dep)) -> int:
        return d * 10

    @_reads_kwargs(seen)
    def gen_dep(request: Request, d: int = Depends(async_dep)) -> Iterator[int]:
        yield d + 1

    @_reads_kwargs(seen)
    async def endpoint(request: Request, g: int = Depends(gen_dep), response: Response = None) -> int:  # type: ignore[assignment]
        return g

    @_reads_kwargs(seen)
    def sync_endpoint(request: Request, g: int = Depends(gen_dep), response: Response = None) -> int:  # type: ignore[assignment]
        return g

    result = await solve(plan_for(sync_endpoint if sync else endpoint), make_request(query=b"q=2"))
    assert result == 31
    assert [sorted(kwargs) for kwargs in seen] == [
        ["q", "request"], ["d", "request"], ["d", "request"], ["g", "request", "response"]
    ]
    assert isinstance(seen[-1]["response"], Response)


async def test_dependencies_with_params_do_not_run_when_validation_fails() -> None:
    rec = Recorder()

    def dep(x: int) -> int:
        rec("dep")
        return x

    async def endpoint(q: int, d: int = Depends(dep)) -> None:
        rec("endpoint")

    with pytest.raises(RequestValidationError) as info:
        await solve(plan_for(endpoint), make_request(query=b"q=nope"))
    assert rec.events == []
    locs = [tuple(e["loc"]) for e in info.value.errors()]
    assert ("query", "q") in locs and ("query", "x") in locs


async def test_dependencies_without_params_still_run_when_validation_fails() -> None:
    # COMPAT(fastapi): the 401 of an authentication dependency wins over the 422.
    rec = Recorder()

    def authenticate(request: Request) -> str:
        rec("auth")
        if "authorization" not in request.headers:
            raise HTTPException(401, "Not authenticated")
        return "user"

    async def session() -> AsyncIterator[None]:
        rec("setup")
        try:
            yield
        except Exception as exc:
            rec(f"thrown {type(exc).__name__}")
            raise

    def with_param(x: int) -> None:
        rec("with_param")  # pragma: no cover - never valid in these requests

    async def endpoint(
        q: int,
        s: None = Depends(session, scope="function"),
        p: None = Depends(with_param),
        user: str = Depends(authenticate),
    ) -> None:
        rec("endpoint")  # pragma: no cover

    plan = plan_for(endpoint)
    with pytest.raises(HTTPException) as http:
        await solve(plan, make_request(query=b"q=bad"))
    assert http.value.status_code == 401
    assert rec.events == ["setup", "auth", "thrown HTTPException"]

    rec.events.clear()
    with pytest.raises(RequestValidationError):
        await solve(plan, make_request(query=b"q=bad", headers=[(b"authorization", b"x")]))
    assert rec.events == ["setup", "auth", "thrown RequestValidationError"]


async def test_malformed_json_body_is_refused_before_any_dependency() -> None:
    rec = Recorder()

    def authenticate() -> None:
        rec("auth")

    async def endpoint(item: dict[str, int], user: None = Depends(authenticate)) -> None:
        pass  # pragma: no cover

    body = b"{not json"
    request = make_request(
        headers=[(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())], body=body
    )
    with pytest.raises(RequestValidationError) as info:
        await solve(plan_for(endpoint), request)
    assert info.value.errors()[0]["type"] == "json_invalid"
    assert rec.events == []


async def test_values_are_per_request() -> None:
    def dep(q: int) -> list[int]:
        return [q]

    async def endpoint(d: list[int] = Depends(dep)) -> list[int]:
        d.append(0)
        return d

    plan = plan_for(endpoint)
    results = []

    async def one(q: int) -> None:
        results.append(await solve(plan, make_request(query=f"q={q}".encode())))

    async with anyio.create_task_group() as tg:
        for q in range(5):
            tg.start_soon(one, q)
    assert sorted(results) == [[q, 0] for q in range(5)]


# -- timing hook --------------------------------------------------------------------


class Observer:
    def __init__(self) -> None:
        self.stages: list[tuple[str, str, float]] = []

    def on_stage(self, route: str, stage: Any, seconds: float) -> None:
        self.stages.append((route, stage, seconds))


async def test_timing_hook_reports_each_stage() -> None:
    async def slow_dep() -> None:
        await anyio.sleep(0.01)

    async def endpoint(q: int = 0, d: None = Depends(slow_dep)) -> None:
        pass

    observer = Observer()
    await solve(plan_for(endpoint, path="/timed"), make_request(query=b"q=1"), observer=observer)
    assert [(r, s) for r, s, _ in observer.stages] == [
        ("GET /timed", "parse"),
        ("GET /timed", "dependencies"),
        ("GET /timed", "endpoint"),
    ]
    assert observer.stages[1][2] >= 0.009
    assert all(seconds >= 0 for _, _, seconds in observer.stages)


async def test_no_timing_without_observer(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden() -> float:
        raise AssertionError("perf_counter called without an observer")

    monkeypatch.setattr(plan_module, "perf_counter", forbidden)

    async def endpoint(q: int = 0, d: None = Depends(lambda: None)) -> int:
        return q

    assert await solve(plan_for(endpoint), make_request(query=b"q=2")) == 2


# -- property: random DAGs ------------------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[list[int]], list[bool], list[int]]:
    n = draw(st.integers(min_value=1, max_value=9))
    edges = [sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else [] for i in range(n)]
    is_async = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    roots = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=4)))
    return edges, is_async, roots


def _node(i: int, deps: list[int], is_async: bool, funcs: list[Any], calls: list[int]) -> Any:
    def check(kwargs: dict[str, Any]) -> int:
        assert all(kwargs[f"d{j}"] == j for j in deps)
        assert all(j in calls for j in deps), "ran before a dependency"
        calls.append(i)
        return i

    if is_async:

        async def node(**kwargs: Any) -> int:
            return check(kwargs)

    else:

        def node(**kwargs: Any) -> int:  # type: ignore[misc]
            return check(kwargs)

    node.__name__ = node.__qualname__ = f"n{i}"
    node.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"d{j}", inspect.Parameter.KEYWORD_ONLY, default=Depends(funcs[j])) for j in deps]
    )
    return node


@settings(max_examples=60, deadline=None)
@given(dags())
def test_random_dags_run_in_topological_order_once_each(dag: tuple[list[list[int]], list[bool], list[int]]) -> None:
    edges, is_async, roots = dag
    calls: list[int] = []
    funcs: list[Any] = []
    for i, deps in enumerate(edges):
        funcs.append(_node(i, deps, is_async[i], funcs, calls))

    async def endpoint(**kwargs: Any) -> dict[str, Any]:
        return kwargs

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"r{j}", inspect.Parameter.KEYWORD_ONLY, default=Depends(funcs[j])) for j in roots]
    )
    plan = plan_for(endpoint)
    result = anyio.run(solve, plan)
    assert result == {f"r{j}": j for j in roots}
    reachable: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node not in reachable:
            reachable.add(node)
            stack.extend(edges[node])
    assert sorted(calls) == sorted(reachable)  # each reachable node exactly once
    assert len(plan.steps) == len(reachable)


async def test_error_blame_is_per_location_and_total_when_the_location_is_unknown() -> None:
    from ferrule.di.plan import ErrorBlame

    async def endpoint(a: int, b: int, x_h: int = Header(), c: int = Cookie()) -> None:
        pass  # pragma: no cover

    fields = plan_for(endpoint).validator.fields
    blame = ErrorBlame(fields)
    names = [f.name for f in fields]
    assert {names[i] for i in blame.failed([{"loc": ("query", "a")}])} == {"a", "b"}
    assert {names[i] for i in blame.failed([{"loc": ("header", "x-h")}, {"loc": ("cookie",)}])} == {"x_h", "c"}
    assert blame.failed([{"loc": ("nowhere", "a")}]) == set(range(len(fields)))
    assert blame.failed([{"loc": ()}]) == set(range(len(fields)))
