"""Lifespan through real processes: startup, shutdown on SIGTERM, a startup that fails.

Lifespan is optional for servers (ASGI lifespan spec: a server may not
support it); a server that never sends ``lifespan.startup`` gets "not
supported" for these rows, with the evidence that the app's lifespan never ran.
"""

from __future__ import annotations

import signal
import time

from .app import STARTUP_FAILURE_MESSAGE
from .context import Context
from .httpclient import HTTPClientError, HTTPConnection
from .outcome import NotSupported, ServerFault, check, expect, server_expect
from .servers import ServerProcess

LIFESPAN_SPEC = "ASGI lifespan 2.0"


@check("lifespan.startup", "startup runs once, before the first request", f"{LIFESPAN_SPEC} §Startup")
def lifespan_startup(ctx: Context) -> str | None:
    startups = ctx.lifespan_startups()
    if startups == 0 and not (ctx.server.markers / "startup").exists():
        raise NotSupported("the server never sent lifespan.startup (it does not run the lifespan protocol)")
    server_expect(startups == 1, f"lifespan startup ran {startups} times in one process")
    return None


@check("lifespan.shutdown", "SIGTERM: shutdown runs, clean exit", f"{LIFESPAN_SPEC} §Shutdown", kind="process")
def lifespan_shutdown(ctx: Context) -> str | None:
    proc = ctx.pool.take(ctx.spec)
    try:
        ran_startup = (proc.markers / "startup").exists()
        code = proc.stop(signal.SIGTERM)
        shutdown = (proc.markers / "shutdown").exists()
        log = proc.log(600)
    finally:
        proc.close()
    if not ran_startup:
        expect(not shutdown, "lifespan shutdown ran without a startup")
        raise NotSupported(f"the server never sent lifespan.startup; it exited with status {code} on SIGTERM")
    server_expect(code is not None, "the server did not exit within 15 s of SIGTERM (killed)")
    server_expect(shutdown, f"the server exited (status {code}) without running the lifespan shutdown; log: {log!r}")
    if code == -signal.SIGTERM:
        # uvicorn re-raises the signal after a graceful shutdown so its parent sees why it ended.
        return "exit by re-raised SIGTERM after a graceful shutdown"
    server_expect(code == 0, f"exit status {code} after a graceful shutdown; log: {log!r}")
    return None


@check("lifespan.startup_failed", "startup raises: the server exits non-zero, never serves",
       f"{LIFESPAN_SPEC} §Startup - lifespan.startup.failed", kind="process")
def lifespan_startup_failed(ctx: Context) -> str | None:
    proc = ServerProcess(ctx.spec, "conformance.app:failing_app").start()
    try:
        served = False
        deadline = time.monotonic() + 20
        code = None
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                break
            try:
                with HTTPConnection(proc.host, proc.port, timeout=1.0) as conn:
                    served = conn.request("GET", "/health").status == 200
            except (OSError, HTTPClientError):
                pass
            if served:
                break
            time.sleep(0.05)
        ran = (proc.markers / "failing-startup").exists()
        log = proc.log(1500)
        if code is None:
            proc.stop()
    finally:
        proc.close()
    if not ran:
        if served:
            raise NotSupported("the server never sent lifespan.startup and served the app anyway")
        raise ServerFault(f"the server neither ran the lifespan nor served (status {code}); log: {log[-300:]!r}")
    server_expect(not served, "the app sent lifespan.startup.failed but the server served requests")
    server_expect(code is not None, "the app sent lifespan.startup.failed but the server was still running after 20 s")
    last = [line for line in log.splitlines() if line.strip()][-1:] or ["(empty log)"]
    server_expect(code != 0, f"the server exited with status 0 after lifespan.startup.failed; its last log line: {last[0]!r}")
    quoted = "the failure message is in its log" if STARTUP_FAILURE_MESSAGE in log else "its log lacks the failure message"
    return f"exit status {code}; {quoted}"
