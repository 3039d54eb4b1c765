"""`--reload`: a parent process restarts the server process when a `.py` file changes.

Theory of operation: the parent never imports the app. It starts a child
(`python -m ferrule.server <json>`, which calls `run()` without
reload), then polls the modification times of every `.py` file under the
watched directories (`os.stat`, no extra dependency). On a change it stops the
child with SIGTERM (graceful shutdown; SIGKILL after a grace period) and
starts a new one. A child that crashed (say, a syntax error) is restarted on
the next change. SIGINT/SIGTERM to the parent stop the child and the parent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from types import FrameType
from typing import Any, Final

from .config import DEFAULT_SHUTDOWN_TIMEOUT
from .state import server_logger

__all__ = ["snapshot", "changed_files", "supervise", "child_command"]

DEFAULT_RELOAD_INTERVAL: Final = 0.5
_SKIP_DIRS: Final = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"})


def snapshot(dirs: Iterable[str]) -> dict[str, float]:
    """Map every `.py` file under `dirs` (hidden and cache folders skipped) to its mtime."""
    mtimes: dict[str, float] = {}
    for top in dirs:
        for root, subdirs, files in os.walk(top):
            subdirs[:] = [d for d in subdirs if not d.startswith(".") and d not in _SKIP_DIRS]
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    try:
                        mtimes[path] = os.stat(path).st_mtime
                    except OSError:
                        continue  # deleted between listing and stat
    return mtimes


def changed_files(before: dict[str, float], after: dict[str, float]) -> list[str]:
    """Files added, removed or modified between two snapshots, sorted."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def child_command(import_string: str, options: dict[str, Any]) -> list[str]:
    """The command line of one server process (the same options, without reload)."""
    child_options = {k: v for k, v in options.items() if k not in {"reload", "reload_dirs", "reload_interval"}}
    payload = json.dumps({"app": import_string, "options": child_options})
    return [sys.executable, "-m", "ferrule.server", payload]


def _stop(child: subprocess.Popen[bytes], grace: float) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(grace)
    except subprocess.TimeoutExpired:
        server_logger.warning("worker %d did not stop in %.0fs, killing it", child.pid, grace)
        child.kill()
        child.wait()


def supervise(import_string: str, options: dict[str, Any]) -> int:
    """Run the server in a child process and restart it on changes; return an exit status."""
    app_dir = options.get("app_dir") or os.getcwd()
    dirs = [os.path.abspath(d) for d in (options.get("reload_dirs") or [app_dir])]
    interval = float(options.get("reload_interval") or DEFAULT_RELOAD_INTERVAL)
    grace = float(options.get("shutdown_timeout") or DEFAULT_SHUTDOWN_TIMEOUT) + 5.0
    command = child_command(import_string, options)
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    server_logger.info("reloader watching %s for .py changes", ", ".join(dirs))
    try:
        mtimes = snapshot(dirs)
        child: subprocess.Popen[bytes] = subprocess.Popen(command)
        while not stopping:
            time.sleep(interval)
            current = snapshot(dirs)
            changes = changed_files(mtimes, current)
            mtimes = current
            if changes and not stopping:
                server_logger.info("detected changes in %s, restarting", ", ".join(changes[:5]))
                _stop(child, grace)
                child = subprocess.Popen(command)
        _stop(child, grace)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
