"""``router.frontend(path, directory=...)``: serve a built frontend (FastAPI's ``frontend()``).

A frontend is a *low-priority* route: the router tries it only when no route,
mount or trailing-slash redirect answered, so path operations always win.

Rules (FastAPI's "Frontend" tutorial):

* Matching. A frontend at ``/`` takes every path; at ``/app`` it takes ``/app``
  and ``/app/...``. When several match, the longest path wins (the first
  declared on a tie). WebSocket requests never match (their 404 is the usual one).
* Files. The path below the frontend names a file in ``directory``; a
  directory with an ``index.html`` serves it (``/docs`` is first redirected to
  ``/docs/``); a trailing slash after a file name still serves the file.
  SECURITY: the path goes through ``asgi_core.staticfiles.safe_segments``
  (no ``..``, ``.``, ``//``, backslash, drive, encoded slash; a control
  character is 400) and the file's real path must stay inside the directory's
  (no symlink out). A path that fails those rules is treated as a missing file.
* Methods. Only GET and HEAD are served. Any other method is 405 (with
  ``Allow: GET, HEAD``) when the file exists and 404 when it does not; the
  fallback never applies to them and dependencies do not run.
* Fallback for a missing file (``fallback=``):
  - ``"404.html"``: that file, status 404, for every GET/HEAD;
  - ``"index.html"``: that file, status 200, only for a *navigation* request:
    an ``Accept`` header listing ``text/html`` or ``application/xhtml+xml``
    with a non-zero ``q`` (``*/*`` does not count, so a missing script or
    image stays 404);
  - ``"auto"`` (default): ``404.html`` when the directory has one, else
    ``index.html`` when it has one, else none;
  - ``None``: the normal 404.
* ``check_dir`` (default ``"auto"``): ``True`` checks at declaration that the
  directory (and an explicitly named fallback file) exists; ``"auto"`` does
  so unless ``FERRULE_ENV`` or ``FASTAPI_ENV`` is ``development``, where a
  missing directory is only a warning; with ``False`` (or in development) a
  directory still missing when a request comes is a ``RuntimeError`` then.
* Dependencies of the router (and of ``include_router``) run for GET/HEAD
  frontend responses like for a path operation: they may add response
  headers (through a ``Response`` parameter) and background tasks, or refuse
  with an ``HTTPException``.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any, Final, Literal, Union

import anyio.to_thread

from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.fileresponse import FileResponse
from ferrule.asgi_core.media_params import quality
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import RedirectResponse, Response
from ferrule.asgi_core.staticfiles import regular_file, safe_segments
from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.asgi_core.url import URL

from .errors import RouteConfigError
from .responder import merge_sub_response
from .routes import get_route_path

__all__ = ["FrontendConfigError", "FrontendRoute", "Fallback", "is_navigation_request", "join_frontend_paths"]

Fallback = Literal["auto", "index.html", "404.html"] | None
PathLike = Union[str, "os.PathLike[str]"]

_FALLBACKS: Final = ("auto", "index.html", "404.html", None)
_SERVED_METHODS: Final = ("GET", "HEAD")
_HTML_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})


class FrontendConfigError(RouteConfigError, RuntimeError):
    """A frontend declaration is invalid: bad path or fallback, missing directory or file.

    Also a ``RuntimeError`` (FastAPI raises that for a missing directory or
    fallback file) and, through ``FerruleError``, an ``AssertionError`` (what
    FastAPI raises for a bad path or fallback value).
    """


def normalize_frontend_path(path: str) -> str:
    """``path`` without its trailing slash; refuses an empty or relative path."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise FrontendConfigError(
            f"invalid frontend path {path!r}: it must start with '/' (e.g. '/' or '/app')", template=str(path)
        )
    return path if path == "/" else path.rstrip("/") or "/"


def join_frontend_paths(prefix: str, path: str) -> str:
    """A frontend's path under a router prefix (``/app`` + ``/`` is ``/app``)."""
    if not prefix:
        return path
    return prefix if path == "/" else prefix + path


def is_navigation_request(accept: str) -> bool:
    """Whether an ``Accept`` value asks for HTML (a browser navigating), q=0 excluded."""
    for item in accept.split(","):
        media_type, _, params = item.partition(";")
        if media_type.strip().lower() not in _HTML_TYPES:
            continue
        if quality(params, invalid=1.0) != 0:
            return True
    return False


