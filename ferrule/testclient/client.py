"""In-process test clients with httpx's API: ``TestClient`` and ``AsyncTestClient``.

How it works:

* ``ClientSession`` (``session.py``) holds what both clients share:
  configuration, the cookie jar, the lifespan ``state``, request building, the
  redirect loop, and one request/response cycle driven through
  ``HTTPExchange`` exactly like a server drives an app. It is async only.
* ``TestClient`` runs it on an anyio blocking portal: the one of its ``with``
  block (which also runs the lifespan), or a temporary one per request outside
  of a ``with``. A streaming response pulls its chunks through the same portal.
  The portal's event loop is anyio's ``backend`` (``"asyncio"`` or ``"trio"``;
  Starlette's ``backend``/``backend_options``).
* ``AsyncTestClient`` awaits it directly in the test's event loop.
* WebSocket sessions reuse ``_portal()``, ``app_state`` and the scope of an
  HTTP request, turned into a ``websocket`` scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from types import TracebackType
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from urllib.parse import urljoin

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal

from .cookies import CookiesInput
from .request import HeadersInput
from .response import ClientResponse
from .session import ClientSession, RequestOptions, TooManyRedirects
from .transport import LifespanManager, http_scope
from .websocket import WebSocketTestSession
from ferrule.asgi_core.types import ASGIApp
from ferrule.asgi_core.url import URL

if TYPE_CHECKING:
    from typing_extensions import Self, Unpack

__all__ = ["AsyncTestClient", "RequestOptions", "TestClient", "TooManyRedirects"]

# How long the app gets to return after lifespan.shutdown.complete.
LIFESPAN_GRACE_SECONDS = 5.0

Backend = Literal["asyncio", "trio"]
_BACKENDS: tuple[str, ...] = ("asyncio", "trio")


class AsyncBackend(TypedDict):
    """Where ``TestClient`` runs the app: ``start_blocking_portal``'s arguments (Starlette's name)."""

    backend: str
    backend_options: dict[str, Any]


def _check_backend(backend: str, backend_options: dict[str, Any] | None) -> AsyncBackend:
    """The portal arguments, or an error naming what to pass instead."""
    if backend not in _BACKENDS:
        raise ValueError(
            f"TestClient(backend={backend!r}): unknown async backend; "
            "pass backend='asyncio' (the default) or backend='trio' (anyio's backends)"
        )
    if backend == "trio" and find_spec("trio") is None:
        raise ValueError("TestClient(backend='trio') needs the trio package: pip install trio")
    if backend_options is not None and not isinstance(backend_options, dict):
        raise TypeError(
            f"TestClient(backend_options=...) must be a dict of anyio backend options "
            f"(e.g. {{'use_uvloop': True}}), got {type(backend_options).__name__}"
        )
    return {"backend": backend, "backend_options": dict(backend_options or {})}


class TestClient(ClientSession):
    """Call an ASGI app in-process from synchronous tests (FastAPI's ``TestClient``).

    Args:
        app: the ASGI app.
        base_url: joined with relative request URLs.
        raise_server_exceptions: let the app's exceptions reach the test
            (else: a 500 response when the app had not answered yet).
        root_path: the ASGI ``root_path`` (an app mounted under a prefix).
        backend: the event loop the app runs on, ``"asyncio"`` or ``"trio"``
            (needs the ``trio`` package).
        backend_options: anyio's options for that backend, e.g.
            ``{"use_uvloop": True}`` for asyncio.
        cookies: initial cookies, sent to every host.
        headers: headers sent with every request.
        follow_redirects: the default for requests.
        client: the scope's ``client`` address.

    Use ``with TestClient(app) as client:`` to run the app's lifespan.

    Raises:
        ValueError: an unknown ``backend``, or ``"trio"`` without trio installed.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: Backend = "asyncio",
        backend_options: dict[str, Any] | None = None,
        cookies: CookiesInput = None,
        headers: HeadersInput = None,
        follow_redirects: bool = True,
        client: tuple[str, int] | None = ("testclient", 50000),
    ) -> None:
        # COMPAT(starlette): backend and backend_options come after root_path, as in Starlette.
        self.async_backend = _check_backend(backend, backend_options)
        super().__init__(
            app, base_url, raise_server_exceptions, root_path, cookies, headers, follow_redirects, client
        )

    # set by ``__enter__`` for the ``with`` block, cleared by ``__exit__``
    _exit_stack: ExitStack | None = None
    _active_portal: BlockingPortal | None = None
    _lifespan: LifespanManager | None = None

    @contextmanager
    def _portal(self) -> Iterator[BlockingPortal]:
        if self._active_portal is not None:
            yield self._active_portal
        else:
            with start_blocking_portal(**self.async_backend) as portal:
                yield portal

    def __enter__(self) -> Self:
        stack = ExitStack()
        portal = stack.enter_context(start_blocking_portal(**self.async_backend))
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
        """Send one request and return the response, body read.

        Args:
            method: the HTTP method.
            url: absolute, or relative to ``base_url``.
            **kwargs: httpx's names (``RequestOptions``): ``params``, ``headers``,
                ``cookies``, ``content`` (bytes or text), ``data`` (a form),
                ``files`` (multipart uploads), ``json``, ``auth`` (basic),
                ``follow_redirects``; ``timeout`` is accepted and ignored.
        """
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
        """Send a ``GET`` request (``kwargs`` as for ``request``) and return the response, body read."""
        return self.request("GET", url, **kwargs)

    def options(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``OPTIONS`` request (``kwargs`` as for ``request``) and return the response, body read."""
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``HEAD`` request (``kwargs`` as for ``request``) and return the response, body read."""
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``POST`` request (``kwargs`` as for ``request``) and return the response, body read."""
        return self.request("POST", url, **kwargs)

    def put(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``PUT`` request (``kwargs`` as for ``request``) and return the response, body read."""
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``PATCH`` request (``kwargs`` as for ``request``) and return the response, body read."""
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``DELETE`` request (``kwargs`` as for ``request``) and return the response, body read."""
        return self.request("DELETE", url, **kwargs)


class AsyncTestClient(ClientSession):
    """``TestClient`` for async tests: same arguments, ``async with``, awaited methods.

    It runs the app in the test's own event loop, whichever anyio backend that
    is (asyncio or trio), so it takes no ``backend`` argument.
    """

    __test__ = False  # not a pytest test class

    # set by ``__aenter__`` for the ``async with`` block, cleared by ``__aexit__``
    _exit_stack: AsyncExitStack | None = None
    _lifespan: LifespanManager | None = None

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
        """Send a ``GET`` request (``kwargs`` as for ``request``); awaited like ``request``."""
        return await self.request("GET", url, **kwargs)

    async def options(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``OPTIONS`` request (``kwargs`` as for ``request``); awaited like ``request``."""
        return await self.request("OPTIONS", url, **kwargs)

    async def head(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``HEAD`` request (``kwargs`` as for ``request``); awaited like ``request``."""
        return await self.request("HEAD", url, **kwargs)

    async def post(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``POST`` request (``kwargs`` as for ``request``); awaited like ``request``."""
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``PUT`` request (``kwargs`` as for ``request``); awaited like ``request``."""
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``PATCH`` request (``kwargs`` as for ``request``); awaited like ``request``."""
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> ClientResponse:
        """Send a ``DELETE`` request (``kwargs`` as for ``request``); awaited like ``request``."""
        return await self.request("DELETE", url, **kwargs)

