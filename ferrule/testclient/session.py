"""The async request machinery both test clients share (``ClientSession``).

It holds the configuration, the cookie jar and the lifespan ``state``; builds a
request from httpx's keyword arguments; follows redirects; and drives one
request/response cycle (``_open``) through ``HTTPExchange`` exactly like a
server drives an app. It is async only: ``TestClient`` runs it on a blocking
portal, ``AsyncTestClient`` awaits it (``client.py``).

Redirects (httpx's rules): a 301/302/303/307/308 with ``Location`` is followed
when ``follow_redirects`` (default on), at most 20 times (``TooManyRedirects``).
303 and 302 turn every method but HEAD into GET, 301 turns POST into GET; a
change to GET drops the body and its content headers; ``Authorization`` is
dropped when the origin changes; cookies are recomputed for every hop.

Exceptions: with ``raise_server_exceptions=True`` (default) an exception
raised by the app reaches the test; otherwise the client answers 500 when the
app had not started a response. ASGI protocol violations always raise
``ASGIProtocolError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypedDict
from urllib.parse import urljoin

import anyio

from .cookies import Cookies, CookiesInput
from .request import (
    ClientRequest,
    ContentInput,
    DataInput,
    FilesInput,
    HeadersInput,
    ParamsInput,
    build_request,
    host_header,
    merge_headers,
    merge_url,
)
from .response import ClientResponse, ResponseHeaders
from .transport import HTTPExchange, http_scope
from ferrule.asgi_core.headers import Headers, MutableHeaders
from ferrule.asgi_core.types import ASGIApp
from ferrule.asgi_core.url import URL

__all__ = ["ClientSession", "RequestOptions", "TooManyRedirects"]

MAX_REDIRECTS = 20
# After an early close, how long the app gets to notice http.disconnect before it is cancelled.
DISCONNECT_GRACE_SECONDS = 5.0

_DEFAULT_HEADERS: list[tuple[bytes, bytes]] = [
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"connection", b"keep-alive"),
    (b"user-agent", b"testclient"),
]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = frozenset({b"content-length", b"content-type", b"transfer-encoding"})
_INTERNAL_ERROR = b"Internal Server Error"


class TooManyRedirects(RuntimeError):
    """More than ``MAX_REDIRECTS`` redirects in a row."""


class RequestOptions(TypedDict, total=False):
    """Keyword arguments of ``request()`` and the verb methods (httpx's names)."""

    params: ParamsInput
    headers: HeadersInput
    cookies: CookiesInput
    content: ContentInput
    data: DataInput
    files: FilesInput
    json: Any
    auth: tuple[str, str] | None
    follow_redirects: bool | None
    timeout: Any  # accepted for httpx compatibility; the app is called directly


class ClientSession:
    """Configuration and the async request machinery shared by both clients."""

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        cookies: CookiesInput = None,
        headers: HeadersInput = None,
        follow_redirects: bool = True,
        client: tuple[str, int] | None = ("testclient", 50000),
    ) -> None:
        self.app = app
        self.base_url = URL(base_url)
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.follow_redirects = follow_redirects
        self.client = client
        self.headers = headers  # the setter adds the defaults
        self._cookies = Cookies(cookies)
        self.app_state: dict[str, Any] = {}

    @property
    def headers(self) -> MutableHeaders:
        """Headers sent with every request, the defaults (``user-agent: testclient``,
        ``accept``, ``accept-encoding``, ``connection``) included: as in httpx,
        ``client.headers.clear()`` or ``del client.headers["user-agent"]`` stops sending them."""
        return self._headers

    @headers.setter
    def headers(self, headers: HeadersInput) -> None:
        # COMPAT(httpx): assigning merges with the defaults again.
        self._headers = MutableHeaders(raw=merge_headers(_DEFAULT_HEADERS, headers))

    @property
    def cookies(self) -> Cookies:
        """The cookie jar, shared by every request of this client."""
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: CookiesInput) -> None:
        self._cookies = Cookies(cookies)

    # --- building requests ---

    def _prepare(self, method: str, url: str | URL, options: RequestOptions) -> tuple[ClientRequest, bool]:
        unknown = options.keys() - RequestOptions.__optional_keys__
        if unknown:
            raise TypeError(f"unexpected keyword argument {sorted(unknown)[0]!r}")
        follow = options.get("follow_redirects")
        cookies = options.get("cookies")
        request = build_request(
            method,
            merge_url(self.base_url, url, options.get("params")),
            default_headers=[],
            client_headers=self.headers,
            headers=options.get("headers"),
            content=options.get("content"),
            data=options.get("data"),
            files=options.get("files"),
            json=options.get("json"),
            cookies=None if cookies is None else dict(Cookies(cookies).items()),
            auth=options.get("auth"),
        )
        return request, self.follow_redirects if follow is None else follow

    def _with_cookies(self, request: ClientRequest) -> ClientRequest:
        if "cookie" in request.headers:
            return request
        jar = self._cookies
        if request.cookies:
            jar = Cookies(jar)
            for name, value in request.cookies.items():
                jar.delete(name)
                jar.set(name, value)
        header = jar.header_for(request.url)
        if header is None:
            return request
        raw = [*request.headers.raw, (b"cookie", header.encode("latin-1"))]
        return ClientRequest(request.method, request.url, Headers._wrap(raw), request.body_chunks, request.cookies)

    def _redirect(self, request: ClientRequest, response: ClientResponse) -> ClientRequest | None:
        location = response.headers.get("location")
        if response.status_code not in _REDIRECTS or location is None:
            return None
        url = merge_url(self.base_url, urljoin(str(request.url), location), None)
        if not url.fragment and request.url.fragment:
            url = url.replace(fragment=request.url.fragment)
        method = request.method
        if response.status_code in (302, 303) and method != "HEAD":
            method = "GET"
        elif response.status_code == 301 and method == "POST":
            method = "GET"
        dropped = {b"host", b"cookie"}
        body = request.body_chunks
        if method != request.method:
            dropped |= _BODY_HEADERS
            body = ()
        if (url.scheme, url.hostname, url.port) != (request.url.scheme, request.url.hostname, request.url.port):
            dropped.add(b"authorization")
        raw = [(b"host", host_header(url))] + [(k, v) for k, v in request.headers.raw if k not in dropped]
        return ClientRequest(method, url, Headers._wrap(raw), body, request.cookies)

    # --- driving the app ---

    @asynccontextmanager
    async def _open(self, request: ClientRequest) -> AsyncIterator[ClientResponse]:
        """One request/response cycle; the response streams while the context is open."""
        scope = http_scope(request, root_path=self.root_path, client=self.client, state=self.app_state)
        exchange = HTTPExchange(self.app, scope, request.body_chunks)
        caller_error: BaseException | None = None
        started = False
        async with anyio.create_task_group() as tg:
            tg.start_soon(exchange.run_app)
            await exchange.wait_started()
            if exchange.status is not None:
                started = True
                headers = ResponseHeaders(raw=exchange.raw_headers)  # ASGI allows mixed-case names
                try:
                    yield ClientResponse(exchange.status, headers, request, stream=exchange)
                except BaseException as exc:  # re-raised below, outside the task group
                    caller_error = exc
            exchange.close()
            await exchange.wait_finished(DISCONNECT_GRACE_SECONDS)
            if not exchange.finished:
                tg.cancel_scope.cancel()
        if caller_error is not None:
            raise caller_error
        error = exchange.error(self.raise_server_exceptions)
        if error is not None:
            raise error
        if not started:  # the app failed before answering and exceptions are not raised
            headers = ResponseHeaders._wrap(
                [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"21")]
            )
            yield ClientResponse(500, headers, request, content=_INTERNAL_ERROR)

    @asynccontextmanager
    async def _send(self, request: ClientRequest, follow_redirects: bool) -> AsyncIterator[ClientResponse]:
        """``_open`` plus cookies and redirects; yields the final (streaming) response."""
        history: list[ClientResponse] = []
        async with AsyncExitStack() as stack:
            while True:
                request = self._with_cookies(request)
                response = await stack.enter_async_context(self._open(request))
                response.history = list(history)
                self._cookies.extract(request.url, response.headers.getlist("set-cookie"))
                next_request = self._redirect(request, response) if follow_redirects else None
                if next_request is None:
                    break
                await response.aread()
                await stack.aclose()
                history.append(response)
                if len(history) > MAX_REDIRECTS:
                    raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects, the last to {next_request.url}")
                request = next_request
            yield response

    async def _fetch(self, request: ClientRequest, follow_redirects: bool) -> ClientResponse:
        async with self._send(request, follow_redirects) as response:
            await response.aread()
        return response
