"""The route tree: a radix tree over path segments, built at startup, matched per request.

Precedence (the rule users rely on)
-----------------------------------
When several routes match a path, the most specific one wins. Specificity is decided
segment by segment, left to right; at the first segment where two routes differ, the
one whose segment ranks first in this list wins:

1. **static** text: ``/users/me``;
2. **mixed** text and parameters: ``/files/{stem}.{ext}``, ``/v{version:int}`` - more
   literal characters first, then by the convertors of its parameters (as in 3 and 4),
   then by the segment's text with names removed (so the order never depends on names
   or registration order);
3. a **typed** parameter: ``int``, then ``uuid``, then ``float``, then registered
   convertors by name;
4. a **str** parameter: ``{name}``;
5. a **catch-all**: ``{name:path}`` (one with a literal prefix such as ``v{rest:path}``
   first, more literal characters first);
6. a **mount** (a prefix route) ending at that segment.

A route that ends where the path ends beats a mount ending there too. Ranking is
tried, not just compared: if the better branch fails deeper down, the next candidate is
tried. With ``/users/me``, ``/users/{id}/posts`` and ``/users/{rest:path}``:
``/users/me`` -> the first, ``/users/me/posts`` -> the second (``id="me"``),
``/users/me/x/y`` -> the third. The result always equals: sort all routes by their
segment ranks, take the first that matches the path and accepts the method.

Methods: a route answers the methods it was registered with (``None``: all of them);
GET routes also answer HEAD unless a HEAD route is registered for the same path shape.
If routes match the path but none accepts the method, ``match`` returns
``MethodNotAllowed`` with the union of their methods; if none matches, ``None``.

Conflicts: two routes conflict when every segment ranks the same (so the same paths
match both: ``/items/{a}`` vs ``/items/{b}``) and their methods overlap (``None``
overlaps everything). ``add`` raises ``RouteConflictError`` naming both routes and a
path both match; a failed ``add`` leaves the tree unchanged. Different methods, or
``{a:int}`` vs ``{b}``, or static vs parameter, are not conflicts: precedence decides.

Layout: each node has static children in a dict keyed by segment text and parameter
edges sorted by rank (``_tree_match.py`` describes the walk). Fully static templates
also sit in one dict keyed by the whole path, so most lookups cost one probe. Static
chains are not compressed: the walk probes one dict per segment of an already split
path, which is cheap next to building the result.

The tree's structure is checked through its behaviour only: ``tests/routing`` compares
every answer with a naive reference router that sorts all routes by precedence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeVar

from ._tree_match import (
    SEG,
    STR,
    TAIL,
    TAIL_ALL,
    Entry,
    Leaf,
    MethodNotAllowed,
    Node,
    SegEdge,
    TailEdge,
    TreeMatch,
    TreeMatcher,
    matched_inline,
)
from .convertors import Convertor, default_convertors, example_text
from .errors import RouteConfigError, RouteConflictError
from .templates import Param, Segment, Template

__all__ = ["MethodNotAllowed", "RouteTree", "TreeMatch", "segment_key"]

H = TypeVar("H")

Key = tuple[Any, ...]

# Segment kinds, in precedence order (the first element of every key).
STATIC: Final = 0
MIXED: Final = 1
TYPED: Final = 2
STRING: Final = 3
CATCH_ALL: Final = 4

_TYPED_RANK: Final = {"int": 0, "uuid": 1, "float": 2}
_CUSTOM_RANK: Final = 3
_STR_RANK: Final = 4

# SPEC: RFC 9110 §9.1 - method = token; §5.6.2 - token = 1*tchar
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _param_rank(param: Param) -> tuple[int, str]:
    name = param.convertor_name
    if name == "str":
        return (_STR_RANK, name)
    return (_TYPED_RANK.get(name, _CUSTOM_RANK), name)


def segment_key(segment: Segment) -> Key:
    """The precedence key of one template segment: smaller keys are tried first.

    Two segments with equal keys match exactly the same texts.
    """
    params = [part for part in segment if isinstance(part, Param)]
    if not params:
        return (STATIC, "".join(part for part in segment if isinstance(part, str)))
    literal = sum(len(part) for part in segment if isinstance(part, str))
    shape = "".join(part if isinstance(part, str) else "{" + part.convertor_name + "}" for part in segment)
    if params[-1].convertor_name == "path":
        return (CATCH_ALL, -literal, tuple(_param_rank(p) for p in params[:-1]), shape)
    if len(segment) > 1:
        return (MIXED, -literal, tuple(_param_rank(p) for p in params), shape)
    if params[0].convertor_name == "str":
        return (STRING,)
    return (TYPED, *_param_rank(params[0]))


class RouteTree(TreeMatcher[H]):
    """Routes by path template and method; see the module docstring for the rules.

    Args:
        convertors: the convertors templates may name; default: the built-ins and those
            registered with ``register_convertor`` (a live view).
    """

    __slots__ = ("_routes", "_convertors")

    def __init__(self, *, convertors: Mapping[str, Convertor[Any]] | None = None) -> None:
        super().__init__()
        self._routes: list[tuple[str, tuple[str, ...] | None, str, H]] = []
        self._convertors = default_convertors() if convertors is None else convertors

    def routes(self) -> list[tuple[str, tuple[str, ...] | None, str, H]]:
        """``(template, methods, owner, handler)`` per route, in registration order.

        ``methods`` is sorted and upper-cased, without the implicit HEAD; ``None`` means all.
        """
        return list(self._routes)

    def add(
        self, template: str, methods: Iterable[str] | None, handler: H, *, owner: str, prefix: bool = False
    ) -> None:
        """Register a route.

        Args:
            template: e.g. ``"/items/{item_id:int}"`` (see ``routing.templates``).
            methods: the methods it answers (GET implies HEAD); ``None``: every method.
            handler: what ``match`` returns for it.
            owner: a human description for error messages, e.g.
                ``"GET /items/{id} -> app.items:read_item (app/items.py:42)"``.
            prefix: a mount: match the template exactly or followed by ``/...``, and
                return the rest as ``TreeMatch.remainder``.

        Raises:
            RouteConfigError: the template or the methods are invalid.
            RouteConflictError: an existing route matches the same paths and methods
                with the same precedence. The tree is unchanged.
        """
        parsed = Template.parse(template, convertors=self._convertors, prefix=prefix)
        normalized = _normalize_methods(template, methods)
        existing = self._find_leaf(parsed)
        if existing is not None:
            self._check_conflict(existing, parsed, normalized, owner)
        leaf = self._make_leaf(parsed)
        entry = Entry(handler, parsed.param_names, template, owner, normalized, len(self._routes))
        if normalized is None:
            leaf.any = entry
        else:
            for method in normalized:
                leaf.by_method[method] = entry
                leaf.explicit.add(method)
            if "GET" in leaf.explicit and "HEAD" not in leaf.explicit:
                leaf.by_method["HEAD"] = leaf.by_method["GET"]
        leaf.not_allowed = MethodNotAllowed(tuple(sorted(leaf.by_method)))
        if parsed.is_static and not prefix:
            self._static[template] = leaf
        self._routes.append((template, normalized, owner, handler))

    def _find_leaf(self, template: Template) -> Leaf[H] | None:
        """The leaf ``template`` would use, if it exists already (read only)."""
        node = self._root
        segments = template.segments[:-1] if template.has_tail else template.segments
        for segment in segments:
            key = segment_key(segment)
            if key[0] == STATIC:
                child = node.static.get(key[1])
            else:
                edge = node.by_key.get(key)
                child = edge.child if isinstance(edge, SegEdge) else None
            if child is None:
                return None
            node = child
        if template.has_tail:
            tail = node.by_key.get(segment_key(template.segments[-1]))
            return tail.leaf if isinstance(tail, TailEdge) else None
        return node.mount if template.prefix else node.leaf

    def _make_leaf(self, template: Template) -> Leaf[H]:
        """The leaf for ``template``, creating the nodes and edges on the way."""
        node = self._root
        last = len(template.segments) - 1
        for index, segment in enumerate(template.segments):
            key = segment_key(segment)
            if key[0] == STATIC:
                node = node.static.setdefault(key[1], Node())
                continue
            edge = node.by_key.get(key)
            if edge is None:
                edge = _new_edge(key, segment, template.patterns[index])
                node.by_key[key] = edge
                node.reorder()
            if isinstance(edge, TailEdge):
                assert index == last  # internal invariant: Template puts a path parameter last
                return edge.leaf
            node = edge.child
        if template.prefix:
            if node.mount is None:
                node.mount = Leaf()
                node.reorder()
            return node.mount
        if node.leaf is None:
            node.leaf = Leaf()
            node.reorder()
        return node.leaf

    def _check_conflict(
        self, leaf: Leaf[H], template: Template, methods: tuple[str, ...] | None, owner: str
    ) -> None:
        clash: Entry[H] | None = None
        overlap: tuple[str, ...] | None = methods
        if leaf.any is not None:
            clash = leaf.any
        elif methods is None:
            if leaf.explicit:
                clash = min((leaf.by_method[m] for m in leaf.explicit), key=_entry_order)
                overlap = clash.methods
        else:
            overlap = tuple(m for m in methods if m in leaf.explicit)
            if overlap:
                clash = leaf.by_method[overlap[0]]
        if clash is None:
            return
        example = _example_path(template)
        said = "every method" if overlap is None else "method " + ", ".join(overlap)
        raise RouteConflictError(
            f"route conflict: {owner!r} and {clash.owner!r} both match paths like {example!r} "
            f"for {said}, and neither is more specific, so one of them could never be reached. "
            "Change one path, narrow a parameter with a convertor (e.g. '{id:int}'), "
            "or give the routes different methods.",
            new_owner=owner,
            existing_owner=clash.owner,
            example_path=example,
            methods=overlap,
        )


def _entry_order(entry: Entry[Any]) -> int:
    return entry.order


def _normalize_methods(template: str, methods: Iterable[str] | None) -> tuple[str, ...] | None:
    if methods is None:
        return None
    if isinstance(methods, (str, bytes)):
        raise RouteConfigError(
            f"route {template!r}: methods must be a collection such as [{methods!r}], not a single string",
            template=template,
        )
    result: set[str] = set()
    for method in methods:
        if not isinstance(method, str) or _TOKEN.fullmatch(method) is None:
            raise RouteConfigError(
                f"route {template!r}: invalid HTTP method {method!r}; a method is a token such as 'GET'",
                template=template,
            )
        result.add(method.upper())
    if not result:
        raise RouteConfigError(
            f"route {template!r}: the method list is empty, so the route could never match; "
            "list its methods, or pass None to accept every method",
            template=template,
        )
    return tuple(sorted(result))


def _new_edge(key: Key, segment: Segment, pattern: re.Pattern[str] | None) -> SegEdge[Any] | TailEdge[Any]:
    params = [part for part in segment if isinstance(part, Param)]
    if key[0] == STRING:
        return SegEdge(key, STR, matched_inline)
    if key[0] == TYPED:
        return SegEdge(key, SEG, _single_matcher(params[0]))
    if key[0] == CATCH_ALL and len(segment) == 1:
        return TailEdge(key, TAIL_ALL, matched_inline)
    assert pattern is not None  # internal invariant: Template compiles every multi-part segment
    converts = tuple((f"_fp{index}", param.convertor.convert) for index, param in enumerate(params))
    if key[0] == MIXED:
        return SegEdge(key, SEG, _mixed_matcher(pattern, converts))
    return TailEdge(key, TAIL, _tail_matcher(pattern, converts[:-1], converts[-1][0]))


def _single_matcher(param: Param) -> Callable[[str], tuple[Any, ...] | None]:
    fullmatch = param.pattern.fullmatch
    convert = param.convertor.convert

    def match(seg: str) -> tuple[Any, ...] | None:
        if fullmatch(seg) is None:
            return None
        try:
            return (convert(seg),)
        except ValueError:  # the convertor's way of saying "no match" (module convertors)
            return None

    return match


def _mixed_matcher(
    pattern: re.Pattern[str], converts: tuple[tuple[str, Callable[[str], Any]], ...]
) -> Callable[[str], tuple[Any, ...] | None]:
    fullmatch = pattern.fullmatch

    def match(seg: str) -> tuple[Any, ...] | None:
        found = fullmatch(seg)
        if found is None:
            return None
        try:
            return tuple(convert(found.group(group)) for group, convert in converts)
        except ValueError:
            return None

    return match


def _tail_matcher(
    pattern: re.Pattern[str], converts: tuple[tuple[str, Callable[[str], Any]], ...], path_group: str
) -> Callable[[str, str], tuple[Any, ...] | None]:
    fullmatch = pattern.fullmatch

    def match(seg: str, after: str) -> tuple[Any, ...] | None:
        # The parameters before the path one stay inside this segment; the path one takes
        # the rest of the segment plus everything after it (`after` is "" or "/...").
        found = fullmatch(seg)
        if found is None:
            return None
        try:
            values = [convert(found.group(group)) for group, convert in converts]
        except ValueError:
            return None
        values.append(found.group(path_group) + after)
        return tuple(values)

    return match


def _example_path(template: Template) -> str:
    """A path ``template`` matches, for error messages (unknown values stay ``{name}``)."""
    out: list[str] = []
    for segment in template.segments:
        out.append("/")
        for part in segment:
            if isinstance(part, str):
                out.append(part)
            else:
                text = example_text(part.convertor)
                out.append("{" + part.name + "}" if text is None else text)
    return "".join(out) or "/"
