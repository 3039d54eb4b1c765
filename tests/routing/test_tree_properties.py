"""Property tests: the radix tree against the naive reference router (tests/routing/reference.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from reference import ReferenceRouter, Result
from test_tree import CONVERTORS, assert_static_routes_answer

from ferrule.routing.errors import RouteConflictError
from ferrule.routing.templates import Template
from ferrule.routing.tree import MethodNotAllowed, RouteTree, TreeMatch

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

UUID = "0f0e0d0c-0b0a-0908-0706-050403020100"
WORDS = ["a", "b", ""]  # few words, so routes share prefixes and compete
SEGMENT_CONVERTORS = ["str", "int", "float", "uuid", "hex2", "odd"]
MIXED_SHAPES = ["{A}.{B}", "v{A}", "{A}-x", "x{A}", "{A}.json", "{A}-{B}", "v{A}.{B}"]
TAIL_SHAPES = ["{P:path}", "x{P:path}", "{A}-{P:path}", "v{P:path}"]
METHOD_SETS: list[tuple[str, ...] | None] = [None, ("GET",), ("POST",), ("HEAD",), ("GET", "POST"), ("PUT",)]
METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE"]
PATH_PIECES = WORDS + ["ab", "x", "v1",
    "1", "12", "1.5", "0f", "ff", "3", "4", UUID, UUID.upper(), "a.b", "1.b", "1.5.a", "x-x", "a-x", "xa",
    "x.json", "v1.5", "v", "vx", "é", "%2F", "9" * 5000,
]  # fmt: skip

Route = tuple[str, "tuple[str, ...] | None", bool]  # (template, methods, prefix)


@st.composite
def segment_shapes(draw: st.DrawFn) -> str:
    """One segment; '@' marks a parameter name, filled in per template."""
    kind = draw(st.sampled_from(["static", "param", "param", "mixed"]))
    if kind == "static":
        return draw(st.sampled_from(WORDS))

    def param() -> str:
        convertor = draw(st.sampled_from(SEGMENT_CONVERTORS))
        return "{@}" if convertor == "str" and draw(st.booleans()) else "{@:%s}" % convertor

    if kind == "param":
        return param()
    shape = draw(st.sampled_from(MIXED_SHAPES))
    return shape.replace("{A}", param(), 1).replace("{B}", param(), 1)


@st.composite
def endings(draw: st.DrawFn) -> str:
    """'' (a plain route), 'prefix' (a mount) or a catch-all segment shape."""
    kind = draw(st.sampled_from(["", "", "tail", "prefix"]))
    if kind != "tail":
        return kind
    shape = draw(st.sampled_from(TAIL_SHAPES)).replace("{P:path}", "{@:path}")
    return shape.replace("{A}", "{@:%s}" % draw(st.sampled_from(SEGMENT_CONVERTORS)))


def instantiate(shapes: list[str], ending: str) -> tuple[str, bool]:
    """Join segment shapes into a template, numbering the parameters."""
    if ending not in ("", "prefix"):
        shapes = [*shapes, ending]
    text = "/" + "/".join(shapes)
    pieces = text.split("@")
    return "".join(piece + (f"p{i}" if i < len(pieces) - 1 else "") for i, piece in enumerate(pieces)), ending == "prefix"


@st.composite
def route_sets(draw: st.DrawFn, min_size: int = 1, max_size: int = 10) -> list[Route]:
    """Routes built from a small shared pool of segments, so that they share prefixes
    and compete at the same nodes (int vs float, mixed vs str, catch-all vs mount...)."""
    pool = draw(st.lists(segment_shapes(), min_size=1, max_size=5))
    return draw(st.lists(routes_from(pool), min_size=min_size, max_size=max_size))


def routes_from(pool: list[str]) -> st.SearchStrategy[Route]:
    def build(shapes: list[str], ending: str, methods: tuple[str, ...] | None) -> Route:
        template, prefix = instantiate(shapes, ending)
        return (template, methods, prefix)

    return st.builds(
        build, st.lists(st.sampled_from(pool), max_size=3), endings(), st.sampled_from(METHOD_SETS)
    )


@st.composite
def templates(draw: st.DrawFn) -> tuple[str, bool]:
    """One random valid template and whether it is a mount prefix."""
    return instantiate(draw(st.lists(segment_shapes(), max_size=3)), draw(endings()))


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "str": st.sampled_from(["a", "x", "1", "b.c", "x-x", "v1", "0f", "json"]),
    "int": st.integers(0, 20),
    "float": st.sampled_from([0.5, 1.5, 2.0, 12.0]),
    "uuid": st.just(uuid.UUID(UUID)),
    "hex2": st.integers(0, 255),
    "odd": st.integers(0, 9),
    "path": st.sampled_from(["", "a", "a/b", "x/", "/y", "1.5/"]),
}


@st.composite
def paths_for(draw: st.DrawFn, routes: list[Route]) -> str:
    """A path from the route pieces: random segments, or a registered template filled in."""
    if routes and draw(st.booleans()):
        source, _, prefix = draw(st.sampled_from(routes))
        template = Template.parse(source, convertors=CONVERTORS, prefix=prefix)
        values = {p.name: draw(VALUES[p.convertor_name]) for p in template.params}
        path = template.format(**values)
        if prefix:
            path += draw(st.sampled_from(["", "/", "/a", "/a/b"]))
        return path or "/"
    pieces = draw(st.lists(st.sampled_from(PATH_PIECES), max_size=5))
    return "/" + "/".join(pieces)


def as_result(got: TreeMatch[str] | MethodNotAllowed | None) -> Result:
    if got is None:
        return None
    if isinstance(got, MethodNotAllowed):
        return ("405", got.allow)
    return ("match", got.handler, got.params, got.remainder, got.template)


def add_both(tree: RouteTree[str], ref: ReferenceRouter, route: Route, handler: str) -> bool:
    """Add to both; the tree must raise exactly when the reference sees a conflict."""
    template, methods, prefix = route
    expected_conflict = ref.conflicting(template, methods, prefix)
    try:
        tree.add(template, methods, handler, owner=handler, prefix=prefix)
    except RouteConflictError as exc:
        assert expected_conflict is not None, f"spurious conflict: {exc}"
        assert exc.existing_owner == expected_conflict.handler or exc.existing_owner in {
            r.handler for r in ref.routes if r.key == expected_conflict.key
        }
        return False
    assert expected_conflict is None, f"missed conflict of {route} with {expected_conflict.template!r}"
    assert ref.add(template, methods, handler, prefix)
    return True


@SETTINGS
@given(route_sets(), st.data())
def test_tree_equals_reference(routes: list[Route], data: st.DataObject) -> None:
    tree: RouteTree[str] = RouteTree(convertors=CONVERTORS)
    ref = ReferenceRouter(CONVERTORS)
    added = []
    for index, route in enumerate(routes):
        if add_both(tree, ref, route, f"h{index}"):
            added.append(route)
        assert_static_routes_answer(tree, added)
    for _ in range(8):
        path = data.draw(paths_for(routes))
        method = data.draw(st.sampled_from(METHODS))
        assert as_result(tree.match(path, method)) == ref.match(path, method), (path, method)


@SETTINGS
@given(route_sets(), st.randoms(use_true_random=False), st.data())
def test_insertion_order_does_not_matter(routes: list[Route], rnd: Any, data: st.DataObject) -> None:
    ref = ReferenceRouter(CONVERTORS)
    accepted = [(route, f"h{i}") for i, route in enumerate(routes) if ref.add(route[0], route[1], f"h{i}", route[2])]
    shuffled = list(accepted)
    rnd.shuffle(shuffled)
    trees = []
    for order in (accepted, shuffled):
        tree: RouteTree[str] = RouteTree(convertors=CONVERTORS)
        for (template, methods, prefix), handler in order:
            tree.add(template, methods, handler, owner=handler, prefix=prefix)
        assert_static_routes_answer(tree, [route for route, _ in order])
        trees.append(tree)
    for _ in range(8):
        path = data.draw(paths_for([route for route, _ in accepted]))
        method = data.draw(st.sampled_from(METHODS))
        expected = ref.match(path, method)
        assert as_result(trees[0].match(path, method)) == expected
        assert as_result(trees[1].match(path, method)) == expected


@SETTINGS
@given(templates(), st.data())
def test_format_then_match_round_trips(spec: tuple[str, bool], data: st.DataObject) -> None:
    source, prefix = spec
    tree: RouteTree[str] = RouteTree(convertors=CONVERTORS)
    tree.add(source, None, "h", owner="h", prefix=prefix)
    template = Template.parse(source, convertors=CONVERTORS, prefix=prefix)
    strategies = dict(VALUES, str=st.text("abc019", min_size=1, max_size=4), odd=st.sampled_from([1, 3, 7]))
    params = {p.name: data.draw(strategies[p.convertor_name]) for p in template.params}
    path = template.format(**params)
    rest = data.draw(st.sampled_from(["", "/", "/q/r"])) if prefix else None
    got = tree.match((path + (rest or "")) or "/", "GET")
    assert isinstance(got, TreeMatch)
    assert got.remainder == (rest if path else (rest or "/")) if prefix else got.remainder is None
    assert set(got.params) == set(params)
    # With one parameter per segment, the split is unique: the values come back exactly.
    # (`{a}.{b:float}` with a="0", b=0.5 gives "0.0.5", which splits as a="0.0", b=5.0.)
    if all(sum(1 for part in segment if not isinstance(part, str)) <= 1 for segment in template.segments):
        assert got.params == params


COMPETING_SHAPES = [
    "{@}", "{@:int}", "{@:float}", "{@:uuid}", "{@:hex2}", "{@:odd}", "{@}.{@}", "{@}.json", "{@:int}.{@}",
    "{@}.{@:float}", "v{@:int}", "v{@}", "v{@}.{@}", "{@}-x", "x{@}", "{@}-{@}", "{@:path}", "x{@:path}",
    "v{@:path}", "{@}-{@:path}", "a", "v1", "x.json", "",
]  # fmt: skip


@SETTINGS
@given(st.lists(st.sampled_from(COMPETING_SHAPES), min_size=2, max_size=8, unique=True))
def test_competing_segments_equal_reference(shapes: list[str]) -> None:
    """Many shapes competing for one segment (the per-segment precedence order), probed
    with every path piece, so no ordering mistake hides behind an unlucky path draw."""
    tree: RouteTree[str] = RouteTree(convertors=CONVERTORS)
    ref = ReferenceRouter(CONVERTORS)
    for index, shape in enumerate(shapes):
        add_both(tree, ref, (instantiate([shape], "")[0], ("GET",), False), f"h{index}")
    for piece in PATH_PIECES:
        for after in ("", "/", "/a"):
            path = "/" + piece + after
            assert as_result(tree.match(path, "GET")) == ref.match(path, "GET"), path


class TreeMachine(RuleBasedStateMachine):
    """Interleaved add/match against the reference."""

    def __init__(self) -> None:
        super().__init__()
        self.tree: RouteTree[str] = RouteTree(convertors=CONVERTORS)
        self.ref = ReferenceRouter(CONVERTORS)
        self.routes: list[Route] = []
        self.pool: list[str] = []
        self.count = 0

    @initialize(pool=st.lists(segment_shapes(), min_size=1, max_size=5))
    def set_pool(self, pool: list[str]) -> None:
        self.pool = pool

    @rule(data=st.data())
    def add(self, data: st.DataObject) -> None:
        route = data.draw(routes_from(self.pool))
        self.count += 1
        if add_both(self.tree, self.ref, route, f"h{self.count}"):
            self.routes.append(route)

    @rule(data=st.data(), method=st.sampled_from(METHODS))
    def match(self, data: st.DataObject, method: str) -> None:
        path = data.draw(paths_for(self.routes))
        assert as_result(self.tree.match(path, method)) == self.ref.match(path, method)

    @invariant()
    def structure(self) -> None:
        assert_static_routes_answer(self.tree, self.routes)
        assert [r[0] for r in self.tree.routes()] == [r.template for r in self.ref.routes]


TestTreeMachine = TreeMachine.TestCase
TestTreeMachine.settings = settings(
    max_examples=40, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_reference_agrees_on_precedence_example(method: str) -> None:
    """Guard the reference itself with the docstring's example."""
    ref = ReferenceRouter(CONVERTORS)
    for template in ("/users/me", "/users/{id}/posts", "/users/{rest:path}"):
        ref.add(template, ["GET"], template)
    assert ref.match("/users/me/posts", "GET") == ("match", "/users/{id}/posts", {"id": "me"}, None, "/users/{id}/posts")
    assert ref.match("/users/me/x", method)[0] == ("match" if method == "GET" else "405")  # type: ignore[index]
