"""What a check gets: the server under test, settings, and request helpers.

``ServerPool`` owns the long-lived server processes: one per server, started
on first use and shared by every live check, stopped at the end. A check that
must stop the server (lifespan shutdown) takes it out of the pool; the next
live check would start a fresh one.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from .httpclient import HTTPConnection, Response
from .outcome import CheckFailed, ServerFault, expect
from .servers import ServerProcess, ServerSpec, tree_memory

__all__ = ["Context", "Settings", "ServerPool", "MemorySampler", "PYTEST_SETTINGS", "FULL_SETTINGS", "describe_trace"]


@dataclass(frozen=True)
class Settings:
    """Sizes and limits of one run.

    Attributes:
        large_body: bytes of the large upload and download checks.
        max_growth: largest RSS growth of the server's process tree allowed
            while a large body passes through (a server that buffers the
            whole body grows by at least ``large_body``).
    """

    large_body: int
    max_growth: int


PYTEST_SETTINGS: Final = Settings(large_body=10 * 1024 * 1024, max_growth=5 * 1024 * 1024)
FULL_SETTINGS: Final = Settings(large_body=50 * 1024 * 1024, max_growth=16 * 1024 * 1024)


class ServerPool:
    """Long-lived server processes, one per server spec, started lazily."""

    def __init__(self) -> None:
        self._running: dict[str, ServerProcess] = {}
        self._failed: dict[str, Exception] = {}

    def get(self, spec: ServerSpec) -> ServerProcess:
        """The running server for ``spec`` (started now if needed; a start failure is re-raised)."""
        if spec.name in self._failed:
            raise self._failed[spec.name]
        proc = self._running.get(spec.name)
        if proc is not None and proc.poll() is None:
            return proc
        if proc is not None:
            self._running.pop(spec.name).close()
        proc = ServerProcess(spec).start()
        try:
            proc.wait_ready()
        except Exception as exc:
            proc.close()
            self._failed[spec.name] = exc  # do not wait 30 s again for every later check
            raise
        self._running[spec.name] = proc
        return proc

    def take(self, spec: ServerSpec) -> ServerProcess:
        """Remove and return the running server for ``spec``; the caller closes it."""
        proc = self.get(spec)
        del self._running[spec.name]
        return proc

    def close(self) -> None:
        while self._running:
            _, proc = self._running.popitem()
            proc.close()


class MemorySampler:
    """Peak VmRSS of a process tree, sampled every ``interval`` s in a thread."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid = pid
        self.interval = interval
        self.baseline = tree_memory(pid)
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_memory(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_memory(self.pid))

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


class Context:
    """The server under test plus helpers; facts about it are cached per context."""

    def __init__(self, spec: ServerSpec, settings: Settings, pool: ServerPool) -> None:
        self.spec = spec
        self.settings = settings
        self.pool = pool
        self._facts: dict[str, Any] = {}

    @property
    def server(self) -> ServerProcess:
        return self.pool.get(self.spec)

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    # -- requests ----------------------------------------------------------

    def connect(self, timeout: float = 10.0) -> HTTPConnection:
        server = self.server
        return HTTPConnection(server.host, server.port, timeout=timeout)

    def request(self, method: str, target: str, **kwargs: Any) -> Response:
        """One request on a fresh connection."""
        with self.connect() as conn:
            return conn.request(method, target, **kwargs)

    def get_json(self, target: str, **kwargs: Any) -> Any:
        response = self.request("GET", target, **kwargs)
        if response.status != 200:
            raise CheckFailed(f"GET {target} answered {response.status}: {response.body[:200]!r}")
        return json.loads(response.body)

    @staticmethod
    def token() -> str:
        return uuid.uuid4().hex

    def events(self, token: str) -> list[str]:
        return list(self.get_json(f"/events/{token}")["events"])

    def wait_for_event(self, token: str, event: str, timeout: float = 5.0) -> tuple[bool, list[str]]:
        """Poll ``/events/{token}`` until ``event`` shows up: (seen, events)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.events(token)
            if event in found:
                return True, found
            if time.monotonic() > deadline:
                return False, found
            time.sleep(0.05)

    def trace(self, trace_id: str) -> list[dict[str, Any]]:
        """The messages the app received and sent for the request tagged ``trace_id``."""
        return list(self.get_json(f"/trace/{trace_id}")["trace"] or [])

    def reset_mid_response(
        self, path: str, until: Callable[[bytes], bool], event: str, what: str, waited: str = ""
    ) -> str:
        """GET ``path`` (``{token}`` filled in), read its body until ``until(body so far)``, reset the
        connection, then wait up to 5 s for the app's cleanup ``event``.

        Returns how long the cleanup took. Raises ``CheckFailed`` when the server
        reported the disconnect (``http.disconnect`` or a failed send) but
        ``what``'s cleanup did not run, ``ServerFault`` when it never reported it
        (``waited`` says what the app was doing meanwhile).
        """
        token = trace_id = self.token()
        target = path.format(token=token)
        conn = self.connect()
        try:
            conn.send_request("GET", target, headers=[("x-trace-id", trace_id)])
            response = conn.read_head(timeout=5)
            expect(response.status == 200, f"GET {target} answered {response.status}")
            body = conn.iter_body(response, timeout=5)
            seen = b""
            while not until(seen):
                seen += next(body)
        finally:
            conn.abort()
        left = time.monotonic()
        ok, events = self.wait_for_event(token, event, timeout=5)
        if ok:
            return f"cleanup {time.monotonic() - left:.2f} s after the reset"
        trace = self.trace(trace_id)
        if any(e.get("type") == "http.disconnect" or e["dir"] == "send-raised" for e in trace):
            raise CheckFailed(f"the server reported the disconnect but {what}'s cleanup did not run: {events}")
        sends = sum(1 for e in trace if e["dir"] == "send")
        raise ServerFault(
            f"5 s after the client reset the connection{waited} the server had neither sent http.disconnect nor "
            f"failed a send(); the app sent {sends} messages, all accepted"
        )

    # -- cached facts ------------------------------------------------------------

    def fact(self, name: str, compute: Any) -> Any:
        if name not in self._facts:
            self._facts[name] = compute()
        return self._facts[name]

    def http_extensions(self) -> set[str]:
        return set(self.fact("http_extensions", lambda: self.get_json("/raw/extensions")["extensions"]))

    def lifespan_startups(self) -> int:
        return int(self.get_json("/health")["lifespan"]["startups"])


def describe_trace(trace: list[dict[str, Any]]) -> str:
    """A compact one-line rendering of a trace, for evidence."""
    parts = []
    for entry in trace:
        kind = entry.get("type") or entry.get("error") or ""
        extra = ""
        if "len" in entry:
            extra += f" {entry['len']}B"
        if "more_body" in entry:
            extra += " more" if entry["more_body"] else " last"
        if "status" in entry:
            extra += f" {entry['status']}"
        parts.append(f"{entry['dir']} {kind}{extra} @{entry['t']}s")
    return "; ".join(parts)
