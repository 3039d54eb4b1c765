"""The deployment samples (docs_src/deploy/) agree with the server they configure.

The Dockerfile's command must parse with `ferrule run`'s own argument parser
and give a valid server configuration; the nginx site must set the forwarded
headers that `--proxy-headers` reads, so that a request through it reaches the
app with the client's address, scheme and host.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ferrule.cli import build_parser, run_options
from ferrule.server import ServerConfig
from ferrule.server.proxy_headers import apply_proxy_headers, parse_allow_list

DEPLOY = Path(__file__).resolve().parent.parent.parent / "docs_src" / "deploy"


def test_dockerfile_command_is_a_valid_ferrule_run() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    found = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert found, "the Dockerfile has no exec-form CMD"
    command = json.loads(found.group(1))
    assert command[:2] == ["ferrule", "run"]
    args = build_parser().parse_args(command[1:])
    options = run_options(args)
    assert options["workers"] == 4 and options["proxy_headers"] is True
    config = ServerConfig(**{k: v for k, v in options.items() if k in ServerConfig.__dataclass_fields__})
    assert config.shutdown_timeout == 20.0
    assert parse_allow_list(config.forwarded_allow_ips) is not None


def test_nginx_forwarded_headers_reach_the_app_as_the_client_sees_them() -> None:
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    # What nginx sends for a client at 203.0.113.7 asking https://api.example.com/
    values = {"$proxy_add_x_forwarded_for": "203.0.113.7", "$scheme": "https", "$host": "api.example.com"}
    headers = [
        (name.lower().encode(), values[variable].encode())
        for name, variable in re.findall(r"proxy_set_header (X-Forwarded-[\w-]+) (\$\w+);", text)
    ]
    assert {name for name, _ in headers} == {b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"}
    assert "server unix:/run/app.sock" in text
    # nginx talks to `ferrule run --uds ... --forwarded-allow-ips unix`: the peer is a Unix socket.
    scope = {"type": "http", "client": None, "scheme": "http", "headers": [(b"host", b"ferrule_app"), *headers]}
    apply_proxy_headers(scope, parse_allow_list("unix"))
    assert scope["client"] == ("203.0.113.7", 0)
    assert scope["scheme"] == "https"
    assert (b"host", b"api.example.com") in scope["headers"]
    # Without the trust setting the same headers are ignored.
    untrusted = {"type": "http", "client": None, "scheme": "http", "headers": list(headers)}
    apply_proxy_headers(untrusted, parse_allow_list("127.0.0.1"))
    assert untrusted["client"] is None and untrusted["scheme"] == "http"
