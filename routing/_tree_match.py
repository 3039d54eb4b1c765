"""The radix tree's runtime structures and its request-time walk (built by ``tree.py``).

Theory of operation
-------------------
The walk is a depth-first search in precedence order (the rules are in ``tree.py``),
written as one loop with an explicit stack (no recursion: paths of 10,000 segments
are routine for an attacker). At a node, with ``seg`` the next segment, the candidates
come in this order:

1. the static child keyed by ``seg`` (one dict probe);
2. ``node.edges``: the single-segment parameter edges (mixed, typed, str), by key;
3. ending the walk at this node: the catch-all edges (``{name:path}``), then the mount
   (prefix route).

``k`` counts the candidates already tried at the node. The walk enters the first of
1-2 that accepts ``seg`` and pushes a resume point ``(node, i, len(values), k)``, so
that when the branch dies it pops back and tries the next candidate. When the path is
used up, the candidates are the node's own leaf, then its mount (``node.ends``).

A node sits at a fixed depth, so each node is visited at most once per lookup: the
cost is bounded by the path length and the size of the branches the path can enter,
never by the number of routes. A leaf that matches the path but not the method is
remembered; if no leaf accepts the method, the answer is ``MethodNotAllowed`` with the
union of their methods.

PERF: no resume point is pushed when the entered candidate is the node's last
(``k == node.choices``), so a path that never backtracks (most) pushes nothing. This
walk replaced a greedy first descent plus a separate backtracking walk (133 lines);
in-process it costs about 0.1-0.2 us more per lookup (see the commit for bench/ A/B).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

__all__ = ["MethodNotAllowed", "TreeMatch"]  # the rest is private to routing.tree

H = TypeVar("H")


@dataclass(slots=True)
class TreeMatch(Generic[H]):
    """A successful lookup (made per request: not frozen, which triples its cost).

    Attributes:
        handler: the handler registered for the route and method.
        params: converted path parameters by name.
        remainder: for a prefix (mount) route, the unmatched rest of the path: ``""`` or
            text starting with ``/``; ``None`` for ordinary routes.
        template: the template the route was registered with.
    """

    handler: H
    params: dict[str, Any]
    remainder: str | None
    template: str


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    """Routes match the path, but none accepts the method.

    Attributes:
        allow: every method those routes accept, sorted (the ``Allow`` header).
    """

    allow: tuple[str, ...]


NO_PARAMS: Final[dict[str, Any]] = {}
"""The params of every shared static match. Never handed out: callers that
put params where others can change them copy an empty mapping (the router
stores ``params or {}``)."""

# Edge kinds. PERF: the common ``{name}`` is matched inline, without a call.
STR: Final = 0
"""``{name}``: any non-empty segment."""
SEG: Final = 1
"""A typed or mixed segment: ``match(seg)`` returns the converted values or ``None``."""
TAIL_ALL: Final = 2
"""``{name:path}`` as a whole segment: always matches the rest of the path."""
TAIL: Final = 3
"""Text and parameters then ``{name:path}``: ``match(seg, after)`` returns the values or ``None``."""


def _params(names: tuple[str, ...], values: Sequence[Any]) -> dict[str, Any]:
    """The params of a match. PERF: ``dict(zip(names, values))`` costs ~230 ns on
    CPython 3.11 (measured); a one-name literal, the common case, ~50 ns."""
    if len(names) == 1:
        return {names[0]: values[0]}
    return dict(zip(names, values))


@dataclass(slots=True, eq=False)
class Entry(Generic[H]):
    """One registered route at a leaf."""

    handler: H
    names: tuple[str, ...]
    """Parameter names, in the order the walk collects their values."""
    template: str
    owner: str
    methods: tuple[str, ...] | None
    """The methods given at registration (sorted, normalized); ``None``: every method."""
    order: int
    """Registration index (conflict messages name the earliest clashing route)."""
    static_match: TreeMatch[H] = field(init=False)
    """The match of a fully static template, made once and shared (see NO_PARAMS)."""

    def __post_init__(self) -> None:
        self.static_match = TreeMatch(self.handler, NO_PARAMS, None, self.template)


class Leaf(Generic[H]):
    """The routes that share one exact path shape, keyed by method."""

    __slots__ = ("by_method", "any", "explicit", "not_allowed")

    def __init__(self) -> None:
        self.by_method: dict[str, Entry[H]] = {}
        """Method -> route; GET's route also sits under HEAD unless HEAD was registered."""
        self.any: Entry[H] | None = None
        """The route registered with ``methods=None``; excludes every other route here."""
        self.explicit: set[str] = set()
        """The methods registered explicitly (so not the implicit HEAD)."""
        self.not_allowed = MethodNotAllowed(())
        """Precomputed 405 answer: ``allow`` is ``sorted(by_method)``."""


