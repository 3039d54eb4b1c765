"""``APIRoute`` and ``APIWebSocketRoute``: an endpoint compiled into its pipeline.

At construction (startup) the endpoint is analysed once: ``di`` builds the
dependency plan (which calls ``validation`` to compile one validator per
parameter location), ``validation`` compiles the response serializer, and the
way the result becomes a response (a *lane*) is chosen:

* the endpoint returned a ``Response``: it is sent as is;
* JSON (the default ``JSONResponse``): the serializer's bytes go straight into
  a pre-rendered response (no second encoding);
* another ``response_class``: it gets the jsonable value;
* a generator endpoint: JSON Lines, SSE or a raw stream (``streaming``), chosen
  from ``response_class``.

Per request: build the ``Request``, ``plan.solve`` (validate, run
dependencies, call the endpoint), turn the result into a response and send it
inside the request's exit stack, so request-scoped ``yield`` dependencies are
torn down after the response was sent.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
from collections.abc import Callable, Collection, Sequence
from enum import Enum
from contextlib import AsyncExitStack
from time import perf_counter
from typing import Any, TypedDict

from anyio import CancelScope, CapacityLimiter, move_on_after
from typing_extensions import Unpack

from ferrule.asgi_core.request import DEFAULT_MAX_BODY_SIZE, Request
from ferrule.asgi_core.response import JSONResponse, Response, status_has_no_body
from ferrule.asgi_core.source import source_location
from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.asgi_core.websocket import WebSocket
from ferrule.di import SolveContext, TeardownStack, compile_endpoint
from ferrule.validation.compile import RequestConfig
from ferrule.validation.errors import (
    EndpointContext,
    RequestValidationError,
    ValidationException,
    request_validation_exception_handler,
)
from ferrule.validation.serialize import check_responses, compile_response

from .errors import RouteConfigError
from .options import DefaultPlaceholder, generate_unique_id, resolve_default
from .responder import compile_responder
from .routes import BaseRoute, is_routable_path
from .stream_lanes import compile_stream_responder
from .templates import Template
from .timeouts import ResponseTimeoutError, check_timeout, timed_body_receive

__all__ = ["APIRoute", "APIWebSocketRoute", "RouteOptions", "endpoint_context", "return_annotation"]

_UNSET: Any = DefaultPlaceholder(None)


def endpoint_context(endpoint: Callable[..., Any], method_path: str) -> EndpointContext:
    """Where an endpoint is declared, for error messages and logs (computed once)."""
    target = inspect.unwrap(endpoint)
    file, line = source_location(target)
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    return EndpointContext(function=name, file=file, line=line, method_path=method_path)


_PATH_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-zA-Z_][a-zA-Z0-9_]*)?}")


def _documented_only(path: str) -> Template:
    # The template of a route that is only documented: it matches nothing, and its
    # path_format is FastAPI's (convertors stripped from `{name:conv}`).
    template = Template.parse("/")
    template.source = path
    template.path_format = _PATH_PARAM.sub(r"{\1}", path)
    return template


def return_annotation(endpoint: Callable[..., Any]) -> Any:
    """The endpoint's evaluated return annotation (``inspect.Signature.empty`` if none)."""
    try:
        signature = inspect.signature(endpoint, eval_str=True)
    except (NameError, TypeError):
        signature = inspect.signature(endpoint)
    return signature.return_annotation


