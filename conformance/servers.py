"""The servers under test: how each is started, probed and stopped.

Every server runs in its own process (its own session, so a stuck one is
killed with its workers by process-group id), bound to 127.0.0.1 on a port
picked free just before, with its output in a log file the checks quote as
evidence. Readiness is "``GET /health`` answers 200", not a log line.

``--root-path /prefix`` is given to every server in the main run: the checks
send paths without the prefix (as a proxy that strips it would) and expect
the app to see ``root_path == "/prefix"`` and to build URLs with it.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .httpclient import HTTPClientError, HTTPConnection

__all__ = [
    "ServerSpec",
    "ServerProcess",
    "ServerExited",
    "SERVERS",
    "ROOT_PATH",
    "HOST",
    "REPO_ROOT",
    "installed",
    "free_port",
    "tree_memory",
]

HOST: Final = "127.0.0.1"
ROOT_PATH: Final = "/prefix"
REPO_ROOT: Final = Path(__file__).resolve().parent.parent
READY_TIMEOUT: Final = 30.0
STOP_TIMEOUT: Final = 15.0

Command = Callable[[str, int, str], list[str]]


@dataclass(frozen=True)
class ServerSpec:
    """One server configuration (a matrix column).

    Attributes:
        name: the column name, e.g. ``uvicorn-h11``.
        modules: import names that must be present for it to run.
        optional: may be missing (pytest skips); the others must be installed.
        command: ``(app target, port, root_path) -> argv``.
        describe: what the column runs, for the report.
    """

    name: str
    modules: tuple[str, ...]
    optional: bool
    command: Command
    describe: str


def _py(*args: str) -> list[str]:
    return [sys.executable, *args]


def _ferrule(target: str, port: int, root: str) -> list[str]:
    cmd = _py("-m", "ferrule", "run", target, "--host", HOST, "--port", str(port), "--no-access-log",
              "--log-level", "warning", "--lifespan", "on")
    return cmd + (["--root-path", root] if root else [])


def _uvicorn(http: str, ws: str) -> Command:
    def command(target: str, port: int, root: str) -> list[str]:
        cmd = _py("-m", "uvicorn", target, "--host", HOST, "--port", str(port), "--http", http, "--ws", ws,
                  "--lifespan", "on", "--no-access-log", "--log-level", "warning")
        return cmd + (["--root-path", root] if root else [])

    return command


def _hypercorn(worker_class: str) -> Command:
    def command(target: str, port: int, root: str) -> list[str]:
        cmd = _py("-m", "hypercorn", target, "--bind", f"{HOST}:{port}", "--log-level", "WARNING",
                  "--worker-class", worker_class)
        return cmd + (["--root-path", root] if root else [])

    return command


def _daphne(target: str, port: int, root: str) -> list[str]:
    cmd = _py("-m", "daphne", "-b", HOST, "-p", str(port), "-v", "0")
    return cmd + (["--root-path", root] if root else []) + [target]


def _granian(target: str, port: int, root: str) -> list[str]:
    cmd = _py("-m", "granian", "--interface", "asgi", "--host", HOST, "--port", str(port), "--workers", "1",
              "--log-level", "warning", "--no-respawn-failed-workers")
    return cmd + (["--url-path-prefix", root] if root else []) + [target]


SERVERS: Final[tuple[ServerSpec, ...]] = (
    ServerSpec("ferrule", ("ferrule",), False, _ferrule, "ferrule's own server (h11, anyio)"),
    ServerSpec("uvicorn-h11", ("uvicorn", "h11", "wsproto"), False, _uvicorn("h11", "wsproto"),
               "uvicorn --http h11 --ws wsproto"),
    ServerSpec("uvicorn-httptools", ("uvicorn", "httptools", "websockets"), False,
               _uvicorn("httptools", "websockets"), "uvicorn --http httptools --ws websockets"),
    ServerSpec("hypercorn", ("hypercorn",), False, _hypercorn("asyncio"), "hypercorn (h11 + wsproto)"),
    # The app on trio: ferrule's whole pipeline under a trio event loop, over real sockets.
    ServerSpec("hypercorn-trio", ("hypercorn", "trio"), False, _hypercorn("trio"),
               "hypercorn --worker-class trio (h11 + wsproto, the app on trio)"),
    ServerSpec("daphne", ("daphne",), True, _daphne, "daphne (Twisted + autobahn)"),
    ServerSpec("granian", ("granian",), True, _granian, "granian --interface asgi (Rust)"),
)


def installed(spec: ServerSpec) -> tuple[bool, str]:
    """Whether every module the server needs imports here, and if not which is missing."""
    missing = [m for m in spec.modules if importlib.util.find_spec(m) is None]
    if missing:
        return False, f"not installed: no module {', '.join(missing)} (pip install '.[conformance]')"
    return True, ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                out += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return out


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory(pid: int, field: str = "VmRSS") -> int:
    """``field`` (VmRSS or VmHWM, bytes) summed over ``pid`` and its descendants."""
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _status_kib(current, field) * 1024
        todo += _children(current)
    return total


class ServerExited(Exception):
    """The server process ended (or never became ready)."""

    def __init__(self, message: str, returncode: int | None, log: str) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.log = log


class ServerProcess:
    """One running server process serving ``target``."""

    def __init__(self, spec: ServerSpec, target: str = "conformance.app:app", *, root_path: str = ROOT_PATH) -> None:
        self.spec = spec
        self.target = target
        self.root_path = root_path
        self.host = HOST
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.workdir = tempfile.TemporaryDirectory(prefix=f"ferrule-conf-{spec.name}-")
        self.markers = Path(self.workdir.name) / "markers"
        self.markers.mkdir()
        self.log_path = Path(self.workdir.name) / "server.log"
        self.returncode: int | None = None

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("the server is not started")
        return self.proc.pid

    def start(self) -> ServerProcess:
        self.port = free_port()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
        env["CONFORMANCE_MARKERS"] = str(self.markers)
        env["CONFORMANCE_DATA_DIR"] = self.workdir.name
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("PYTHONWARNINGS", None)
        argv = self.spec.command(self.target, self.port, self.root_path)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def log(self, tail: int = 2000) -> str:
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""
        return text[-tail:]

    def poll(self) -> int | None:
        if self.proc is None:
            return self.returncode
        code = self.proc.poll()
        if code is not None:
            self.returncode = code
        return code

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Until ``GET /health`` answers 200; raises ``ServerExited`` if the process ends first."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            code = self.poll()
            if code is not None:
                raise ServerExited(f"{self.spec.name} exited with status {code} before answering", code, self.log())
            try:
                with HTTPConnection(self.host, self.port, timeout=2.0) as conn:
                    response = conn.request("GET", "/health")
                if response.status == 200:
                    return
                last = f"GET /health answered {response.status}"
            except (OSError, HTTPClientError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.05)
        self.kill()
        raise ServerExited(f"{self.spec.name} did not answer within {timeout} s ({last})", None, self.log())

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
        """Send ``sig`` and wait for the exit status; kill the process group after ``timeout``."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self.returncode = self.proc.returncode
        return self.returncode

    def wait_exit(self, timeout: float) -> int | None:
        if self.proc is None:
            return self.returncode
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def kill(self) -> None:
        """SIGKILL the server's own process group (it was started in a new session)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.returncode = self.proc.returncode

    def close(self) -> None:
        """Stop the server if it still runs (SIGTERM, then SIGKILL) and remove its files."""
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        if self.proc is not None:
            # Workers that outlived their parent (same process group) go too.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
        self.workdir.cleanup()