def _development() -> bool:
    return "development" in (os.environ.get("FERRULE_ENV"), os.environ.get("FASTAPI_ENV"))


def _resolve_check_dir(directory: PathLike, check_dir: bool | Literal["auto"]) -> bool:
    if check_dir != "auto":
        return bool(check_dir)
    if not _development():
        return True
    if not os.path.isdir(directory):
        warnings.warn(
            f"frontend directory {os.fspath(directory)!r} does not exist "
            f"(resolved: {os.path.realpath(directory)!r}); requests will fail until it is built",
            UserWarning,
            stacklevel=_caller_stacklevel(),
        )
    return False


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside ferrule."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("ferrule."):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def _inside(path: str, root: str) -> str | None:
    """``path``'s real path when it stays inside ``root`` (already a real path)."""
    real = os.path.realpath(path)
    try:
        # SECURITY: a symlink pointing out of the served tree is not served.
        return real if os.path.commonpath([real, root]) == root else None
    except ValueError:  # different drives (Windows)
        return None


class _Hit:
    __slots__ = ("path", "stat_result", "is_index")

    def __init__(self, path: str, stat_result: os.stat_result, is_index: bool) -> None:
        self.path = path
        self.stat_result = stat_result
        self.is_index = is_index


class FrontendFiles:
    """The files of one frontend directory and its fallback rule (see the module rules)."""

    def __init__(self, directory: PathLike, fallback: Fallback, check_dir: bool) -> None:
        if fallback not in _FALLBACKS:
            raise FrontendConfigError(
                f"invalid frontend fallback {fallback!r}: use 'auto', 'index.html', '404.html' or None"
            )
        self.directory = directory
        self.fallback = fallback
        self._root = os.path.realpath(directory)
        self._dir_seen = False
        if check_dir:
            self._check_dir()
            if fallback in ("index.html", "404.html") and self._file(fallback) is None:
                raise FrontendConfigError(
                    f"frontend fallback file {fallback!r} does not exist in directory "
                    f"{os.fspath(directory)!r} (resolved: {self._root!r}); build the frontend or "
                    "change fallback="
                )

    def _check_dir(self) -> None:
        if not os.path.isdir(self._root):
            raise FrontendConfigError(
                f"frontend directory {os.fspath(self.directory)!r} does not exist (resolved: "
                f"{self._root!r}); build the frontend first, fix the path, or pass check_dir=False "
                "if it is created after the app"
            )
        self._dir_seen = True

    def _file(self, name: str) -> _Hit | None:
        real = _inside(os.path.join(self._root, name), self._root)
        stat_result = regular_file(real) if real is not None else None
        return _Hit(real, stat_result, False) if real is not None and stat_result is not None else None

    def lookup(self, segments: list[str] | None) -> _Hit | None:
        """The file ``segments`` names (a directory's ``index.html``), or None (runs in a thread)."""
        if segments is None:
            return None
        names = [s for s in segments if s]  # a trailing "" (slash) still names the file
        try:
            real = _inside(os.path.join(self._root, *names), self._root)
            if real is None:
                return None
            if os.path.isdir(real):
                index = self._file(os.path.join(*names, "index.html") if names else "index.html")
                return _Hit(index.path, index.stat_result, True) if index is not None else None
            stat_result = regular_file(real)
        except (OSError, ValueError):  # name too long, permission denied, ...: missing
            return None
        return _Hit(real, stat_result, False) if stat_result is not None else None

    def _pick_fallback(self, navigation: bool) -> tuple[str, int] | None:
        fallback = self.fallback
        if fallback == "404.html" or (fallback == "auto" and self._file("404.html") is not None):
            return "404.html", 404
        if navigation and (
            fallback == "index.html" or (fallback == "auto" and self._file("index.html") is not None)
        ):
            return "index.html", 200
        return None

    async def get_response(self, scope: Scope, relative: str) -> Response:
        """The response for ``relative`` (the path below the frontend); misses raise ``HTTPException``."""
        if not self._dir_seen:
            self._check_dir()  # check_dir=False: the directory must exist by now (500 otherwise)
        segments = safe_segments(relative, scope.get("raw_path"))
        hit = await anyio.to_thread.run_sync(self.lookup, segments)
        if scope["method"] not in _SERVED_METHODS:
            if hit is not None:
                raise HTTPException(405, headers={"Allow": "GET, HEAD"})
            raise HTTPException(404)
        if hit is not None:
            if hit.is_index and not scope["path"].endswith("/"):
                url = URL(scope=scope)
                return RedirectResponse(url.replace(path=url.path + "/"))
            return FileResponse(hit.path, stat_result=hit.stat_result)
        navigation = is_navigation_request(_accept(scope))
        picked = await anyio.to_thread.run_sync(self._pick_fallback, navigation)
        if picked is None:
            raise HTTPException(404)
        name, status_code = picked
        page = await anyio.to_thread.run_sync(self._file, name)
        if page is None:
            raise RuntimeError(
                f"frontend fallback file {name!r} does not exist in directory "
                f"{os.fspath(self.directory)!r} (resolved: {self._root!r})"
            )
        return FileResponse(page.path, status_code=status_code, stat_result=page.stat_result)


