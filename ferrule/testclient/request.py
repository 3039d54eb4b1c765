"""Building a test client request: URL, query, headers and an encoded body.

Rules (httpx's, which FastAPI test suites are written against):

* A relative URL is joined to ``base_url`` by appending its path to the base
  path (``http://h/api`` + ``/items`` -> ``http://h/api/items``); an absolute
  URL is used as is. The path is percent-encoded, existing escapes are kept.
* ``params=`` merges into the URL's query: a key given in ``params`` replaces
  the URL's values for it. ``True``/``False`` are sent as ``true``/``false``,
  ``None`` as an empty value, a list as repeated keys.
* One body source at a time: ``content=`` (bytes, str or an iterable of
  bytes, sent one ``http.request`` message per item, chunked), ``json=``
  (compact UTF-8 JSON), ``data=`` (a dict: urlencoded form; bytes/str: raw
  content) or ``files=`` (``multipart/form-data``, RFC 7578, with ``data=``
  as extra fields). ``Content-Length``/``Content-Type`` are set unless given.
* Headers: defaults, then the client's, then the request's; a later source
  replaces every value of a name set earlier. Header names and values are
  checked like response headers (no CR/LF/NUL).
"""

from __future__ import annotations

import json as jsonlib
import mimetypes
import os
from base64 import b64encode
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePath
from typing import IO, Any, Union
from urllib.parse import quote, urlencode

from ferrule.asgi_core.headers import Headers, check_header
from ferrule.asgi_core.url import URL, QueryParams, quote_path

__all__ = ["ClientRequest", "build_request", "encode_multipart"]

PrimitiveValue = Union[str, int, float, bool, None]
ParamsInput = Union[
    Mapping[str, Union[PrimitiveValue, Sequence[PrimitiveValue]]],
    Sequence[tuple[str, PrimitiveValue]],
    QueryParams,
    str,
    bytes,
    None,
]
HeadersInput = Union[Mapping[str, str], Sequence[tuple[str, str]], Headers, None]
_HeaderSource = Union[HeadersInput, Sequence[tuple[bytes, bytes]]]
FileContent = Union[bytes, str, IO[bytes], IO[str]]
FileValue = Union[
    FileContent,
    tuple[Union[str, None], FileContent],
    tuple[Union[str, None], FileContent, Union[str, None]],
    tuple[Union[str, None], FileContent, Union[str, None], Mapping[str, str]],
]
FilesInput = Union[Mapping[str, FileValue], Sequence[tuple[str, FileValue]], None]
DataInput = Union[Mapping[str, Any], bytes, str, None]
ContentInput = Union[bytes, str, Iterable[bytes], None]

_CHUNK_SIZE = 64 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# Characters left as is in a query given in the URL (RFC 3986 §3.4), escapes included.
_QUERY_SAFE = "!$&'()*+,;=:@/?%-._~"