def matched_inline(*args: str) -> tuple[Any, ...] | None:
    """The ``match`` of kinds ``STR`` and ``TAIL_ALL``, which the walk matches inline: never called."""
    raise AssertionError("edge kinds STR and TAIL_ALL are matched inline")  # internal invariant


M = TypeVar("M", bound=Callable[..., "tuple[Any, ...] | None"])


@dataclass(slots=True, eq=False)
class _Edge(Generic[M]):
    """What both edge kinds hold."""

    key: tuple[Any, ...]
    """The precedence key (edges are tried in key order)."""
    kind: int
    """``STR``, ``SEG``, ``TAIL_ALL`` or ``TAIL``."""
    match: M
    """The matcher of kinds ``SEG`` and ``TAIL`` (the others are matched inline)."""


@dataclass(slots=True, eq=False)
class SegEdge(_Edge[Callable[[str], "tuple[Any, ...] | None"]], Generic[H]):
    """A single-segment parameter edge (kinds ``STR`` and ``SEG``) leading to ``child``."""

    child: Node[H] = field(default_factory=lambda: Node())


@dataclass(slots=True, eq=False)
class TailEdge(_Edge[Callable[[str, str], "tuple[Any, ...] | None"]], Generic[H]):
    """A catch-all edge (kinds ``TAIL_ALL`` and ``TAIL``) ending at ``leaf``."""

    leaf: Leaf[H] = field(default_factory=lambda: Leaf())


class Node(Generic[H]):
    """The state after consuming some segments."""

    __slots__ = ("static", "by_key", "edges", "tail_edges", "choices", "leaf", "mount", "ends")

    def __init__(self) -> None:
        self.static: dict[str, Node[H]] = {}
        """Static children keyed by their exact segment text."""
        self.by_key: dict[tuple[Any, ...], SegEdge[H] | TailEdge[H]] = {}
        """Parameter edges by precedence key (the build phase looks them up here)."""
        self.edges: tuple[SegEdge[H], ...] = ()
        """Single-segment parameter edges, sorted by key (the walk's order)."""
        self.tail_edges: tuple[TailEdge[H], ...] = ()
        """Catch-all edges, sorted by key."""
        self.choices = 1
        """The walk's candidates here: 1 (the static probe) + ``len(edges)``, + 1 if a
        catch-all or the mount follows. Entering the k-th pushes a resume point only if
        ``k < choices``."""
        self.leaf: Leaf[H] | None = None
        """Routes whose template ends here."""
        self.mount: Leaf[H] | None = None
        """Prefix routes whose prefix ends here."""
        self.ends: tuple[tuple[Leaf[H], str | None], ...] = ()
        """``(leaf, None)`` then ``(mount, "")`` for those that exist: the candidates
        when the path ends here, with the remainder each one gives."""

    def reorder(self) -> None:
        """Recompute the walk's order after an edge, a leaf or a mount was added."""
        edges = sorted(self.by_key.values(), key=lambda edge: edge.key)
        self.edges = tuple(edge for edge in edges if isinstance(edge, SegEdge))
        self.tail_edges = tuple(edge for edge in edges if isinstance(edge, TailEdge))
        self.choices = 1 + len(self.edges) + (1 if self.tail_edges or self.mount is not None else 0)
        ends = ((self.leaf, None), (self.mount, ""))
        self.ends = tuple((leaf, rest) for leaf, rest in ends if leaf is not None)


