"""``HTTPSRedirectMiddleware``: send plain ``http``/``ws`` requests to ``https``/``wss``.

An ``http`` request is redirected (307, so method and body are kept) to the
same URL with scheme ``https``; a default port (80/443) is dropped, any other
port kept. A ``ws`` handshake is closed (the server answers 403): a redirect
cannot be sent on a WebSocket handshake without the denial extension, and
browsers do not follow it anyway.
"""

from __future__ import annotations

from ..response import RedirectResponse
from ..types import ASGIApp, Receive, Scope, Send
from ..url import URL

__all__ = ["HTTPSRedirectMiddleware"]


class HTTPSRedirectMiddleware:
    """Redirect every insecure request to its secure twin.

    Args:
        app: the app to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket") or scope.get("scheme") in ("https", "wss"):
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        url = URL(scope=scope)
        hostname = url.netloc.rpartition("@")[2]
        if url.port in (80, 443):
            hostname = hostname.rpartition(":")[0]
        await RedirectResponse(url.replace(scheme="https", netloc=hostname))(scope, receive, send)
