"""Where the server listens: a Unix socket, an inherited fd, TLS with a certificate made here."""

from __future__ import annotations

import datetime
import json
import os
import socket
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.abc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.server import ServerConfig, ServerConfigError, serve
from ferrule.server.sockets import bind_socket

from srv_helpers import RawClient, running

pytestmark = pytest.mark.anyio


async def view(scope: Scope, receive: Receive, send: Send) -> None:
    body = json.dumps({"scheme": scope["scheme"], "client": scope["client"], "server": scope["server"]}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    # AF_UNIX paths are limited to ~107 bytes; pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory(prefix="ferrule-") as d:
        yield Path(d)


async def test_request_over_a_unix_socket(short_tmp: Path) -> None:
    path = str(short_tmp / "s.sock")
    config = ServerConfig(uds=path, lifespan="off")
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        where = await tg.start(lambda task_status: serve(view, config, shutdown_trigger=stop, task_status=task_status))
        assert where == (path, 0)
        with anyio.fail_after(5):
            stream = await anyio.connect_unix(path)
            await stream.send(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            raw = b""
            try:
                while True:
                    raw += await stream.receive()
            except anyio.EndOfStream:
                pass
            await stream.aclose()
        stop.set()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body) == {"scheme": "http", "client": None, "server": None}


async def test_stale_unix_socket_is_replaced_but_a_file_is_not(short_tmp: Path) -> None:
    path = short_tmp / "s.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # leaves the socket file behind
    bind_socket(ServerConfig(uds=str(path))).close()
    regular = short_tmp / "file"
    regular.write_text("keep me")
    with pytest.raises(ServerConfigError, match="exists and is not a socket"):
        bind_socket(ServerConfig(uds=str(regular)))
    assert regular.read_text() == "keep me"


async def test_request_on_an_inherited_fd() -> None:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = ServerConfig(fd=sock.detach(), lifespan="off")  # the server owns the fd now
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        await tg.start(lambda task_status: serve(view, config, shutdown_trigger=stop, task_status=task_status))
        client = await RawClient.connect(port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        r = await client.read_response()
        await client.aclose()
        stop.set()
    assert r.status == 200 and json.loads(r.body)["server"] == ["127.0.0.1", port]


def make_certificate(directory: Path) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ferrule test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(certfile), str(keyfile)


async def tls_request(port: int, certfile: str, request: bytes) -> anyio.abc.ByteStream:
    """Send `request` over a TLS connection to `port` (trusting only `certfile`); the open stream."""
    context = ssl.create_default_context(cafile=certfile)
    stream = await anyio.connect_tcp("127.0.0.1", port, ssl_context=context, tls_standard_compatible=False)
    await stream.send(request)
    return stream


async def test_request_over_tls(tmp_path: Path) -> None:
    certfile, keyfile = make_certificate(tmp_path)
    async with running(view, ssl_certfile=certfile, ssl_keyfile=keyfile) as srv:
        with anyio.fail_after(5):
            stream = await tls_request(srv.port, certfile, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            raw = b""
            try:
                while True:
                    raw += await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                pass
            await stream.aclose()
        # A client speaking plain HTTP to the TLS port gets no response and cannot stall the server.
        plain = await RawClient.connect(srv.port)
        await plain.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert not (await plain.read_to_eof()).startswith(b"HTTP/")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body)["scheme"] == "https"


async def test_a_streams_head_goes_out_over_tls_before_its_first_event(tmp_path: Path) -> None:
    # TLS uses the anyio-stream wire: the held head is flushed once the app yields
    # (http_cycle rule 4), not with the first body message.
    release = anyio.Event()

    async def events(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        await release.wait()
        await send({"type": "http.response.body", "body": b"data: 1\n\n"})

    certfile, keyfile = make_certificate(tmp_path)
    async with running(events, ssl_certfile=certfile, ssl_keyfile=keyfile) as srv:
        with anyio.fail_after(5):
            stream = await tls_request(srv.port, certfile, b"GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
            raw = await stream.receive()
            while b"\r\n\r\n" not in raw:
                raw += await stream.receive()
            assert raw.startswith(b"HTTP/1.1 200 ") and b"transfer-encoding: chunked" in raw
            assert not release.is_set()  # the head came before any event
            release.set()
            try:
                while not raw.endswith(b"0\r\n\r\n"):
                    raw += await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                pass
            await stream.aclose()
    assert raw.partition(b"\r\n\r\n")[2] == b"9\r\ndata: 1\n\n\r\n0\r\n\r\n"


async def test_bad_certificate_is_a_startup_error(tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("not a certificate")
    config = ServerConfig(port=0, ssl_certfile=str(tmp_path / "bad.pem"), ssl_keyfile=str(tmp_path / "bad.pem"))
    with pytest.raises(ServerConfigError, match="cannot load the TLS certificate"):
        await serve(view, config)


def test_tls_needs_both_files_and_one_socket_kind() -> None:
    with pytest.raises(ServerConfigError, match="needs both ssl_certfile and ssl_keyfile"):
        ServerConfig(ssl_certfile="x.pem")
    with pytest.raises(ServerConfigError, match="uds and fd both given"):
        ServerConfig(uds="/tmp/x.sock", fd=3)
    assert os.path.exists("/")  # keep the module's os import honest
