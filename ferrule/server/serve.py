"""Run an ASGI app on TCP: `serve()` (async, embeddable) and `run()` (blocking, the CLI's).

Order of a server's life:
1. lifespan startup (a failure raises `LifespanFailure`; nothing is bound);
2. bind and listen (TCP, `uds`, an inherited `fd` or a supervisor's socket,
   see `sockets.py`), report the bound address through `task_status`;
3. accept (`accept.py`): each connection is one `HTTP11Connection` task
   (after its TLS handshake, with TLS on); past `max_connections` a
   connection gets 503 and is closed;
4. on the shutdown trigger (SIGINT/SIGTERM by default, or `max_requests`
   served): stop accepting, let connections finish their request within
   `shutdown_timeout`, cancel the rest;
5. lifespan shutdown.
A second signal during step 4 cancels the connections at once.

The app is wrapped once, here: `TLSScheme` (https/wss), then
`ProxyHeadersMiddleware` inside it when `proxy_headers` is on, then
`BodySizeLimit` when `max_body_size` is set; the `max_requests` counter goes
around them all.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import ssl
import sys
from typing import Any, Final

import anyio
import anyio.abc

from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send

from .accept import Acceptor, connection_tasks
from .accesslog import AccessJSONFormatter
from .body_limit import BodySizeLimit
from .config import ServerConfig, ServerConfigError
from .importer import import_app
from .lifespan import Lifespan, LifespanFailure
from .proxy_headers import ProxyHeadersMiddleware
from .sockets import TLSScheme, describe_listener, make_ssl_context, open_listeners
from .state import ServerState, server_logger

__all__ = ["serve", "run", "RUN_OPTIONS", "STARTUP_FAILURE_EXIT_CODE"]

#: Exit status of `run()` when the app's lifespan startup fails.
STARTUP_FAILURE_EXIT_CODE: Final = 3
#: Options of `run()` besides the ServerConfig fields.
RUN_OPTIONS: Final = frozenset(
    {"reload", "reload_dirs", "reload_interval", "factory", "app_dir", "workers", "ready_fd", "lifeline_fd"}
)


async def serve(
    app: ASGIApp,
    config: ServerConfig | None = None,
    *,
    shutdown_trigger: anyio.Event | None = None,
    sock: socket.socket | None = None,
    task_status: anyio.abc.TaskStatus[tuple[str, int]] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `app` until shut down.

    Args:
        app: any ASGI 3 callable.
        config: server options (defaults: `ServerConfig()`).
        shutdown_trigger: set it to stop gracefully; when None, SIGINT and
            SIGTERM do (signal handlers are installed only then).
        sock: a listening socket to serve on (a supervisor's shared socket);
            default: the one config's host/port, uds or fd names.
        task_status: `await tg.start(serve, app, config)` returns the bound
            (host, port), useful with port 0.

    Raises:
        LifespanFailure: the app's lifespan startup failed.
        OSError: the address could not be bound.
        ServerConfigError: the TLS certificate cannot be loaded, or a bad uds/fd.
    """
    config = config or ServerConfig()
    ssl_context = make_ssl_context(config)
    if config.max_body_size is not None:
        app = BodySizeLimit(app, config.max_body_size)
    if config.proxy_headers:
        app = ProxyHeadersMiddleware(app, config.forwarded_allow_ips)
    if ssl_context is not None:
        app = TLSScheme(app)
    state = ServerState(app, config)
    failure: Exception | None = None
    async with anyio.create_task_group() as tg:
        try:
            await _serve_in(tg, state, shutdown_trigger, sock, ssl_context, task_status)
        except (LifespanFailure, OSError, ServerConfigError) as exc:
            # Raised outside the task group so callers get the error itself,
            # not an ExceptionGroup around it.
            failure = exc
        tg.cancel_scope.cancel()
    if failure is not None:
        raise failure


