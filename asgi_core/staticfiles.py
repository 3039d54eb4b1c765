"""``StaticFiles``: an ASGI app serving files from directories, safely.

Rules:

* Path. The ASGI spec says ``scope["path"]`` is the full path and
  ``root_path`` the part a mount (or proxy) consumed, so the file path is
  ``path[len(root_path):]``. A path that does not start with ``root_path``
  (servers and mounts that already strip it) is taken as relative as is.
* The relative path is checked *before* the filesystem is touched
  (SECURITY: each rule below guards a known traversal trick):
  - NUL or another control character → 400 (never part of a file name);
  - ``%2F``/``%5C`` in ``raw_path`` (an encoded slash the server decoded
    into ``path``), a backslash, an empty segment (``//``, so no absolute path
    and no UNC ``//host/share``), a ``.`` or ``..`` segment (``%2e%2e`` is
    decoded by the server, so it is caught here), or a Windows drive
    (``C:``) → 404.
  The file is then ``directory/<segments>``; its real path (symlinks
  resolved) must stay inside the directory's real path unless
  ``follow_symlink=True``. Only regular files are served (no FIFO, device).
* ``GET`` and ``HEAD`` only: anything else is 405 with ``Allow: GET, HEAD``.
* With ``html=True``: a directory serves its ``index.html`` (``/dir`` is first
  redirected to ``/dir/``), and a miss serves ``404.html`` (status 404) when
  there is one.
* Misses raise ``HTTPException`` (404/405; 400 is a ``MalformedInputError``),
  as FastAPI's StaticFiles does, so the app's exception handlers shape them.
  Run standalone, wrap it in ``ExceptionMiddleware``.
* 304/412/206/416 come from ``FileResponse``.
* ``check_dir=True``: a missing directory is a ``RuntimeError`` at
  construction. With ``check_dir=False`` it may appear later; until it does,
  every request is 404.
"""

from __future__ import annotations

import importlib.util
import ntpath
import os
import stat as stat_module
from collections.abc import Sequence
from typing import Final, Union

import anyio.to_thread

from .exceptions import HTTPException, MalformedInputError
from .fileresponse import FileResponse
from .response import RedirectResponse, Response
from .types import Receive, Scope, Send
from .url import URL

__all__ = ["StaticFiles", "regular_file", "safe_segments", "split_safe_path"]

PathLike = Union[str, "os.PathLike[str]"]

_CONTROL: Final = frozenset(chr(c) for c in range(0x20)) | {"\x7f"}
_ENCODED_SEPARATORS: Final = (b"%2f", b"%5c")


class _Found:
    """A lookup result: what to answer and with which file."""

    __slots__ = ("kind", "path", "stat_result")

    def __init__(self, kind: str, path: str = "", stat_result: os.stat_result | None = None) -> None:
        self.kind = kind  # "file" | "redirect" | "404page" | "missing"
        self.path = path
        self.stat_result = stat_result


_MISSING: Final = _Found("missing")


