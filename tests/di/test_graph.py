"""Graph analysis: classification of parameters, callable kinds, forward refs, cycles, checks.

No `from __future__ import annotations` here: local classes in annotations must
stay objects (forward references are tested with fwd_refs_module).
"""


import functools
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import fwd_refs_module as fwd
import pytest
from di_helpers import make_request, plan_for, solve

from ferrule.asgi_core.background import BackgroundTasks
from ferrule.asgi_core.request import HTTPConnection, Request
from ferrule.asgi_core.response import JSONResponse, Response
from ferrule.asgi_core.websocket import WebSocket
from ferrule.di import (
    CallKind,
    DependencyConfigError,
    DependencyCycleError,
    DependencyError,
    DependencyOverrides,
    DependencyScopeError,
    Depends,
    Security,
    SecurityScopes,
    SpecialKind,
    build_dependant,
)
from ferrule.di import markers
from ferrule.security import OAuth2PasswordBearer
from ferrule.validation.errors import EndpointContext
from ferrule.validation.fields import ParamConfigError, ParamLocation
from ferrule.validation.param_functions import Body, Header, Query

pytestmark = pytest.mark.anyio


# -- callables of every kind (module level so their annotations resolve) --------


def plain() -> str:
    return "plain"


async def coroutine() -> str:
    return "coroutine"


def generator() -> Iterator[str]:
    yield "generator"


async def async_generator() -> AsyncIterator[str]:
    yield "async_generator"


class Klass:
    def __init__(self, q: int = 0) -> None:
        self.q = q


class SyncCallable:
    def __call__(self, x: int = 1) -> str:
        return f"sync-callable-{x}"


class AsyncCallable:
    async def __call__(self, x: int = 1) -> str:
        return f"async-callable-{x}"


class GenCallable:
    async def __call__(self) -> AsyncIterator[str]:
        yield "gen-callable"


async def _tagged(tag: str, x: int = 0) -> str:
    return f"{tag}-{x}"


def _decorate(func: Any) -> Any:
    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await func(*args, **kwargs)

    return wrapper


@_decorate
async def decorated(y: int = 2) -> str:
    return f"decorated-{y}"


@pytest.mark.parametrize(
    ("call", "kind"),
    [
        (plain, CallKind.SYNC),
        (coroutine, CallKind.ASYNC),
        (generator, CallKind.GENERATOR),
        (async_generator, CallKind.ASYNC_GENERATOR),
        (Klass, CallKind.SYNC),
        (SyncCallable(), CallKind.SYNC),
        (AsyncCallable(), CallKind.ASYNC),
        (GenCallable(), CallKind.ASYNC_GENERATOR),
        (functools.partial(_tagged, "p"), CallKind.ASYNC),
        (functools.partial(functools.partial(generator)), CallKind.GENERATOR),
        (decorated, CallKind.ASYNC),
    ],
    ids=lambda v: getattr(v, "__name__", type(v).__name__),
)
def test_callable_kinds(call: Any, kind: CallKind) -> None:
    def endpoint(value: Any = Depends(call)) -> Any:
        return value

    dependant = build_dependant(endpoint)
    assert dependant.dependencies[0].kind is kind


async def test_every_callable_kind_is_solved() -> None:
    def endpoint(
        a: str = Depends(plain),
        b: str = Depends(coroutine),
        c: str = Depends(generator),
        d: str = Depends(async_generator),
        e: Klass = Depends(),
        f: str = Depends(SyncCallable()),
        g: str = Depends(AsyncCallable()),
        h: str = Depends(GenCallable()),
        i: str = Depends(functools.partial(_tagged, "p")),
        j: str = Depends(decorated),
    ) -> list[Any]:
        return [a, b, c, d, e.q, f, g, h, i, j]

    result = await solve(plan_for(endpoint), make_request(query=b"q=5&x=3&y=4"))
    assert result == [
        "plain",
        "coroutine",
        "generator",
        "async_generator",
        5,
        "sync-callable-3",
        "async-callable-3",
        "gen-callable",
        "p-3",
        "decorated-4",
    ]


# -- classification ---------------------------------------------------------------


class Special(Request):
    """A Request subclass: still injected as the request."""


