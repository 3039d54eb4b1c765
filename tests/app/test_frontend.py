"""``app.frontend()`` / ``router.frontend()``: every rule of FastAPI's "Frontend" tutorial page.

Each test names the tutorial section it checks. The build output is a tmp_path
tree shaped like the tutorial's ``dist/`` (``index.html``, ``assets/app.js``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import pytest

from ferrule import APIRouter, App, BackgroundTasks, Cookie, Depends, HTTPException, Response
from ferrule.asgi_core.exceptions import FerruleError
from ferrule.routing.frontend import FrontendConfigError, is_navigation_request
from ferrule.testclient import TestClient

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<h1>app</h1>")
    (root / "assets" / "app.js").write_text("console.log(1)")
    (root / "blog").mkdir()
    (root / "blog" / "index.html").write_text("<h1>blog</h1>")
    (tmp_path / "secret.txt").write_text("secret")
    return root


def client(app: App) -> TestClient:
    return TestClient(app, follow_redirects=False)


# -- Serve a Frontend ---------------------------------------------------------------


def test_files_are_served_from_the_directory(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist)
    c = client(app)
    response = c.get("/assets/app.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert response.headers["content-type"].startswith("text/javascript")
    root = c.get("/", headers=HTML)
    assert root.status_code == 200 and root.text == "<h1>app</h1>"
    head = c.head("/assets/app.js")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len("console.log(1)"))


def test_a_path_operation_wins_over_a_frontend_file(dist: Path) -> None:
    (dist / "api").mkdir()
    (dist / "api" / "items").write_text("file")
    app = App()
    app.frontend("/", directory=dist)

    @app.get("/api/items")
    def items() -> list[int]:
        return [1, 2]

    c = client(app)
    assert c.get("/api/items").json() == [1, 2]
    # The path operation's 405 wins too: the frontend is never asked.
    response = c.post("/api/items")
    assert response.status_code == 405 and response.headers["allow"].startswith("GET")


def test_a_directory_serves_its_index_after_a_slash_redirect(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist)
    c = client(app)
    redirect = c.get("/blog")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "http://testserver/blog/"
    assert c.get("/blog/").text == "<h1>blog</h1>"


# -- Client-Side Routing ------------------------------------------------------------


def test_index_fallback_is_for_html_navigation_only(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist, fallback="index.html")
    c = client(app)
    page = c.get("/dashboard/settings", headers=HTML)
    assert page.status_code == 200 and page.text == "<h1>app</h1>"
    assert c.get("/dashboard", headers={"accept": "application/xhtml+xml"}).status_code == 200
    head = c.head("/dashboard/settings", headers=HTML)
    assert head.status_code == 200 and head.content == b""
    # A missing asset (no HTML in Accept) stays 404, as does a generic */* client.
    assert c.get("/assets/missing.js", headers={"accept": "*/*"}).status_code == 404
    assert c.get("/dashboard/settings").status_code == 404
    assert c.get("/dashboard", headers={"accept": "text/html;q=0"}).status_code == 404


def test_other_methods_never_get_the_fallback(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist, fallback="index.html")
    c = client(app)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        missing = c.request(method, "/dashboard/settings", headers=HTML)
        assert missing.status_code == 404, method
        assert missing.json() == {"detail": "Not Found"}
    existing = c.post("/assets/app.js", headers=HTML)
    assert existing.status_code == 405
    assert existing.headers["allow"] == "GET, HEAD"


def test_is_navigation_request() -> None:
    assert is_navigation_request("text/html")
    assert is_navigation_request("application/json, TEXT/HTML; q=0.5")
    assert is_navigation_request("application/xhtml+xml;q=0.1")
    assert is_navigation_request("text/html;q=nonsense")
    assert not is_navigation_request("")
    assert not is_navigation_request("*/*")
    assert not is_navigation_request("text/*")
    assert not is_navigation_request("text/html;q=0")
    assert not is_navigation_request("text/html;q=0.0, application/json")


# -- Custom 404 Page / Fallback Auto / Disable Fallback -----------------------------


def test_404_page_keeps_status_404_and_replaces_the_index_fallback(dist: Path) -> None:
    (dist / "404.html").write_text("<h1>lost</h1>")
    for fallback in ("404.html", "auto"):
        app = App()
        app.frontend("/", directory=dist, fallback=fallback)  # type: ignore[arg-type]
        c = client(app)
        page = c.get("/no/such/page", headers=HTML)
        assert page.status_code == 404 and page.text == "<h1>lost</h1>", fallback
        # For every GET/HEAD, navigation or not.
        asset = c.get("/assets/missing.js")
        assert asset.status_code == 404 and asset.text == "<h1>lost</h1>"
        assert c.get("/assets/app.js").status_code == 200


def test_auto_uses_index_when_there_is_no_404_page(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist)  # fallback="auto"
    c = client(app)
    assert c.get("/dashboard", headers=HTML).text == "<h1>app</h1>"
    assert c.get("/dashboard").status_code == 404


def test_auto_without_either_file_is_a_plain_404(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    app = App()
    app.frontend("/", directory=tmp_path)
    c = client(app)
    assert c.get("/a.txt").text == "a"
    assert c.get("/missing", headers=HTML).json() == {"detail": "Not Found"}


def test_fallback_none_disables_it(dist: Path) -> None:
    (dist / "404.html").write_text("<h1>lost</h1>")
    app = App()
    app.frontend("/", directory=dist, fallback=None)
    c = client(app)
    response = c.get("/dashboard", headers=HTML)
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


# -- Check Directory ----------------------------------------------------------------


def test_a_missing_directory_is_an_error_at_declaration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FASTAPI_ENV", raising=False)
    monkeypatch.delenv("FERRULE_ENV", raising=False)
    missing = tmp_path / "dist"
    for check_dir in ("auto", True):
        with pytest.raises(FrontendConfigError, match="frontend directory .* does not exist") as info:
            App().frontend("/", directory=missing, check_dir=check_dir)  # type: ignore[arg-type]
        assert str(missing) in str(info.value)
        # FastAPI raises RuntimeError here; code catching that keeps working.
        assert isinstance(info.value, RuntimeError) and isinstance(info.value, FerruleError)


def test_an_explicit_fallback_file_must_exist(dist: Path) -> None:
    with pytest.raises(FrontendConfigError, match="fallback file '404.html' does not exist"):
        App().frontend("/", directory=dist, fallback="404.html")
    App().frontend("/", directory=dist, fallback="index.html")  # present: accepted


@pytest.mark.parametrize("env", ["FASTAPI_ENV", "FERRULE_ENV"])
def test_development_only_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv(env, "development")
    missing = tmp_path / "dist"
    app = App()
    with pytest.warns(UserWarning, match="frontend directory .* does not exist") as record:
        app.frontend("/", directory=missing)
    assert record[0].filename == __file__  # points at the user's line
    # Built later: served once it exists.
    missing.mkdir()
    (missing / "index.html").write_text("late")
    assert client(app).get("/", headers=HTML).text == "late"


def test_check_dir_false_defers_the_error_to_the_request(tmp_path: Path) -> None:
    directory = tmp_path / "dist"
    app = App()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app.frontend("/", directory=directory, check_dir=False)
    with pytest.raises(RuntimeError, match="frontend directory .* does not exist"):
        client(app).get("/", headers=HTML)
    assert TestClient(app, raise_server_exceptions=False).get("/").status_code == 500
    directory.mkdir()
    (directory / "index.html").write_text("built")
    assert client(app).get("/", headers=HTML).text == "built"


def test_invalid_declarations_are_refused(dist: Path) -> None:
    for path in ("", "app", None):
        with pytest.raises(FrontendConfigError, match="must start with '/'"):
            App().frontend(path, directory=dist)  # type: ignore[arg-type]
    with pytest.raises(FrontendConfigError, match="invalid frontend fallback 'spa.html'"):
        App().frontend("/", directory=dist, fallback="spa.html")  # type: ignore[arg-type]
    # FastAPI raises AssertionError for these two; ferrule's error is one too.
    with pytest.raises(AssertionError):
        App().frontend("x", directory=dist)


# -- Use it with APIRouter ----------------------------------------------------------


def test_router_frontend_under_an_include_prefix(dist: Path) -> None:
    app = App()
    router = APIRouter()
    router.frontend("/", directory=dist, fallback="index.html")
    app.include_router(router, prefix="/app")

    @app.get("/app/api")
    def api() -> str:
        return "api"

    c = client(app)
    assert c.get("/app/assets/app.js").text == "console.log(1)"
    assert c.get("/app/settings", headers=HTML).text == "<h1>app</h1>"
    assert c.get("/app/", headers=HTML).text == "<h1>app</h1>"
    assert c.get("/app/api").json() == "api"
    assert c.get("/elsewhere", headers=HTML).status_code == 404
    assert c.get("/application", headers=HTML).status_code == 404  # not under /app


def test_router_prefix_and_nested_includes(dist: Path) -> None:
    inner = APIRouter(prefix="/ui")
    inner.frontend("/", directory=dist)
    outer = APIRouter()
    outer.include_router(inner, prefix="/v1")
    app = App()
    app.include_router(outer)
    assert client(app).get("/v1/ui/assets/app.js").status_code == 200
    assert client(app).get("/assets/app.js").status_code == 404


def test_the_longest_frontend_path_wins(dist: Path, tmp_path: Path) -> None:
    admin = tmp_path / "admin"
    admin.mkdir()
    (admin / "index.html").write_text("<h1>admin</h1>")
    app = App()
    app.frontend("/", directory=dist)
    app.frontend("/admin", directory=admin)
    c = client(app)
    assert c.get("/admin/users", headers=HTML).text == "<h1>admin</h1>"
    assert c.get("/users", headers=HTML).text == "<h1>app</h1>"


def test_routes_of_other_routers_keep_priority(dist: Path) -> None:
    front = APIRouter()
    front.frontend("/", directory=dist)
    api = APIRouter(prefix="/api")

    @api.get("/me")
    def me() -> str:
        return "me"

    app = App()
    app.include_router(front)
    app.include_router(api)
    assert client(app).get("/api/me", headers=HTML).json() == "me"


# -- Dependencies and Middleware ----------------------------------------------------


def test_middleware_applies_to_frontend_responses(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist)

    @app.middleware("http")
    async def tag(request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers["x-mw"] = "yes"
        return response

    assert client(app).get("/assets/app.js").headers["x-mw"] == "yes"


def test_dependencies_guard_headers_and_background_tasks(dist: Path) -> None:
    ran: list[str] = []

    def session(session: Annotated[str | None, Cookie()] = None) -> None:
        if session != "ok":
            raise HTTPException(401, "login first")

    def stamp(response: Response, background: BackgroundTasks) -> None:
        response.headers["x-frontend"] = "stamped"
        background.add_task(ran.append, "task")

    router = APIRouter(dependencies=[Depends(stamp)])
    router.frontend("/", directory=dist)
    app = App(dependencies=[Depends(session)])
    app.include_router(router, prefix="/app")
    c = client(app)
    assert c.get("/app/assets/app.js").status_code == 401
    assert ran == []
    c.cookies.set("session", "ok")
    response = c.get("/app/assets/app.js")
    assert response.status_code == 200 and response.text == "console.log(1)"
    assert response.headers["x-frontend"] == "stamped"
    assert ran == ["task"]
    # Dependencies do not run for the 404/405 of other methods.
    c.cookies.clear()
    assert c.post("/app/assets/app.js").status_code == 405


def test_include_router_dependencies_apply(dist: Path) -> None:
    calls: list[str] = []
    router = APIRouter()
    router.frontend("/", directory=dist)
    app = App()
    app.include_router(router, dependencies=[Depends(lambda: calls.append("dep"))])
    assert client(app).get("/assets/app.js").status_code == 200
    assert calls == ["dep"]


def test_dependency_overrides_apply(dist: Path) -> None:
    def deny() -> None:
        raise HTTPException(403)

    app = App(dependencies=[Depends(deny)])
    app.frontend("/", directory=dist)
    assert client(app).get("/assets/app.js").status_code == 403
    app.dependency_overrides[deny] = lambda: None
    assert client(app).get("/assets/app.js").status_code == 200


# -- safe paths (the static files' traversal rules) and what a frontend is not ------


def test_no_path_escapes_the_directory(dist: Path, tmp_path: Path) -> None:
    (dist / "link.txt").symlink_to(tmp_path / "secret.txt")
    app = App()
    app.frontend("/", directory=dist, fallback=None)
    c = client(app)
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/..%2Fsecret.txt", "//etc/passwd",
                 "/assets%5C..%5C..%5Csecret.txt", "/link.txt", "/./index.html"):
        response = c.get(path)
        assert response.status_code == 404, path
        assert "secret" not in response.text
    assert c.get("/bad\x01name").status_code == 400


def test_traversal_attempts_get_the_fallback_not_the_file(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist)
    response = client(app).get("/..%2F..%2Fsecret.txt", headers=HTML)
    assert response.text == "<h1>app</h1>"


def test_a_file_with_a_trailing_slash_is_still_the_file(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist)
    assert client(app).get("/assets/app.js/").text == "console.log(1)"


def test_frontends_are_not_routes_nor_in_openapi(dist: Path) -> None:
    app = App()
    before = len(app.routes)
    app.frontend("/", directory=dist)
    assert len(app.routes) == before
    assert app.openapi()["paths"] == {}
    with TestClient(app) as c, pytest.raises(Exception), c.websocket_connect("/ws"):
        pass


def test_slash_redirects_of_routes_come_first(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist)

    @app.get("/items/")
    def items() -> list[int]:
        return []

    response = client(app).get("/items", headers=HTML)
    assert response.status_code == 307 and response.headers["location"].endswith("/items/")


def test_conditional_requests_get_304(dist: Path) -> None:
    app = App()
    app.frontend("/", directory=dist)
    c = client(app)
    etag = c.get("/assets/app.js").headers["etag"]
    assert c.get("/assets/app.js", headers={"if-none-match": etag}).status_code == 304