def _accept(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return str(value.decode("latin-1"))
    return ""


class FrontendRoute:
    """One ``frontend()`` declaration: a path, its files and the dependencies that guard it.

    Not a tree route: the router asks ``relative_path`` of each of its
    frontends after every other route missed, and calls ``handle`` on the best.

    Args:
        path: the URL path prefix (already joined with router prefixes).
        files: the directory and fallback rule (shared by every copy of a declaration).
        dependencies: router and ``include_router`` dependencies, outermost first.
        dependency_overrides_provider: the app (overrides, app-scoped dependencies).
    """

    def __init__(
        self,
        path: str,
        files: FrontendFiles,
        *,
        dependencies: Sequence[Any] = (),
        dependency_overrides_provider: Any = None,
    ) -> None:
        self.path = normalize_frontend_path(path)
        self.files = files
        self.dependencies = list(dependencies)
        self.dependency_overrides_provider = dependency_overrides_provider
        self._guard: Any = None
        if self.dependencies:
            # The dependencies run through an APIRoute's pipeline (validation, 422,
            # yield teardown, Response parameter, background tasks): built once, here.
            from .api_route import APIRoute

            self._guard = APIRoute(
                self.path if "{" not in self.path else "/",
                self._serve_endpoint(),
                methods=list(_SERVED_METHODS),
                dependencies=self.dependencies,
                include_in_schema=False,
                response_model=None,
                name="frontend",
                dependency_overrides_provider=dependency_overrides_provider,
            )

    @property
    def specificity(self) -> int:
        return 0 if self.path == "/" else len(self.path)

    def relative_path(self, route_path: str) -> str | None:
        """The path below this frontend, or None when ``route_path`` is not under it."""
        path = self.path
        if path == "/":
            return route_path.lstrip("/")
        if route_path == path:
            return ""
        if route_path.startswith(path) and route_path[len(path)] == "/":
            return route_path[len(path) + 1 :]
        return None

    def _serve_endpoint(self) -> Any:
        files = self.files
        relative_path = self.relative_path

        async def serve_frontend(request: Request, response: Response) -> Response:
            result = await files.get_response(request.scope, relative_path(get_route_path(request.scope)) or "")
            merge_sub_response(result.raw_headers, response)
            return result

        return serve_frontend

    def copy(self, prefix: str, dependencies: Sequence[Any], provider: Any) -> FrontendRoute:
        """This frontend included under ``prefix`` with ``dependencies`` prepended."""
        return FrontendRoute(
            join_frontend_paths(prefix, self.path),
            self.files,
            dependencies=[*dependencies, *self.dependencies],
            dependency_overrides_provider=provider,
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._guard is not None and scope["method"] in _SERVED_METHODS:
            await self._guard.handle(scope, receive, send)
            return
        relative = self.relative_path(get_route_path(scope)) or ""
        response = await self.files.get_response(scope, relative)
        await response(scope, receive, send)


def best_frontend(frontends: Sequence[FrontendRoute], route_path: str) -> FrontendRoute | None:
    """The frontend with the longest path that ``route_path`` is under (first on a tie)."""
    best: FrontendRoute | None = None
    for frontend in frontends:
        if frontend.relative_path(route_path) is not None and (
            best is None or frontend.specificity > best.specificity
        ):
            best = frontend
    return best


def declare_frontend(
    path: str,
    directory: PathLike,
    fallback: Fallback,
    check_dir: bool | Literal["auto"],
) -> FrontendFiles:
    """Check a ``frontend()`` declaration and make its files (see the module rules)."""
    normalize_frontend_path(path)
    return FrontendFiles(directory, fallback, _resolve_check_dir(directory, check_dir))
