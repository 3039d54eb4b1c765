"""--reload: mtime snapshots, and a real parent process restarting its worker on changes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ferrule.server.reload import changed_files, child_command, snapshot

from srv_helpers import ServerProcess, get


def test_snapshot_sees_py_files_and_skips_caches_and_hidden_dirs(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / ".git").mkdir()
    files = [tmp_path / "a.py", tmp_path / "pkg" / "b.py", tmp_path / "pkg" / "sub" / "c.py"]
    for f in files:
        f.write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("not python")
    (tmp_path / "__pycache__" / "a.cpython-311.py").write_text("")
    (tmp_path / ".git" / "hook.py").write_text("")
    assert sorted(snapshot([str(tmp_path)])) == sorted(str(f) for f in files)


def test_changed_files_reports_edits_additions_and_removals(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("1")
    b.write_text("2")
    before = snapshot([str(tmp_path)])
    assert changed_files(before, snapshot([str(tmp_path)])) == []
    stat = a.stat()
    os.utime(a, (stat.st_atime, stat.st_mtime + 5))
    b.unlink()
    (tmp_path / "c.py").write_text("3")
    assert changed_files(before, snapshot([str(tmp_path)])) == sorted([str(a), str(b), str(tmp_path / "c.py")])


def test_child_command_runs_the_same_options_without_reload() -> None:
    command = child_command("main:app", {"reload": True, "reload_dirs": ["."], "reload_interval": 0.1, "port": 0})
    assert command[:3] == [sys.executable, "-m", "ferrule.server"]
    assert json.loads(command[3]) == {"app": "main:app", "options": {"port": 0}}


APP = '''
async def app(scope, receive, send):
    if scope["type"] != "http":
        raise RuntimeError("no lifespan")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"%s"})
'''


def write_app(path: Path, version: str, bump: int) -> None:
    path.write_text(APP % version)
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + bump))  # a change even within one mtime tick


def test_reload_restarts_worker_on_change_and_survives_a_broken_edit(tmp_path: Path) -> None:
    module = tmp_path / "reload_mod.py"
    write_app(module, "v1", 0)
    server = ServerProcess(["run", "reload_mod:app", "--reload", "--port", "0", "--app-dir", str(tmp_path)], tmp_path)
    try:
        assert get(server.port()) == (200, b"v1")
        write_app(module, "v2", 10)
        server.wait_for(r"detected changes in .*reload_mod\.py")
        assert get(server.port()) == (200, b"v2")
        module.write_text("def broken(:\n")
        os.utime(module, (module.stat().st_atime, module.stat().st_mtime + 20))
        server.wait_for(r"SyntaxError")  # the worker dies; the supervisor waits for a fix
        write_app(module, "v3", 30)
        assert get(server.port()) == (200, b"v3")
    finally:
        code = server.stop()
    assert code == 0
