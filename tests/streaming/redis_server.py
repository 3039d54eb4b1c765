"""A real redis-server for the channels tests: the shared one from ``.ci/run``, or a private one.

``.ci/run`` starts redis-server on 127.0.0.1 with a random free port and
exports ``FERRULE_TEST_REDIS_URL``. Tests that must restart Redis start their
own server from the ``redis-server`` binary (``RedisServer``). Missing Redis:
under ``CI=true`` the tests FAIL (CI must run them); by hand they skip and say
how to get it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from local_ports import free_port
from prerequisites import missing

URL_ENV = "FERRULE_TEST_REDIS_URL"


def _missing(reason: str) -> None:
    missing(reason, "install redis-server (apt-get install redis-server) or run bash .ci/run (which starts it)")


def shared_url() -> str:
    """The URL of the redis-server .ci/run started (or skip/fail)."""
    url = os.environ.get(URL_ENV)
    if not url:
        binary = shutil.which("redis-server")
        if binary is None:
            _missing(f"no Redis: {URL_ENV} is not set and redis-server is not installed")
        return ""  # the caller starts a private server
    return url


class RedisServer:
    """One redis-server process on 127.0.0.1, with its data in ``directory`` (kept across restarts)."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _missing("redis-server is not installed")
        self.binary = str(binary)
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # persistence on (an RDB written at shutdown) so a restart keeps the streams
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "3600 1", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode} on port {self.port}")
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within 10 s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()  # SIGTERM: redis saves its RDB, then exits
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
