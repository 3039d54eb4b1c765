"""StaticFiles: path resolution under a mount, traversal tricks refused, html mode, config errors."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from _asgi import Result, http_scope, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.exceptions import HTTPException, MalformedInputError
from ferrule.asgi_core.middleware.exceptions import ExceptionMiddleware
from ferrule.asgi_core.staticfiles import StaticFiles, relative_path, split_safe_path
from ferrule.asgi_core.types import Message

pytestmark = pytest.mark.anyio


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/static (served) next to tmp/outside (must never be served)."""
    static = tmp_path / "static"
    (static / "sub").mkdir(parents=True)
    (static / "empty_dir").mkdir()
    (static / "my dir").mkdir()
    (static / "a.txt").write_text("A")
    (static / "index.html").write_text("<h1>root</h1>")
    (static / "sub" / "index.html").write_text("<h1>sub</h1>")
    (static / "sub" / "b.css").write_text("b{}")
    (static / "my dir" / "c.txt").write_text("C")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET")
    (tmp_path / "static_secret.txt").write_text("SIBLING")  # shares the "static" prefix
    os.symlink(outside / "secret.txt", static / "escape.txt")
    os.symlink(outside, static / "escape_dir")
    os.symlink(static / "a.txt", static / "inner_link.txt")
    return static


async def serve(app: StaticFiles, path: str, *headers: tuple[str, str], method: str = "GET", **kw: object) -> Result:
    return await run(app, http_scope(path, method=method, headers=headers, **kw))  # type: ignore[arg-type]


async def status_of(app: StaticFiles, path: str, **kw: Any) -> int:
    try:
        result = await serve(app, path, **kw)
    except HTTPException as exc:
        return exc.status_code
    return result.status


async def test_serves_a_file_under_a_mount(tree: Path) -> None:
    app = StaticFiles(directory=tree)
    result = await serve(app, "/static/a.txt", root_path="/static")
    assert (result.status, result.body) == (200, b"A")
    assert result.headers["content-type"] == "text/plain; charset=utf-8"
    assert "etag" in result.headers


@pytest.mark.parametrize(
    ("path", "root_path", "expected"),
    [
        ("/static/a.txt", "/static", "/a.txt"),  # ASGI: path is the full path
        ("/a.txt", "/static", "/a.txt"),  # already relative (older servers)
        ("/static", "/static", ""),
        ("/static/", "/static/", "/"),
        ("/staticfoo/a.txt", "/static", "/staticfoo/a.txt"),  # not a prefix at a slash
        ("/a.txt", "", "/a.txt"),
    ],
)
def test_relative_path(path: str, root_path: str, expected: str) -> None:
    assert relative_path({"path": path, "root_path": root_path}) == expected


async def test_relative_path_convention_also_served(tree: Path) -> None:
    app = StaticFiles(directory=tree)
    result = await serve(app, "/sub/b.css", root_path="/static")
    assert result.body == b"b{}"


async def test_spaces_and_unicode_in_names(tree: Path) -> None:
    (tree / "héllo.txt").write_text("H")
    app = StaticFiles(directory=tree)
    assert (await serve(app, "/my dir/c.txt")).body == b"C"
    assert (await serve(app, "/héllo.txt")).body == b"H"


async def test_head_and_304(tree: Path) -> None:
    app = StaticFiles(directory=tree)
    head = await serve(app, "/a.txt", method="HEAD")
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", "1")
    again = await serve(app, "/a.txt", ("if-none-match", head.headers["etag"]))
    assert (again.status, again.body) == (304, b"")
    ranged = await serve(app, "/sub/b.css", ("range", "bytes=1-"))
    assert (ranged.status, ranged.body) == (206, b"{}")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
async def test_other_methods_are_405(tree: Path, method: str) -> None:
    with pytest.raises(HTTPException) as info:
        await serve(StaticFiles(directory=tree), "/a.txt", method=method)
    assert info.value.status_code == 405
    assert info.value.headers == {"Allow": "GET, HEAD"}


async def test_miss_is_404_and_shaped_by_the_exception_middleware(tree: Path) -> None:
    app = ExceptionMiddleware(StaticFiles(directory=tree))
    result = await run(app, http_scope("/nope.txt"))
    assert result.status == 404
    assert result.body == b'{"detail":"Not Found"}'


