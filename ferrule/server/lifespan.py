"""The ASGI lifespan protocol, server side.

Rules:
1. The app is called once with the `lifespan` scope in a task of the server's
   task group; startup completes before the server accepts a connection, and
   shutdown runs after every connection is drained.
2. `lifespan.startup.failed` (or an error while mode is "on") raises
   `LifespanFailure` carrying the app's message: the server does not start.
3. In "auto" mode an app that raises before completing startup, or returns
   without answering, does not support lifespan: that is logged at debug
   level and the server runs without it (and without lifespan state).
4. The scope's `state` dict is the lifespan state; each request scope gets a
   shallow copy of it (ASGI lifespan state extension).
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.abc

from ferrule.asgi_core.types import ASGIApp, Message

from .config import LifespanMode
from .state import ASGI_VERSION, server_logger

__all__ = ["Lifespan", "LifespanFailure"]


class LifespanFailure(Exception):
    """The app reported (or raised) a failure during lifespan startup."""


class Lifespan:
    """Drive one app through lifespan startup and shutdown."""

    def __init__(self, app: ASGIApp, mode: LifespanMode = "auto") -> None:
        self._app = app
        self._mode = mode
        self.state: dict[str, Any] = {}
        self.supported = mode != "off"
        self._shutdown_requested: anyio.Event | None = None
        self._startup_done: anyio.Event | None = None
        self._shutdown_done: anyio.Event | None = None
        self._phase = "startup"
        self._failure: str | None = None
        self._shutdown_failure: str | None = None
        self._finished = False

    async def startup(self, tg: anyio.abc.TaskGroup) -> None:
        """Run the app's startup; return when it completed.

        Raises:
            LifespanFailure: the app sent `lifespan.startup.failed` or raised in "on" mode.
        """
        if self._mode == "off":
            return
        self._shutdown_requested = anyio.Event()
        self._startup_done = anyio.Event()
        self._shutdown_done = anyio.Event()
        tg.start_soon(self._main)
        await self._startup_done.wait()
        if self._failure is not None:
            raise LifespanFailure(self._failure)

    async def shutdown(self) -> None:
        """Run the app's shutdown; failures are logged, never raised."""
        if not self.supported or self._shutdown_requested is None or self._shutdown_done is None:
            return
        self._phase = "shutdown"
        self._shutdown_requested.set()
        await self._shutdown_done.wait()
        if self._shutdown_failure is not None:
            server_logger.error("application shutdown failed: %s", self._shutdown_failure)

    async def _main(self) -> None:
        assert self._startup_done is not None and self._shutdown_done is not None  # set in startup()
        scope = {"type": "lifespan", "asgi": dict(ASGI_VERSION), "state": self.state}
        try:
            await self._app(scope, self._receive, self._send)
        except Exception as exc:
            if not self._startup_done.is_set():
                if self._mode == "auto":
                    server_logger.debug("ASGI 'lifespan' protocol appears unsupported (%r)", exc)
                    self.supported = False
                else:
                    server_logger.exception("exception in the lifespan protocol")
                    self._failure = f"exception in the lifespan protocol: {exc!r}"
            else:
                server_logger.exception("exception in the lifespan protocol during %s", self._phase)
                self._shutdown_failure = f"exception in the lifespan protocol: {exc!r}"
        else:
            if not self._startup_done.is_set():
                if self._mode == "on":
                    self._failure = "the app returned without completing lifespan startup"
                else:
                    server_logger.debug("the app returned from the lifespan scope without starting up")
                    self.supported = False
        finally:
            self._finished = True
            self._startup_done.set()
            self._shutdown_done.set()

    async def _receive(self) -> Message:
        if self._phase == "startup" and self._shutdown_requested is not None:
            self._phase = "waiting"
            return {"type": "lifespan.startup"}
        assert self._shutdown_requested is not None  # set in startup()
        await self._shutdown_requested.wait()
        return {"type": "lifespan.shutdown"}

    async def _send(self, message: Message) -> None:
        assert self._startup_done is not None and self._shutdown_done is not None  # set in startup()
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self._startup_done.set()
        elif kind == "lifespan.startup.failed":
            self._failure = str(message.get("message") or "the app reported lifespan.startup.failed")
            self._startup_done.set()
        elif kind == "lifespan.shutdown.complete":
            self._shutdown_done.set()
        elif kind == "lifespan.shutdown.failed":
            self._shutdown_failure = str(message.get("message") or "the app reported lifespan.shutdown.failed")
            self._shutdown_done.set()
        else:
            raise RuntimeError(f"unexpected lifespan message {kind!r}")