class RouteOptions(TypedDict, total=False):
    """The options of ``api_route`` and every verb decorator (FastAPI's names).

    Attributes:
        response_model: the model the return value is validated and serialized
            with; by default the return annotation; ``None`` disables it.
        status_code: the success status (default 200, or the response class').
        tags: OpenAPI tags.
        dependencies: dependencies run for their side effects, results discarded.
        summary: OpenAPI summary.
        description: OpenAPI description (default: the endpoint's docstring).
        response_description: description of the success response.
        responses: extra OpenAPI responses, by status code.
        deprecated: mark the operation deprecated in OpenAPI.
        operation_id: explicit OpenAPI operationId.
        response_model_include: fields to include when serializing.
        response_model_exclude: fields to exclude when serializing.
        response_model_by_alias: serialize with field aliases (default True).
        response_model_exclude_unset: drop fields that were never set.
        response_model_exclude_defaults: drop fields equal to their default.
        response_model_exclude_none: drop fields that are None.
        include_in_schema: list the route in OpenAPI (default True).
        response_class: the response class (default ``JSONResponse``).
        name: the route name for ``url_path_for`` (default: the endpoint's name).
        callbacks: OpenAPI callbacks (routes of an ``APIRouter``).
        openapi_extra: merged into the operation's OpenAPI object.
        generate_unique_id_function: computes the operation's unique id.
        strict_content_type: only parse JSON bodies sent as JSON (default True).
        max_body_size: request body limit in bytes (413 above); None = no limit.
        sse_ping_interval: seconds of silence before an SSE keepalive comment.
        body_timeout: seconds allowed to receive the request body (408 after);
            None = no limit (see ``ferrule.routing.timeouts``).
        response_timeout: seconds allowed to solve dependencies (body reading
            included) and run the endpoint (503 after); None = no limit.
    """

    response_model: Any
    status_code: int | None
    tags: list[str | Enum] | None
    dependencies: Sequence[Any] | None
    summary: str | None
    description: str | None
    response_description: str
    responses: dict[int | str, dict[str, Any]] | None
    deprecated: bool | None
    operation_id: str | None
    response_model_include: Any
    response_model_exclude: Any
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool
    include_in_schema: bool
    response_class: type[Response] | Any
    name: str | None
    callbacks: list[Any] | None
    openapi_extra: dict[str, Any] | None
    generate_unique_id_function: Callable[[APIRoute], str] | Any
    strict_content_type: bool | Any
    max_body_size: int | None | Any
    sse_ping_interval: float | Any
    body_timeout: float | None | Any
    response_timeout: float | None | Any


