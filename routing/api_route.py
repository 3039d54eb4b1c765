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

import inspect
import math
import re
from collections.abc import Callable, Collection, Sequence
from enum import Enum
from contextlib import AsyncExitStack
from typing import Any, Literal, TypedDict

from anyio import CancelScope, move_on_after
from typing_extensions import Unpack

from ferrule.asgi_core.request import DEFAULT_MAX_BODY_SIZE, Request
from ferrule.asgi_core.response import JSONResponse, Response, status_has_no_body
from ferrule.asgi_core.source import source_location
from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.asgi_core.websocket import WebSocket
from ferrule.di import EndpointPlan, SolveContext, TeardownStack, compile_endpoint
from ferrule.validation.compile import RequestConfig
from ferrule.validation.errors import EndpointContext, ValidationException, request_validation_exception_handler
from ferrule.validation.serialize import check_responses

from .errors import RouteConfigError
from .handler import (
    REQUEST_STACK,
    EndpointHandler,
    RouteHandler,
    RouteProvider,
    keeps_default_422,
    locate_error,
)
from .options import DefaultPlaceholder, resolve_default
from .responder import compile_responder, compile_route_serializer
from .routes import BaseRoute, is_routable_path
from .stream_lanes import compile_stream_responder
from .templates import Template
from .timeouts import ResponseTimeoutError, check_timeout, timed_body_receive

__all__ = [
    "APIRoute",
    "APIWebSocketRoute",
    "RouteOptions",
    "endpoint_context",
    "generate_unique_id",
    "return_annotation",
]

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


_NON_WORD = re.compile(r"\W")


def generate_unique_id(route: APIRoute) -> str:
    """FastAPI's operation id: route name + path, non-word characters as ``_``, + method."""
    base = _NON_WORD.sub("_", f"{route.name}{route.path_format}")
    method = sorted(route.methods)[0].lower() if route.methods else "get"
    return f"{base}_{method}"


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
        dependency_overrides_provider: RouteProvider | None = None,
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
        self.plan = _compile_plan(self, dependency_overrides_provider, self.request_config, "http")
        self.response_serializer = None
        if not self.plan.is_generator_endpoint:
            self.response_serializer = compile_route_serializer(self, self.response_model)
        self._respond = (
            compile_stream_responder(self) if self.plan.is_generator_endpoint else compile_responder(self)
        )
        self._body_limit = self.request_config.max_body_size
        where = f"route {method_path} -> {self.endpoint_ctx.function}"
        self.body_timeout_s = check_timeout("body_timeout", resolve_default(self.body_timeout), where)
        self.response_timeout_s = check_timeout("response_timeout", resolve_default(self.response_timeout), where)
        #: What this route calls per request (FastAPI: ``self.app = request_response(...)`` of it).
        self.route_handler: RouteHandler = self.get_route_handler()
        # PERF: the one branch point of the request path (see handler.py): the
        # default handler of a direct endpoint serves the request itself, unless
        # a limit applies or a subclass overrides ``handle`` (its own must run).
        handler = self.route_handler
        if (
            type(handler) is EndpointHandler
            and self.body_timeout_s is None
            and self.response_timeout_s is None
            and type(self).handle is APIRoute.handle
        ):
            lane = handler.direct_lane(self.handle, self._body_limit, self.path)
            if lane is not None:
                self.handle = lane  # type: ignore[method-assign,assignment]

    def get_route_handler(self) -> RouteHandler:
        """``async def handler(request) -> Response``: what the route calls per request.

        COMPAT(fastapi): override it in an ``APIRoute`` subclass (``route_class=``)
        to wrap ``super().get_route_handler()``; it is called once, when the
        route is created.
        """
        return EndpointHandler(self.plan, self._respond, self.dependency_overrides_provider, self.endpoint_ctx.method_path)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The route's ASGI entry: request, handler, response, teardown (see handler.py)."""
        seconds = self.response_timeout_s
        if seconds is None:
            await self._serve(scope, receive, send, None)
            return
        # See timeouts.py: the limit encloses the exit stack (cleanup runs before
        # the 503) and is lifted once the response exists (streams are not timed).
        with move_on_after(seconds) as limit:
            await self._serve(scope, receive, send, limit)
        if limit.cancel_called:
            raise ResponseTimeoutError(f"response not ready within {seconds:g} seconds (response_timeout)")

    async def _serve(self, scope: Scope, receive: Receive, send: Send, limit: CancelScope | None) -> None:
        if self.body_timeout_s is not None:
            receive = timed_body_receive(receive, self.body_timeout_s)
        request = Request(scope, receive, send, max_body_size=self._body_limit)
        # PERF: the exit stack is only made when something is pushed onto it;
        # `aexit` then unwinds it exactly like `async with AsyncExitStack()`.
        stack = TeardownStack()
        scope[REQUEST_STACK] = stack
        try:
            response = await self.route_handler(request)
            if limit is not None:
                limit.deadline = math.inf
            if limit is None or not limit.cancel_called:
                await response(scope, receive, send)
        except BaseException as exc:
            if isinstance(exc, ValidationException):
                locate_error(exc, scope, self.path)
            if stack.used and await stack.aexit(type(exc), exc, exc.__traceback__):
                return
            if not keeps_default_422(exc, self.dependency_overrides_provider):
                raise
            await (await request_validation_exception_handler(request, exc))(scope, receive, send)
        else:
            if stack.used:
                await stack.aexit(None, None, None)
        finally:
            # SECURITY: a parsed form's uploads are closed after every teardown
            # (FastAPI's order), whoever parsed it: a form parameter or the
            # endpoint's own `await request.form()`. Nothing when none was parsed.
            await request.close()


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
        dependency_overrides_provider: RouteProvider | None = None,
    ) -> None:
        self.path = path
        self.template = Template.parse(path)
        self.endpoint = endpoint
        self.name = name or getattr(endpoint, "__name__", type(endpoint).__name__)
        self.dependencies = list(dependencies or [])
        self.include_in_schema = False
        self.dependency_overrides_provider = dependency_overrides_provider
        # COMPAT(fastapi): "WS /path" in validation error contexts.
        self.endpoint_ctx = endpoint_context(endpoint, f"WS {path}")
        self.plan = _compile_plan(self, dependency_overrides_provider, RequestConfig(), "websocket")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        provider = self.dependency_overrides_provider
        observer = provider.stage_observer if provider is not None else None
        limiter = provider.thread_limiter if provider is not None else None
        try:
            async with AsyncExitStack() as stack:
                await self.plan.solve(websocket, SolveContext(stack, observer=observer, limiter=limiter))
        except ValidationException as exc:
            locate_error(exc, scope, self.path)
            raise


def _compile_plan(
    route: APIRoute | APIWebSocketRoute,
    provider: RouteProvider | None,
    request_config: RequestConfig,
    kind: Literal["http", "websocket"],
) -> EndpointPlan:
    """The dependency plan of ``route``'s endpoint, with the provider's overrides and app scope."""
    return compile_endpoint(
        route.endpoint,
        path_param_names=frozenset(route.template.param_names),
        dependencies=route.dependencies,
        overrides=provider.dependency_overrides if provider is not None else None,
        request_config=request_config,
        endpoint_ctx=route.endpoint_ctx,
        kind=kind,
        app_scope=provider.app_scope if provider is not None else None,
    )
