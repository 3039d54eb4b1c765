"""bench.wrk_loopback reads wrk's report (no wrk needed)."""

from __future__ import annotations

from bench.wrk_loopback import parse_wrk, server_command

REPORT = """Running 4s test @ http://127.0.0.1:1/hello
  1 threads and 64 connections
  6840 requests in 4.00s, 1.01MB read
  Socket errors: connect 0, read 1, write 0, timeout 6
  Non-2xx or 3xx responses: 2
Requests/sec:   1708.12
"""


def test_parse_wrk_counts_requests_and_failures() -> None:
    assert parse_wrk(REPORT) == (1708.12, 6840, 9)


def test_every_server_serves_the_same_factory() -> None:
    commands = [server_command(s, "json", 8000) for s in ("ferrule", "uvicorn-h11", "uvicorn", "granian")]
    assert all("bench.apps.ferrule_app:json_app" in c for c in commands)
