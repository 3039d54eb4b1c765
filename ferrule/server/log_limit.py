"""A log line that repeats under attack, written at most once per interval.

Rules:
1. The first event logs at once.
2. Later events within ``interval`` seconds of the last line are counted, not
   logged; the next line that is written says how many were suppressed.
3. The clock is injectable (``clock``), so the behaviour is tested without
   sleeping.

SECURITY: a flood of refused connections (the connection cap reached) would
otherwise write one WARNING line per connection, a log flood an attacker
controls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

__all__ = ["DEFAULT_LOG_INTERVAL", "RateLimitedLog"]

DEFAULT_LOG_INTERVAL: Final = 10.0


class RateLimitedLog:
    """Logs ``message`` (a %-format with its own args) at most once per ``interval`` seconds."""

    __slots__ = ("_clock", "_last", "_logger", "_suppressed", "interval", "level")

    def __init__(
        self,
        logger: logging.Logger,
        level: int = logging.WARNING,
        interval: float = DEFAULT_LOG_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self.level = level
        self.interval = interval
        self._clock = clock
        self._last: float | None = None
        self._suppressed = 0

    def log(self, message: str, *args: object) -> bool:
        """Write the line now, or count it; returns whether it was written."""
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            self._suppressed += 1
            return False
        if self._suppressed:
            message += " (%d more like this in the last %.0f s)"
            args = (*args, self._suppressed, now - (self._last or now))
        self._logger.log(self.level, message, *args)
        self._last = now
        self._suppressed = 0
        return True
