"""Route on the path as it was sent (``raw_path``), so an encoded slash stays in its segment.

Rules
-----
- SPEC (ASGI HTTP & WebSocket scope): ``path`` is percent-decoded, so ``/p/a%2Fb`` and
  ``/p/a/b`` have the same ``path``; ``raw_path`` holds the bytes sent (optional: it may
  be absent or ``None``). RFC 3986 §2.2: an encoded ``/`` is data, not a delimiter. So
  the router splits ``raw_path`` on ``/`` first and then decodes each segment:
  ``/p/{x}`` matches ``/p/a%2Fb`` with ``x == "a/b"``, and ``{x:path}`` receives the
  decoded rest.
- Without a ``%`` in ``raw_path`` (or without ``raw_path``), splitting the decoded
  ``path`` gives the same segments, so the router does that (PERF: one ``in`` test per
  request, nothing else).
- SPEC: ``path`` and ``raw_path`` include ``root_path`` (ASGI 3; a mount extends
  ``root_path`` and leaves both alone), but some servers leave ``root_path`` out of
  ``path``. Either way, the segments routed are the shortest tail of the decoded
  ``raw_path`` segments that spells the route path (``path`` minus ``root_path``). If
  none does, something rewrote ``path`` without ``raw_path`` (a middleware), and the
  router follows ``path``.
- SECURITY: an invalid escape (``%zz``, a lone ``%``) or escapes that decode to bytes
  that are not UTF-8 make the request a 400 naming the problem. Nothing guesses (the
  server's ``path`` may hold U+FFFD replacements or the escape left as is).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote_to_bytes

__all__ = ["InvalidRequestPath", "route_segments"]

_BAD_ESCAPE: Final = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class InvalidRequestPath(ValueError):
    """The request path cannot be decoded; the message says why (the router answers 400)."""


def route_segments(raw_path: bytes, route_path: str) -> list[str] | None:
    """The segments to route on, from ``raw_path`` (which holds a ``%``).

    Args:
        raw_path: the scope's ``raw_path``.
        route_path: the decoded path to route (``path`` minus ``root_path``).

    Returns:
        ``route_path`` split like ``str.split("/")`` (``[""]`` first), but with each
        segment decoded from ``raw_path`` so an encoded ``/`` stays inside it; ``None`` if
        ``raw_path`` does not spell ``route_path`` (then route on ``route_path``).

    Raises:
        InvalidRequestPath: an invalid percent-escape, or escapes that are not UTF-8.
    """
    bad = _BAD_ESCAPE.search(raw_path)
    if bad is not None:
        near = raw_path[bad.start() : bad.start() + 3].decode("latin-1")
        raise InvalidRequestPath(
            f"invalid percent-escape {near!r} in the request path: '%' must be followed by "
            "two hex digits (send a literal '%' as '%25')"
        )
    decoded: list[str] = []
    for piece in raw_path.split(b"/"):
        if b"%" in piece:
            piece = unquote_to_bytes(piece)
        try:
            decoded.append(piece.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidRequestPath(
                f"the request path segment {piece[:60]!r} is not UTF-8 after percent-decoding; "
                "percent-encode the UTF-8 bytes of the text"
            ) from None
    if route_path[:1] != "/":
        return None
    # The shortest tail of `decoded` that spells route_path: walk back until long enough.
    want = len(route_path)
    size = 0
    for start in range(len(decoded) - 1, 0, -1):
        size += len(decoded[start]) + 1
        if size >= want:
            if size == want and "/" + "/".join(decoded[start:]) == route_path:
                return ["", *decoded[start:]]
            return None
    return None