class ClientRequest:
    """The request the test client sent: ``method``, ``url``, ``headers``, ``content``."""

    __slots__ = ("method", "url", "headers", "body_chunks", "cookies")

    def __init__(
        self,
        method: str,
        url: URL,
        headers: Headers,
        body_chunks: tuple[bytes, ...] = (),
        cookies: Mapping[str, str] | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body_chunks = body_chunks
        # Per-request cookies= (merged with the jar when sending, kept for redirects).
        self.cookies: dict[str, str] = dict(cookies or {})

    @property
    def content(self) -> bytes:
        """The whole request body."""
        return b"".join(self.body_chunks)

    def __repr__(self) -> str:
        return f"<ClientRequest [{self.method} {self.url}]>"


def _primitive(value: PrimitiveValue) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _flatten(pairs: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in pairs:
        if isinstance(value, (list, tuple)):
            items.extend((str(key), _primitive(v)) for v in value)
        else:
            items.append((str(key), _primitive(value)))
    return items


def _param_pairs(params: ParamsInput) -> list[tuple[str, str]]:
    if params is None:
        return []
    if isinstance(params, QueryParams):
        return params.multi_items()
    if isinstance(params, (str, bytes)):
        return QueryParams(params).multi_items()
    if isinstance(params, Mapping):
        return _flatten(params.items())
    return _flatten(params)


def merge_url(base_url: URL, url: str | URL, params: ParamsInput) -> URL:
    """Join ``url`` to ``base_url`` and merge ``params`` into its query."""
    target = URL(str(url))
    if not target.scheme:
        base_path = base_url.path.rstrip("/")
        relative = target.path if target.path.startswith("/") or not target.path else "/" + target.path
        target = base_url.replace(path=base_path + relative, query=target.query, fragment=target.fragment)
    query = quote(target.query, safe=_QUERY_SAFE)
    extra = _param_pairs(params)
    if extra:
        replaced = {k for k, _ in extra}
        kept = [(k, v) for k, v in QueryParams(query).multi_items() if k not in replaced]
        query = urlencode(kept + extra)
    return target.replace(path=quote_path(target.path or "/"), query=query)


def host_header(url: URL) -> bytes:
    """The ``Host`` header for ``url``: host, and the port unless it is the scheme's default."""
    host = (url.hostname or "").encode("idna")
    if url.netloc.rpartition("@")[2].startswith("["):
        host = b"[" + host + b"]"
    port = url.port
    if port is None or _DEFAULT_PORTS.get(url.scheme) == port:
        return host
    return host + b":" + str(port).encode("ascii")


def merge_headers(*sources: _HeaderSource) -> list[tuple[bytes, bytes]]:
    """Merge header sources; a name set by a later source replaces earlier values."""
    merged: list[tuple[bytes, bytes]] = []
    for source in sources:
        if source is None:
            continue
        if isinstance(source, Headers):
            pairs = [check_header(k, v) for k, v in source.raw]
        else:
            items = source.items() if isinstance(source, Mapping) else source
            pairs = [check_header(k, v) for k, v in items]
        names = {name for name, _ in pairs}
        merged = [(k, v) for k, v in merged if k not in names] + pairs
    return merged


def _escape_param(value: str) -> str:
    # SPEC: WHATWG HTML "multipart/form-data encoding algorithm": escape LF, CR and '"'.
    return value.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")


def _read_file(content: FileContent) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode("utf-8")
    data = content.read()
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _file_part(name: str, value: FileValue) -> tuple[bytes, bytes]:
    headers: Mapping[str, str] = {}
    content_type: str | None = None
    if isinstance(value, tuple):
        filename, content = value[0], value[1]
        if len(value) > 2:
            content_type = value[2]
        if len(value) > 3:
            headers = value[3]
    else:
        content = value
        filename = PurePath(str(getattr(value, "name", "upload"))).name
    if content_type is None and filename is not None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    disposition = f'form-data; name="{_escape_param(name)}"'
    if filename is not None:
        disposition += f'; filename="{_escape_param(filename)}"'
    lines = [f"Content-Disposition: {disposition}"]
    if content_type is not None and not any(k.lower() == "content-type" for k in headers):
        lines.append(f"Content-Type: {content_type}")
    lines.extend(f"{k}: {v}" for k, v in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"), _read_file(content)


def encode_multipart(
    data: Mapping[str, Any] | None, files: FilesInput, boundary: str | None = None
) -> tuple[bytes, str]:
    """Encode form fields and files as ``multipart/form-data`` (RFC 7578).

    Returns:
        The body and its ``Content-Type`` header value.
    """
    boundary = boundary or os.urandom(16).hex()
    parts: list[tuple[bytes, bytes]] = []
    for name, value in _flatten((data or {}).items()):
        head = f'Content-Disposition: form-data; name="{_escape_param(name)}"\r\n\r\n'
        parts.append((head.encode("utf-8"), value.encode("utf-8")))
    file_items = (files or {}).items() if isinstance(files, Mapping) else (files or [])
    for name, file_value in file_items:
        parts.append(_file_part(name, file_value))
    delimiter = f"--{boundary}\r\n".encode("ascii")
    body = b"".join(delimiter + head + content + b"\r\n" for head, content in parts)
    body += f"--{boundary}--\r\n".encode("ascii")
    return body, f"multipart/form-data; boundary={boundary}"


def _chunks(body: bytes) -> tuple[bytes, ...]:
    return tuple(body[i : i + _CHUNK_SIZE] for i in range(0, len(body), _CHUNK_SIZE))


def encode_body(
    content: ContentInput, data: DataInput, files: FilesInput, json: Any
) -> tuple[tuple[bytes, ...], list[tuple[bytes, bytes]]]:
    """The body chunks and the content headers (length/type/transfer-encoding) they need."""
    if sum(x is not None for x in (content, json, files)) + (data is not None and files is None) > 1:
        raise TypeError("give only one of content=, data=, files= (with data=) or json=")
    if isinstance(data, (bytes, str)):
        content, data = data, None
    content_type: str | None = None
    if content is not None:
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, bytes):  # an iterable: sent as a chunked body
            chunks = tuple(bytes(chunk) for chunk in content)
            return chunks, [(b"transfer-encoding", b"chunked")]
        body = content
    elif json is not None:
        body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
        content_type = "application/json"
    elif files is not None:
        body, content_type = encode_multipart(data, files)
    elif data is not None:
        body = urlencode(_flatten(data.items())).encode("ascii")
        content_type = "application/x-www-form-urlencoded"
    else:
        return (), []
    headers = [(b"content-length", str(len(body)).encode("ascii"))]
    if content_type is not None:
        headers.append((b"content-type", content_type.encode("latin-1")))
    return _chunks(body), headers


def build_request(
    method: str,
    url: URL,
    *,
    default_headers: list[tuple[bytes, bytes]],
    client_headers: HeadersInput,
    headers: HeadersInput,
    content: ContentInput = None,
    data: DataInput = None,
    files: FilesInput = None,
    json: Any = None,
    cookies: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> ClientRequest:
    """Assemble a ``ClientRequest`` (without the jar's cookies, added when sent)."""
    body_chunks, body_headers = encode_body(content, data, files, json)
    auth_header: list[tuple[bytes, bytes]] = []
    if auth is not None:
        token = b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        auth_header.append((b"authorization", f"Basic {token}".encode("ascii")))
    host = [(b"host", host_header(url))]
    raw = merge_headers(host, default_headers, body_headers, auth_header, client_headers, headers)
    return ClientRequest(method.upper(), url, Headers._wrap(raw), body_chunks, cookies)
