"""`ferrule run --workers N` in real processes: two workers serve at once, a killed worker is
replaced, SIGHUP replaces every worker, SIGTERM stops with status 0, max_requests recycles."""

from __future__ import annotations

import http.client
import os
import signal
import sys
import textwrap
import select
import threading
from pathlib import Path

import pytest

from srv_helpers import ServerProcess

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="workers share a socket by fd (POSIX)")

APP = """
import os

FIFO = {fifo!r}

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/block":
        # Blocks this worker's whole event loop until the test writes to the FIFO.
        fd = os.open(FIFO, os.O_RDONLY)
        os.read(fd, 1)
        os.close(fd)
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": str(os.getpid()).encode()}})
"""


def pid_of(port: int, path: str = "/") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 200
        return int(response.read())
    finally:
        conn.close()


class Blocked:
    """A /block request in a thread; `release()` lets the worker answer and returns its pid."""

    def __init__(self, port: int, fifo: Path) -> None:
        self.pid: int | None = None
        self.thread = threading.Thread(target=self._run, args=(port,))
        self.thread.start()
        # Opening the write end returns once a worker opened the read end: it is now blocked
        # (and will accept nothing more until released).
        self.fd = os.open(fifo, os.O_WRONLY)

    def _run(self, port: int) -> None:
        self.pid = pid_of(port, "/block")

    def release(self) -> int:
        os.write(self.fd, b"x")
        os.close(self.fd)
        self.thread.join(10)
        assert self.pid is not None
        return self.pid


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    (tmp_path / "workers_app.py").write_text(textwrap.dedent(APP.format(fifo=str(fifo))))
    return tmp_path


def start(app_dir: Path, *extra: str) -> ServerProcess:
    return ServerProcess(
        ["run", "workers_app:app", "--app-dir", str(app_dir), "--port", "0", "--workers", "2",
         "--no-access-log", *extra],
        cwd=app_dir,
    )


def test_two_workers_serve_concurrently_and_a_killed_one_is_replaced(app_dir: Path) -> None:
    server = start(app_dir)
    try:
        port = server.port()
        assert int(server.wait_for(r"listening on http://127\.0\.0\.1:(\d+)").group(1)) == port  # both ready
        blocked = Blocked(port, app_dir / "gate")
        # While one worker's loop is blocked, the other one answers every request.
        others = {pid_of(port) for _ in range(5)}
        assert len(others) == 1
        first = blocked.release()
        (second,) = others
        assert first != second

        os.kill(second, signal.SIGKILL)
        server.wait_for(rf"worker {second} exited with status -9, starting a new one")
        server.wait_for(r"listening on http://127\.0\.0\.1:")
        # One worker blocked (either one), the other answers: the survivor and a new process.
        blocked = Blocked(port, app_dir / "gate")
        answered = pid_of(port)
        pids = {blocked.release(), answered}
        assert len(pids) == 2 and first in pids and second not in pids
    finally:
        status = server.stop()
    assert status == 0
    server.wait_for(r"supervisor stopped")


def test_sighup_replaces_every_worker_one_at_a_time(app_dir: Path) -> None:
    server = start(app_dir)
    try:
        port = server.port()
        server.wait_for(r"listening on http://127\.0\.0\.1:")
        old = {int(line.split()[-1]) for line in server.seen if "started worker" in line}
        assert len(old) == 2
        server.proc.send_signal(signal.SIGHUP)
        for _ in range(2):
            server.wait_for(r"stopped \(rolling restart\)")
        new = {int(line.split()[-1]) for line in server.seen if "started worker" in line} - old
        assert len(new) == 2
        blocked = Blocked(port, app_dir / "gate")
        other = pid_of(port)
        assert {blocked.release(), other} == new
    finally:
        assert server.stop() == 0


def test_max_requests_recycles_a_worker(app_dir: Path) -> None:
    server = start(app_dir, "--max-requests", "2")
    try:
        port = server.port()
        server.wait_for(r"listening on http://127\.0\.0\.1:")
        for _ in range(6):  # 2 workers x 2 requests, and more: someone had to be replaced
            pid_of(port)
        server.wait_for(r"max_requests reached")
        server.wait_for(r"exited with status 0, starting a new one")
    finally:
        assert server.stop() == 0


def test_failing_startup_stops_the_supervisor_with_status_3(tmp_path: Path) -> None:
    (tmp_path / "workers_broken.py").write_text(textwrap.dedent(
        """
        async def app(scope, receive, send):
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "no database"})
        """
    ))
    server = ServerProcess(
        ["run", "workers_broken:app", "--app-dir", str(tmp_path), "--port", "0", "--workers", "2"], cwd=tmp_path
    )
    try:
        assert server.proc.wait(30) == 3
    finally:
        server.stop()
    server.wait_for(r"application startup failed, stopping")


def test_workers_need_an_import_string() -> None:
    from ferrule.server import ServerConfigError, run

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("never called")

    with pytest.raises(ServerConfigError, match="workers > 1 needs the app as an import string"):
        run(app, workers=2)  # type: ignore[arg-type]
    with pytest.raises(ServerConfigError, match="workers=0 must be a positive integer"):
        run("x:app", workers=0)


def test_workers_stop_when_the_supervisor_is_killed(app_dir: Path) -> None:
    # SIGKILL gives the supervisor no chance to stop its workers; each one notices its
    # lifeline pipe close and stops by itself, so nothing keeps serving on the port.
    server = start(app_dir)
    try:
        port = server.port()
        server.wait_for(r"listening on http://127\.0\.0\.1:")  # both ready
        workers = {int(line.split()[-1]) for line in server.seen if "started worker" in line}
        assert len(workers) == 2
        pid_of(port)  # serving
        server.proc.send_signal(signal.SIGKILL)
        for _ in workers:
            server.wait_for(r"the supervisor is gone, stopping")
        for pid in workers:
            wait_until_gone(pid)
        with pytest.raises(OSError):
            pid_of(port)
    finally:
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        server.stop()


def wait_until_gone(pid: int, timeout: float = 20.0) -> None:
    """Wait for a process that is not our child (the dead supervisor's) to end."""
    try:
        fd = os.pidfd_open(pid)  # readable once the process has ended (a zombie counts)
    except ProcessLookupError:
        return
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        assert readable, f"worker {pid} still runs {timeout} s after its supervisor died"
    finally:
        os.close(fd)