class APIRoute(BaseRoute):
    """An HTTP route with FastAPI's pipeline: parameters, dependencies, response model.

    Args:
        path: the path template, e.g. ``"/items/{item_id}"``.
        endpoint: the function called per request.
        methods: the HTTP methods (default ``["GET"]``).
        dependency_overrides_provider: the app whose ``dependency_overrides``
            and app-scoped dependencies this route uses.
        **options: see ``RouteOptions``.
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Collection[str] | None = None,
        dependency_overrides_provider: Any = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        self.path = path
        # COMPAT(fastapi): a router may hold a route with an empty path; it only
        # becomes routable once included under a prefix (the router skips it).
        # A path not starting with '/' is an OpenAPI callback or webhook URL
        # expression ("{$request.body.url}/events"): documented, never routed.
        self.template = Template.parse(path or "/") if is_routable_path(path) else _documented_only(path)
        self.endpoint = endpoint
        self.methods = {m.upper() for m in methods} if methods else {"GET"}
        self.dependency_overrides_provider = dependency_overrides_provider
        self.name = options.get("name") or getattr(endpoint, "__name__", type(endpoint).__name__)
        self.response_model = options.get("response_model", _UNSET)
        status_code = options.get("status_code")
        # COMPAT(fastapi): an IntEnum (``HTTPStatus.CREATED``) is stored as the plain int it
        # stands for, so the ASGI message and the OpenAPI key are ints, not enum members.
        self.status_code = int(status_code) if isinstance(status_code, int) else status_code
        self.tags = list(options.get("tags") or [])
        self.dependencies = list(options.get("dependencies") or [])
        self.summary = options.get("summary")
        self.response_description = options.get("response_description", "Successful Response")
        self.responses = check_responses(
            dict(options.get("responses") or {}), f"route {','.join(sorted(self.methods))} {path}"
        )
        self.deprecated = options.get("deprecated")
        self.operation_id = options.get("operation_id")
        self.response_model_include = options.get("response_model_include")
        self.response_model_exclude = options.get("response_model_exclude")
        self.response_model_by_alias = options.get("response_model_by_alias", True)
        self.response_model_exclude_unset = options.get("response_model_exclude_unset", False)
        self.response_model_exclude_defaults = options.get("response_model_exclude_defaults", False)
        self.response_model_exclude_none = options.get("response_model_exclude_none", False)
        self.include_in_schema = options.get("include_in_schema", True)
        self.response_class = options.get("response_class", DefaultPlaceholder(JSONResponse))
        self.callbacks = options.get("callbacks")
        self.openapi_extra = options.get("openapi_extra")
        self.generate_unique_id_function = options.get(
            "generate_unique_id_function", DefaultPlaceholder(generate_unique_id)
        )
        self.strict_content_type = options.get("strict_content_type", DefaultPlaceholder(True))
        self.max_body_size = options.get("max_body_size", DefaultPlaceholder(DEFAULT_MAX_BODY_SIZE))
        self.sse_ping_interval = options.get("sse_ping_interval", DefaultPlaceholder(15.0))
        self.body_timeout = options.get("body_timeout", DefaultPlaceholder(None))
        self.response_timeout = options.get("response_timeout", DefaultPlaceholder(None))
        description = options.get("description")
        if description is None:
            doc = inspect.getdoc(endpoint)
            description = doc.split("\f")[0].strip() if doc else None
        self.description = description

        self.actual_response_class: type[Response] = resolve_default(self.response_class)
        unique_id_function = resolve_default(self.generate_unique_id_function)
        self.unique_id: str = self.operation_id or unique_id_function(self)

        if isinstance(self.response_model, DefaultPlaceholder):
            annotation = return_annotation(endpoint)
            if annotation is inspect.Signature.empty or (
                inspect.isclass(annotation) and issubclass(annotation, Response)
            ):
                annotation = None
            self.response_model = annotation
        method_path = f"{','.join(sorted(self.methods))} {path}"
        self.endpoint_ctx = endpoint_context(endpoint, method_path)
        if self.status_code is not None and status_has_no_body(self.status_code) and _is_body_model(
            self.response_model
        ):
            raise RouteConfigError(
                f"route {method_path} -> {self.endpoint_ctx.function}: status code "
                f"{self.status_code} must not have a response body, but response_model is "
                f"{self.response_model!r}; set response_model=None or use another status code",
                template=path,
            )
        self.request_config = RequestConfig(
            strict_content_type=resolve_default(self.strict_content_type),
            max_body_size=resolve_default(self.max_body_size),
        )
        provider = dependency_overrides_provider
        self.plan = compile_endpoint(
            endpoint,
            path_param_names=frozenset(self.template.param_names),
            dependencies=self.dependencies,
            overrides=getattr(provider, "dependency_overrides", None),
            request_config=self.request_config,
            endpoint_ctx=self.endpoint_ctx,
            kind="http",
            app_scope=getattr(provider, "app_scope", None),
        )
        self.response_serializer = None
        if not self.plan.is_generator_endpoint:
            self.response_serializer = compile_response(
                self.response_model,
                include=self.response_model_include,
                exclude=self.response_model_exclude,
                by_alias=self.response_model_by_alias,
                exclude_unset=self.response_model_exclude_unset,
                exclude_defaults=self.response_model_exclude_defaults,
                exclude_none=self.response_model_exclude_none,
                endpoint_ctx=self.endpoint_ctx,
            )
        self._respond = (
            compile_stream_responder(self) if self.plan.is_generator_endpoint else compile_responder(self)
        )
        self._body_limit = self.request_config.max_body_size
        where = f"route {method_path} -> {self.endpoint_ctx.function}"
        body_timeout = check_timeout("body_timeout", resolve_default(self.body_timeout), where)
        response_timeout = check_timeout("response_timeout", resolve_default(self.response_timeout), where)
        self._timeouts: tuple[float | None, float | None] | None = (
            None if body_timeout is None and response_timeout is None else (body_timeout, response_timeout)
        )
        # See EndpointPlan.direct; generator endpoints keep their stream lanes.
        self._direct = (
            self.plan.direct if self._timeouts is None and not self.plan.is_generator_endpoint else None
        )
        # PERF: the router calls ``route.handle``; a direct endpoint gets its lane
        # as that attribute, so a request makes no dispatching coroutine first
        # (not when a subclass overrides ``handle``: its own must run).
        if self._direct is not None and type(self).handle is APIRoute.handle:
            lane = self._handle_plain if self._direct.validator is None else self._handle_direct
            self.handle = lane  # type: ignore[method-assign]

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._timeouts is not None:
            await self._handle_timed(scope, receive, send, *self._timeouts)
            return
        provider = self.dependency_overrides_provider
        observer = provider.stage_observer if provider is not None else None
        request = Request(scope, receive, send, max_body_size=self._body_limit)
        # PERF: the exit stack is only made when a dependency pushes onto it;
        # `aexit` then unwinds it exactly like `async with AsyncExitStack()`.
        stack = TeardownStack()
        ctx = SolveContext(stack, observer=observer, limiter=_limiter(provider))
        try:
            result = await self.plan.solve(request, ctx)
            if observer is None:
                response = self._respond(result, ctx, request)
            else:
                start = perf_counter()
                response = self._respond(result, ctx, request)
                observer.on_stage(self.endpoint_ctx.method_path, "serialize", perf_counter() - start)
            await response(scope, receive, send)
        except RequestValidationError as exc:
            locate_error(exc, scope, self.path)
            # PERF: the common 422 is answered here when the app keeps FastAPI's
            # default handler (same bytes as ExceptionMiddleware would send, with
            # no unwinding through the router and middleware frames).
            if stack.used and await stack.aexit(type(exc), exc, exc.__traceback__):
                return
            handlers = getattr(provider, "exception_handlers", None)
            if handlers is None or handlers.get(RequestValidationError) is not request_validation_exception_handler:
                raise
            await (await request_validation_exception_handler(request, exc))(scope, receive, send)
        except BaseException as exc:
            if isinstance(exc, ValidationException):
                locate_error(exc, scope, self.path)
            if not stack.used or not await stack.aexit(type(exc), exc, exc.__traceback__):
                raise
        else:
            if stack.used:
                await stack.aexit(None, None, None)
        finally:
            # After every teardown, as FastAPI does; only when a form was parsed.
            if request._form is not None:
                await _close_uploads(request)

    def _observed(self) -> bool:
        provider = self.dependency_overrides_provider
        return provider is not None and provider.stage_observer is not None

    async def _handle_plain(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``handle`` for a direct endpoint with no parameters: its result is the response
        (the non-stream responders read nothing from the request)."""
        direct = self._direct
        if direct is None or self._observed():  # timed stages take the full pipeline
            await APIRoute.handle(self, scope, receive, send)
            return
        response = self._respond(await direct.call(), _DIRECT_CTX, None)  # type: ignore[arg-type]
        await response(scope, receive, send)

    async def _handle_direct(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``handle`` for an endpoint with nothing to inject or tear down (see EndpointPlan.direct).

        The responders only read the sub-response and background tasks of the
        solve context, which such an endpoint cannot have: they get _DIRECT_CTX.
        """
        direct = self._direct
        validator = direct.validator if direct is not None else None
        if direct is None or validator is None or self._observed():  # timed stages take the full pipeline
            await APIRoute.handle(self, scope, receive, send)
            return
        request = Request(scope, receive, send, max_body_size=self._body_limit)
        try:
            if validator.needs_body:
                values = await validator.validate(request)
            else:
                values = validator.validate_params(request)
            # COMPAT(fastapi): by keyword; only positional-only parameters by position.
            if direct.positional:
                result = await direct.call(
                    *[values[i] for i in direct.positional], **{n: values[i] for n, i in direct.keywords}
                )
            else:
                result = await direct.call(**{n: values[i] for n, i in direct.keywords})
            response = self._respond(result, _DIRECT_CTX, request)
            await response(scope, receive, send)
        except RequestValidationError as exc:
            locate_error(exc, scope, self.path)
            handlers = getattr(self.dependency_overrides_provider, "exception_handlers", None)
            if handlers is None or handlers.get(RequestValidationError) is not request_validation_exception_handler:
                raise
            await (await request_validation_exception_handler(request, exc))(scope, receive, send)
        finally:
            if request._form is not None:
                await _close_uploads(request)

    async def _handle_timed(
        self, scope: Scope, receive: Receive, send: Send, body_timeout: float | None, response_timeout: float | None
    ) -> None:
        # See routing/timeouts.py: the limit encloses the exit stack (so cleanup runs
        # before the 503) and is lifted once the response exists (streams are not timed).
        body_receive = receive if body_timeout is None else timed_body_receive(receive, body_timeout)
        request = Request(scope, body_receive, send, max_body_size=self._body_limit)
        provider = self.dependency_overrides_provider
        observer = provider.stage_observer if provider is not None else None
        with move_on_after(math.inf if response_timeout is None else response_timeout) as limit:
            async with AsyncExitStack() as stack:
                stack.push_async_callback(_close_uploads, request)
                ctx = SolveContext(stack, observer=observer, limiter=_limiter(provider))
                result = await self.plan.solve(request, ctx)
                start = perf_counter()
                response = self._respond(result, ctx, request)
                if observer is not None:
                    observer.on_stage(self.endpoint_ctx.method_path, "serialize", perf_counter() - start)
                limit.deadline = math.inf
                if not limit.cancel_called:
                    await response(scope, receive, send)
        if limit.cancel_called:
            raise ResponseTimeoutError(
                f"response not ready within {response_timeout:g} seconds (response_timeout)"
            )


#: The solve context of direct endpoints: no sub-response, no background tasks
#: (responders only read those two attributes; nothing ever writes to it).
_DIRECT_CTX = SolveContext(AsyncExitStack())


async def _close_uploads(request: Request) -> None:
    """Close (delete) the uploaded files of a parsed form, after every teardown (FastAPI does too)."""
    if request._form is not None:
        # SECURITY: shielded, so a cancelled request still deletes its spooled temp files.
        with CancelScope(shield=True):
            await request.close()


def _limiter(provider: Any) -> CapacityLimiter | None:
    """The app's worker-thread limiter for sync callables (None: anyio's default)."""
    if provider is None:
        return None
    limiter: CapacityLimiter | None = provider.thread_limiter
    return limiter


def locate_error(exc: ValidationException, scope: Scope, path: str) -> None:
    """Give ``exc`` the request's ``METHOD <mount prefix><route path>`` (FastAPI's endpoint path).

    COMPAT(fastapi): the context names the method of the request (not every method of
    the route) and the ``root_path`` of a mounted sub-app. Only on the error path.
    """
    ctx = exc.endpoint_ctx
    if ctx is None:
        return
    method_path = f"{scope.get('method', 'WS')} {scope.get('root_path', '').rstrip('/')}{path}"
    if ctx.method_path != method_path:
        exc.endpoint_ctx = dataclasses.replace(ctx, method_path=method_path)


def _is_body_model(model: Any) -> bool:
    return model is not None and model is not type(None)


class APIWebSocketRoute(BaseRoute):
    """A WebSocket route whose endpoint gets dependencies and parameters like an HTTP one."""

    kind = "websocket"

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        dependencies: Sequence[Any] | None = None,
        dependency_overrides_provider: Any = None,
    ) -> None:
        self.path = path
        self.template = Template.parse(path)
        self.endpoint = endpoint
        self.name = name or getattr(endpoint, "__name__", type(endpoint).__name__)
        self.dependencies = list(dependencies or [])
        self.include_in_schema = False
        self.dependency_overrides_provider = dependency_overrides_provider
        self.endpoint_ctx = endpoint_context(endpoint, f"WEBSOCKET {path}")
        provider = dependency_overrides_provider
        self.plan = compile_endpoint(
            endpoint,
            path_param_names=frozenset(self.template.param_names),
            dependencies=self.dependencies,
            overrides=getattr(provider, "dependency_overrides", None),
            request_config=RequestConfig(),
            endpoint_ctx=self.endpoint_ctx,
            kind="websocket",
            app_scope=getattr(provider, "app_scope", None),
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        provider = self.dependency_overrides_provider
        observer = provider.stage_observer if provider is not None else None
        async with AsyncExitStack() as stack:
            await self.plan.solve(websocket, SolveContext(stack, observer=observer, limiter=_limiter(provider)))
