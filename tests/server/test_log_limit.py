"""RateLimitedLog: one line per interval under a flood, the suppressed count reported."""

from __future__ import annotations

import logging

import pytest

from ferrule.server.log_limit import RateLimitedLog


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_writes_one_line_per_interval_and_counts_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limited = RateLimitedLog(logging.getLogger("test.limit"), interval=10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.limit"):
        written = [limited.log("refused %d", n) for n in range(1000)]
        clock.now += 9.9
        written.append(limited.log("refused %d", 1000))
        clock.now += 0.2
        written.append(limited.log("refused %d", 1001))
    assert written.count(True) == 2 and written[0] and written[-1]
    assert [r.getMessage() for r in caplog.records] == [
        "refused 0",
        "refused 1001 (1000 more like this in the last 10 s)",
    ]


def test_events_spaced_wider_than_the_interval_all_log(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limited = RateLimitedLog(logging.getLogger("test.limit2"), interval=1.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="test.limit2"):
        for _ in range(5):
            assert limited.log("event")
            clock.now += 1.0
    assert [r.getMessage() for r in caplog.records] == ["event"] * 5
