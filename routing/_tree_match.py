"""The radix tree's runtime structures and its request-time walk (built by ``tree.py``).

The walk is one flat loop over the path's segments with an explicit stack of resume
points (no recursion). At a node, with ``seg`` the next segment, candidates are tried in
precedence order (documented in ``tree.py``):

1. the static child keyed by ``seg`` (one dict probe);
2. the single-segment parameter edges (mixed, typed, str), sorted by key;
3. the catch-all edges (``{name:path}``), which end the walk at their leaf;
4. the mount (prefix route) ending at this node.

When the path is used up, the candidates are the node's own leaf, then its mount.
Descending pushes ``(node, index, offset, len(values), next stage)``; when a branch dies
the loop pops it and resumes with the next candidate. A node sits at a fixed depth, so
each node is visited at most once per lookup: the cost is bounded by the path length
and the size of the branches the path can enter, never by the number of routes.

A leaf that matches the path but not the method is remembered; if no leaf accepts the
method, the answer is ``MethodNotAllowed`` with the union of their methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


class Entry(Generic[H]):
    """One registered route at a leaf."""

    __slots__ = ("handler", "names", "template", "owner", "methods", "order", "static_match")

    def __init__(
        self,
        handler: H,
        names: tuple[str, ...],
        template: str,
        owner: str,
        methods: tuple[str, ...] | None,
        order: int,
    ) -> None:
        self.handler = handler
        self.names = names
        """Parameter names, in the order the walk collects their values."""
        self.template = template
        self.owner = owner
        self.methods = methods
        """The methods given at registration (sorted, normalized); ``None``: every method."""
        self.order = order
        """Registration index (conflict messages name the earliest clashing route)."""
        self.static_match: TreeMatch[H] = TreeMatch(handler, NO_PARAMS, None, template)
        """The match of a fully static template, made once and shared (see NO_PARAMS)."""


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


def _no_match(*args: str) -> tuple[Any, ...] | None:
    raise AssertionError("edge kinds STR and TAIL_ALL are matched inline")  # internal invariant


class SegEdge(Generic[H]):
    """A single-segment parameter edge (kinds ``STR`` and ``SEG``) leading to ``child``."""

    __slots__ = ("key", "kind", "match", "child")

    def __init__(
        self, key: tuple[Any, ...], kind: int, match: Callable[[str], tuple[Any, ...] | None] | None
    ) -> None:
        self.key = key
        self.kind = kind
        self.match = match or _no_match
        self.child: Node[H] = Node()


class TailEdge(Generic[H]):
    """A catch-all edge (kinds ``TAIL_ALL`` and ``TAIL``) ending at ``leaf``."""

    __slots__ = ("key", "kind", "match", "leaf")

    def __init__(
        self, key: tuple[Any, ...], kind: int, match: Callable[[str, str], tuple[Any, ...] | None] | None
    ) -> None:
        self.key = key
        self.kind = kind
        self.match = match or _no_match
        self.leaf: Leaf[H] = Leaf()


class Node(Generic[H]):
    """The state after consuming some segments."""

    __slots__ = ("static", "by_key", "seg_edges", "tail_edges", "leaf", "mount")

    def __init__(self) -> None:
        self.static: dict[str, Node[H]] = {}
        """Static children keyed by their exact segment text."""
        self.by_key: dict[tuple[Any, ...], SegEdge[H] | TailEdge[H]] = {}
        """Parameter edges by precedence key (the build phase looks them up here)."""
        self.seg_edges: tuple[SegEdge[H], ...] = ()
        """Single-segment parameter edges, sorted by key (the walk's order)."""
        self.tail_edges: tuple[TailEdge[H], ...] = ()
        """Catch-all edges, sorted by key."""
        self.leaf: Leaf[H] | None = None
        """Routes whose template ends here."""
        self.mount: Leaf[H] | None = None
        """Prefix routes whose prefix ends here."""


class TreeMatcher(Generic[H]):
    """The lookup half of ``RouteTree``."""

    __slots__ = ("_root", "_static")

    def __init__(self) -> None:
        self._root: Node[H] = Node()
        self._static: dict[str, Leaf[H]] = {}
        """Fully static templates -> their leaf (the one-probe fast path)."""

    def match(self, path: str, method: str) -> TreeMatch[H] | MethodNotAllowed | None:
        """Find the route for ``path`` (percent-decoded, starting with ``/``) and ``method``.

        Returns:
            ``TreeMatch`` for the most specific route matching both; ``MethodNotAllowed``
            if routes match the path but none accepts ``method``; ``None`` otherwise
            (also for a path not starting with ``/``).
        """
        leaf = self._static.get(path)
        if leaf is not None:
            # A fully static route outranks every other route matching the same path.
            # PERF: its match is made once (TreeMatch costs ~0.5 us per request).
            entry = leaf.by_method.get(method, leaf.any)
            if entry is not None:
                return entry.static_match
        if path[:1] != "/":
            return None
        segs = path.split("/")  # segs[0] is the "" before the leading "/"
        # PERF: the walk below tries, at each node, the static child first and
        # then the parameter edges in order, backtracking on a dead end. Its
        # first descent needs no backtracking state: follow it alone first, and
        # if it ends at a route for ``method`` that is the walk's answer too.
        # Anything else (a dead end, a catch-all, a mount, a 405) takes the walk.
        node = self._root
        values: list[Any] = []
        for seg in segs[1:]:
            child = node.static.get(seg)
            if child is not None:
                node = child
                continue
            for edge in node.seg_edges:
                if edge.kind == STR:
                    if seg:
                        values.append(seg)
                        node = edge.child
                        break
                else:
                    got = edge.match(seg)
                    if got is not None:
                        values.extend(got)
                        node = edge.child
                        break
            else:
                break
        else:
            leaf = node.leaf
            if leaf is not None:
                entry = leaf.by_method.get(method, leaf.any)
                if entry is not None:
                    return TreeMatch(entry.handler, dict(zip(entry.names, values)), None, entry.template)
        n = len(segs)
        values = []
        stack: list[tuple[Node[H], int, int, int, int]] = []
        missed: list[Leaf[H]] = []  # leaves that matched the path but not the method
        node = self._root
        i = 1  # index of the next segment
        off = 1  # offset of segs[i] in path
        stage = 0  # 0: static probe next; k >= 1: seg_edges[k - 1] next
        while True:
            if i < n:
                seg = segs[i]
                if stage == 0:
                    child = node.static.get(seg)
                    if child is not None:
                        stack.append((node, i, off, len(values), 1))
                        node, i, off = child, i + 1, off + len(seg) + 1
                        continue
                    stage = 1
                seg_edges = node.seg_edges
                descended = False
                while stage <= len(seg_edges):
                    edge = seg_edges[stage - 1]
                    stage += 1
                    if edge.kind == STR:
                        if not seg:
                            continue
                        stack.append((node, i, off, len(values), stage))
                        values.append(seg)
                    else:
                        got = edge.match(seg)
                        if got is None:
                            continue
                        stack.append((node, i, off, len(values), stage))
                        values.extend(got)
                    node, i, off, stage = edge.child, i + 1, off + len(seg) + 1, 0
                    descended = True
                    break
                if descended:
                    continue
                for tail in node.tail_edges:
                    if tail.kind == TAIL_ALL:
                        got = (path[off:],)
                    else:
                        got = tail.match(seg, path[off + len(seg) :])
                        if got is None:
                            continue
                    tail_leaf = tail.leaf
                    entry = tail_leaf.by_method.get(method, tail_leaf.any)
                    if entry is not None:
                        return TreeMatch(entry.handler, dict(zip(entry.names, [*values, *got])), None, entry.template)
                    missed.append(tail_leaf)
                leaf = node.mount
                if leaf is not None:
                    entry = leaf.by_method.get(method, leaf.any)
                    if entry is not None:
                        params = dict(zip(entry.names, values))
                        return TreeMatch(entry.handler, params, path[off - 1 :], entry.template)
                    missed.append(leaf)
            else:
                leaf = node.leaf
                if leaf is not None:
                    entry = leaf.by_method.get(method, leaf.any)
                    if entry is not None:
                        return TreeMatch(entry.handler, dict(zip(entry.names, values)), None, entry.template)
                    missed.append(leaf)
                leaf = node.mount
                if leaf is not None:
                    entry = leaf.by_method.get(method, leaf.any)
                    if entry is not None:
                        return TreeMatch(entry.handler, dict(zip(entry.names, values)), "", entry.template)
                    missed.append(leaf)
            if not stack:
                break
            node, i, off, kept, stage = stack.pop()
            del values[kept:]
        if not missed:
            return None
        if len(missed) == 1:
            return missed[0].not_allowed
        allow: set[str] = set()
        for leaf in missed:
            allow.update(leaf.by_method)
        return MethodNotAllowed(tuple(sorted(allow)))