def relative_path(scope: Scope) -> str:
    """The request path below the mount point (see the module rules)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path:
        root = root_path.rstrip("/")
        if path == root or path.startswith(root + "/"):
            return path[len(root) :]
    return path


def split_safe_path(scope: Scope) -> list[str] | None:
    """The path's segments, or None when it must not reach the filesystem (404).

    The last segment is ``""`` when the path ends with a slash; the list is
    empty for the mount point itself without its slash (``/static``).

    Raises:
        MalformedInputError: a control character in the path (400).
    """
    return safe_segments(relative_path(scope), scope.get("raw_path"))


def safe_segments(path: str, raw_path: object = None) -> list[str] | None:
    """``path`` (relative to a served directory) as segments, or None when unsafe.

    The rules of this module's docstring, for any caller that serves files
    below a directory (``StaticFiles``, ``routing.frontend``); ``raw_path`` is
    the request's ``scope["raw_path"]`` when there is one.

    Raises:
        MalformedInputError: a control character in the path (400).
    """
    if not _CONTROL.isdisjoint(path):
        raise MalformedInputError("invalid character in path")
    if isinstance(raw_path, bytes):
        lowered = raw_path.lower()
        if any(encoded in lowered for encoded in _ENCODED_SEPARATORS):
            return None
    if "\\" in path:
        return None
    if not path:
        return []
    if path.startswith("/"):
        path = path[1:]
    if not path:
        return [""]
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if segment in (".", ".."):
            return None
        if not segment and index != len(segments) - 1:
            return None  # "//": an absolute or UNC path in disguise
        if ntpath.splitdrive(segment)[0]:
            return None
    return segments


def regular_file(path: str) -> os.stat_result | None:
    """``os.stat(path)`` when it is a regular file (no directory, FIFO or device), else None."""
    try:
        result = os.stat(path)
    except (OSError, ValueError):
        return None
    return result if stat_module.S_ISREG(result.st_mode) else None


_regular = regular_file


class StaticFiles:
    """Serve files under ``directory`` (and packages' ``statics`` folders).

    Args:
        directory: the folder to serve.
        packages: package names (their ``statics`` folder) or
            ``(package, folder)`` pairs, searched after ``directory``.
        html: serve ``index.html`` for directories and ``404.html`` on a miss.
        check_dir: raise at construction when ``directory`` does not exist.
        follow_symlink: serve symlinks that point outside the directory.

    Raises:
        RuntimeError: ``directory`` is missing (with ``check_dir``), or a
            package or its folder cannot be found.
    """

    def __init__(
        self,
        *,
        directory: PathLike | None = None,
        packages: Sequence[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        if directory is None and not packages:
            raise RuntimeError("StaticFiles needs a 'directory' or 'packages' to serve files from")
        self.directory = directory
        self.packages = packages
        self.html = html
        self.follow_symlink = follow_symlink
        if check_dir and directory is not None and not os.path.isdir(directory):
            raise RuntimeError(
                f"StaticFiles directory {os.fspath(directory)!r} does not exist; "
                "create it, fix the path, or pass check_dir=False if it is created later"
            )
        self.all_directories = self.get_directories(directory, packages)

    def get_directories(
        self, directory: PathLike | None, packages: Sequence[str | tuple[str, str]] | None
    ) -> list[str]:
        """The real paths of every directory to search, in order."""
        directories: list[str] = []
        if directory is not None:
            directories.append(os.path.realpath(directory))
        for package in packages or ():
            name, folder = (package, "statics") if isinstance(package, str) else package
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                raise RuntimeError(f"StaticFiles package {name!r} cannot be imported; is it installed?")
            path = os.path.join(os.path.dirname(spec.origin), folder)
            if not os.path.isdir(path):
                raise RuntimeError(
                    f"StaticFiles package {name!r} has no folder {folder!r} (looked for {path!r})"
                )
            directories.append(os.path.realpath(path))
        return directories

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})
            return
        if scope["type"] != "http":
            return
        response = await self.get_response(scope)
        await response(scope, receive, send)

    async def get_response(self, scope: Scope) -> Response:
        """The response for this request; misses raise ``HTTPException``."""
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})
        segments = split_safe_path(scope)
        if segments is None:
            raise HTTPException(404)
        found = await anyio.to_thread.run_sync(self._lookup, segments)
        if found.kind == "file":
            return FileResponse(found.path, stat_result=found.stat_result)
        if found.kind == "redirect":
            url = URL(scope=scope)
            return RedirectResponse(url.replace(path=url.path + "/"))
        if found.kind == "404page":
            return FileResponse(found.path, status_code=404, stat_result=found.stat_result)
        raise HTTPException(404)

    def _contained(self, path: str, directory: str) -> str | None:
        """``path``'s real path when it may be served from ``directory``."""
        real = os.path.realpath(path)
        if self.follow_symlink:
            return real  # segments hold no "..", so the unresolved path is inside
        try:
            inside = os.path.commonpath([real, directory]) == directory
        except ValueError:  # different drives (Windows)
            return None
        # SECURITY: a symlink pointing out of the served tree
        return real if inside else None

    def _lookup(self, segments: list[str]) -> _Found:
        """Find what ``segments`` names in the directories (runs in a worker thread)."""
        trailing_slash = bool(segments) and segments[-1] == ""
        names = segments[:-1] if trailing_slash else segments
        for directory in self.all_directories:
            candidate = os.path.join(directory, *names) if names else directory
            try:
                real = self._contained(candidate, directory)
                if real is None:
                    continue
                if os.path.isdir(real):
                    if not self.html:
                        continue
                    index = self._contained(os.path.join(candidate, "index.html"), directory)
                    index_stat = _regular(index) if index is not None else None
                    if index is None or index_stat is None:
                        continue
                    if not trailing_slash:
                        return _Found("redirect")
                    return _Found("file", index, index_stat)
                if trailing_slash:
                    continue  # "file.txt/" names no file
                file_stat = _regular(real)
                if file_stat is not None:
                    return _Found("file", real, file_stat)
            except (OSError, ValueError):
                continue  # name too long, permission denied, ...: not found
        if self.html:
            for directory in self.all_directories:
                page = self._contained(os.path.join(directory, "404.html"), directory)
                page_stat = _regular(page) if page is not None else None
                if page is not None and page_stat is not None:
                    return _Found("404page", page, page_stat)
        return _MISSING