class TreeMatcher(Generic[H]):
    """The lookup half of ``RouteTree``."""

    __slots__ = ("_root", "_static")

    def __init__(self) -> None:
        self._root: Node[H] = Node()
        self._static: dict[str, Leaf[H]] = {}
        """Fully static templates -> their leaf (the one-probe fast path)."""

    def match(
        self, path: str, method: str, segments: list[str] | None = None
    ) -> TreeMatch[H] | MethodNotAllowed | None:
        """Find the route for ``path`` (percent-decoded, starting with ``/``) and ``method``.

        Args:
            path: the path to route on.
            method: the request method (``"WEBSOCKET"`` for WebSocket routes).
            segments: the path already split on ``/`` and then percent-decoded per piece,
                so that an encoded slash (``%2F``) stays inside its segment; ``segments[0]``
                is the empty text before the leading ``/``. Given, it is routed instead
                of ``path``; a catch-all or mount receives the rest of it joined with ``/``.

        Returns:
            ``TreeMatch`` for the most specific route matching both; ``MethodNotAllowed``
            if routes match the path but none accepts ``method``; ``None`` otherwise
            (also for a path not starting with ``/``).
        """
        if segments is None:
            leaf = self._static.get(path)
            if leaf is not None:
                # A fully static route outranks every other route matching the same path.
                # PERF: its match is made once (TreeMatch costs ~0.5 us per request).
                entry = leaf.by_method.get(method, leaf.any)
                if entry is not None:
                    return entry.static_match
            if path[:1] != "/":
                return None
            segs = path.split("/")
        elif segments[:1] == [""]:
            segs = segments
        else:
            return None
        values: list[Any] = []
        missed: tuple[Leaf[H], ...] = ()  # leaves that matched the path but not the method
        stack: list[tuple[Node[H], int, int, int]] = []  # resume points: see the docstring
        node, i, k = self._root, 1, 0  # k: candidates of node already tried at segs[i]
        while True:
            for seg in segs[i:]:  # descend: enter the first candidate after the k-th that takes seg
                if k == 0:
                    child = node.static.get(seg)
                    if child is not None:
                        if node.choices > 1:
                            stack.append((node, i, len(values), 1))
                        node, i = child, i + 1
                        continue
                    k = 1
                for edge in node.edges if k == 1 else node.edges[k - 1 :]:
                    k += 1
                    got = ((seg,) if seg else None) if edge.kind == STR else edge.match(seg)
                    if got is not None:
                        if k < node.choices:
                            stack.append((node, i, len(values), k))
                        values.extend(got)
                        node, i, k = edge.child, i + 1, 0
                        break
                else:  # a dead end, unless a catch-all or the mount takes the rest here
                    rest = "/".join(segs[i:])
                    for tail in node.tail_edges:
                        got = (rest,) if tail.kind == TAIL_ALL else tail.match(seg, rest[len(seg) :])
                        if got is not None:
                            entry = tail.leaf.by_method.get(method, tail.leaf.any)
                            if entry is not None:
                                params = _params(entry.names, (*values, *got))
                                return TreeMatch(entry.handler, params, None, entry.template)
                            missed += (tail.leaf,)
                    if node.mount is not None:
                        entry = node.mount.by_method.get(method, node.mount.any)
                        if entry is not None:
                            params = _params(entry.names, values)
                            return TreeMatch(entry.handler, params, "/" + rest, entry.template)
                        missed += (node.mount,)
                    break
            else:  # the path is used up: the route ending here, then a mount ending here
                for leaf, remainder in node.ends:
                    entry = leaf.by_method.get(method, leaf.any)
                    if entry is not None:
                        params = _params(entry.names, values)
                        return TreeMatch(entry.handler, params, remainder, entry.template)
                    missed += (leaf,)
            if not stack:
                break
            node, i, kept, k = stack.pop()
            del values[kept:]
        if not missed:
            return None
        if len(missed) == 1:
            return missed[0].not_allowed
        allow: set[str] = set()
        for leaf in missed:
            allow.update(leaf.by_method)
        return MethodNotAllowed(tuple(sorted(allow)))
