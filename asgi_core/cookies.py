"""Cookies: the ``Cookie`` request header and ``Set-Cookie`` response values.

Parsing rules (``parse_cookie_header``), lenient like browsers, never raising:

* The header is split on ``;``. Each piece is ``name=value`` split at the first
  ``=``; a piece without ``=`` is a value with an empty name (what browsers do
  for ``document.cookie = "value"``; RFC 6265bis §5.6). Surrounding whitespace
  is stripped; a piece whose name and value are both empty is skipped.
* A value wrapped in double quotes is unquoted: the quotes are removed and the
  backslash escapes that Python's ``http.cookies`` (and so Starlette) write are
  decoded (``\\"``, ``\\\\``, octal ``\\073``). Unquoted values are kept verbatim.
* When a name repeats, the FIRST value wins. SPEC: RFC 6265 §5.4 step 2 – user
  agents list cookies with longer (more specific) paths first.
  COMPAT(fastapi): Starlette keeps the last one instead.

Building rules (``build_set_cookie``, RFC 6265 §4.1):

* The name must be an RFC 9110 token. A value made only of cookie-octets is
  sent as is; any other value is quoted like ``http.cookies`` does (so every
  RFC 6265 parser and Starlette's read it back).
* SECURITY: CR, LF, NUL and ``;`` in the name, value, path or domain raise
  ``ValueError`` (header and attribute injection); so do characters that
  cannot be sent in a header (outside latin-1 in a value, non-ASCII in a path).
* Attributes come in Starlette's order and spelling, so FastAPI tests that
  compare whole ``Set-Cookie`` strings keep passing:
  ``Domain; expires; HttpOnly; Max-Age; Path; SameSite; Secure; Partitioned``.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from email.utils import formatdate

__all__ = [
    "build_set_cookie",
    "parse_cookie_header",
    "quote_cookie_value",
    "unquote_cookie_value",
]

# SPEC: RFC 6265 §4.1.1 cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
_COOKIE_OCTETS = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
# SPEC: RFC 9110 §5.6.2 token (cookie-name, RFC 6265 §4.1.1)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_INJECTION = re.compile(r"[\r\n\x00;]")
# SPEC: RFC 6265 §4.1.1 path-value = <any CHAR except CTLs or ";">; ASCII only here.
_PATH = re.compile(r"[\x20-\x3a\x3c-\x7e]*")
_DOMAIN = re.compile(r"\.?[A-Za-z0-9_\-.]+")
_COOKIE_OCTETS_SET = frozenset(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\')
_ESCAPE = re.compile(r"\\([0-3][0-7][0-7]|.)", re.DOTALL)
_SAMESITE = ("lax", "strict", "none")


def _unescape(match: re.Match[str]) -> str:
    text = match.group(1)
    return chr(int(text, 8)) if len(text) == 3 else text


def unquote_cookie_value(value: str) -> str:
    """Remove surrounding double quotes and decode backslash escapes; never raises."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    if "\\" not in inner:
        return inner
    return _ESCAPE.sub(_unescape, inner)


def parse_cookie_header(value: str) -> dict[str, str]:
    """Parse a ``Cookie`` header into ``{name: value}`` (first occurrence wins)."""
    cookies: dict[str, str] = {}
    for piece in value.split(";"):
        name, sep, raw = piece.partition("=")
        if not sep:
            name, raw = "", name
        name = name.strip()
        raw = raw.strip()
        if (name or raw) and name not in cookies:
            cookies[name] = unquote_cookie_value(raw)
    return cookies


def _escape_char(char: str) -> str:
    if char in '"\\':
        return "\\" + char
    if char in _COOKIE_OCTETS_SET:
        return char
    return f"\\{ord(char):03o}"


def quote_cookie_value(value: str) -> str:
    """``value`` as a cookie-value: as is when it is all cookie-octets, else quoted.

    Quoting uses ``http.cookies``' escapes: ``\\"``, ``\\\\`` and ``\\ooo`` octal.

    Raises:
        ValueError: ``value`` holds a character above U+00FF.
    """
    if value and _COOKIE_OCTETS.fullmatch(value):
        return value
    if any(ord(c) > 0xFF for c in value):
        raise ValueError(
            f"cookie value {value[:80]!r} has characters outside latin-1; "
            "percent-encode or base64-encode it first"
        )
    return '"' + "".join(map(_escape_char, value)) + '"'


def _checked(what: str, text: str, pattern: re.Pattern[str], rule: str) -> str:
    """``text`` when ``pattern`` matches all of it, else a ``ValueError`` naming the cookie part."""
    if pattern.fullmatch(text) is None:
        raise ValueError(f"invalid cookie {what} {text[:80]!r}: {rule}")
    return text


def _format_expires(expires: datetime | str | int) -> str:
    if isinstance(expires, str):
        return _checked("expires", expires, _PATH, "CR, LF, NUL and ';' are not allowed")
    if isinstance(expires, datetime):
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=timezone.utc)
        return formatdate(expires.timestamp(), usegmt=True)
    # An int is a number of seconds from now (Starlette's convention).
    return formatdate(time.time() + expires, usegmt=True)


def build_set_cookie(
    key: str,
    value: str = "",
    *,
    max_age: int | None = None,
    expires: datetime | str | int | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = "lax",
    partitioned: bool = False,
) -> str:
    """Build one ``Set-Cookie`` header value (RFC 6265 §4.1).

    Args:
        key: the cookie name, an RFC 9110 token.
        value: the cookie value; quoted when it is not all cookie-octets.
        max_age: lifetime in seconds (``0`` deletes the cookie).
        expires: an HTTP date: a ``datetime`` (naive means UTC), seconds from
            now as an ``int``, or a preformatted ``str``.
        path: the ``Path`` attribute (``None`` to leave it out).
        domain: the ``Domain`` attribute.
        secure: add ``Secure``.
        httponly: add ``HttpOnly``.
        samesite: ``"lax"``, ``"strict"``, ``"none"`` (any case) or ``None``.
        partitioned: add ``Partitioned`` (CHIPS).

    Returns:
        The header value, e.g. ``"session=abc; Path=/; SameSite=lax"``.

    Raises:
        ValueError: a bad name, an injection attempt (CR, LF, NUL, ``;``) in the
            name, value, path or domain, or an unknown ``samesite``.
    """
    _checked("name", key, _TOKEN, "it must be an RFC 9110 token (letters, digits and !#$%&'*+-.^_`|~)")
    if _INJECTION.search(value):
        raise ValueError(
            f"invalid value for cookie {key!r}: CR, LF, NUL and ';' are not allowed "
            f"(got {value[:80]!r}); encode the value first"
        )
    parts = [f"{key}={quote_cookie_value(value)}"]
    if domain is not None:
        _checked(
            "domain", domain, _DOMAIN,
            "use a plain host name (ASCII letters, digits, '-', '.'; IDNA-encode international names)",
        )
        parts.append(f"Domain={domain}")
    if expires is not None:
        parts.append(f"expires={_format_expires(expires)}")
    if httponly:
        parts.append("HttpOnly")
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if path is not None:
        _checked("path", path, _PATH, "CR, LF, NUL, ';' and non-ASCII are not allowed; percent-encode the path")
        parts.append(f"Path={path}")
    if samesite is not None:
        if samesite.lower() not in _SAMESITE:
            raise ValueError(f"invalid samesite {samesite!r}: use 'strict', 'lax', 'none' or None")
        parts.append(f"SameSite={samesite}")
    if secure:
        parts.append("Secure")
    if partitioned:
        parts.append("Partitioned")
    return "; ".join(parts)
