"""In-process test clients with httpx's API: ``TestClient`` and ``AsyncTestClient``.

How it works:

* ``_ClientCore`` holds what both clients share: configuration, the cookie
  jar, the lifespan ``state``, request building, the redirect loop, and one
  request/response cycle (``_open``) driven through ``HTTPExchange`` exactly
  like a server drives an app. The core is async only.
* ``TestClient`` runs the core on an anyio blocking portal: the one of its
  ``with`` block (which also runs the lifespan), or a temporary one per
  request outside of a ``with``. A streaming response pulls its chunks
  through the same portal.
* ``AsyncTestClient`` awaits the core directly in the test's event loop.
* WebSocket sessions (a later addition) reuse ``_portal()``, ``app_state`` and
  ``LifespanManager``; they need a ``WebSocketExchange`` beside ``HTTPExchange``.

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

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urljoin

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal

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
from .response import (
    ClientResponse,
    DecodingError,
    HTTPStatusError,
    ResponseHeaders,
    ResponseNotRead,
    StreamConsumed,
)
from .websocket import WebSocketDenialResponse, WebSocketTestSession
from .transport import (
    ASGIProtocolError,
    ClientDisconnectedError,
    HTTPExchange,
    LifespanError,
    LifespanManager,
    http_scope,
)
from ferrule.asgi_core.headers import Headers, MutableHeaders
from ferrule.asgi_core.types import ASGIApp
from ferrule.asgi_core.url import URL

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = ["AsyncTestClient", "RequestOptions", "TestClient", "TooManyRedirects"]

MAX_REDIRECTS = 20
# After an early close, how long the app gets to notice http.disconnect before it is cancelled.
DISCONNECT_GRACE_SECONDS = 5.0
# How long the app gets to return after lifespan.shutdown.complete.
LIFESPAN_GRACE_SECONDS = 5.0

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


class _ClientCore:
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


class TestClient(_ClientCore):
    """Call an ASGI app in-process from synchronous tests (FastAPI's ``TestClient``).

    Args:
        app: the ASGI app.
        base_url: joined with relative request URLs.
        raise_server_exceptions: let the app's exceptions reach the test
            (else: a 500 response when the app had not answered yet).
        root_path: the ASGI ``root_path`` (an app mounted under a prefix).
        cookies: initial cookies, sent to every host.
        headers: headers sent with every request.
        follow_redirects: the default for requests.
        client: the scope's ``client`` address.

    Use ``with TestClient(app) as client:`` to run the app's lifespan.
    """

    __test__ = False  # not a pytest test class

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
        super().__init__(
            app, base_url, raise_server_exceptions, root_path, cookies, headers, follow_redirects, client
        )
        self._exit_stack: ExitStack | None = None
        self._active_portal: BlockingPortal | None = None
        self._lifespan: LifespanManager | None = None

    @contextmanager
    def _portal(self) -> Iterator[BlockingPortal]:
        if self._active_portal is not None:
            yield self._active_portal
        else:
            with start_blocking_portal(backend="asyncio") as portal:
                yield portal

    def __enter__(self) -> Self:
        stack = ExitStack()
        portal = stack.enter_context(start_blocking_portal(backend="asyncio"))
        self.app_state = {}
        try:
            manager = portal.call(LifespanManager.create, self.app, self.app_state)
            portal.start_task_soon(manager.run)
            portal.call(manager.startup)
        except BaseException:
            stack.close()
            raise
        self._exit_stack, self._active_portal, self._lifespan = stack, portal, manager
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, portal, manager = self._exit_stack, self._active_portal, self._lifespan
        self._exit_stack = self._active_portal = self._lifespan = None
        if stack is None or portal is None or manager is None:
            return
        with stack:
            portal.call(manager.shutdown, LIFESPAN_GRACE_SECONDS)

    def request(self, method: str, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send one request and return the response, body read."""
        request, follow = self._prepare(method, url, kwargs)
        with self._portal() as portal:
            return portal.call(self._fetch, request, follow)

    def websocket_connect(
        self,
        url: str | URL,
        subprotocols: Sequence[str] | None = None,
        headers: HeadersInput = None,
        cookies: CookiesInput = None,
    ) -> WebSocketTestSession:
        """Open a WebSocket to the app: ``with client.websocket_connect("/ws") as ws: ...``."""
        target = URL(urljoin(str(self.base_url), str(url)))
        scheme = "wss" if target.scheme == "https" else "ws"
        request, _ = self._prepare("GET", str(target.replace(scheme=target.scheme or "http")), {"headers": headers, "cookies": cookies})
        request = self._with_cookies(request)
        scope = http_scope(request, root_path=self.root_path, client=self.client, state=self.app_state)
        raw = [(k, v) for k, v in scope["headers"] if k not in (b"content-length", b"accept-encoding")]
        raw += [
            (b"connection", b"upgrade"),
            (b"upgrade", b"websocket"),
            (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
            (b"sec-websocket-version", b"13"),
        ]
        if subprotocols:
            raw.append((b"sec-websocket-protocol", ", ".join(subprotocols).encode("latin-1")))
        scope.update(
            type="websocket",
            scheme=scheme,
            headers=raw,
            subprotocols=list(subprotocols or []),
            extensions={"websocket.http.response": {}},
        )
        del scope["method"]
        return WebSocketTestSession(self.app, scope, self._portal, self.raise_server_exceptions)

    @contextmanager
    def stream(self, method: str, url: str | URL, **kwargs: Unpack[RequestOptions]) -> Iterator[ClientResponse]:
        """Send a request; the app keeps running while the body is read with ``iter_*()``.

        Leaving the block before the body is complete sends ``http.disconnect``.
        """
        request, follow = self._prepare(method, url, kwargs)
        with self._portal() as portal, portal.wrap_async_context_manager(self._send(request, follow)) as response:
            response._portal = portal
            yield response

    def get(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return self.request("GET", url, **kwargs)

    def options(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return self.request("POST", url, **kwargs)

    def put(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return self.request("DELETE", url, **kwargs)


class AsyncTestClient(_ClientCore):
    """``TestClient`` for async tests: same arguments, ``async with``, awaited methods."""

    __test__ = False  # not a pytest test class

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
        super().__init__(
            app, base_url, raise_server_exceptions, root_path, cookies, headers, follow_redirects, client
        )
        self._exit_stack: AsyncExitStack | None = None
        self._lifespan: LifespanManager | None = None

    async def __aenter__(self) -> Self:
        stack = AsyncExitStack()
        task_group = await stack.enter_async_context(anyio.create_task_group())
        self.app_state = {}
        manager = LifespanManager(self.app, self.app_state)
        task_group.start_soon(manager.run)
        try:
            await manager.startup()
        except BaseException:
            await stack.aclose()
            raise
        self._exit_stack, self._lifespan = stack, manager
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, manager = self._exit_stack, self._lifespan
        self._exit_stack = self._lifespan = None
        if stack is None or manager is None:
            return
        try:
            await manager.shutdown(LIFESPAN_GRACE_SECONDS)
        finally:
            await stack.aclose()

    async def request(self, method: str, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send one request and return the response, body read."""
        request, follow = self._prepare(method, url, kwargs)
        return await self._fetch(request, follow)

    @asynccontextmanager
    async def stream(
        self, method: str, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> AsyncIterator[ClientResponse]:
        """Send a request; read the body with ``aiter_*()`` while the app runs."""
        request, follow = self._prepare(method, url, kwargs)
        async with self._send(request, follow) as response:
            yield response

    async def get(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return await self.request("GET", url, **kwargs)

    async def options(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return await self.request("OPTIONS", url, **kwargs)

    async def head(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return await self.request("HEAD", url, **kwargs)

    async def post(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        return await self.request("DELETE", url, **kwargs)