async def test_directories_without_html_are_404(tree: Path) -> None:
    app = StaticFiles(directory=tree)
    for path in ("/sub", "/sub/", "/", "/empty_dir/", "/a.txt/"):
        assert await status_of(app, path) == 404, path


async def test_html_mode_index_redirect_and_404_page(tree: Path) -> None:
    app = StaticFiles(directory=tree, html=True)
    assert (await serve(app, "/sub/")).body == b"<h1>sub</h1>"
    assert (await serve(app, "/static/", root_path="/static")).body == b"<h1>root</h1>"
    redirect = await serve(app, "/static/sub", root_path="/static", query_string=b"v=1")
    assert redirect.status == 307
    assert redirect.headers["location"] == "http://testserver/static/sub/?v=1"
    mount_root = await serve(app, "/static", root_path="/static")
    assert (mount_root.status, mount_root.headers["location"]) == (307, "http://testserver/static/")
    assert await status_of(app, "/empty_dir/") == 404  # no 404.html yet
    (tree / "404.html").write_text("custom 404")
    missing = await serve(app, "/nope")
    assert (missing.status, missing.body) == (404, b"custom 404")
    assert "accept-ranges" not in missing.headers
    head = await serve(app, "/nope", method="HEAD")
    assert (head.status, head.body) == (404, b"")


async def test_html_mode_does_not_redirect_to_an_outside_index(tree: Path, tmp_path: Path) -> None:
    (tmp_path / "outside" / "index.html").write_text("OUT")
    app = StaticFiles(directory=tree, html=True)
    assert await status_of(app, "/escape_dir/") == 404
    assert await status_of(app, "/escape_dir") == 404


# -- Hostile paths ------------------------------------------------------------

TRAVERSALS = [
    ("/../outside/secret.txt", None),
    ("/sub/../../outside/secret.txt", None),
    ("/../static_secret.txt", None),
    ("/./a.txt", None),
    # %2e%2e is decoded by the server: scope["path"] holds "..", raw_path the escape.
    ("/../outside/secret.txt", b"/%2e%2e/outside/secret.txt"),
    ("/../outside/secret.txt", b"/%2E%2E/outside/secret.txt"),
    # an encoded slash becomes "/" in path: only raw_path tells.
    ("/sub/b.css", b"/sub%2Fb.css"),
    ("/sub/b.css", b"/sub%2fb.css"),
    ("/sub\\b.css", None),
    ("/sub/b.css", b"/sub%5Cb.css"),
    ("/..\\outside\\secret.txt", None),
    ("//etc/passwd", None),
    ("/sub//b.css", None),
    ("///etc/passwd", None),
    ("/\\\\server\\share\\secret.txt", None),
    ("//server/share/secret.txt", None),
    ("/C:/Windows/win.ini", None),
    ("/c:secret.txt", None),
    ("/escape.txt", None),  # symlink out of the tree
    ("/escape_dir/secret.txt", None),
]


@pytest.mark.parametrize(("path", "raw_path"), TRAVERSALS)
async def test_traversal_tricks_are_404(tree: Path, path: str, raw_path: bytes | None) -> None:
    app = StaticFiles(directory=tree)
    with pytest.raises(HTTPException) as info:
        await serve(app, path, raw_path=raw_path)
    assert info.value.status_code == 404


@pytest.mark.parametrize(("path", "raw_path"), TRAVERSALS)
async def test_traversal_tricks_under_a_mount(tree: Path, path: str, raw_path: bytes | None) -> None:
    app = StaticFiles(directory=tree, html=True)
    raw = b"/static" + raw_path if raw_path is not None else None
    assert await status_of(app, "/static" + path, root_path="/static", raw_path=raw) == 404


@pytest.mark.parametrize("path", ["/a.txt\x00.png", "/\x00", "/a\r\nb", "/a\x7f"])
async def test_control_characters_are_400(tree: Path, path: str) -> None:
    with pytest.raises(MalformedInputError, match="invalid character in path") as info:
        await serve(StaticFiles(directory=tree), path)
    assert info.value.status_code == 400


