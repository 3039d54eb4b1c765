"""The docs routes every app gets (FastAPI's ``FastAPI.setup``).

``install_docs_routes(app)`` adds, when their URLs are set (``None`` turns one
off; every page needs ``openapi_url``):

* ``openapi_url`` (``/openapi.json``): the document, built on first use and
  cached by ``app.openapi()``. Behind a proxy (``root_path`` in the ASGI
  scope) and with ``root_path_in_servers`` (the default), the root path is
  put first in ``servers`` unless it is already listed, so "Try it out"
  calls go through the proxy;
* ``docs_url`` (``/docs``): Swagger UI, plus ``swagger_ui_oauth2_redirect_url``
  (``/docs/oauth2-redirect``) for its OAuth2 flows;
* ``redoc_url`` (``/redoc``): ReDoc.

The pages find the document at ``root_path + openapi_url``. All are
``include_in_schema=False``. Asset URLs come from the app's ``extra``
settings ``swagger_js_url``, ``swagger_css_url``, ``swagger_favicon_url``,
``redoc_js_url``, ``redoc_favicon_url`` (ferrule's; FastAPI needs custom
routes for self-hosted assets), so the docs can be served from local files.
"""

from __future__ import annotations

from typing import Any

from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import HTMLResponse, JSONResponse

from .docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

__all__ = ["install_docs_routes"]

_SWAGGER_ASSETS = ("swagger_js_url", "swagger_css_url", "swagger_favicon_url")
_REDOC_ASSETS = ("redoc_js_url", "redoc_favicon_url", "with_google_fonts")


def _root_path(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def _assets(app: Any, names: tuple[str, ...]) -> dict[str, Any]:
    extra = getattr(app, "extra", None) or {}
    return {name: extra[name] for name in names if name in extra}


def install_docs_routes(app: Any) -> None:
    """Add the OpenAPI, Swagger UI, OAuth2 redirect and ReDoc routes to ``app``."""
    openapi_url = app.openapi_url
    if not openapi_url:
        return

    async def openapi(request: Request) -> JSONResponse:
        root_path = _root_path(request)
        document = app.openapi()
        if root_path and app.root_path_in_servers:
            servers = document.get("servers", [])
            if root_path not in {server.get("url") for server in servers}:
                document = {**document, "servers": [{"url": root_path}, *servers]}
        return JSONResponse(document)

    app.add_route(openapi_url, openapi, include_in_schema=False)

    if app.docs_url:

        async def swagger_ui_html(request: Request) -> HTMLResponse:
            root_path = _root_path(request)
            redirect = app.swagger_ui_oauth2_redirect_url
            return get_swagger_ui_html(
                openapi_url=root_path + openapi_url,
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=root_path + redirect if redirect else None,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=app.swagger_ui_parameters,
                **_assets(app, _SWAGGER_ASSETS),
            )

        app.add_route(app.docs_url, swagger_ui_html, include_in_schema=False)

        if app.swagger_ui_oauth2_redirect_url:

            async def swagger_ui_redirect(request: Request) -> HTMLResponse:
                return get_swagger_ui_oauth2_redirect_html()

            app.add_route(app.swagger_ui_oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False)

    if app.redoc_url:

        async def redoc_html(request: Request) -> HTMLResponse:
            return get_redoc_html(
                openapi_url=_root_path(request) + openapi_url,
                title=f"{app.title} - ReDoc",
                **_assets(app, _REDOC_ASSETS),
            )

        app.add_route(app.redoc_url, redoc_html, include_in_schema=False)