async def _serve_in(
    tg: anyio.abc.TaskGroup,
    state: ServerState,
    shutdown_trigger: anyio.Event | None,
    sock: socket.socket | None,
    ssl_context: ssl.SSLContext | None,
    task_status: anyio.abc.TaskStatus[tuple[str, int]],
) -> None:
    config = state.config
    lifespan = Lifespan(state.app, config.lifespan)
    await lifespan.startup(tg)
    if lifespan.supported:
        state.lifespan_state = lifespan.state
    listeners = await open_listeners(config, sock)
    shown, bound = describe_listener(listeners[0], ssl_context is not None)
    server_logger.info("ferrule listening on %s (press CTRL+C to quit)", shown)
    task_status.started(bound)

    stop = shutdown_trigger if shutdown_trigger is not None else anyio.Event()
    force = anyio.Event()
    if shutdown_trigger is None:
        tg.start_soon(_watch_signals, stop, force)
    if config.max_requests is not None:
        limit = config.max_requests + random.randint(0, config.max_requests_jitter)
        budget = state.app = _RequestBudget(state.app, limit, stop)
    async with anyio.create_task_group() as conn_tg:
        tasks = connection_tasks(conn_tg)
        try:
            acceptor = Acceptor(state, tasks, ssl_context)
            try:
                with anyio.CancelScope() as accept_scope:
                    async with anyio.create_task_group() as accept_tg:
                        for listener in listeners:
                            await acceptor.start(listener, accept_tg)
                        await stop.wait()
                        accept_scope.cancel()
            finally:
                acceptor.close()
                for listener in listeners:
                    await listener.aclose()
                if config.max_requests is not None:
                    budget.accepting_stopped.set()
            server_logger.info("shutting down: finishing %d open connection(s)", len(state.connections))
            state.begin_shutdown()
            with anyio.move_on_after(config.shutdown_timeout) as drain_scope:
                async with anyio.create_task_group() as wait_tg:
                    wait_tg.start_soon(_cancel_on, force, wait_tg.cancel_scope)
                    await state.wait_drained()
                    wait_tg.cancel_scope.cancel()
            if drain_scope.cancelled_caught or state.connections:
                server_logger.warning("cancelling %d connection(s) still open", len(state.connections))
        finally:
            with anyio.CancelScope(shield=True):
                await tasks.cancel_all()
    await lifespan.shutdown()
    server_logger.info("server stopped")


async def _cancel_on(event: anyio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


class _RequestBudget:
    """Count http and websocket scopes; set `stop` once `limit` requests have started."""

    __slots__ = ("app", "left", "stop", "accepting_stopped")

    def __init__(self, app: ASGIApp, limit: int, stop: anyio.Event) -> None:
        self.app = app
        self.left = limit
        self.stop = stop
        #: Set once the listeners are closed; the last request is answered only then, so a
        #: client's next connection cannot reach this worker's accept loop as it is cancelled
        #: (that connection would be dropped; the server answers fast enough to race it).
        self.accepting_stopped = anyio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            self.left -= 1
            if self.left == 0:
                server_logger.info("max_requests reached, stopping gracefully")
                self.stop.set()
                await self.accepting_stopped.wait()
        await self.app(scope, receive, send)


async def _watch_signals(stop: anyio.Event, force: anyio.Event) -> None:
    try:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                if not stop.is_set():
                    server_logger.info("received %s, shutting down gracefully", signal.Signals(signum).name)
                    stop.set()
                else:
                    server_logger.warning("received %s again, closing connections now", signal.Signals(signum).name)
                    force.set()
    except (ValueError, NotImplementedError, RuntimeError) as exc:
        # Not the main thread, or a platform without signal support.
        server_logger.debug("signal handlers not installed: %s", exc)


class _ReportReady(anyio.abc.TaskStatus[tuple[str, int]]):
    """A task status that writes "<pid>\\n" to a supervisor's ready pipe once listening."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def started(self, value: tuple[str, int] | None = None) -> None:
        try:
            os.write(self.fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError:
            pass  # the supervisor is gone; the lifeline watcher stops this worker


async def _serve_and_report(app: ASGIApp, config: ServerConfig, ready_fd: int) -> None:
    # No task group around serve(): its LifespanFailure must reach run() as itself (exit 3).
    await serve(app, config, task_status=_ReportReady(ready_fd))


def loop_options() -> dict[str, Any]:
    """anyio's asyncio options: uvloop when it is installed (as uvicorn's default `--loop auto`)."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return {}
    return {"use_uvloop": True}


