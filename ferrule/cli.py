"""The `ferrule` command line: `ferrule run|routes|openapi module:app`.

    ferrule run main:app --host 127.0.0.1 --port 8000 --reload
    ferrule routes main:app
    ferrule openapi main:app > openapi.json

Also reachable as `python -m ferrule`. Exit status: 0 on a clean stop, 1 for
an app that cannot be imported, 2 for bad arguments, 3 when the app's
lifespan startup fails.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from collections.abc import Callable, Sequence
from typing import Any

from ferrule.server import AppImportError, ServerConfig, ServerConfigError, import_app
from ferrule.server import run as server_run
from ferrule.server.child_init import add_child_init
from ferrule.server.config import ACCESS_LOG_FORMATS, DEFAULT_HOST, DEFAULT_PORT, LOG_LEVELS

__all__ = ["build_parser", "main"]


def _add_app_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", metavar="module:app", help="import string of the app, e.g. main:app")
    parser.add_argument(
        "--factory", action="store_true", help="the attribute is a function returning the app"
    )
    parser.add_argument(
        "--app-dir", default=None, metavar="DIR", help="directory to import the app from (default: .)"
    )
    parser.add_argument(
        "--compat", action="store_true",
        help="drop-in mode: `import fastapi` / `import starlette` resolve to ferrule (ferrule.compat.install())",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `ferrule` command."""
    parser = argparse.ArgumentParser(prog="ferrule", description="ferrule: run and inspect ferrule apps")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="serve an app with the development server")
    _add_app_arguments(run)
    run.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST})")
    run.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to bind, 0 for any (default: {DEFAULT_PORT})")
    run.add_argument("--reload", action="store_true", help="restart when a .py file under --app-dir changes")
    run.add_argument(
        "--reload-dir", action="append", default=None, metavar="DIR", help="directory to watch (repeatable)"
    )
    run.add_argument("--root-path", default="", help="ASGI root_path, when mounted behind a proxy prefix")
    run.add_argument("--log-level", default="info", choices=LOG_LEVELS, help="log level (default: info)")
    run.add_argument("--no-access-log", action="store_true", help="do not log a line per request")
    run.add_argument(
        "--lifespan", default="auto", choices=("auto", "on", "off"), help="lifespan protocol (default: auto)"
    )
    run.add_argument(
        "--workers", type=int, default=argparse.SUPPRESS, metavar="N",
        help="worker processes sharing the socket, restarted when they die (default: 1, no supervisor)",
    )
    _add_config_flags(run)

    routes = commands.add_parser("routes", help="print the app's route table")
    _add_app_arguments(routes)
    openapi = commands.add_parser("openapi", help="print the app's OpenAPI document as JSON")
    _add_app_arguments(openapi)
    return parser


#: ServerConfig fields with a hand-written flag above (the rest get one generated from the field).
_HAND_WRITTEN: typing.Final = frozenset({"host", "port", "root_path", "log_level", "access_log", "lifespan"})
_CHOICES: typing.Final = {"access_log_format": ACCESS_LOG_FORMATS}
_ALIASES: typing.Final = {"shutdown_timeout": ["--graceful-timeout"]}
#: Optional limits that "0" / "none" turn off on the command line.
_OFF_ALLOWED: typing.Final = frozenset({"ws_ping_interval", "ws_idle_timeout", "max_requests", "max_body_size"})


def _optional(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        if text.strip().lower() in ("none", "off", "0"):
            return None
        return convert(text)

    parse.__name__ = convert.__name__
    return parse


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One `--name` flag per ServerConfig field, named after the field (underscores as dashes).

    Flags are generated from the dataclass so that every limit is settable
    from the command line under the name the Python API uses; only the flags
    given reach `run()` (the rest keep ServerConfig's defaults).
    """
    hints = typing.get_type_hints(ServerConfig)
    for field in dataclasses.fields(ServerConfig):
        name = field.name
        if name in _HAND_WRITTEN:
            continue
        flag = "--" + name.replace("_", "-")
        hint = hints[name]
        args = typing.get_args(hint)
        optional = type(None) in args
        base = next((a for a in args if a is not type(None)), hint) if optional else hint
        doc = f"ServerConfig.{name} (default: {field.default!r})"
        if base is bool:
            parser.add_argument(flag, *_ALIASES.get(name, []), dest=name, action="store_true",
                                default=argparse.SUPPRESS, help=doc)
            continue
        if typing.get_origin(base) is typing.Literal:
            convert: Callable[[str], Any] = str
            choices: Any = typing.get_args(base)
        else:
            convert = base if base in (int, float) else str
            choices = _CHOICES.get(name)
        if optional and name in _OFF_ALLOWED:
            convert = _optional(convert)
            doc += "; 0 or 'none' turns it off"
        parser.add_argument(flag, *_ALIASES.get(name, []), dest=name, type=convert, choices=choices,
                            default=argparse.SUPPRESS, metavar=name.upper() if choices is None else None, help=doc)


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword options `run` passes to `ferrule.server.run`."""
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "root_path": args.root_path,
        "log_level": args.log_level,
        "access_log": not args.no_access_log,
        "lifespan": args.lifespan,
        "factory": args.factory,
        "app_dir": args.app_dir,
    }
    if args.reload:
        options["reload"] = True
        if args.reload_dir:
            options["reload_dirs"] = args.reload_dir
    generated = {f.name for f in dataclasses.fields(ServerConfig)} - _HAND_WRITTEN
    options.update({k: v for k, v in vars(args).items() if k in generated or k == "workers"})
    return options


def _command_run(args: argparse.Namespace) -> int:
    options = run_options(args)
    if options.get("reload") or (options.get("workers") or 1) > 1:
        server_run(args.app, **options)  # the worker processes import the app
        return 0
    app = import_app(args.app, factory=args.factory, app_dir=args.app_dir)
    server_run(app, **{k: v for k, v in options.items() if k not in ("factory", "app_dir")})
    return 0


def _command_routes(args: argparse.Namespace) -> int:
    from ferrule.routing import print_routes

    print_routes(import_app(args.app, factory=args.factory, app_dir=args.app_dir))
    return 0


def _command_openapi(args: argparse.Namespace) -> int:
    app = import_app(args.app, factory=args.factory, app_dir=args.app_dir)
    openapi = getattr(app, "openapi", None)
    if not callable(openapi):
        raise AppImportError(f"{args.app!r} has no openapi() method: is it a ferrule App?")
    sys.stdout.write(json.dumps(openapi(), indent=2) + "\n")
    return 0


def _install_compat() -> None:
    from ferrule.compat import CompatInstallError, install

    try:
        install()
    except CompatInstallError as exc:
        raise AppImportError(str(exc)) from exc
    # `--reload` and `--workers` children import the app in fresh processes.
    add_child_init("ferrule.compat:install")


_COMMANDS = {"run": _command_run, "routes": _command_routes, "openapi": _command_openapi}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `ferrule` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.compat:
            _install_compat()
        return _COMMANDS[args.command](args)
    except ServerConfigError as exc:  # AppImportError is one too
        print(f"ferrule: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, AppImportError) else 2
    except KeyboardInterrupt:
        return 130