def test_parameters_are_classified() -> None:
    def dep(token: Annotated[str, Header()]) -> str:
        return token

    def endpoint(
        item_id: int,
        q: str,
        body: dict[str, int],
        by_default: str = Depends(dep),
        by_annotated: Annotated[str, Depends(dep, use_cache=False)] = "ignored",
        request: Request = None,  # type: ignore[assignment]
        special: Special = None,  # type: ignore[assignment]
        conn: HTTPConnection = None,  # type: ignore[assignment]
        response: JSONResponse = None,  # type: ignore[assignment]
        tasks: BackgroundTasks = None,  # type: ignore[assignment]
        scopes: SecurityScopes = None,  # type: ignore[assignment]
        *args: Any,
        **kwargs: Any,
    ) -> None:
        pass

    dependant = build_dependant(endpoint, path_param_names=frozenset({"item_id"}))
    kinds = {a.name: a.source for a in dependant.arguments}
    assert set(kinds) == {
        "item_id", "q", "body", "by_default", "by_annotated", "request", "special", "conn",
        "response", "tasks", "scopes",
    }  # *args / **kwargs are not injected
    assert kinds["request"] is SpecialKind.REQUEST
    assert kinds["special"] is SpecialKind.REQUEST
    assert kinds["conn"] is SpecialKind.HTTP_CONNECTION
    assert kinds["response"] is SpecialKind.RESPONSE
    assert kinds["tasks"] is SpecialKind.BACKGROUND_TASKS
    assert kinds["scopes"] is SpecialKind.SECURITY_SCOPES
    assert [(f.name, f.location) for f in dependant.params] == [
        ("item_id", ParamLocation.path),
        ("q", ParamLocation.query),
        ("body", ParamLocation.body),
    ]
    first, second = dependant.dependencies
    assert first.call is dep and first.use_cache and first.name == "by_default"
    assert second.call is dep and not second.use_cache and second.name == "by_annotated"
    # pre-order, repeats (same cache key) skipped: endpoint params, then dep's once
    assert [f.name for d in dependant.walk() for f in d.params] == ["item_id", "q", "body", "token"]


@pytest.mark.parametrize(
    "annotation", [list[str], tuple[int, ...], set[bytes], frozenset[str]]
)
def test_parameterized_builtin_generics_are_parameters_not_specials(annotation: Any) -> None:
    # Python 3.10: isinstance(list[str], type) is True, yet issubclass(list[str], X)
    # raises TypeError; the special-type check must treat a generic alias as data.
    def endpoint(tags: annotation = Query([]), body: annotation = Body(...)) -> None:  # type: ignore[valid-type]
        pass

    dependant = build_dependant(endpoint, path_param_names=frozenset())
    assert [(f.name, f.location) for f in dependant.params] == [
        ("tags", ParamLocation.query),
        ("body", ParamLocation.body),
    ]


def test_parameterized_mapping_is_a_body_not_a_special() -> None:
    def endpoint(body: dict[str, int]) -> None:
        pass

    dependant = build_dependant(endpoint, path_param_names=frozenset())
    assert [(f.name, f.location) for f in dependant.params] == [("body", ParamLocation.body)]


def test_depends_without_callable_uses_the_annotation() -> None:
    def endpoint(a: Klass = Depends(), b: Annotated[Klass, Depends()] = None) -> None:  # type: ignore[assignment]
        pass

    dependant = build_dependant(endpoint)
    assert [d.call for d in dependant.dependencies] == [Klass, Klass]
    assert dependant.dependencies[0].params[0].name == "q"


def test_depends_on_a_special_type_calls_the_dependency() -> None:
    def make_response() -> Response:
        return Response("x")

    def endpoint(response: Response = Depends(make_response)) -> None:
        pass

    dependant = build_dependant(endpoint)
    assert dependant.dependencies[0].call is make_response
    assert not any(isinstance(argument.source, SpecialKind) for argument in dependant.arguments)


async def test_positional_only_parameters_are_passed_positionally() -> None:
    def dep(a: int, /, b: int) -> int:
        return a * 10 + b

    async def endpoint(value: int = Depends(dep), /) -> int:
        return value

    assert await solve(plan_for(endpoint), make_request(query=b"a=4&b=2")) == 42


# -- forward references -----------------------------------------------------------


async def test_forward_references_and_future_annotations_resolve() -> None:
    dependant = build_dependant(fwd.endpoint)
    assert [d.call for d in dependant.dependencies] == [fwd.Settings, fwd.get_user]
    settings, user, q = await solve(plan_for(fwd.endpoint, path="/fwd"), make_request("/fwd", query=b"q=7"))
    assert isinstance(settings, fwd.Settings)
    assert user == "user-from-/fwd-settings"
    assert q == 7


def test_unresolvable_forward_reference_names_the_parameter() -> None:
    with pytest.raises(DependencyConfigError, match=r"not_defined_anywhere.*'value'.*unresolvable") as info:
        build_dependant(fwd.unresolvable)
    assert info.value.path == ("unresolvable",)


def test_local_names_resolve_through_the_closure() -> None:
    class Local:
        pass

    def dep(x: "Local") -> None:
        pass

    def endpoint(value: Any = Depends(dep)) -> None:
        del Local  # keeps Local in dep's closure, as a real nested use would

    # `Local` is a closure variable of `endpoint`, not of `dep`: not resolvable.
    with pytest.raises(DependencyConfigError, match="'Local'"):
        build_dependant(endpoint)

    def dep2(x: "Local") -> Local:
        return Local()

    dependant = build_dependant(lambda v=Depends(dep2): v)
    assert dependant.dependencies[0].params[0].annotation is Local