def configure_logging(level: str, access_log_format: str = "common") -> None:
    """Send `ferrule.*` logs to stderr at `level` (once; the root logger is untouched).

    With access_log_format="json", `ferrule.access` records go to their own
    stderr handler as JSON lines (`AccessJSONFormatter`).
    """
    logger = logging.getLogger("ferrule")
    logger.setLevel(level.upper())
    if not any(getattr(h, "_ferrule", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-8s %(name)s: %(message)s"))
        handler._ferrule = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    access = logging.getLogger("ferrule.access")
    for old in [h for h in access.handlers if getattr(h, "_ferrule", False)]:
        access.removeHandler(old)
    access.propagate = access_log_format != "json"
    if access_log_format == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(AccessJSONFormatter())
        handler._ferrule = True  # type: ignore[attr-defined]
        access.addHandler(handler)


def run(app: ASGIApp | str, **options: Any) -> None:
    """Serve an app, or an import string like "main:app", until SIGINT/SIGTERM.

    Args:
        app: an ASGI app, or "module:attribute" (required with reload=True).
        **options: any `ServerConfig` field, plus `reload` (bool),
            `reload_dirs` (list of directories to watch, default: app_dir),
            `reload_interval` (seconds between polls, default 0.5),
            `factory` (the attribute is an app factory) and `app_dir`
            (directory put on sys.path, default: the working directory).

    Raises:
        TypeError: an unknown option.
        ServerConfigError: a bad option value or an unimportable app.
        SystemExit: with status 3 when the app's lifespan startup fails.
    """
    config_names = ServerConfig.option_names()
    unknown = set(options) - config_names - RUN_OPTIONS
    if unknown:
        raise TypeError(
            f"run() got unknown option(s) {sorted(unknown)!r}; "
            f"valid options: {', '.join(sorted(config_names | RUN_OPTIONS))}"
        )
    config = ServerConfig(**{k: v for k, v in options.items() if k in config_names})
    workers = options.get("workers", 1)
    workers = 1 if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ServerConfigError(f"workers={workers!r} must be a positive integer")
    if workers > 1 or options.get("reload"):
        if not isinstance(app, str):
            what = "workers > 1" if workers > 1 else "reload=True"
            raise ServerConfigError(
                f"{what} needs the app as an import string such as 'main:app', "
                "so each worker process can import it"
            )
    if workers > 1:
        if options.get("reload"):
            raise ServerConfigError("reload and workers > 1 do not go together: use one of them")
        from .supervisor import Supervisor

        assert isinstance(app, str)  # checked above
        configure_logging(config.log_level, config.access_log_format)
        raise SystemExit(Supervisor(app, options, config).run())
    if options.get("reload"):
        assert isinstance(app, str)  # checked above
        from .reload import supervise

        configure_logging(config.log_level, config.access_log_format)
        raise SystemExit(supervise(app, options))
    if isinstance(app, str):
        app = import_app(app, factory=bool(options.get("factory")), app_dir=options.get("app_dir"))
    configure_logging(config.log_level, config.access_log_format)
    ready_fd = options.get("ready_fd")
    if options.get("lifeline_fd") is not None:  # a worker of `--workers N`
        from .supervisor import watch_lifeline

        watch_lifeline(int(options["lifeline_fd"]))
    try:
        if ready_fd is None:
            anyio.run(serve, app, config, backend_options=loop_options())
        else:
            anyio.run(_serve_and_report, app, config, int(ready_fd), backend_options=loop_options())
    except LifespanFailure as exc:
        server_logger.error("application startup failed: %s", exc)
        raise SystemExit(STARTUP_FAILURE_EXIT_CODE) from None
