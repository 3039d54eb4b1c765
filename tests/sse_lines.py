"""Reading a live SSE stream line by line in tests (the test client's ``iter_lines()``)."""

from __future__ import annotations

from collections.abc import Iterator


def next_event(lines: Iterator[str]) -> dict[str, str]:
    """The fields of the next SSE event that has data (skips ``retry:`` and comments)."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in fields:
                return fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value
    raise AssertionError("the stream ended")
