"""The test client's cookie jar: RFC 6265 storage and retrieval, kept small.

Rules:

* ``Set-Cookie`` (SPEC: RFC 6265 §5.2): ``name=value`` before the first ``;``
  (a cookie without ``=`` is ignored); attribute names are case-insensitive;
  ``Max-Age`` (an integer) wins over ``Expires`` (an HTTP date); unknown or
  malformed attributes are ignored.
* Storage (§5.3): a cookie that is already expired (``Max-Age<=0`` or a past
  ``Expires``) deletes the stored one. Without ``Domain`` a cookie is host-only;
  a ``Domain`` the request host does not domain-match rejects the cookie. A
  missing or relative ``Path`` becomes the default-path (§5.1.4). A cookie with
  the same (name, domain, path) replaces the stored one and keeps its age.
* Retrieval (§5.4): domain-match (host-only: equal hosts), path-match
  (§5.1.4), ``Secure`` only over https/wss, not expired; longer paths first,
  then older cookies first.
* Values are kept as the server sent them (quotes included) and sent back
  unchanged, as browsers do; reading through the mapping unquotes them.
* Cookies set by the user (``set()``, ``cookies=``) have the domain ``""`` and
  match every host.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import Union

from ferrule.asgi_core.cookies import quote_cookie_value, unquote_cookie_value
from ferrule.asgi_core.url import URL

__all__ = ["Cookies", "CookiesInput"]


@dataclass(slots=True)
class _Cookie:
    name: str
    value: str  # as sent on the wire (possibly quoted)
    domain: str  # "" matches every host
    host_only: bool
    path: str
    expires: float | None
    secure: bool
    order: int


def _default_path(request_path: str) -> str:
    # SPEC: RFC 6265 §5.1.4 default-path
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def _path_matches(request_path: str, cookie_path: str) -> bool:
    # SPEC: RFC 6265 §5.1.4 path-match
    if request_path == cookie_path:
        return True
    return request_path.startswith(cookie_path) and (
        cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    )


def _domain_matches(host: str, cookie: _Cookie) -> bool:
    # SPEC: RFC 6265 §5.1.3 domain-match
    if not cookie.domain:
        return True
    if cookie.host_only:
        return host == cookie.domain
    return host == cookie.domain or host.endswith("." + cookie.domain)


def _expiry(attributes: dict[str, str], now: float) -> float | None:
    if "max-age" in attributes:
        try:
            return now + int(attributes["max-age"])
        except ValueError:
            pass
    if "expires" in attributes:
        try:
            return parsedate_to_datetime(attributes["expires"]).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    return None


CookiesInput = Union["Cookies", Mapping[str, str], Iterable[tuple[str, str]], None]


class Cookies(MutableMapping[str, str]):
    """A cookie jar; as a mapping it shows each cookie name once (first match)."""

    __slots__ = ("_jar", "_order")

    def __init__(self, cookies: CookiesInput = None) -> None:
        self._jar: list[_Cookie] = []
        self._order = 0
        if isinstance(cookies, Cookies):
            self._jar = [replace(c) for c in cookies._jar]
            self._order = cookies._order
        elif cookies is not None:
            pairs = cookies.items() if isinstance(cookies, Mapping) else cookies
            for name, value in pairs:
                self.set(name, value)

    # --- public mapping-style API (httpx's Cookies) ---

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        """Store a cookie; ``domain=""`` sends it to every host."""
        self._store(
            _Cookie(name, quote_cookie_value(value), domain.lower().lstrip("."), False, path, None, False, 0)
        )

    def get(  # type: ignore[override]
        self, name: str, default: str | None = None, domain: str | None = None, path: str | None = None
    ) -> str | None:
        """The (unquoted) value of the first cookie called ``name``, optionally filtered."""
        for cookie in self._select(name, domain, path):
            return unquote_cookie_value(cookie.value)
        return default

    def delete(self, name: str, domain: str | None = None, path: str | None = None) -> None:
        """Remove every cookie called ``name`` (optionally only for ``domain``/``path``)."""
        doomed = {id(c) for c in self._select(name, domain, path)}
        self._jar = [c for c in self._jar if id(c) not in doomed]

    def clear(self, domain: str | None = None, path: str | None = None) -> None:
        """Remove every cookie (optionally only those for ``domain``/``path``)."""
        doomed = {id(c) for c in self._select(None, domain, path)}
        self._jar = [c for c in self._jar if id(c) not in doomed]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        if not any(True for _ in self._select(name, None, None)):
            raise KeyError(name)
        self.delete(name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(c.name for c in self._live()))

    def __len__(self) -> int:
        return len({c.name for c in self._live()})

    def __repr__(self) -> str:
        cookies = ", ".join(f"{c.name}={c.value} for {c.domain or '*'}{c.path}" for c in self._live())
        return f"<Cookies[{cookies}]>"

    # --- used by the client ---

    def extract(self, url: URL, set_cookie_values: Iterable[str]) -> None:
        """Store the cookies of a response to a request for ``url``."""
        host = (url.hostname or "").lower()
        for header in set_cookie_values:
            self._extract_one(header, host, url.path or "/")

    def header_for(self, url: URL) -> str | None:
        """The ``Cookie`` header value to send to ``url`` (``None`` when no cookie matches)."""
        host = (url.hostname or "").lower()
        path = url.path or "/"
        secure = url.is_secure
        matching = [
            c
            for c in self._live()
            if _domain_matches(host, c) and _path_matches(path, c.path) and (secure or not c.secure)
        ]
        if not matching:
            return None
        matching.sort(key=lambda c: (-len(c.path), c.order))
        return "; ".join(f"{c.name}={c.value}" for c in matching)

    # --- internals ---

    def _select(self, name: str | None, domain: str | None, path: str | None) -> Iterator[_Cookie]:
        for cookie in self._live():
            if name is not None and cookie.name != name:
                continue
            if domain is not None and cookie.domain != domain.lower().lstrip("."):
                continue
            if path is not None and cookie.path != path:
                continue
            yield cookie

    def _live(self) -> list[_Cookie]:
        now = time.time()
        if any(c.expires is not None and c.expires <= now for c in self._jar):
            self._jar = [c for c in self._jar if c.expires is None or c.expires > now]
        return self._jar

    def _store(self, cookie: _Cookie) -> None:
        for index, old in enumerate(self._jar):
            if (old.name, old.domain, old.path) == (cookie.name, cookie.domain, cookie.path):
                cookie.order = old.order  # SPEC: RFC 6265 §5.3 step 11.3 keeps the creation time
                del self._jar[index]
                break
        else:
            self._order += 1
            cookie.order = self._order
        if cookie.expires is None or cookie.expires > time.time():
            self._jar.append(cookie)

    def _extract_one(self, header: str, host: str, request_path: str) -> None:
        pair, *raw_attributes = header.split(";")
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            return  # SPEC: RFC 6265 §5.2 steps 2 and 5
        attributes: dict[str, str] = {}
        for raw in raw_attributes:
            key, _, attr_value = raw.partition("=")
            attributes[key.strip().lower()] = attr_value.strip()
        domain = attributes.get("domain", "").lower().lstrip(".")
        if domain and not (host == domain or host.endswith("." + domain)):
            return  # SPEC: RFC 6265 §5.3 step 6: the host must domain-match the Domain
        path = attributes.get("path", "")
        if not path.startswith("/"):
            path = _default_path(request_path)
        self._store(
            _Cookie(
                name=name,
                value=value,
                domain=domain or host,
                host_only=not domain,
                path=path,
                expires=_expiry(attributes, time.time()),
                secure="secure" in attributes,
                order=0,
            )
        )
