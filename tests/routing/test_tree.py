"""RouteTree: match tables, conflict tables, structural invariants, hostile paths."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from ferrule.asgi_core.exceptions import FerruleError
from ferrule.routing.convertors import BUILTIN_CONVERTORS, Convertor, convertor_from_functions
from ferrule.routing.errors import RouteConfigError, RouteConflictError
from ferrule.routing.tree import MethodNotAllowed, RouteTree, TreeMatch


def _odd_only(text: str) -> int:
    value = int(text)
    if value % 2 == 0:
        raise ValueError("even")
    return value


CONVERTORS: dict[str, Convertor[Any]] = {
    **BUILTIN_CONVERTORS,
    "hex2": convertor_from_functions(lambda s: int(s, 16), lambda v: format(v, "02x"), regex="[0-9a-f]{2}"),
    "odd": convertor_from_functions(_odd_only, str, regex="[0-9]+"),
}

Route = tuple[Any, ...]
"""(template, methods, handler[, prefix])"""


def assert_static_routes_answer(tree: RouteTree[Any], routes: Sequence[tuple[Any, ...]]) -> None:
    """What must hold after every add, seen from outside: each fully static route of
    ``routes`` (template, methods, prefix) answers its own path for each of its methods
    (a static route outranks every other route matching its path)."""
    for template, methods, prefix in routes:
        if prefix or "{" in template or not template.startswith("/"):
            continue
        for method in methods or ("GET", "DELETE"):
            got = tree.match(template, method.upper())
            assert isinstance(got, TreeMatch), (template, method, got)
            assert (got.template, got.params, got.remainder) == (template, {}, None), (template, method, got)


def build(routes: Sequence[Route], convertors: dict[str, Convertor[Any]] | None = None) -> RouteTree[str]:
    tree: RouteTree[str] = RouteTree(convertors=CONVERTORS if convertors is None else convertors)
    added: list[tuple[Any, ...]] = []
    for route in routes:
        template, methods, handler = route[0], route[1], route[2]
        prefix = bool(route[3]) if len(route) == 4 else False
        tree.add(template, methods, handler, owner=f"{handler}: {template}", prefix=prefix)
        added.append((template, methods, prefix))
        assert_static_routes_answer(tree, added)
    return tree


def snapshot(tree: RouteTree[Any], *templates: str) -> Any:
    """What a failed add must leave as it was: the routes, and the answer to every probe
    path made from the registered templates and ``templates`` (filled with ``1``, with and
    without a trailing segment) for a few methods."""
    sources = [route[0] for route in tree.routes()] + list(templates)
    probes = set()
    for source in sources:
        base = re.sub(r"\{[^}]*\}", "1", source) or "/"
        probes.update({base, base.rstrip("/") + "/x", base.rstrip("/") + "/"})
    answers = [(path, method, tree.match(path, method)) for path in sorted(probes) for method in ("GET", "PUT")]
    return tree.routes(), answers


GET = ["GET"]
UUID = "0f0e0d0c-0b0a-0908-0706-050403020100"

# (routes, path, method, expected): expected is (handler, params) / (handler, params, remainder)
# / ("405", allow) / None
MATCH_TABLE: list[tuple[list[Route], str, str, Any]] = [
    # static, params, precedence
    ([("/", GET, "root")], "/", "GET", ("root", {})),
    ([("/", GET, "root")], "", "GET", None),
    ([("/", GET, "root")], "//", "GET", None),
    ([("/a/", GET, "slash")], "/a", "GET", None),
    ([("/a", GET, "a")], "/a/", "GET", None),
    ([("/items/{id}", GET, "item")], "/items/42", "GET", ("item", {"id": "42"})),
    ([("/items/{id}", GET, "item")], "/items/", "GET", None),
    ([("/items/{id}", GET, "item")], "/items", "GET", None),
    ([("/items/{id:int}", GET, "i")], "/items/007", "GET", ("i", {"id": 7})),
    ([("/items/{id:int}", GET, "i")], "/items/-1", "GET", None),
    ([("/items/{id:int}", GET, "i")], "/items/١٢", "GET", None),  # non-ASCII digits
    ([("/p/{x:float}", GET, "f")], "/p/1.50", "GET", ("f", {"x": 1.5})),
    ([("/p/{x:float}", GET, "f")], "/p/1.", "GET", None),
    ([("/p/{x:float}", GET, "f")], "/p/1e5", "GET", None),
    ([("/u/{x:uuid}", GET, "u")], "/u/" + UUID.upper(), "GET", ("u", {"x": uuid.UUID(UUID)})),
    ([("/u/{x:uuid}", GET, "u")], "/u/" + UUID.replace("-", ""), "GET", None),
    ([("/x/{h:hex2}", GET, "h")], "/x/ff", "GET", ("h", {"h": 255})),
    (
        [("/users/me", GET, "me"), ("/users/{id}/posts", GET, "posts"), ("/users/{rest:path}", GET, "rest")],
        "/users/me/posts",
        "GET",
        ("posts", {"id": "me"}),
    ),
    (
        [("/users/me", GET, "me"), ("/users/{id}/posts", GET, "posts"), ("/users/{rest:path}", GET, "rest")],
        "/users/me/x/y",
        "GET",
        ("rest", {"rest": "me/x/y"}),
    ),
    (
        [("/users/me", GET, "me"), ("/users/{id}/posts", GET, "posts"), ("/users/{rest:path}", GET, "rest")],
        "/users/me",
        "GET",
        ("me", {}),
    ),
    ([("/n/{a:int}", GET, "int"), ("/n/{a}", GET, "str")], "/n/12", "GET", ("int", {"a": 12})),
    # backtracking resumes at the deepest open alternative first
    (
        [("/{a}/t/z", GET, "root-param"), ("/s/{b}/z", GET, "s-param"), ("/s/t/w", GET, "static")],
        "/s/t/z",
        "GET",
        ("s-param", {"b": "t"}),
    ),
    (
        [("/{a}/t/z", GET, "root-param"), ("/s/{b}/z", GET, "s-param"), ("/s/t/w", GET, "static")],
        "/s/q/w",
        "GET",
        None,
    ),
    ([("/n/{a:int}", GET, "int"), ("/n/{a}", GET, "str")], "/n/1x", "GET", ("str", {"a": "1x"})),
    ([("/n/{a:float}", GET, "float"), ("/n/{a:int}", GET, "int")], "/n/12", "GET", ("int", {"a": 12})),
    ([("/n/{a:float}", GET, "float"), ("/n/{a:int}", GET, "int")], "/n/1.2", "GET", ("float", {"a": 1.2})),
    ([("/n/{a}", GET, "str"), ("/n/{a:hex2}", GET, "hex")], "/n/0a", "GET", ("hex", {"a": 10})),
    ([("/n/{a:int}", GET, "int"), ("/n/{a:hex2}", GET, "hex")], "/n/12", "GET", ("int", {"a": 12})),
    # a convertor raising ValueError falls through to the next candidate
    ([("/n/{a:odd}", GET, "odd"), ("/n/{a}", GET, "str")], "/n/4", "GET", ("str", {"a": "4"})),
    ([("/n/{a:odd}", GET, "odd"), ("/n/{a}", GET, "str")], "/n/5", "GET", ("odd", {"a": 5})),
    ([("/n/{a:int}", GET, "int"), ("/n/{a}", GET, "str")], "/n/" + "9" * 5000, "GET", ("str", {"a": "9" * 5000})),
    # mixed segments
    ([("/files/{stem}.{ext}", GET, "f")], "/files/a.tar.gz", "GET", ("f", {"stem": "a.tar", "ext": "gz"})),
    ([("/files/{stem}.{ext}", GET, "f")], "/files/.gz", "GET", None),
    ([("/files/{stem}.{ext}", GET, "f"), ("/files/{name}", GET, "n")], "/files/a.b", "GET", ("f", {"stem": "a", "ext": "b"})),
    ([("/files/{stem}.{ext}", GET, "f"), ("/files/{name}", GET, "n")], "/files/ab", "GET", ("n", {"name": "ab"})),
    ([("/v{version:int}/items", GET, "v")], "/v2/items", "GET", ("v", {"version": 2})),
    ([("/v{version:int}/items", GET, "v")], "/vx/items", "GET", None),
    ([("/{a}.json", GET, "json"), ("/{a}.{b}", GET, "any")], "/x.json", "GET", ("json", {"a": "x"})),
    ([("/{a}.json", GET, "json"), ("/{a}.{b}", GET, "any")], "/x.yaml", "GET", ("any", {"a": "x", "b": "yaml"})),
    ([("/v{n:int}", GET, "int"), ("/v{n}", GET, "str")], "/v1", "GET", ("int", {"n": 1})),
    ([("/v{n:int}", GET, "int"), ("/v{n}", GET, "str")], "/vx", "GET", ("str", {"n": "x"})),
    ([("/{a}.{b}", GET, "mixed"), ("/{x:float}", GET, "float")], "/1.5", "GET", ("mixed", {"a": "1", "b": "5"})),
    ([("/x/{a:odd}-{b}", GET, "odd"), ("/x/{s}", GET, "s")], "/x/2-y", "GET", ("s", {"s": "2-y"})),
    # catch-alls
    ([("/static/{p:path}", GET, "s")], "/static/", "GET", ("s", {"p": ""})),
    ([("/static/{p:path}", GET, "s")], "/static", "GET", None),
    ([("/static/{p:path}", GET, "s")], "/static//a//b/", "GET", ("s", {"p": "/a//b/"})),
    ([("/static/{p:path}", GET, "s")], "/static/a\nb", "GET", ("s", {"p": "a\nb"})),
    ([("/{p:path}", GET, "all")], "/", "GET", ("all", {"p": ""})),
    ([("/dl/v{rest:path}", GET, "v"), ("/dl/{rest:path}", GET, "any")], "/dl/v1/x", "GET", ("v", {"rest": "1/x"})),
    ([("/dl/v{rest:path}", GET, "v"), ("/dl/{rest:path}", GET, "any")], "/dl/w1/x", "GET", ("any", {"rest": "w1/x"})),
    ([("/dl/{a}-{rest:path}", GET, "ap")], "/dl/x-y-z/w", "GET", ("ap", {"a": "x-y", "rest": "z/w"})),
    ([("/dl/{a}-{rest:path}", GET, "ap")], "/dl/x/-y", "GET", None),
    ([("/dl/{a:odd}-{rest:path}", GET, "ap")], "/dl/2-y", "GET", None),
    ([("/a/{x}", GET, "str"), ("/a/{p:path}", GET, "path")], "/a/b", "GET", ("str", {"x": "b"})),
    ([("/a/{x}", GET, "str"), ("/a/{p:path}", GET, "path")], "/a/b/c", "GET", ("path", {"p": "b/c"})),
    # methods, HEAD, 405
    ([("/a", GET, "a")], "/a", "HEAD", ("a", {})),
    ([("/a", GET, "a"), ("/a", ["HEAD"], "head")], "/a", "HEAD", ("head", {})),
    ([("/a", ["HEAD"], "head"), ("/a", GET, "a")], "/a", "HEAD", ("head", {})),
    ([("/a", ["post"], "a")], "/a", "POST", ("a", {})),
    ([("/a", ["POST"], "a")], "/a", "post", ("405", ("POST",))),
    ([("/a", GET, "a")], "/a", "POST", ("405", ("GET", "HEAD"))),
    ([("/a", None, "any")], "/a", "BREW", ("any", {})),
    ([("/a/{x}", ["DELETE"], "del"), ("/a/me", GET, "me")], "/a/me", "DELETE", ("del", {"x": "me"})),
    ([("/a/{x}", ["DELETE"], "del"), ("/a/me", GET, "me")], "/a/me", "PUT", ("405", ("DELETE", "GET", "HEAD"))),
    ([("/a/{x}", ["DELETE"], "del"), ("/a/me", GET, "me")], "/a/you", "PUT", ("405", ("DELETE",))),
    ([("/a/{x:int}", ["PUT"], "int"), ("/a/{x}", ["POST"], "str")], "/a/1", "PUT", ("int", {"x": 1})),
    ([("/a/{x:int}", ["PUT"], "int"), ("/a/{x}", ["POST"], "str")], "/a/1", "POST", ("str", {"x": "1"})),
    ([("/a/{x:int}", ["PUT"], "int"), ("/a/{x}", ["POST"], "str")], "/a/b", "PUT", ("405", ("POST",))),
    ([("/a/{p:path}", ["PUT"], "p"), ("/a", GET, "m", True)], "/a/b", "DELETE", ("405", ("GET", "HEAD", "PUT"))),
    # mounts
    ([("/api", None, "api", True)], "/api", "GET", ("api", {}, "")),
    ([("/api", None, "api", True)], "/api/", "GET", ("api", {}, "/")),
    ([("/api", None, "api", True)], "/api/x/y", "POST", ("api", {}, "/x/y")),
    ([("/api", None, "api", True)], "/apix", "GET", None),
    ([("/api/", None, "api", True)], "/api", "GET", ("api", {}, "")),
    ([("/", None, "root", True)], "/", "GET", ("root", {}, "/")),
    ([("/", None, "root", True)], "/x/y", "GET", ("root", {}, "/x/y")),
    ([("/u/{id:int}", None, "u", True)], "/u/3/x", "GET", ("u", {"id": 3}, "/x")),
    ([("/api", None, "api", True), ("/api", GET, "exact")], "/api", "GET", ("exact", {})),
    ([("/api", None, "api", True), ("/api", GET, "exact")], "/api", "POST", ("api", {}, "")),
    ([("/api", None, "api", True), ("/api/{p:path}", GET, "p")], "/api/x", "GET", ("p", {"p": "x"})),
    ([("/api", None, "api", True), ("/api/v1", None, "v1", True)], "/api/v1/x", "GET", ("v1", {}, "/x")),
    ([("/api", None, "api", True), ("/api/v1", None, "v1", True)], "/api/v2/x", "GET", ("api", {}, "/v2/x")),
    ([("/api", None, "api", True), ("/api/v1/x", GET, "x")], "/api/v1/y", "GET", ("api", {}, "/v1/y")),
    # hostile text: no decoding, no normalization
    ([("/a/{x}", GET, "x")], "/a/%2F", "GET", ("x", {"x": "%2F"})),
    ([("/a/%2F", GET, "lit")], "/a/%2F", "GET", ("lit", {})),
    ([("/a/%2F", GET, "lit")], "/a//", "GET", None),
    ([("/a/{x}/b", GET, "x")], "/a//b", "GET", None),
    ([("/a/{p:path}", GET, "p")], "/a//b", "GET", ("p", {"p": "/b"})),
    ([("/é/{x}", GET, "u")], "/é/日本", "GET", ("u", {"x": "日本"})),
    ([("/é", GET, "u")], "/e\u0301", "GET", None),  # no unicode normalization
    ([("/a/{x}", GET, "x")], "/a/\x00", "GET", ("x", {"x": "\x00"})),
    ([("/a/{x}", GET, "x")], "a/b", "GET", None),
]


@pytest.mark.parametrize(("routes", "path", "method", "expected"), MATCH_TABLE)
def test_match_table(routes: list[Route], path: str, method: str, expected: Any) -> None:
    for order in (routes, routes[::-1]):
        tree = build(order)
        got = tree.match(path, method)
        if expected is None:
            assert got is None
        elif expected[0] == "405":
            assert got == MethodNotAllowed(expected[1])
        else:
            assert isinstance(got, TreeMatch)
            assert (got.handler, got.params) == expected[:2]
            assert got.remainder == (expected[2] if len(expected) == 3 else None)
            template = next(r[0] for r in routes if r[2] == expected[0])
            assert got.template == template


def test_parameter_matches_are_made_per_lookup() -> None:
    # Their params go into the scope, where an app may change them.
    tree = build([("/a/{x}", GET, "a")])
    first = tree.match("/a/1", "GET")
    assert isinstance(first, TreeMatch)
    first.params["injected"] = 1
    second = tree.match("/a/1", "GET")
    assert isinstance(second, TreeMatch)
    assert second is not first and second.params == {"x": "1"}
    assert not hasattr(second, "__dict__")


def test_static_matches_are_made_once_with_empty_params() -> None:
    tree = build([("/a", GET, "a"), ("/b", GET, "b")])
    first, second = tree.match("/a", "GET"), tree.match("/a", "GET")
    assert isinstance(first, TreeMatch) and first is second  # shared: no object per request
    assert first.params == {} and first.handler == "a" and first.template == "/a"
    assert tree.match("/b", "GET") is not first


def test_single_leaf_405_is_precomputed() -> None:
    tree = build([("/a/{x}", ["PUT", "GET"], "a")])
    first, second = tree.match("/a/1", "POST"), tree.match("/a/2", "DELETE")
    assert first == MethodNotAllowed(("GET", "HEAD", "PUT"))
    assert first is second


def test_params_dict_is_fresh_per_parameter_match() -> None:
    # (Static matches share one empty dict; the router never stores it, see
    # test_router.py::test_a_static_route_never_shares_its_path_params_between_requests.)
    tree = build([("/a", GET, "a"), ("/b/{x}", GET, "b")])
    one, two = tree.match("/b/1", "GET"), tree.match("/b/1", "GET")
    assert isinstance(one, TreeMatch) and isinstance(two, TreeMatch)
    assert one.params is not two.params


# --- conflicts --------------------------------------------------------------------------

# (first, second, conflict?) - each side is (template, methods[, prefix])
CONFLICT_TABLE: list[tuple[tuple[Any, ...], tuple[Any, ...], bool]] = [
    (("/items/{a}", GET), ("/items/{b}", GET), True),
    (("/items/{a}", GET), ("/items/{a}", ["POST"]), False),
    (("/items", GET), ("/items", GET), True),
    (("/items", GET), ("/items", ["get"]), True),
    (("/items", ["GET", "PUT"]), ("/items", ["PUT"]), True),
    (("/items", GET), ("/items", ["HEAD"]), False),
    (("/items", ["HEAD"]), ("/items", ["HEAD"]), True),
    (("/items", GET), ("/items", None), True),
    (("/items", None), ("/items", ["POST"]), True),
    (("/x/{p:path}", GET), ("/x/{q:path}", GET), True),
    (("/x/{p:path}", GET), ("/x/{q:path}", ["POST"]), False),
    (("/x/v{p:path}", GET), ("/x/v{q:path}", GET), True),
    (("/x/v{p:path}", GET), ("/x/{q:path}", GET), False),
    (("/items/{a:int}", GET), ("/items/{b}", GET), False),
    (("/items/{a:int}", GET), ("/items/{b:int}", GET), True),
    (("/items/{a:int}", GET), ("/items/{b:float}", GET), False),
    (("/items/{a:hex2}", GET), ("/items/{b:hex2}", GET), True),
    (("/items/{a:hex2}", GET), ("/items/{b:odd}", GET), False),
    (("/items/me", GET), ("/items/{b}", GET), False),
    (("/items/{a}.{b}", GET), ("/items/{c}.{d}", GET), True),
    (("/items/{a}.{b}", GET), ("/items/{c}-{d}", GET), False),
    (("/items/{a}.{b}", GET), ("/items/{c:int}.{d}", GET), False),
    (("/items/{a}.json", GET), ("/items/{b}.json", GET), True),
    (("/items/{a}.json", GET), ("/items/{b}", GET), False),
    (("/a/{x}/b", GET), ("/a/{y}/b", GET), True),
    (("/a/{x}/b", GET), ("/a/{y}/c", GET), False),
    (("/a/{x}/b", GET), ("/a/{x}", GET), False),
    (("/a/{p:path}", GET), ("/a/{x}", GET), False),
    (("/api", None, True), ("/api", None, True), True),
    (("/api", None, True), ("/api/", None, True), True),
    (("/api", None, True), ("/api/v1", None, True), False),
    (("/api", None, True), ("/api", None), False),
    (("/api", None, True), ("/api/{p:path}", None), False),
    (("/api", GET, True), ("/api", ["POST"], True), False),
    (("/", None, True), ("/", None), False),
    (("/", None, True), ("", None, True), True),
    (("/{a}", None, True), ("/{b}", None, True), True),
]


def _add(tree: RouteTree[str], spec: tuple[Any, ...], handler: str) -> None:
    tree.add(spec[0], spec[1], handler, owner=f"route {handler} {spec[0]}", prefix=len(spec) > 2 and spec[2])


@pytest.mark.parametrize(("first", "second", "conflict"), CONFLICT_TABLE)
def test_conflict_table(first: tuple[Any, ...], second: tuple[Any, ...], conflict: bool) -> None:
    for a, b in ((first, second), (second, first)):
        tree: RouteTree[str] = RouteTree(convertors=CONVERTORS)
        _add(tree, a, "one")
        before = snapshot(tree, b[0])
        if not conflict:
            _add(tree, b, "two")
            assert_static_routes_answer(tree, [(*a, False)[:3], (*b, False)[:3]])
            assert len(tree.routes()) == 2
            continue
        with pytest.raises(RouteConflictError) as info:
            _add(tree, b, "two")
        err = info.value
        assert isinstance(err, FerruleError)
        assert err.new_owner == f"route two {b[0]}"
        assert err.existing_owner == f"route one {a[0]}"
        assert f"route two {b[0]}" in str(err) and f"route one {a[0]}" in str(err)
        assert err.example_path in str(err)
        # the example path really is matched by the existing route (which it hits first)
        probe = "GET" if err.methods is None else err.methods[0]
        hit = tree.match(err.example_path, probe)
        assert isinstance(hit, TreeMatch) and hit.handler == "one"
        assert snapshot(tree, b[0]) == before, "a failed add leaves the tree unchanged"


def test_conflict_message_names_methods_and_fix() -> None:
    tree = build([("/items/{a}", ["GET", "PUT"], "one")])
    with pytest.raises(RouteConflictError, match=r"for method PUT, and neither is more specific") as info:
        tree.add("/items/{b}", ["PUT", "POST"], "two", owner="PUT /items/{b} -> app:two (app.py:9)")
    assert info.value.methods == ("PUT",)
    assert "'/items/x'" in str(info.value)
    assert "'PUT /items/{b} -> app:two (app.py:9)'" in str(info.value)
    with pytest.raises(RouteConflictError, match="for every method") as info:
        build([("/m", None, "one", True), ("/m", None, "two", True)])
    assert info.value.methods is None


def test_conflict_with_methods_none_names_earliest_route() -> None:
    tree = build([("/a", ["POST"], "post"), ("/a", ["GET"], "get")])
    with pytest.raises(RouteConflictError) as info:
        tree.add("/a", None, "any", owner="any")
    assert info.value.existing_owner == "post: /a"
    assert info.value.methods == ("POST",)


def test_example_path_for_custom_convertor_without_example() -> None:
    weird = convertor_from_functions(str, str, regex="[#]{3}")
    tree: RouteTree[str] = RouteTree(convertors={**BUILTIN_CONVERTORS, "weird": weird})
    tree.add("/w/{a:weird}", GET, "one", owner="one")
    with pytest.raises(RouteConflictError, match=r"'/w/\{b\}'"):
        tree.add("/w/{b:weird}", GET, "two", owner="two")


# --- add() validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ("GET", "not a single string"),
        ([], "method list is empty"),
        (["GE T"], "invalid HTTP method 'GE T'"),
        ([""], "invalid HTTP method ''"),
        ([b"GET"], "invalid HTTP method b'GET'"),
    ],
)
def test_bad_methods(methods: Any, message: str) -> None:
    tree: RouteTree[str] = RouteTree()
    with pytest.raises(RouteConfigError, match=message):
        tree.add("/a", methods, "a", owner="a")
    assert tree.routes() == [] and tree.match("/a", "GET") is None


def test_bad_template_leaves_tree_unchanged() -> None:
    tree = build([("/a", GET, "a")])
    before = snapshot(tree, "/b/{x}", "/b/{p}/c")
    for template in ("/b/{x", "b", "/b/{x:nope}", "/b/{p:path}/c"):
        with pytest.raises(RouteConfigError):
            tree.add(template, GET, "b", owner="b")
    with pytest.raises(RouteConfigError, match="mount prefix cannot hold"):
        tree.add("/b/{p:path}", None, "b", owner="b", prefix=True)
    assert snapshot(tree, "/b/{x}", "/b/{p}/c") == before


def test_routes_lists_registration_order() -> None:
    tree = build([("/b", ["post", "GET"], "b"), ("/a", None, "a", True), ("/b/{x:int}", GET, "c")])
    assert tree.routes() == [
        ("/b", ("GET", "POST"), "b: /b", "b"),
        ("/a", None, "a: /a", "a"),
        ("/b/{x:int}", ("GET",), "c: /b/{x:int}", "c"),
    ]
    tree.routes().clear()
    assert len(tree.routes()) == 3


def test_default_convertors_are_the_registry() -> None:
    tree: RouteTree[str] = RouteTree()
    tree.add("/a/{x:uuid}", GET, "a", owner="a")
    with pytest.raises(RouteConfigError, match="unknown convertor 'hex2'"):
        tree.add("/a/{x:hex2}", GET, "b", owner="b")


# --- hostile paths ----------------------------------------------------------------------

HOSTILE_ROUTES: list[Route] = [
    ("/", GET, "root"),
    ("/a/{x}", GET, "ax"),
    ("/a/{x}/b", GET, "axb"),
    ("/a/{x:int}/{y}", GET, "aint"),
    ("/s/{p:path}", GET, "path"),
    ("/m", None, "mount", True),
    ("/{a}.{b}", GET, "mixed"),
]


def test_very_long_paths() -> None:
    tree = build(HOSTILE_ROUTES)
    deep = "/a" * 10_000
    assert tree.match(deep, "GET") is None
    assert tree.match("/a/" + "x/" * 10_000, "GET") is None
    got = tree.match("/s" + deep, "GET")
    assert isinstance(got, TreeMatch) and got.params == {"p": deep[1:]}
    got = tree.match("/m" + deep, "GET")
    assert isinstance(got, TreeMatch) and got.remainder == deep
    long_segment = "x" * 100_000
    got = tree.match("/a/" + long_segment, "GET")
    assert isinstance(got, TreeMatch) and got.params == {"x": long_segment}
    assert tree.match("/" * 10_000, "GET") is None
    # a route as deep as the path: the walk is a loop, not recursion
    deep_tree = build([(deep + "/{x}", GET, "deep"), ("/a" * 9_999 + "/{y:int}/{z}", GET, "other")])
    got = deep_tree.match(deep + "/q", "GET")
    assert isinstance(got, TreeMatch) and got.params == {"x": "q"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/%", ("ax", {"x": "%"})),
        ("/a/%zz/b", ("axb", {"x": "%zz"})),
        ("/a/%2F/b", ("axb", {"x": "%2F"})),
        ("/a//b", None),
        ("/a/1//", None),
        ("/a/1/", None),
        ("/s//", ("path", {"p": "/"})),
        ("/%.%", ("mixed", {"a": "%", "b": "%"})),
        ("/\u2028.\ud800", ("mixed", {"a": "\u2028", "b": "\ud800"})),
        ("/a/\U0001f600", ("ax", {"x": "\U0001f600"})),
        ("/a/1/\r\n", ("aint", {"x": 1, "y": "\r\n"})),
        ("/a/٣/x", None),
    ],
)
def test_hostile_paths(path: str, expected: Any) -> None:
    tree = build(HOSTILE_ROUTES)
    got = tree.match(path, "GET")
    if expected is None:
        assert got is None
    else:
        assert isinstance(got, TreeMatch) and (got.handler, got.params) == expected
