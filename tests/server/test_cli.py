"""The `ferrule` CLI: argument handling of `run`, the import-string loader, and a real process."""

from __future__ import annotations

import os
import re
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ferrule import cli
from ferrule.server import AppImportError, import_app
from ferrule.server.serve import run

from srv_helpers import ServerProcess, get


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with importable app modules; sys.path and sys.modules restored afterwards."""
    (tmp_path / "cli_app_mod.py").write_text(
        textwrap.dedent(
            """
            async def app(scope, receive, send):
                if scope["type"] == "lifespan":
                    message = await receive()
                    await send({"type": "lifespan.startup.complete"})
                    await receive()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"from the cli app"})

            def create_app():
                return app

            not_an_app = 42
            """
        )
    )
    (tmp_path / "cli_broken_startup.py").write_text(
        textwrap.dedent(
            """
            async def app(scope, receive, send):
                assert scope["type"] == "lifespan"
                await receive()
                await send({"type": "lifespan.startup.failed", "message": "cannot reach the database"})
            """
        )
    )
    (tmp_path / "cli_bad_dependency.py").write_text("import surely_missing_dependency_xyz\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in ("cli_app_mod", "cli_broken_startup", "cli_bad_dependency"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path


def test_run_arguments_map_to_server_options(monkeypatch: pytest.MonkeyPatch, app_dir: Path) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(cli, "server_run", lambda app, **options: calls.append((app, options)))
    status = cli.main(
        ["run", "cli_app_mod:app", "--app-dir", str(app_dir), "--host", "0.0.0.0", "--port", "9001",
         "--root-path", "/api", "--log-level", "debug", "--no-access-log", "--lifespan", "off"]
    )
    assert status == 0
    ((app, options),) = calls
    assert callable(app) and app.__module__ == "cli_app_mod"  # imported before serving
    assert options == {
        "host": "0.0.0.0", "port": 9001, "root_path": "/api", "log_level": "debug",
        "access_log": False, "lifespan": "off",
    }


def test_run_defaults_and_factory(monkeypatch: pytest.MonkeyPatch, app_dir: Path) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(cli, "server_run", lambda app, **options: calls.append((app, options)))
    assert cli.main(["run", "cli_app_mod:create_app", "--factory", "--app-dir", str(app_dir)]) == 0
    ((app, options),) = calls
    assert app.__name__ == "app"
    assert (options["host"], options["port"], options["log_level"], options["access_log"]) == (
        "127.0.0.1", 8000, "info", True,
    )


def test_run_with_reload_passes_the_import_string(monkeypatch: pytest.MonkeyPatch, app_dir: Path) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(cli, "server_run", lambda app, **options: calls.append((app, options)))
    assert cli.main(["run", "cli_app_mod:app", "--reload", "--reload-dir", str(app_dir), "--app-dir", str(app_dir)]) == 0
    ((app, options),) = calls
    assert app == "cli_app_mod:app"
    assert options["reload"] is True and options["reload_dirs"] == [str(app_dir)]
    assert options["app_dir"] == str(app_dir)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run"], "the following arguments are required: module:app"),
        (["run", "m:app", "--port", "eighty"], "invalid int value: 'eighty'"),
        (["run", "m:app", "--log-level", "loud"], "invalid choice: 'loud'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_module_xyz:app", "could not import module 'no_such_module_xyz'"),
        ("cli_app_mod:missing", "module 'cli_app_mod' has no attribute 'missing'"),
        ("cli_app_mod", "must be in the form 'module:attribute'"),
        ("cli_app_mod:not_an_app", "'cli_app_mod:not_an_app' is a int, not an ASGI app"),
    ],
)
def test_import_errors_are_clear(
    target: str, message: str, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(AppImportError, match=re.escape(message)):
        import_app(target, app_dir=str(app_dir))
    assert cli.main(["run", target, "--app-dir", str(app_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ferrule: error: ") and message in err


def test_missing_dependency_inside_the_app_is_not_hidden(app_dir: Path) -> None:
    with pytest.raises(ModuleNotFoundError, match="surely_missing_dependency_xyz"):
        import_app("cli_bad_dependency:app", app_dir=str(app_dir))


def test_bad_config_value_exits_2(app_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "cli_app_mod:app", "--app-dir", str(app_dir), "--port", "70000"]) == 2
    assert "port=70000 is not a TCP port" in capsys.readouterr().err


def test_run_rejects_unknown_options_and_reload_without_import_string() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("never called")

    with pytest.raises(TypeError, match=r"unknown option\(s\) \['prot'\]"):
        run(app, prot=8000)
    with pytest.raises(ValueError, match="reload=True needs the app as an import string"):
        run(app, reload=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_serves_and_stops_gracefully_on_signal(app_dir: Path, signum: signal.Signals) -> None:
    server = ServerProcess(["run", "cli_app_mod:app", "--port", "0", "--lifespan", "on"], app_dir)
    try:
        port = server.port()
        assert get(port) == (200, b"from the cli app")
        server.wait_for(r'"GET / HTTP/1.1" 200')  # the access log line
        server.proc.send_signal(signum)
        server.wait_for(f"received {signum.name}, shutting down gracefully")
        code = server.proc.wait(timeout=20)
    finally:
        server.stop()
    assert code == 0
    server.wait_for("server stopped")


def test_cli_failing_startup_exits_non_zero_with_the_apps_message(app_dir: Path) -> None:
    server = ServerProcess(["run", "cli_broken_startup:app", "--port", "0"], app_dir)
    try:
        server.wait_for("application startup failed: cannot reach the database")
        code = server.proc.wait(timeout=20)  # exits by itself
    finally:
        server.stop()
    assert code == 3
    assert not any("listening on" in line for line in server.seen)


def test_every_server_config_field_is_a_flag() -> None:
    import dataclasses

    from ferrule.server import ServerConfig

    parser = cli.build_parser()
    run_parser = parser._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    flags = {opt for action in run_parser._actions for opt in action.option_strings}
    for field in dataclasses.fields(ServerConfig):
        if field.name == "access_log":
            assert "--no-access-log" in flags
        else:
            assert "--" + field.name.replace("_", "-") in flags, field.name


def test_limit_flags_reach_the_server_config(monkeypatch: pytest.MonkeyPatch, app_dir: Path) -> None:
    from ferrule.server import ServerConfig

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(cli, "server_run", lambda app, **options: calls.append(options))
    argv = [
        "run", "cli_app_mod:app", "--app-dir", str(app_dir), "--max-head-bytes", "4096", "--max-header-count", "20",
        "--keep-alive-timeout", "2.5", "--header-timeout", "3", "--max-connections", "7", "--graceful-timeout", "4",
        "--ws-max-message-size", "1024", "--ws-ping-interval", "0", "--ws-idle-timeout", "none",
        "--access-log-format", "json", "--proxy-headers", "--forwarded-allow-ips", "10.0.0.0/8",
        "--max-requests", "100", "--max-requests-jitter", "10",
    ]
    assert cli.main(argv) == 0
    (options,) = calls
    config = ServerConfig(**{k: v for k, v in options.items() if k in ServerConfig.option_names()})
    assert (config.max_head_bytes, config.max_header_count, config.keep_alive_timeout) == (4096, 20, 2.5)
    assert (config.header_timeout, config.max_connections, config.shutdown_timeout) == (3.0, 7, 4.0)
    assert (config.ws_max_message_size, config.ws_ping_interval, config.ws_idle_timeout) == (1024, None, None)
    assert config.access_log_format == "json" and config.proxy_headers and config.forwarded_allow_ips == "10.0.0.0/8"
    assert (config.max_requests, config.max_requests_jitter) == (100, 10)


def test_bad_limit_value_is_exit_2_naming_the_option(app_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "cli_app_mod:app", "--app-dir", str(app_dir), "--max-connections", "0"]) == 2
    assert "max_connections=0 must be a positive integer" in capsys.readouterr().err


def test_routes_command_lists_head_on_get_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cli_routes_app.py").write_text(textwrap.dedent(
        """
        from ferrule import App
        app = App(openapi_url=None)

        @app.get("/items")
        def items() -> list[int]:
            return []

        @app.post("/items")
        def create() -> int:
            return 1
        """
    ))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "cli_routes_app", raising=False)
    assert cli.main(["routes", "cli_routes_app:app", "--app-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["GET,HEAD", "/items"]
    assert lines[2].split()[:2] == ["POST", "/items"]


def test_every_flag_the_readme_names_exists() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    start = readme.index("## Safe by default")
    end = readme.index("## Runs under any ASGI server")
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", readme[start:end]))
    run_parser = cli.build_parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    flags = {opt for action in run_parser._actions for opt in action.option_strings}
    assert len(named) > 15
    assert named - flags == set()