async def test_symlinks_inside_are_served_and_outside_only_when_allowed(tree: Path) -> None:
    assert (await serve(StaticFiles(directory=tree), "/inner_link.txt")).body == b"A"
    allowed = StaticFiles(directory=tree, follow_symlink=True)
    assert (await serve(allowed, "/escape.txt")).body == b"SECRET"
    assert (await serve(allowed, "/escape_dir/secret.txt")).body == b"SECRET"
    # follow_symlink still never lets ".." through
    assert await status_of(allowed, "/../outside/secret.txt") == 404


async def test_served_directory_may_itself_be_a_symlink(tree: Path, tmp_path: Path) -> None:
    os.symlink(tree, tmp_path / "alias")
    assert (await serve(StaticFiles(directory=tmp_path / "alias"), "/a.txt")).body == b"A"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
async def test_fifo_is_not_served(tree: Path) -> None:
    os.mkfifo(tree / "pipe")
    assert await status_of(StaticFiles(directory=tree), "/pipe") == 404


async def test_overlong_name_is_404(tree: Path) -> None:
    assert await status_of(StaticFiles(directory=tree), "/" + "x" * 5000) == 404


segment = st.sampled_from(
    ["a.txt", "sub", "b.css", "..", ".", "", "outside", "secret.txt", "escape.txt", "escape_dir",
     "index.html", "\\", "..\\", "static_secret.txt", "C:", "my dir", "%2e%2e"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(segment, max_size=6), html=st.booleans())
def test_never_serves_outside_the_tree(tree: Path, parts: list[str], html: bool) -> None:
    import anyio

    app = StaticFiles(directory=tree, html=html)
    allowed = {p.resolve() for p in tree.rglob("*") if p.resolve().is_relative_to(tree.resolve())}
    path = "/" + "/".join(parts)

    async def main() -> None:
        try:
            response = await app.get_response(http_scope(path))
        except (HTTPException, MalformedInputError):
            return
        served = getattr(response, "path", None)
        if served is not None:
            assert Path(served).resolve() in allowed, (path, served)

    anyio.run(main)


# -- Configuration ------------------------------------------------------------


def test_missing_directory_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(RuntimeError, match=re.escape(repr(str(missing))) + " does not exist"):
        StaticFiles(directory=missing)


async def test_check_dir_false_allows_a_late_directory(tmp_path: Path) -> None:
    later = tmp_path / "later"
    app = StaticFiles(directory=later, check_dir=False)
    assert await status_of(app, "/x.txt") == 404
    later.mkdir()
    (later / "x.txt").write_text("X")
    assert (await serve(app, "/x.txt")).body == b"X"


def test_needs_a_source() -> None:
    with pytest.raises(RuntimeError, match="needs a 'directory' or 'packages'"):
        StaticFiles()


async def test_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "ferrule_static_pkg"
    (pkg / "statics").mkdir(parents=True)
    (pkg / "assets").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "statics" / "p.txt").write_text("P")
    (pkg / "assets" / "q.txt").write_text("Q")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = StaticFiles(packages=["ferrule_static_pkg", ("ferrule_static_pkg", "assets")])
    assert (await serve(app, "/p.txt")).body == b"P"
    assert (await serve(app, "/q.txt")).body == b"Q"
    with pytest.raises(RuntimeError, match="has no folder 'nope'"):
        StaticFiles(packages=[("ferrule_static_pkg", "nope")])
    with pytest.raises(RuntimeError, match="cannot be imported"):
        StaticFiles(packages=["ferrule_no_such_pkg_xyz"])
    sys.modules.pop("ferrule_static_pkg", None)


async def test_directory_searched_before_packages(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "ferrule_static_pkg2"
    (pkg / "statics").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "statics" / "a.txt").write_text("from package")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = StaticFiles(directory=tree, packages=["ferrule_static_pkg2"])
    assert (await serve(app, "/a.txt")).body == b"A"
    sys.modules.pop("ferrule_static_pkg2", None)


async def test_websocket_is_closed(tree: Path) -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    await StaticFiles(directory=tree)(http_scope("/a.txt", scope_type="websocket"), receive, send)
    assert sent == [{"type": "websocket.close", "code": 1000}]


def test_split_safe_path_examples() -> None:
    assert split_safe_path({"path": "/a/b/"}) == ["a", "b", ""]
    assert split_safe_path({"path": "/"}) == [""]
    assert split_safe_path({"path": "/static", "root_path": "/static"}) == []
    assert split_safe_path({"path": "/a//b"}) is None
