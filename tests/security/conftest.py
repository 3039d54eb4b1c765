"""Shared fixtures of the security suite, and the fuzz case count in the summary."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import sec_driver


def open_fds() -> set[str]:
    """This process' open file descriptors (Linux ``/proc``)."""
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def no_leaked_fds() -> Iterator[None]:
    """Fail the test if it ends with more open file descriptors than it began with."""
    before = open_fds()
    yield
    leaked = open_fds() - before
    # A descriptor closed late by the GC would still be a leak: no gc.collect() here.
    assert not leaked, f"file descriptors left open: {sorted(leaked)}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if sec_driver.FUZZ_CASES:
        terminalreporter.write_line(
            f"security fuzz: {sum(sec_driver.FUZZ_CASES.values())} request cases ran "
            + ", ".join(f"{name}={count}" for name, count in sorted(sec_driver.FUZZ_CASES.items()))
        )
