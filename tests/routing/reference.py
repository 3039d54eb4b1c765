"""A naive reference router for differential tests of ``ferrule.routing.tree``.

It shares nothing with the tree but the convertor objects: it parses templates with one
regex split, turns every route into one whole-path regex, sorts the routes by a
precedence key (one tuple per segment, compared left to right) and tries them in order.
It is slow and obviously right; the tree must give the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_PARAM = re.compile(r"(\{[^{}]*\})")
_TYPED = {"int": 0, "uuid": 1, "float": 2}

Result = tuple[Any, ...] | None
"""``("match", handler, params, remainder, template)``, ``("405", allow)`` or ``None``."""


@dataclass
class RefRoute:
    template: str
    methods: frozenset[str] | None
    handler: Any
    prefix: bool
    regex: re.Pattern[str]
    params: list[tuple[str, str, Any]]  # (name, group, convertor)
    key: tuple[tuple[Any, ...], ...]


def _param_rank(convertor_name: str) -> tuple[int, str]:
    if convertor_name == "str":
        return (4, "str")
    return (_TYPED.get(convertor_name, 3), convertor_name)


def _segment_key(pieces: list[str], convertor_names: list[str]) -> tuple[Any, ...]:
    """pieces: the segment split into literal text and '{...}' pieces."""
    literal = "".join(p for p in pieces if not p.startswith("{"))
    if not convertor_names:
        return (0, literal)
    shape = "".join(p if not p.startswith("{") else "{%s}" % conv for p, conv in _with_convs(pieces, convertor_names))
    ranks = tuple(_param_rank(c) for c in convertor_names)
    if convertor_names[-1] == "path":
        return (4, -len(literal), ranks[:-1], shape)
    if len([p for p in pieces if p]) > 1:
        return (1, -len(literal), ranks, shape)
    if convertor_names[0] == "str":
        return (3,)
    return (2, *ranks[0])


def _with_convs(pieces: list[str], convs: list[str]) -> list[tuple[str, str]]:
    out = []
    it = iter(convs)
    for piece in pieces:
        out.append((piece, next(it) if piece.startswith("{") else ""))
    return out


def compile_route(template: str, convertors: Mapping[str, Any], prefix: bool) -> tuple[re.Pattern[str], list[tuple[str, str, Any]], tuple[tuple[Any, ...], ...]]:
    body = template.rstrip("/") if prefix else template
    regex = []
    params: list[tuple[str, str, Any]] = []
    key: list[tuple[Any, ...]] = []
    for raw in body[1:].split("/") if body else []:
        pieces = [p for p in _PARAM.split(raw) if p]
        regex.append("/")
        names: list[str] = []
        for piece in pieces:
            if not piece.startswith("{"):
                regex.append(re.escape(piece))
                continue
            name, _, conv = piece[1:-1].partition(":")
            conv = conv or "str"
            names.append(conv)
            group = f"_r{len(params)}"
            params.append((name, group, convertors[conv]))
            regex.append(f"(?P<{group}>{'.*' if conv == 'path' else convertors[conv].regex})")
        key.append(_segment_key(pieces, names))
    if prefix:
        regex.append("(?P<_rest>(?:/.*)?)")
        key.append((5,))
    else:
        key.append((-1,))
    return re.compile("".join(regex), re.DOTALL), params, tuple(key)


class ReferenceRouter:
    def __init__(self, convertors: Mapping[str, Any]) -> None:
        self.convertors = convertors
        self.routes: list[RefRoute] = []

    def conflicting(self, template: str, methods: Iterable[str] | None, prefix: bool = False) -> RefRoute | None:
        """The registered route the new one would conflict with, if any."""
        _, _, key = compile_route(template, self.convertors, prefix)
        wanted = None if methods is None else frozenset(m.upper() for m in methods)
        for route in self.routes:
            if route.key != key:
                continue
            if wanted is None or route.methods is None or wanted & route.methods:
                return route
        return None

    def add(self, template: str, methods: Iterable[str] | None, handler: Any, prefix: bool = False) -> bool:
        """Register unless it conflicts; return whether it was registered."""
        if self.conflicting(template, methods, prefix) is not None:
            return False
        regex, params, key = compile_route(template, self.convertors, prefix)
        wanted = None if methods is None else frozenset(m.upper() for m in methods)
        self.routes.append(RefRoute(template, wanted, handler, prefix, regex, params, key))
        return True

    def _accepts(self, route: RefRoute, method: str) -> bool:
        if route.methods is None or method in route.methods:
            return True
        if method != "HEAD" or "GET" not in route.methods:
            return False
        # GET answers HEAD unless a HEAD route has the same path shape.
        return not any(
            other.key == route.key and other.methods is not None and "HEAD" in other.methods for other in self.routes
        )

    def match(self, path: str, method: str) -> Result:
        allow: set[str] = set()
        matched_any = False
        for route in sorted(self.routes, key=lambda r: r.key):
            found = route.regex.fullmatch(path)
            if found is None:
                continue
            try:
                params = {name: conv.convert(found.group(group)) for name, group, conv in route.params}
            except ValueError:
                continue
            if self._accepts(route, method):
                remainder = found.group("_rest") if route.prefix else None
                return ("match", route.handler, params, remainder, route.template)
            matched_any = True
            assert route.methods is not None
            allow |= route.methods
            if "GET" in route.methods:
                allow.add("HEAD")
        if matched_any:
            return ("405", tuple(sorted(allow)))
        return None
