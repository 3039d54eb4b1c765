"""The docs routes (/openapi.json, /docs, /docs/oauth2-redirect, /redoc) and the HTML pages."""

from __future__ import annotations

from typing import Any

import oa_expected_html as html
import pytest
from oa_apps_misc import REDOC_PAGES, SWAGGER_PAGES

from ferrule import App
from ferrule.exceptions import FastAPIDeprecationWarning
from ferrule.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from ferrule.testclient import TestClient


def _app(**settings: Any) -> App:
    app = App(title="Shop", **settings)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


def test_swagger_page_is_fastapis_page() -> None:
    page = get_swagger_ui_html(**SWAGGER_PAGES["SWAGGER_DEFAULT"])
    assert page.body.decode() == html.SWAGGER_DEFAULT
    assert page.media_type == "text/html"


def test_swagger_page_with_every_option_is_fastapis_page() -> None:
    text = get_swagger_ui_html(**SWAGGER_PAGES["SWAGGER_CUSTOM"]).body.decode()
    assert text == html.SWAGGER_CUSTOM
    # SECURITY: a value (the custom page's init_oauth clientId "</script>") cannot close the script element.
    assert "</script>\"" not in text and "\\u003c/script\\u003e" in text


def test_redoc_pages_are_fastapis_pages() -> None:
    for name, call in REDOC_PAGES.items():  # REDOC_DEFAULT, REDOC_CUSTOM
        assert get_redoc_html(**call).body.decode() == getattr(html, name), name


def test_default_routes_serve_the_pages() -> None:
    client = TestClient(_app())
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "<title>Shop - Swagger UI</title>" in docs.text
    assert "url: '/openapi.json'" in docs.text
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in docs.text
    redoc = client.get("/redoc")
    assert redoc.status_code == 200
    assert '<redoc spec-url="/openapi.json"></redoc>' in redoc.text
    assert "<title>Shop - ReDoc</title>" in redoc.text
    redirect = client.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert redirect.text == get_swagger_ui_oauth2_redirect_html().body.decode()
    assert "window.opener.swaggerUIRedirectOauth2" in redirect.text
    document = client.get("/openapi.json").json()
    assert list(document["paths"]) == ["/items/{item_id}"]  # the docs routes are not documented


def test_settings_reach_the_page() -> None:
    app = _app(
        swagger_ui_parameters={"deepLinking": False, "syntaxHighlight.theme": "obsidian"},
        swagger_ui_init_oauth={"clientId": "shop"},
        swagger_ui_oauth2_redirect_url=None,
        swagger_js_url="/assets/swagger-ui-bundle.js",
        swagger_css_url="/assets/swagger-ui.css",
        redoc_js_url="/assets/redoc.js",
    )
    client = TestClient(app)
    page = client.get("/docs").text
    assert '"deepLinking": false,' in page
    assert '"syntaxHighlight.theme": "obsidian",' in page
    assert 'ui.initOAuth({"clientId": "shop"})' in page
    assert "oauth2RedirectUrl" not in page
    assert '<script src="/assets/swagger-ui-bundle.js"></script>' in page
    assert 'href="/assets/swagger-ui.css"' in page
    assert client.get("/docs/oauth2-redirect").status_code == 404
    assert '<script src="/assets/redoc.js"> </script>' in client.get("/redoc").text


@pytest.mark.parametrize(
    ("settings", "present", "absent"),
    [
        ({"openapi_url": None}, [], ["/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"]),
        ({"docs_url": None}, ["/openapi.json", "/redoc"], ["/docs", "/docs/oauth2-redirect"]),
        ({"redoc_url": None}, ["/openapi.json", "/docs"], ["/redoc"]),
        ({"openapi_url": "/api/spec.json", "docs_url": "/api/docs", "redoc_url": "/api/redoc"},
         ["/api/spec.json", "/api/docs", "/api/redoc"], ["/openapi.json", "/docs", "/redoc"]),
    ],
)
def test_urls_turn_routes_on_and_off(settings: dict[str, Any], present: list[str], absent: list[str]) -> None:
    client = TestClient(_app(**settings))
    for path in present:
        assert client.get(path).status_code == 200, path
    for path in absent:
        assert client.get(path).status_code == 404, path


def test_custom_urls_are_used_by_the_pages() -> None:
    client = TestClient(_app(openapi_url="/api/spec.json", docs_url="/api/docs", redoc_url="/api/redoc"))
    assert "url: '/api/spec.json'" in client.get("/api/docs").text
    assert 'spec-url="/api/spec.json"' in client.get("/api/redoc").text


def test_root_path_from_the_scope_reaches_pages_and_servers() -> None:
    client = TestClient(_app(), root_path="/proxy")
    document = client.get("/proxy/openapi.json").json()
    assert document["servers"] == [{"url": "/proxy"}]
    page = client.get("/proxy/docs").text
    assert "url: '/proxy/openapi.json'" in page
    assert "window.location.origin + '/proxy/docs/oauth2-redirect'" in page
    assert 'spec-url="/proxy/openapi.json"' in client.get("/proxy/redoc").text


def test_root_path_is_prepended_once_to_declared_servers() -> None:
    app = _app(servers=[{"url": "https://api.example.com"}, {"url": "/v2"}])
    assert TestClient(app, root_path="/v2").get("/v2/openapi.json").json()["servers"] == [
        {"url": "https://api.example.com"}, {"url": "/v2"},
    ]
    served = TestClient(app, root_path="/v3").get("/v3/openapi.json").json()
    assert served["servers"] == [{"url": "/v3"}, {"url": "https://api.example.com"}, {"url": "/v2"}]
    # The cached document itself is not changed by a request's root path.
    assert app.openapi()["servers"] == [{"url": "https://api.example.com"}, {"url": "/v2"}]


def test_app_root_path_setting_and_opting_out() -> None:
    with pytest.warns(FastAPIDeprecationWarning, match="root_path"):
        app = _app(root_path="/api")
    served = TestClient(app).get("/api/openapi.json").json()
    assert served["servers"] == [{"url": "/api"}]
    hidden = TestClient(_app(root_path_in_servers=False), root_path="/api").get("/api/openapi.json").json()
    assert "servers" not in hidden
