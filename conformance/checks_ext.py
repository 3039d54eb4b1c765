"""ASGI extensions: path send, zero copy send, trailers (each used only when advertised)."""

from __future__ import annotations

import hashlib

from .context import Context
from .outcome import NotSupported, check, expect, server_expect
from .payload import sha256_of
from .rawapp import DATA_FILE_SIZE

EXT_SPEC = "ASGI extensions"


@check("ext.pathsend", "http.response.pathsend (FileResponse)", f"{EXT_SPEC} §Path Send")
def ext_pathsend(ctx: Context) -> str | None:
    response = ctx.request("GET", "/file")
    expect(response.status == 200, f"GET /file answered {response.status}")
    good = len(response.body) == DATA_FILE_SIZE and hashlib.sha256(response.body).hexdigest() == sha256_of(DATA_FILE_SIZE)
    if "http.response.pathsend" not in ctx.http_extensions():
        expect(good, f"FileResponse's streamed fallback sent {len(response.body)} bytes (or wrong ones)")
        raise NotSupported("not advertised; FileResponse streamed the file instead (body verified)")
    server_expect(good, f"the server sent {len(response.body)} bytes for a {DATA_FILE_SIZE}-byte pathsend")
    server_expect(response.header("content-length") == str(DATA_FILE_SIZE),
                  f"content-length {response.header('content-length')!r}")
    return None


@check("ext.zerocopy", "http.response.zerocopy", f"{EXT_SPEC} §Zero Copy Send")
def ext_zerocopy(ctx: Context) -> str | None:
    response = ctx.request("GET", "/raw/zerocopy")
    expect(response.status == 200, f"GET /raw/zerocopy answered {response.status}")
    if response.header("x-extension") == "absent":
        raise NotSupported("not advertised")
    good = len(response.body) == DATA_FILE_SIZE and hashlib.sha256(response.body).hexdigest() == sha256_of(DATA_FILE_SIZE)
    server_expect(good, f"zerocopy of {DATA_FILE_SIZE} bytes arrived as {len(response.body)} bytes")
    return None


@check("ext.trailers", "http.response.trailers (TE: trailers)", f"{EXT_SPEC} §HTTP Trailers; RFC 9110 §6.5")
def ext_trailers(ctx: Context) -> str | None:
    response = ctx.request("GET", "/raw/trailers", headers=[("te", "trailers")])
    expect(response.status == 200, f"GET /raw/trailers answered {response.status}")
    if response.header("x-extension") == "absent":
        raise NotSupported("not advertised (HTTP/1.1 request with TE: trailers)")
    server_expect(response.body == b"part one\npart two\n", f"body {response.body!r}")
    trailers = {k.decode(): v.decode() for k, v in response.trailers}
    server_expect(trailers.get("x-checksum") == hashlib.sha256(response.body).hexdigest(),
                  f"trailers {trailers}, the app sent x-checksum")
    return None