# -- cycles -------------------------------------------------------------------------


def test_cycle_through_forward_references_is_named() -> None:
    ctx = EndpointContext(function="cyclic_endpoint", file="app.py", line=3, method_path="GET /c")
    with pytest.raises(DependencyCycleError, match=r"dependency cycle: ping -> pong -> ping") as info:
        build_dependant(fwd.cyclic_endpoint, endpoint_ctx=ctx)
    assert info.value.cycle == ("ping", "pong", "ping")
    assert info.value.path == ("cyclic_endpoint", "ping", "pong", "ping")
    message = str(info.value)
    assert "Path: cyclic_endpoint -> ping -> pong -> ping" in message
    assert "Endpoint: GET /c -> cyclic_endpoint (app.py:3)" in message


def test_cycle_through_overrides() -> None:
    def a() -> int:
        return 1

    def b(x: int = Depends(a)) -> int:
        return x

    def endpoint(x: int = Depends(b)) -> int:
        return x

    overrides = DependencyOverrides({a: lambda y=Depends(b): y})
    with pytest.raises(DependencyCycleError, match="b -> <lambda> -> b"):
        build_dependant(endpoint, overrides=overrides)


def test_shared_dependency_is_not_a_cycle() -> None:
    def leaf() -> int:
        return 1

    def left(x: int = Depends(leaf)) -> int:
        return x

    def right(x: int = Depends(leaf)) -> int:
        return x

    def endpoint(a: int = Depends(left), b: int = Depends(right), c: int = Depends(leaf)) -> None:
        pass

    assert len(list(build_dependant(endpoint).walk())) == 4


# -- declaration errors -----------------------------------------------------------------


def test_depends_in_annotated_and_default_is_an_error() -> None:
    def endpoint(x: Annotated[int, Depends(plain)] = Depends(plain)) -> None:
        pass

    with pytest.raises(DependencyConfigError, match="'x' of .*endpoint has Depends both in Annotated"):
        build_dependant(endpoint)


def test_marker_in_annotated_with_depends_default_is_an_error() -> None:
    def endpoint(x: Annotated[int, Query()] = Depends(plain)) -> None:
        pass

    with pytest.raises(DependencyConfigError, match=r"Query\(\) marker in Annotated"):
        build_dependant(endpoint)


def test_depends_in_annotated_with_marker_default_is_an_error() -> None:
    def endpoint(x: Annotated[int, Depends(plain)] = Query(3)) -> None:
        pass

    with pytest.raises(DependencyConfigError, match=r"a Query\(\) default value"):
        build_dependant(endpoint)


def test_depends_without_callable_or_annotation_is_an_error() -> None:
    def endpoint(x=Depends()) -> None:  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(DependencyConfigError, match=r"Depends\(\) without a callable.*\(none\)"):
        build_dependant(endpoint)


def test_non_callable_dependency_is_refused_at_declaration() -> None:
    with pytest.raises(DependencyConfigError, match=r"needs a callable, got 42 \(int\)"):
        markers.Depends(42)  # type: ignore[arg-type]
    with pytest.raises(DependencyConfigError, match="not a dependency scope"):
        markers.Depends(plain, scope="session")  # type: ignore[arg-type]
    with pytest.raises(DependencyConfigError, match=r"write scopes=\['me'\]"):
        markers.Security(plain, scopes="me")


def test_special_with_marker_is_an_error() -> None:
    def endpoint(request: Annotated[Request, Query()]) -> None:
        pass

    with pytest.raises(DependencyConfigError, match="'request' .* is a Request, which ferrule injects"):
        build_dependant(endpoint)


def test_request_in_websocket_route_is_an_error() -> None:
    def dep(request: Request) -> None:
        pass

    async def endpoint(websocket: WebSocket, x: None = Depends(dep)) -> None:
        pass

    with pytest.raises(DependencyConfigError, match="WebSocket route.*HTTPConnection") as info:
        build_dependant(endpoint, kind="websocket")
    assert info.value.path == ("endpoint", "dep")


def test_websocket_in_http_route_is_an_error() -> None:
    async def endpoint(websocket: WebSocket) -> None:
        pass

    with pytest.raises(DependencyConfigError, match="asks for a WebSocket, but this is an HTTP route"):
        build_dependant(endpoint)


def test_body_param_in_websocket_route_is_an_error() -> None:
    async def endpoint(websocket: WebSocket, item: dict[str, int]) -> None:
        pass

    with pytest.raises(DependencyConfigError, match="'item' .* body parameter, but WebSocket routes"):
        build_dependant(endpoint, kind="websocket")

    async def explicit(websocket: WebSocket, item: Annotated[int, Body()]) -> None:
        pass

    with pytest.raises(DependencyConfigError, match="no request body"):
        build_dependant(explicit, kind="websocket")


