"""`--workers N`: N server processes sharing one listening socket, kept alive by a supervisor.

Theory of operation: the supervisor binds the socket once (`bind_socket`) and
never imports the app. Each worker is `python -m ferrule.server <json>` with
the same options plus `fd=<the shared socket>`: it runs its own lifespan and
accepts from the shared socket (the kernel spreads connections). A worker
writes its pid to the ready pipe once it listens.

Rules:
1. A worker that exits while the supervisor is not stopping is replaced (a
   crash, a kill, or `max_requests` reached). A worker whose lifespan startup
   fails (exit 3) before any worker was ready stops the whole server with
   status 3; five workers in a row dying before they are ready stop it with 1.
2. SIGTERM / SIGINT: the workers get SIGTERM (each stops accepting and drains
   within `shutdown_timeout`), are killed if they are still alive after it
   plus a 5 s margin, and the supervisor exits 0.
3. SIGHUP: rolling restart. One at a time, a new worker is started and, once
   it is ready, one old worker is sent SIGTERM: capacity never drops.
4. Workers run in their own process group, so a terminal's CTRL+C reaches only
   the supervisor, which then stops them once (not twice, which would force them).
5. A worker whose supervisor is gone (killed with SIGKILL, or crashed) stops as
   if sent SIGTERM: each worker holds the read end of a "lifeline" pipe whose
   only write end is the supervisor's, so the read returns end-of-file the
   moment the supervisor's process ends, however it ends. No worker is left
   serving (and holding the port) with nobody to stop it.
The loop waits on a wakeup pipe for signals and on the ready pipe, with no
busy polling (a 1 s select timeout only bounds how late a death is noticed
if SIGCHLD were lost).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any, Final

from .config import ServerConfig
from .sockets import bind_socket
from .state import server_logger

__all__ = ["Supervisor", "watch_lifeline", "worker_command"]

STARTUP_FAILURE: Final = 3
_MAX_EARLY_DEATHS: Final = 5
_KILL_MARGIN: Final = 5.0
_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD)


def worker_command(
    import_string: str, options: dict[str, Any], fd: int, ready_fd: int, lifeline_fd: int
) -> list[str]:
    """The command line of one worker: the same options on the shared socket, without workers."""
    skip = {"workers", "reload", "reload_dirs", "reload_interval", "host", "port", "uds"}
    child = {k: v for k, v in options.items() if k not in skip}
    child["fd"] = fd
    child["ready_fd"] = ready_fd
    child["lifeline_fd"] = lifeline_fd
    return [sys.executable, "-m", "ferrule.server", json.dumps({"app": import_string, "options": child})]


def watch_lifeline(fd: int) -> threading.Thread:
    """In a worker: send this process SIGTERM (a graceful stop) once the supervisor is gone.

    The read blocks until the pipe's write end, held only by the supervisor,
    is closed; a daemon thread, so it never delays the worker's own exit.
    """

    def watch() -> None:
        while True:
            try:
                if not os.read(fd, 1):
                    break
            except InterruptedError:  # pragma: no cover - PEP 475 retries reads itself
                continue
            except OSError:
                break
        server_logger.warning("worker %d: the supervisor is gone, stopping", os.getpid())
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="ferrule-lifeline", daemon=True)
    thread.start()
    return thread


class Supervisor:
    """Run `workers` processes of `import_string` on one socket until signalled."""

    def __init__(self, import_string: str, options: dict[str, Any], config: ServerConfig) -> None:
        self.import_string = import_string
        self.options = options
        self.config = config
        self.count = int(options["workers"])
        self.workers: dict[int, subprocess.Popen[bytes]] = {}
        self.ready: set[int] = set()
        self.retiring: set[int] = set()
        self.roll_queue: list[int] = []
        self.roll_new: int | None = None
        self.pending: list[int] = []
        self.early_deaths = 0
        self.any_ready = False
        self.exit_status = 0
        self.stopping = False

    # -- processes -------------------------------------------------------------

    lifeline: int = -1
    """The read end of the lifeline pipe, passed to every worker (rule 5)."""

    def _spawn(self, fd: int, ready_w: int) -> int:
        extra: dict[str, Any] = {}
        if sys.version_info >= (3, 11):
            extra["process_group"] = 0
        else:  # pragma: no cover - exercised on 3.10 only
            extra["preexec_fn"] = os.setpgrp
        proc = subprocess.Popen(
            worker_command(self.import_string, self.options, fd, ready_w, self.lifeline),
            pass_fds=(fd, ready_w, self.lifeline),
            **extra,
        )
        self.workers[proc.pid] = proc
        server_logger.info("started worker %d", proc.pid)
        return proc.pid

    def _reap(self, fd: int, ready_w: int) -> None:
        for pid, proc in list(self.workers.items()):
            code = proc.poll()
            if code is None:
                continue
            del self.workers[pid]
            was_ready = pid in self.ready
            self.ready.discard(pid)
            if pid in self.retiring:
                self.retiring.discard(pid)
                server_logger.info("worker %d stopped (rolling restart)", pid)
                continue
            if self.stopping:
                continue
            if pid == self.roll_new:
                self.roll_new = None
            if not was_ready:
                self.early_deaths += 1
                if code == STARTUP_FAILURE and not self.any_ready:
                    server_logger.error("worker %d: application startup failed, stopping", pid)
                    self.exit_status = STARTUP_FAILURE
                    self.stopping = True
                    continue
                if self.early_deaths >= _MAX_EARLY_DEATHS:
                    server_logger.error("%d workers in a row died before serving, stopping", self.early_deaths)
                    self.exit_status = 1
                    self.stopping = True
                    continue
            server_logger.warning("worker %d exited with status %s, starting a new one", pid, code)
            self._spawn(fd, ready_w)

    def _on_ready(self, data: bytes, fd: int, ready_w: int) -> None:
        for line in data.split():
            try:
                pid = int(line)
            except ValueError:
                continue
            if pid not in self.workers:
                continue
            self.ready.add(pid)
            self.any_ready = True
            self.early_deaths = 0
            if pid == self.roll_new:
                self.roll_new = None
                self._retire_next()
        self._roll(fd, ready_w)

    # -- rolling restart ---------------------------------------------------------

    def _retire_next(self) -> None:
        while self.roll_queue:
            old = self.roll_queue.pop(0)
            proc = self.workers.get(old)
            if proc is not None and proc.poll() is None:
                self.retiring.add(old)
                proc.send_signal(signal.SIGTERM)
                return

    def _roll(self, fd: int, ready_w: int) -> None:
        if self.roll_new is None and self.roll_queue and not self.stopping:
            self.roll_new = self._spawn(fd, ready_w)

    # -- signals and the loop ------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.pending.append(signum)

    def _handle_signals(self, fd: int, ready_w: int) -> None:
        while self.pending:
            signum = self.pending.pop(0)
            if signum in (signal.SIGINT, signal.SIGTERM) and not self.stopping:
                server_logger.info("received %s, stopping %d worker(s)", signal.Signals(signum).name, len(self.workers))
                self.stopping = True
            elif signum == signal.SIGHUP and not self.stopping:
                server_logger.info("received SIGHUP, restarting workers one at a time")
                self.roll_queue = [p for p in self.workers if p not in self.retiring and p != self.roll_new]
                self._roll(fd, ready_w)

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM; return the exit status."""
        sock = bind_socket(self.config)
        if self.config.fd is not None:
            where = f"fd {self.config.fd}"
        elif self.config.uds is not None:
            where = f"unix:{self.config.uds}"
        else:
            where = f"{self.config.host}:{sock.getsockname()[1]}"
        ready_r, ready_w = os.pipe()
        os.set_blocking(ready_r, False)
        # Rule 5: os.pipe() is not inheritable, so the write end stays in this process alone.
        self.lifeline, lifeline_w = os.pipe()
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        previous = {s: signal.signal(s, self._on_signal) for s in _SIGNALS}
        old_wakeup = signal.set_wakeup_fd(wake_w.fileno())
        try:
            server_logger.info("supervisor %d: %d workers on %s", os.getpid(), self.count, where)
            for _ in range(self.count):
                self._spawn(sock.fileno(), ready_w)
            while not self.stopping:
                readable, _, _ = select.select([wake_r.fileno(), ready_r], [], [], 1.0)
                if wake_r.fileno() in readable:
                    try:
                        while wake_r.recv(512):
                            pass
                    except BlockingIOError:
                        pass
                if ready_r in readable:
                    try:
                        self._on_ready(os.read(ready_r, 4096), sock.fileno(), ready_w)
                    except BlockingIOError:
                        pass
                self._handle_signals(sock.fileno(), ready_w)
                self._reap(sock.fileno(), ready_w)
            self._stop_all()
            server_logger.info("supervisor stopped")
            return self.exit_status
        finally:
            signal.set_wakeup_fd(old_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            for fd in (ready_r, ready_w, self.lifeline, lifeline_w):
                os.close(fd)
            wake_r.close()
            wake_w.close()
            sock.close()
            if self.config.uds:
                try:
                    os.unlink(self.config.uds)
                except OSError:
                    pass

    def _stop_all(self) -> None:
        for proc in self.workers.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.config.shutdown_timeout + _KILL_MARGIN
        for proc in self.workers.values():
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                server_logger.warning("worker %d did not stop in time, killing it", proc.pid)
                proc.kill()
                proc.wait()
        self.workers.clear()
