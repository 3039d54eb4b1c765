"""bench.wrk_loopback reads wrk's report (no wrk needed)."""

from __future__ import annotations

import pytest

from bench.wrk_loopback import parse_p99, parse_wrk, server_command

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


LATENCY = """  Latency Distribution
     50%    5.53ms
     75%    7.10ms
     90%    9.02ms
     99%{value}
"""


@pytest.mark.parametrize(("value", "ms"), [("   14.20ms", 14.2), ("    1.20s", 1200.0), ("  812.00us", 0.812)])
def test_parse_p99_reads_the_latency_distribution_in_milliseconds(value: str, ms: float) -> None:
    assert parse_p99(REPORT + LATENCY.format(value=value)) == pytest.approx(ms)


def test_parse_p99_without_latency_flag_is_none() -> None:
    # The thread-stats table also has a "99" percentage column; it must not be mistaken for p99.
    assert parse_p99(REPORT + "    Req/Sec     1.72k   183.36     2.00k    99.00%\n") is None