def test_validation_errors_carry_the_dependency_path() -> None:
    def dep(item_id: Annotated[int, Query()]) -> int:
        return item_id

    def endpoint(x: int = Depends(dep)) -> None:
        pass

    with pytest.raises(ParamConfigError, match="'item_id'") as info:
        build_dependant(endpoint, path_param_names=frozenset({"item_id"}))
    assert "Path: endpoint -> dep" in getattr(info.value, "__notes__", ["Path: endpoint -> dep"])[0]


def test_route_dependencies_must_be_depends() -> None:
    def endpoint() -> None:
        pass

    with pytest.raises(DependencyConfigError, match=r"dependencies=\[\.\.\.\] entries must be Depends"):
        build_dependant(endpoint, dependencies=[plain])  # type: ignore[list-item]


def test_all_dependency_errors_are_ferrule_errors() -> None:
    from ferrule.asgi_core.exceptions import FerruleError

    assert issubclass(DependencyError, FerruleError)
    assert issubclass(DependencyConfigError, ValueError)


# -- scopes -------------------------------------------------------------------------------


def test_request_scope_cannot_depend_on_function_scope() -> None:
    def inner() -> Iterator[int]:
        yield 1

    def outer(x: int = Depends(inner, scope="function")) -> Iterator[int]:
        yield x

    def endpoint(x: int = Depends(outer)) -> None:
        pass

    with pytest.raises(DependencyScopeError, match=r"'outer' has a scope of \"request\".*'inner'.*\"function\""):
        build_dependant(endpoint)

    # the endpoint itself, and a function-scoped parent, may use function-scoped ones
    def ok_endpoint(x: int = Depends(inner, scope="function")) -> None:
        pass

    def fn_outer(x: int = Depends(inner, scope="function")) -> Iterator[int]:
        yield x

    build_dependant(ok_endpoint)
    build_dependant(lambda x=Depends(fn_outer, scope="function"): x)


def test_computed_scopes() -> None:
    def endpoint(
        a: int = Depends(generator),
        b: int = Depends(generator, scope="function"),
        c: str = Depends(plain),
        d: str = Depends(plain, scope="request"),
    ) -> None:
        pass

    scopes = [d.computed_scope for d in build_dependant(endpoint).dependencies]
    assert scopes == ["request", "function", None, "request"]


# -- security scopes and requirements -----------------------------------------------------------

oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"me": "me", "items": "items"})


def get_current_user(scopes: SecurityScopes, token: str = Depends(oauth2)) -> str:
    return f"{token}:{scopes.scope_str}"


def get_active_user(user: str = Security(get_current_user, scopes=["me"])) -> str:
    return user


def test_security_scopes_accumulate_parents_first() -> None:
    def endpoint(user: str = Security(get_active_user, scopes=["items", "me"])) -> None:
        pass

    dependant = build_dependant(endpoint)
    active = dependant.dependencies[0]
    current = active.dependencies[0]
    assert active.scopes == ("items", "me")
    assert current.own_scopes == ("me",)
    assert current.scopes == ("items", "me")
    requirements = dependant.security_requirements()
    assert [(r.security_scheme, r.scopes) for r in requirements] == [(oauth2, ("items", "me"))]


async def test_security_scopes_are_injected() -> None:
    def endpoint(user: str = Security(get_active_user, scopes=["items"])) -> str:
        return user

    request = make_request(headers=[(b"authorization", b"Bearer tok")])
    assert await solve(plan_for(endpoint), request) == "tok:items me"


def test_scopes_are_part_of_the_cache_key_only_when_used() -> None:
    def endpoint(
        a: str = Security(get_current_user, scopes=["a"]),
        b: str = Security(get_current_user, scopes=["b"]),
        c: str = Security(plain, scopes=["a"]),
        d: str = Security(plain, scopes=["b"]),
        e: str = Depends(plain),
    ) -> None:
        pass

    deps = build_dependant(endpoint).dependencies
    assert deps[0].cache_key != deps[1].cache_key
    # plain() declares scopes but reads none: still cached by its own scopes (FastAPI)
    assert deps[2].uses_scopes and deps[2].cache_key != deps[3].cache_key
    assert not deps[4].uses_scopes and deps[4].cache_key[1] == ()


def test_security_requirements_skip_the_endpoint_and_repeats() -> None:
    def endpoint(a: str = Depends(oauth2), b: str = Depends(get_current_user)) -> None:
        pass

    requirements = build_dependant(endpoint).security_requirements()
    assert [r.security_scheme for r in requirements] == [oauth2]
